import type { BackupJob, ServiceId } from "../avepoint/model.js";
import type { AlertBase } from "./alert-base.js";

/**
 * Backup health alerts: what is wrong although no job failed. Each kind is
 * routable on its own (`kind` in routing), fires once per episode and
 * resolves once (see health-rules.ts for the rules and their identities).
 */

/**
 * A watched service has no recovery point: no backup job of it finished
 * successfully within BACKUP_MAX_AGE_HOURS (`cause: "age"`, critical), or a
 * backup the schedule announced did not start within BACKUP_START_GRACE_MINUTES
 * (`cause: "schedule"`, warning; current API profile only).
 */
export interface MissedBackupAlert extends AlertBase {
  kind: "missed-backup";
  cause: "age" | "schedule";
  service: ServiceId;
  /** Finish time of the newest successful backup known; null = none found. */
  lastSuccessAt: Date | null;
  lastSuccessJobId: string | null;
  /** BACKUP_MAX_AGE_HOURS when the notice was made. */
  maxAgeHours: number;
  /** cause "schedule": the scheduled start that passed without a job, and the grace allowed. */
  scheduledAt?: Date;
  graceMinutes?: number;
  /** Resolved notices: the job that ended the episode (the successful backup, or the job that started). */
  resolvedBy?: BackupJob;
}

/** A job In Progress longer than JOB_MAX_RUNTIME_HOURS (warning), or its end (resolved). */
export interface StuckJobAlert extends AlertBase {
  kind: "stuck-job";
  /** The job as last listed. */
  job: BackupJob;
  service?: ServiceId;
  maxRuntimeHours: number;
  /** Resolved notices: the job reached a final state, or is no longer listed. */
  outcome?: "ended" | "vanished";
}

/** One run in a skipped-objects trend. */
interface SkippedRun {
  jobId: string;
  finishTime: Date | null;
  skipped: number;
}

/**
 * A job finished with too many objects failed or skipped (`cause: "objects"`,
 * over JOB_FAILED_OBJECTS_PERCENT), or a service skipped more objects in each
 * of JOB_SKIPPED_GROWTH_RUNS runs in a row (`cause: "skipped-growth"`), or
 * that trend ended (resolved).
 */
export interface FailureRatioAlert extends AlertBase {
  kind: "failure-ratio";
  cause: "objects" | "skipped-growth";
  /** The job over the threshold, or the newest run of the trend. */
  job: BackupJob;
  service?: ServiceId;
  /** cause "objects": (failed + skipped) / total in percent, and the threshold. */
  percent?: number;
  thresholdPercent?: number;
  /** cause "skipped-growth": the runs of the trend, oldest first. */
  runs?: SkippedRun[];
}

/** Cloud Backup's unusual-activity counts rose for a service (critical), or fell back to zero (resolved). */
export interface UnusualActivityAlert extends AlertBase {
  kind: "unusual-activity";
  /** The API's serviceType (0 = Exchange Online, ...: see SERVICE_TYPES). */
  serviceType: number;
  /** The matching ObjectType service, when there is one. */
  service?: ServiceId;
  /** Sites (or mailboxes) under potential ransomware attack, and with unusual activity, in the window. */
  ransomwareCount: number;
  unusualCount: number;
  /** Counts at the previous reading (0 when there was none). */
  previousRansomwareCount: number;
  previousUnusualCount: number;
  /** How far back the counts reach. */
  windowHours: number;
}

export type HealthAlert = MissedBackupAlert | StuckJobAlert | FailureRatioAlert | UnusualActivityAlert;

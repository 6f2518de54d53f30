import type { BackupJob, ServiceId } from "../avepoint/model.js";
import type { AlertableJobState } from "../config/settings.js";
import { fingerprintOf } from "./fingerprint.js";
import type { JobAlert, JobRecoveryAlert, Severity } from "./model.js";

/**
 * Which job outcomes alert, and how loudly:
 *
 * | state              | alert                         |
 * | ------------------ | ----------------------------- |
 * | Failed             | critical                      |
 * | FinishedException  | warning                       |
 * | PartiallyFinished  | warning                       |
 * | Canceled, Stopped, Rejected, Skipped | warning     |
 * | Unknown (any text) | warning: we cannot read it    |
 * | InProgress         | none yet: tracked until final |
 * | Finished           | none (may resolve a failure)  |
 *
 * ALERT_JOB_STATES narrows the first three; an unknown state always alerts,
 * because a response we do not understand must not read as healthy.
 */
const SEVERITY_BY_STATE: Record<AlertableJobState, Severity> = {
  Failed: "critical",
  FinishedException: "warning",
  PartiallyFinished: "warning",
};

interface JobRuleOptions {
  tenant: string;
  alertStates: readonly AlertableJobState[];
  detectedAt: Date;
}

/**
 * The identity of a job outcome: one alert per job per final state, whatever
 * cycle sees it and however often. A job without an id is identified by what
 * the API did give (start time and raw state) so it still alerts once.
 */
export function jobIdentity(tenant: string, job: BackupJob): string {
  const outcome = job.state === "Unknown" ? `Unknown:${job.rawState ?? ""}` : job.state;
  const id = job.id ?? `no-id@${job.startTime?.toISOString() ?? "unknown-start"}`;
  return `job:${tenant}:${id}:${outcome}`;
}

export function detectJobAlerts(jobs: Iterable<BackupJob>, options: JobRuleOptions): JobAlert[] {
  const alerts: JobAlert[] = [];
  for (const job of jobs) {
    const severity = severityOf(job, options.alertStates);
    if (!severity) continue;
    const identity = jobIdentity(options.tenant, job);
    const service = job.service;
    alerts.push({
      kind: "job",
      fingerprint: fingerprintOf(identity),
      identity,
      tenant: options.tenant,
      severity,
      status: "firing",
      detectedAt: options.detectedAt,
      job,
      ...(service !== undefined ? { service } : {}),
    });
  }
  return alerts;
}

function severityOf(job: BackupJob, alertStates: readonly AlertableJobState[]): Severity | undefined {
  switch (job.state) {
    case "InProgress":
    case "Finished":
      return undefined;
    case "Failed":
    case "FinishedException":
    case "PartiallyFinished":
      return alertStates.includes(job.state) ? SEVERITY_BY_STATE[job.state] : undefined;
    // The job did not do its work and nobody may know why: never read as healthy.
    default:
      return "warning";
  }
}

/** Final states: the job will not change any more. Unknown counts as final so it is not re-read forever. */
export function isFinal(job: BackupJob): boolean {
  return job.state !== "InProgress";
}

/** An open failure of one service: failed job ids and when the newest one finished. */
export interface OpenFailure {
  jobIds: string[];
  lastFailureAt: string;
}

/**
 * A service with open failures recovers when a job of that service finished
 * successfully after its newest failure. Returns the notice, or undefined.
 */
export function detectRecovery(
  service: ServiceId,
  failure: OpenFailure,
  finishedJobs: readonly BackupJob[],
  options: { tenant: string; detectedAt: Date },
): JobRecoveryAlert | undefined {
  const lastFailure = Date.parse(failure.lastFailureAt);
  const success = finishedJobs
    .filter((j) => j.state === "Finished" && j.id !== null && (j.finishTime?.getTime() ?? 0) > lastFailure)
    .sort((a, b) => (a.finishTime?.getTime() ?? 0) - (b.finishTime?.getTime() ?? 0))[0];
  if (!success || success.id === null) return undefined;
  const identity = `recovery:${options.tenant}:${service}:${success.id}`;
  return {
    kind: "job-recovery",
    fingerprint: fingerprintOf(identity),
    identity,
    tenant: options.tenant,
    severity: "info",
    status: "resolved",
    detectedAt: options.detectedAt,
    service,
    job: success,
    resolvedJobIds: [...failure.jobIds],
  };
}

/**
 * The open failures after a cycle: each recovered service's is closed, then
 * each failure decided `first` opens (or extends) its service's. A failure
 * without a known service, job id or state cannot be followed, and is left out.
 */
export function nextOpenFailures(
  open: Readonly<Record<string, OpenFailure>>,
  recovered: readonly string[],
  firstFailures: readonly JobAlert[],
  now: Date,
): Record<string, OpenFailure> {
  const next: Record<string, OpenFailure> = {};
  for (const [key, failure] of Object.entries(open)) if (!recovered.includes(key)) next[key] = { jobIds: [...failure.jobIds], lastFailureAt: failure.lastFailureAt };
  for (const alert of firstFailures) {
    if (alert.service === undefined || alert.job.state === "Unknown" || alert.job.id === null) continue;
    const key = String(alert.service);
    const finishedAt = (alert.job.finishTime ?? now).toISOString();
    const failure = next[key] ?? { jobIds: [], lastFailureAt: finishedAt };
    if (!failure.jobIds.includes(alert.job.id)) failure.jobIds.push(alert.job.id);
    if (finishedAt > failure.lastFailureAt) failure.lastFailureAt = finishedAt;
    next[key] = failure;
  }
  return next;
}

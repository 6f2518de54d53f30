import type { BackupJob, LicenseUsage, ServiceId } from "../avepoint/model.js";
import type { AlertBase, SilenceRef } from "./alert-base.js";
import type { HealthAlert } from "./health-model.js";

/**
 * The alert model: what detection produces, the ledger stores, routing
 * matches on and renderers draw. A discriminated union on `kind`.
 */

/** A backup job reached a final state that alerts, or a state we do not understand. */
export interface JobAlert extends AlertBase {
  kind: "job";
  job: BackupJob;
  /** Learned through per-ObjectType queries; absent when unknown. */
  service?: ServiceId;
}

/** A service with an open failure alert finished a job successfully again. */
export interface JobRecoveryAlert extends AlertBase {
  kind: "job-recovery";
  status: "resolved";
  service: ServiceId;
  /** The successful job that resolves it. */
  job: BackupJob;
  /** Job ids of the failures this resolves. */
  resolvedJobIds: string[];
}

export type LicenseMetric = "seats" | "storage" | "policy";
export type LicenseLevel = "ok" | "warning" | "critical";

export interface LicenseForecast {
  /** Date the metric reaches 100% at the recent rate; null = not rising. */
  exhaustedAt: Date | null;
  /** Units (seats or GB) per day at the recent rate. */
  ratePerDay: number;
}

export interface LicenseAlert extends AlertBase {
  kind: "license";
  metric: LicenseMetric;
  level: LicenseLevel;
  /** Why this notice now. */
  reason: "entered" | "escalated" | "de-escalated" | "resolved" | "reminder";
  usage: LicenseUsage;
  /** used / purchased in percent (seats, storage); absent for policy. */
  percent?: number;
  /** Value at the previous notice, for "change since last notice". */
  previousUsed?: number;
  forecast?: LicenseForecast;
}

/**
 * Why the monitor itself cannot see (see monitoring-rules.ts `classifyMonitorError`):
 * a refused credential or missing permission, an API we cannot reach, a
 * response we cannot understand, or anything else.
 */
export type MonitoringProblem = "credential" | "unreachable" | "malformed" | "renamed" | "unexpected";

/** Alerts about the monitor itself (routable as kind `monitoring`); `subject` says which. */
interface MonitoringAlertBase extends AlertBase {
  kind: "monitoring";
}

/** A monitor failed MONITOR_FAILURE_THRESHOLD cycles in a row (firing), or succeeded again (resolved). */
export interface MonitoringDegradedAlert extends MonitoringAlertBase {
  subject: "degraded";
  /** The monitor that failed: `jobs`, `license` (with several: the first, which raised it). */
  monitor: string;
  /** Every monitor the same cause affected, when more than one (one alert per cause). */
  monitors?: string[];
  problem: MonitoringProblem;
  /** Consecutive failed cycles when the notice was made (on resolve: of the episode). */
  failures: number;
  /** The last failure, redacted and cut to a few hundred characters. */
  error: string;
  /** The last successful cycle before the failures; null when it never succeeded. */
  lastSuccessAt: Date | null;
}

/** The AvePoint credential expires soon (firing), or was renewed (resolved). */
export interface CredentialExpiryAlert extends MonitoringAlertBase {
  subject: "credential-expiry";
  credential: "certificate" | "client-secret";
  expiresAt: Date;
  /** The warning step crossed, in days before expiry (0 = expired). */
  thresholdDays: number;
}

/**
 * An alert could not be read (a ledger row from another version, or damaged)
 * or rendered, so it was set aside (quarantined) and the rest of the queue
 * went on. Raised once per row.
 */
export interface SetAsideAlert extends MonitoringAlertBase {
  subject: "set-aside";
  /** The receiver whose queue held it. */
  receiver: string;
  /** The ledger row (RowKey) that was set aside. */
  row: string;
  /** Why (redacted, short). */
  reason: string;
}

/** `npm run send-test-alert`: proves a receiver works; never stored in the ledger. */
export interface TestAlert extends MonitoringAlertBase {
  subject: "test";
}

export type MonitoringAlert = MonitoringDegradedAlert | CredentialExpiryAlert | SetAsideAlert | TestAlert;

/**
 * After a silence window ends: the alerts it held back, listed once (sent to
 * the receivers those alerts would have reached), so nothing is silently
 * forgotten. Informational (severity info): nothing to acknowledge.
 */
export interface SilenceSummaryAlert extends AlertBase {
  kind: "silence-summary";
  silence: SilenceRef;
  /** Held-back alerts as recorded, oldest first; at most SILENCE_SUMMARY_MAX_LISTED. */
  alerts: Alert[];
  /** Every alert the window held back (more than listed when the list was cut). */
  total: number;
}

export type Alert = JobAlert | JobRecoveryAlert | LicenseAlert | MonitoringAlert | HealthAlert | SilenceSummaryAlert;
export type { AlertBase, AlertEscalation, Severity, SilenceRef } from "./alert-base.js";
export type { FailureRatioAlert, HealthAlert, MissedBackupAlert, StuckJobAlert, UnusualActivityAlert } from "./health-model.js";
export type AlertKind = Alert["kind"];

/**
 * Every kind of the union, once (the ledger refuses a stored alert of any
 * other). Written as a record so that a kind added to the union and left out
 * here, or one named here that the union lacks, does not compile.
 */
const EVERY_KIND: Record<AlertKind, true> = {
  job: true,
  "job-recovery": true,
  license: true,
  monitoring: true,
  "missed-backup": true,
  "stuck-job": true,
  "failure-ratio": true,
  "unusual-activity": true,
  "silence-summary": true,
};
export const ALERT_KINDS = Object.keys(EVERY_KIND) as readonly AlertKind[];

/** What renderers need besides the alert itself. */
export interface RenderContext {
  tenantName: string;
  portalUrl: string;
}

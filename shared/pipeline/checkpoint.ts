/**
 * What a checkpoint holds, typed, and the one place its stored JSON is read.
 *
 * The ledger stores each checkpoint row's `state` as a JSON bag; this module
 * is its schema. A monitor's row (`jobs`, `license`) holds the keys of
 * CheckpointState; two rows beside them hold what the monitors share: the
 * monitors' health (SHARED_HEALTH_ROW) and when the ledger was last pruned
 * (RETENTION_ROW). Each key is read by its rule's lenient parser (anything
 * unreadable gives a fresh value, never an exception: a damaged checkpoint
 * must not stop monitoring). A key a cycle does not rewrite is written back
 * exactly as it was stored.
 */
import { type OpenFailure } from "../alerts/job-rules.js";
import { parseHealthState, type HealthState, type ParsedHealthState } from "../alerts/health-state.js";
import { parseLicenseState, type LicenseState, type ParsedLicenseState } from "../alerts/license-rules.js";
import {
  parseCredentialNoticeState,
  parseMonitorHealthState,
  parseSharedHealthState,
  type CredentialNoticeState,
  type MonitorHealthState,
  type SharedHealthState,
} from "../alerts/monitoring-rules.js";
import { readServiceReading, type ServiceReading } from "../avepoint/service-reading.js";
import { CheckpointConflictError, type AlertLedger, type Checkpoint } from "../ledger/index.js";
import { parseSilenceSummaryState, type SilenceSummaryState } from "../routing/silence-summary.js";

/** A monitor's checkpoint state, as read: every key parsed. */
interface CheckpointState {
  /** Jobs: services with a failure not yet followed by a successful backup, by service id. */
  openFailures: Record<string, OpenFailure>;
  /** Jobs: the backup-health rules' state (with the problem, when what was stored could not be read). */
  health: ParsedHealthState;
  /** License: levels, reminders and readings (corrupt: what was stored could not be read). */
  license: ParsedLicenseState;
  /** License: the credential-expiry notices sent. */
  credentials: CredentialNoticeState;
  /** Both: this monitor's "Monitoring degraded" episode. */
  monitoring: MonitorHealthState;
  /** Both: when the ended silence windows were last looked for; null before the first look. */
  silenceSummary: Date | null;
  /** Both: what the AvePoint client learned about the service. */
  avepoint: ServiceReading;
}

/** The same keys as written (a cycle writes only those it decided on). */
export interface StoredCheckpointState {
  openFailures?: Record<string, OpenFailure>;
  health?: HealthState;
  license?: LicenseState;
  credentials?: CredentialNoticeState;
  monitoring?: MonitorHealthState;
  silenceSummary?: SilenceSummaryState;
  avepoint?: ServiceReading;
}

/** A monitor's checkpoint row with its state read. */
export interface MonitorCheckpoint extends Omit<Checkpoint, "state"> {
  state: CheckpointState;
  /** The state as stored, so the keys a cycle does not rewrite go back unchanged. */
  stored: Record<string, unknown>;
}

/** The one parser of a monitor's checkpoint state. */
export function parseCheckpointState(stored: Record<string, unknown>): CheckpointState {
  return {
    openFailures: parseOpenFailures(stored["openFailures"]),
    health: parseHealthState(stored["health"]),
    license: parseLicenseState(stored["license"]),
    credentials: parseCredentialNoticeState(stored["credentials"]),
    monitoring: parseMonitorHealthState(stored["monitoring"]),
    silenceSummary: parseSilenceSummaryState(stored["silenceSummary"]),
    avepoint: readServiceReading(stored["avepoint"]),
  };
}

export async function readMonitorCheckpoint(ledger: Pick<AlertLedger, "readCheckpoint">, tenant: string, monitor: string): Promise<MonitorCheckpoint> {
  const row = await ledger.readCheckpoint(tenant, monitor);
  return { ...row, state: parseCheckpointState(row.state), stored: row.state };
}

/** The row to write: the stored state with the keys this cycle decided on replaced. */
export function checkpointRow(checkpoint: MonitorCheckpoint, fields: Partial<Omit<Checkpoint, "state">>, state: StoredCheckpointState): Checkpoint {
  const { state: _read, stored, ...row } = checkpoint;
  return { ...row, ...fields, state: { ...stored, ...state } };
}

function parseOpenFailures(raw: unknown): Record<string, OpenFailure> {
  const out: Record<string, OpenFailure> = {};
  if (typeof raw !== "object" || raw === null) return out;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const v = value as Partial<OpenFailure> | null;
    if (v && Array.isArray(v.jobIds) && typeof v.lastFailureAt === "string" && /^\d+$/.test(key)) {
      out[key] = { jobIds: v.jobIds.filter((id): id is string => typeof id === "string"), lastFailureAt: v.lastFailureAt };
    }
  }
  return out;
}

// --- The rows both monitors share ------------------------------------------------

/** The checkpoint row both monitors share for their health (one "Monitoring degraded" per cause); its state is `{ health }`. */
export const SHARED_HEALTH_ROW = "monitor-health";

export function parseSharedHealthRow(stored: Record<string, unknown>): SharedHealthState {
  return parseSharedHealthState(stored["health"]);
}

/** The shared row with the monitors' health replaced; null when that is what it holds already (nothing to write). */
export function sharedHealthRow(row: Checkpoint, health: SharedHealthState): Checkpoint | null {
  return JSON.stringify(row.state["health"]) === JSON.stringify(health) ? null : { ...row, state: { health } };
}

/** Checkpoint row that says when the tenant's ledger was last pruned; its state is `{ prunedAt }` (ISO). */
export const RETENTION_ROW = "retention";

export function prunedRow(row: Checkpoint, now: Date): Checkpoint {
  return { ...row, state: { prunedAt: now.toISOString() }, lastSuccessAt: now };
}

/** When the ledger was last pruned; NaN when never (or unreadable). */
export function parsePrunedAt(stored: Record<string, unknown>): number {
  return typeof stored["prunedAt"] === "string" ? Date.parse(stored["prunedAt"]) : Number.NaN;
}

// --- The watermark ---------------------------------------------------------------

/**
 * The watermark moves to the cycle's pinned time, held back to the oldest
 * alert still undelivered (so the window re-covers it; the ledger's known
 * fingerprints keep that from re-alerting), but never further back than the
 * lookback, so a receiver that stays down does not grow the window forever.
 */
export function heldWatermark(now: Date, oldestUndelivered: Date | null, lookbackHours: number): Date {
  if (!oldestUndelivered || oldestUndelivered >= now) return now;
  const floor = now.getTime() - lookbackHours * 3_600_000;
  return new Date(Math.max(oldestUndelivered.getTime(), floor));
}

/**
 * After losing the checkpoint race: when the winner's watermark is ahead of
 * ours (ours was held back for an alert still undelivered, which the winner
 * could not see while we held its claim), lower theirs to ours, keeping the
 * rest of their checkpoint. A lower watermark only means re-reading a little
 * more; a higher one would break "never ahead of undelivered work".
 */
export async function holdWatermarkAfterConflict(
  ledger: Pick<AlertLedger, "readCheckpoint" | "writeCheckpoint">,
  tenant: string,
  monitor: string,
  ours: Date | null,
): Promise<boolean> {
  if (ours === null) return false;
  for (let attempt = 0; attempt < 3; attempt++) {
    const theirs = await ledger.readCheckpoint(tenant, monitor);
    if (theirs.watermark === null || theirs.watermark <= ours) return false;
    try {
      await ledger.writeCheckpoint({ ...theirs, watermark: ours });
      return true;
    } catch (err) {
      if (!(err instanceof CheckpointConflictError)) throw err;
    }
  }
  return false;
}

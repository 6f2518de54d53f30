/**
 * What a monitor cycle is given (MonitorDeps) and what a monitor's own part,
 * poll + detect (jobs.ts, license.ts), hands back to the cycle (cycle.ts).
 */
import type { LicenseUsage } from "../avepoint/model.js";
import type { ServiceReading } from "../avepoint/service-reading.js";
import type { Decision } from "../alerts/decide.js";
import type { Alert } from "../alerts/model.js";
import type { Settings } from "../config/settings.js";
import type { Receiver } from "../receivers/channel.js";
import type { OutboxResult } from "../receivers/outbox.js";
import type { AlertLedger } from "../ledger/index.js";
import type { Logger } from "../logging.js";
import type { HealthReader } from "../sources/backup-health.js";
import type { JobsWindow, OpenJob } from "../sources/jobs-window.js";
import type { MonitorCheckpoint, StoredCheckpointState } from "./checkpoint.js";

export interface AvePointReader extends HealthReader {
  getLicenseUsage(options?: { abortSignal?: AbortSignal }): Promise<LicenseUsage>;
  /** When the certificate credential expires (the AvePoint client has it); absent = not checked. */
  certificateNotAfter?(): Promise<Date | null>;
  /** What the client learned about the service (kept in the checkpoint as `state.avepoint`); absent = nothing to learn. */
  reading?(): ServiceReading;
  adoptReading?(earlier: ServiceReading): void;
}

export interface MonitorDeps {
  settings: Settings;
  reader: AvePointReader;
  ledger: AlertLedger;
  receivers: readonly Receiver[];
  now: () => Date;
  logger: Logger;
  /** Names this run in ledger claims. */
  owner: string;
  /** Receivers that just failed (kept across the runs of one runtime). */
  unavailableSince: Map<string, Date>;
  /** Admits escalations of unacknowledged Teams bot alerts (shared/bot/escalation.ts) before delivery; absent = off. */
  escalate?: (ledger: AlertLedger, now: Date, logger: Logger) => Promise<void>;
  abortSignal?: AbortSignal;
}

/**
 * Where poll + detect put the alerts they find, as they find them: what was
 * found before a read failed is still decided and delivered (a credential
 * about to expire is found before the license read that it may fail).
 */
export interface Found {
  detected: Alert[];
  /** Fingerprints among them the ledger already holds (asked only where a rule keeps no state of its own). */
  known: Set<string>;
}

/** A successful poll: what was read, and the checkpoint to write once the cycle has delivered. */
export interface Polled {
  /** Jobs (or license readings) read. */
  read: number;
  window?: JobsWindow;
  next: (decisions: readonly Decision[], delivery: OutboxResult) => { watermark: Date; openJobs?: OpenJob[]; state: StoredCheckpointState };
}

/** A monitor's own part of the cycle: poll the service and detect what alerts. Throws when the read fails. */
export type Poll = (deps: MonitorDeps, checkpoint: MonitorCheckpoint, now: Date, found: Found) => Promise<Polled>;


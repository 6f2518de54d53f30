/**
 * The one place where the alert path's order is written:
 *
 *   poll → normalize → detect → decide → route → render → deliver → record
 *
 * poll/normalize live in the AvePoint client, detect in alerts/, decide is the
 * ledger's admit (fingerprints already known are not admitted again), route is
 * routing/admission.ts (each alert admitted for the receivers its route names,
 * or recorded as silenced), render + deliver + record happen in the outbox
 * (with a receiver's fallback when it is down), and the checkpoint is written last.
 * After a silence window ends, one summary of what it held back is admitted
 * before delivery (routing/silence-summary.ts).
 */
import type { LicenseUsage } from "./avepoint/model.js";
import type { ServiceReading } from "./avepoint/service-reading.js";
import { detectJobAlerts, detectRecovery, isFinal, type OpenFailure } from "./alerts/job-rules.js";
import { evaluateLicense, parseLicenseState } from "./alerts/license-rules.js";
import {
  classifyMonitorError,
  evaluateCredentialExpiry,
  parseCredentialNoticeState,
  parseMonitorHealthState,
  parseSharedHealthState,
  evaluateSharedHealth,
  setAsideAlerts,
  type MonitorErrorClass,
  type MonitorHealthState,
} from "./alerts/monitoring-rules.js";
import { readCredentialExpiries } from "./monitors/credentials.js";
import type { Alert, JobAlert, JobRecoveryAlert } from "./alerts/model.js";
import type { Settings } from "./config/settings.js";
import type { Receiver } from "./receivers/channel.js";
import { deliverPending, emptyOutboxResult, type OutboxResult } from "./receivers/outbox.js";
import { CheckpointConflictError, type AlertLedger, type Checkpoint } from "./ledger/index.js";
import type { Logger } from "./logging.js";
import type { CycleUsage } from "./telemetry/cycle-usage.js";
import { admitRouted } from "./routing/admission.js";
import { admitSilenceSummaries } from "./routing/silence-summary.js";
import { redact } from "./security/secret.js";
import { jobsWindow, readWindow, scanServices, type JobsWindow, type OpenJob } from "./monitors/jobs-window.js";
import { checkServiceHealth, detectJobHealth, jobIdsToLabel, withServices, type HealthReader } from "./monitors/backup-health.js";

export type MonitorName = "jobs" | "license";

export interface AvePointReader extends HealthReader {
  getLicenseUsage(options?: { abortSignal?: AbortSignal }): Promise<LicenseUsage>;
  /** When the certificate credential expires (the AvePoint client has it); absent = not checked. */
  certificateNotAfter?(): Promise<Date | null>;
  /** What the client learned about the service (kept in the checkpoint as `state.avepoint`); absent = nothing to learn. */
  reading?(): ServiceReading;
  adoptReading?(stored: unknown): void;
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

export interface CycleSummary {
  monitor: MonitorName;
  tenant: string;
  /** True when the read succeeded and everything found was delivered. */
  ok: boolean;
  /** Jobs (or license readings) read this cycle. */
  read: number;
  /** Alerts admitted to the ledger this cycle. */
  newAlerts: number;
  delivery: OutboxResult;
  window?: JobsWindow;
  /** Why the read failed; the checkpoint stayed where it was. */
  error?: string;
  checkpointWritten: boolean;
  /** What the cycle cost (time, API requests, table round trips); set by the runtime, which measures it. */
  usage?: CycleUsage;
}


/** One jobs-monitor cycle. Never throws for an AvePoint or delivery problem: the summary says what failed. */
export async function runJobsMonitor(deps: MonitorDeps): Promise<CycleSummary> {
  return runCycle(deps, "jobs", async (checkpoint, now) => {
    const { settings, reader, ledger } = deps;
    const tenant = settings.alerts.tenantName;
    // Until the service is seen listing a running job, the window reaches back over the longest job (jobs-window.ts).
    const runningListed = reader.reading ? reader.reading().runningListed === true : true;
    const window = jobsWindow(checkpoint, settings.jobs, now, runningListed ? 0 : settings.health.jobMaxRuntimeHours || settings.jobs.lookbackHours);
    const read = await readWindow(reader, window, settings.jobs, settings.avepoint.pageSize, deps.abortSignal);
    if (read.mismatch) {
      deps.logger.warn("AvePoint's per-service totals do not add up to the window's TotalCount (a job of a service we do not know?); the window was read unfiltered as well", read.mismatch);
    }
    const jobs = read.jobs;

    // Decide: which of the alert-worthy outcomes are new (one key-range query each, whatever the ledger's history).
    const candidates = detectJobAlerts(jobs, { tenant, alertStates: settings.jobs.alertStates, detectedAt: now });
    // Backup health from this listing: stuck jobs, failed and skipped objects (health-rules.ts).
    const alertingJobIds = new Set(candidates.map((a) => a.job.id).filter((id): id is string => id !== null));
    const jobHealth = detectJobHealth({ settings, stored: checkpoint.state["health"], jobs, alertingJobIds, now, logger: deps.logger });
    // The ledger is asked only when something could alert: a quiet cycle skips the query.
    const known =
      candidates.length + jobHealth.alerts.length > 0
        ? await ledger.knownAmong(tenant, [...candidates, ...jobHealth.alerts].map((a) => a.fingerprint))
        : new Set<string>();
    const fresh = candidates.filter((a) => !known.has(a.fingerprint));
    const healthFresh = jobHealth.alerts.filter((a) => !known.has(a.fingerprint));

    // Learn services only when something alerts or a service has an open failure.
    const openFailures = readOpenFailures(checkpoint.state);
    const needLabels = new Set([...fresh.map((a) => a.job.id).filter((id): id is string => id !== null), ...jobIdsToLabel(healthFresh)]);
    const scan =
      needLabels.size > 0 || Object.keys(openFailures).length > 0
        ? await scanServices(reader, window, needLabels, openFailures, deps.abortSignal, read.byService)
        : undefined;
    const labelled: JobAlert[] = fresh.map((a) => {
      const service = a.job.id !== null ? scan?.serviceOf.get(a.job.id) : undefined;
      return service !== undefined ? { ...a, service } : a;
    });

    // Recovery: a service with an open failure that has since finished a job successfully.
    const recoveries: JobRecoveryAlert[] = [];
    for (const [key, failure] of Object.entries(openFailures)) {
      const service = Number(key) as JobRecoveryAlert["service"];
      const recovery = detectRecovery(service, failure, scan?.jobsByService.get(service) ?? [], { tenant, detectedAt: now });
      if (!recovery) continue;
      delete openFailures[key];
      if (settings.alerts.sendResolved) recoveries.push(recovery);
    }
    for (const alert of labelled) {
      if (alert.service === undefined || alert.job.state === "Unknown" || alert.job.id === null) continue;
      const key = String(alert.service);
      const finishedAt = (alert.job.finishTime ?? now).toISOString();
      const open = openFailures[key] ?? { jobIds: [], lastFailureAt: finishedAt };
      if (!open.jobIds.includes(alert.job.id)) open.jobIds.push(alert.job.id);
      if (finishedAt > open.lastFailureAt) open.lastFailureAt = finishedAt;
      openFailures[key] = open;
    }

    // Backup health per service (missed backups, skipped growth, unusual activity): listings only when a rule needs one.
    const serviceHealth = await checkServiceHealth(
      { reader, settings, jobs, now, logger: deps.logger, ...(read.byService ? { windowByService: read.byService } : {}), ...(deps.abortSignal ? { abortSignal: deps.abortSignal } : {}) },
      jobHealth.state,
    );
    const healthAlerts = withServices([...healthFresh, ...serviceHealth.alerts], (id) => scan?.serviceOf.get(id) ?? serviceHealth.serviceOf.get(id), serviceHealth.state);

    const { admitted } = await admitRouted(ledger, [...labelled, ...recoveries, ...healthAlerts], settings.routing, now, deps.logger);

    // Jobs still running are re-read next cycle, wherever the watermark goes.
    const openJobs: OpenJob[] = jobs
      .filter((j) => !isFinal(j) && j.id !== null && j.startTime !== null)
      .map((j) => ({ id: j.id as string, startTime: j.startTime as Date }));
    const listed = new Set(jobs.map((j) => j.id));
    const vanished = checkpoint.openJobs.filter((o) => !listed.has(o.id));
    if (vanished.length > 0) {
      deps.logger.warn(`${vanished.length} job(s) seen In Progress are no longer listed; they stop being tracked`, {
        jobIds: vanished.map((v) => v.id).slice(0, 20),
      });
    }

    return {
      read: jobs.length,
      newAlerts: admitted.length,
      window,
      next: (delivery: OutboxResult): Checkpoint => ({
        ...checkpoint,
        watermark: heldWatermark(now, delivery.oldestUndelivered, settings.jobs.lookbackHours),
        openJobs,
        state: { ...checkpoint.state, openFailures, health: serviceHealth.state },
      }),
    };
  });
}

/** One license-monitor cycle. */
export async function runLicenseMonitor(deps: MonitorDeps): Promise<CycleSummary> {
  return runCycle(deps, "license", async (checkpoint, now) => {
    const { settings, ledger } = deps;
    // Credential expiry first, admitted on its own: an expired credential also fails the read below.
    const expiries = await readCredentialExpiries(deps.reader, settings, deps.logger);
    const credentialCheck = evaluateCredentialExpiry({
      tenant: settings.alerts.tenantName,
      credentials: expiries,
      state: parseCredentialNoticeState(checkpoint.state["credentials"]),
      warnDays: settings.monitoring.credentialWarnDays,
      now,
    });
    const credentialAdmitted = credentialCheck.alerts.length > 0 ? (await admitRouted(ledger, credentialCheck.alerts, settings.routing, now, deps.logger)).admitted : [];
    const usage = await deps.reader.getLicenseUsage(deps.abortSignal ? { abortSignal: deps.abortSignal } : undefined);
    const previous = parseLicenseState(checkpoint.state["license"]);
    const { alerts, state } = evaluateLicense({ usage, state: previous.state, settings: settings.license, tenant: settings.alerts.tenantName, now });
    if (previous.corrupt) deps.logger.warn("the stored license state could not be read; starting it afresh");
    // The state is written only after its alerts are admitted: a crash in between re-evaluates to the same fingerprints.
    const { admitted } = await admitRouted(ledger, alerts, settings.routing, now, deps.logger);
    return {
      read: 1,
      newAlerts: admitted.length + credentialAdmitted.length,
      next: (): Checkpoint => ({ ...checkpoint, watermark: now, state: { ...checkpoint.state, license: state, credentials: credentialCheck.state } }),
    };
  });
}

interface PollOutcome {
  read: number;
  newAlerts: number;
  window?: JobsWindow;
  next: (delivery: OutboxResult) => Checkpoint;
}

/**
 * The frame every monitor shares: read the checkpoint, poll + detect + admit,
 * deliver everything pending (earlier cycles' leftovers first), then write the
 * checkpoint. A failed poll still delivers what is pending and leaves the
 * watermark where it was.
 */
async function runCycle(
  deps: MonitorDeps,
  monitor: MonitorName,
  poll: (checkpoint: Checkpoint, now: Date) => Promise<PollOutcome>,
): Promise<CycleSummary> {
  const now = deps.now();
  const tenant = deps.settings.alerts.tenantName;
  await deps.ledger.ensureTables();
  const checkpoint = await deps.ledger.readCheckpoint(tenant, monitor);
  // What an earlier run (perhaps another process) learned about the service saves asking again.
  deps.reader.adoptReading?.(checkpoint.state["avepoint"]);

  let outcome: PollOutcome | undefined;
  let error: string | undefined;
  let failure: MonitorErrorClass | null = null;
  try {
    outcome = await poll(checkpoint, now);
  } catch (err) {
    error = describe(err);
    failure = classifyMonitorError(err);
    deps.logger.error(`${monitor} monitor: the read failed; the checkpoint stays where it was`, { error, problem: failure.problem });
  }

  // The monitor's own health, admitted before delivery even when the read failed, so it goes out this cycle.
  const consecutiveFailures = outcome ? 0 : checkpoint.consecutiveFailures + 1;
  const health = await admitMonitorHealth(deps, monitor, checkpoint, failure, consecutiveFailures, now);
  // Escalations are admitted like alerts, so this cycle's delivery sends them.
  if (deps.escalate) await deps.escalate(deps.ledger, now, deps.logger);
  // Silence windows that ended since the last cycle: one summary each, delivered below with the rest.
  const silenceSummary = await admitSilenceSummary(deps, checkpoint, now);

  const delivery = deps.receivers.length === 0 ? emptyOutboxResult() : await deliverPending({
    ledger: deps.ledger,
    receivers: deps.receivers,
    tenant,
    render: { tenantName: tenant, portalUrl: deps.settings.avepoint.portalUrl },
    groupThreshold: deps.settings.alerts.groupThreshold,
    owner: deps.owner,
    now: deps.now,
    unavailableSince: deps.unavailableSince,
    logger: deps.logger,
    ...(deps.abortSignal ? { abortSignal: deps.abortSignal } : {}),
    admitSetAside: async (rows) => (await admitRouted(deps.ledger, setAsideAlerts(tenant, rows, now), deps.settings.routing, now, deps.logger)).admitted,
  });

  const polled: Checkpoint = outcome
    ? { ...outcome.next(delivery), lastSuccessAt: now, lastError: null, consecutiveFailures: 0 }
    : { ...checkpoint, lastError: error ?? null, consecutiveFailures };
  const reading = deps.reader.reading?.();
  const next: Checkpoint = {
    ...polled,
    state: {
      ...polled.state,
      monitoring: health.state,
      ...(silenceSummary.state !== undefined ? { silenceSummary: silenceSummary.state } : {}),
      // Kept even when the read failed: a path found or a 404 seen is worth remembering.
      ...(reading !== undefined ? { avepoint: reading } : {}),
    },
  };
  let checkpointWritten = false;
  try {
    await deps.ledger.writeCheckpoint(next);
    checkpointWritten = true;
    await pruneLedger(deps, now);
  } catch (err) {
    if (!(err instanceof CheckpointConflictError)) throw err;
    // An overlapping run wrote first; its checkpoint is as valid as ours and the ledger kept every alert,
    // except that its watermark may have passed an alert only we know is still undelivered.
    const lowered = outcome ? await holdWatermarkAfterConflict(deps.ledger, tenant, monitor, next.watermark) : false;
    deps.logger.info(
      `${monitor} monitor: another run updated the checkpoint first; keeping theirs${lowered ? ", with the watermark held back to our undelivered alerts" : ""}`,
    );
  }

  return {
    monitor,
    tenant,
    ok: error === undefined && delivery.failed === 0,
    read: outcome?.read ?? 0,
    newAlerts: (outcome?.newAlerts ?? 0) + health.admitted + silenceSummary.admitted,
    delivery,
    ...(outcome?.window ? { window: outcome.window } : {}),
    ...(error !== undefined ? { error } : {}),
    checkpointWritten,
  };
}

/** The checkpoint row both monitors share for their health (one "Monitoring degraded" per cause). */
export const SHARED_HEALTH_ROW = "monitor-health";

/**
 * "Monitoring degraded" / its resolve (monitoring-rules.ts), one per cause
 * across both monitors: the monitors' health is kept in one shared row,
 * written If-Match (re-read and decided again when the other monitor wrote
 * first; the same decision has the same identity, so it is admitted once).
 * When the ledger refuses the alert, the previous state is kept, so the next
 * cycle raises it again.
 */
async function admitMonitorHealth(
  deps: MonitorDeps,
  monitor: MonitorName,
  checkpoint: Checkpoint,
  failure: MonitorErrorClass | null,
  consecutiveFailures: number,
  now: Date,
): Promise<{ state: MonitorHealthState; admitted: number }> {
  const previous = parseMonitorHealthState(checkpoint.state["monitoring"]);
  // Healthy before and now: the shared row already says so for this monitor; no round trip.
  if (!failure && checkpoint.consecutiveFailures === 0 && !previous.open) return { state: previous, admitted: 0 };
  const tenant = deps.settings.alerts.tenantName;
  let admitted = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      const row = await deps.ledger.readCheckpoint(tenant, SHARED_HEALTH_ROW);
      const stored = row.state["health"];
      const { alerts, shared, own } = evaluateSharedHealth({
        tenant,
        monitor,
        shared: parseSharedHealthState(stored),
        own: previous,
        failure,
        consecutiveFailures,
        threshold: deps.settings.monitoring.failureThreshold,
        lastSuccessAt: checkpoint.lastSuccessAt,
        now,
      });
      if (alerts.length > 0) admitted += (await admitRouted(deps.ledger, alerts, deps.settings.routing, now, deps.logger)).admitted.length;
      // A quiet cycle changes nothing: no write.
      if (JSON.stringify(stored) !== JSON.stringify(shared)) {
        try {
          await deps.ledger.writeCheckpoint({ ...row, state: { health: shared } });
        } catch (err) {
          if (err instanceof CheckpointConflictError && attempt < 5) continue;
          throw err;
        }
      }
      for (const alert of alerts) {
        deps.logger.warn(`${monitor} monitor: ${alert.status === "firing" ? "monitoring degraded alert raised" : "monitoring restored"}`, { problem: alert.problem, monitors: alert.monitors ?? [alert.monitor] });
      }
      return { state: own, admitted };
    }
  } catch (err) {
    deps.logger.error(`${monitor} monitor: the monitoring alert could not be stored; it is raised again next cycle`, { error: describe(err) });
    return { state: previous, admitted };
  }
}

/** Checkpoint row that says when the tenant's ledger was last pruned. */
export const RETENTION_ROW = "retention";
const HOUR_IN_MS = 3_600_000;
const DAY_IN_MS = 24 * HOUR_IN_MS;
const PRUNE_EVERY_IN_MS = DAY_IN_MS;
const pruneCheckedAt = new WeakMap<object, number>();

/**
 * Keeps the ledger bounded: delivered rows older than the jobs lookback plus
 * LEDGER_RETENTION_DAYS are removed, once a day per tenant (a batch of at most
 * 1,000; a full batch means more are due, so the next cycle goes on). Never
 * fails the cycle: an old row left a day longer costs nothing but space.
 */
async function pruneLedger(deps: MonitorDeps, now: Date): Promise<void> {
  const tenant = deps.settings.alerts.tenantName;
  // Asked of the checkpoint at most hourly per process: most cycles cost no round trip for it.
  const checked = pruneCheckedAt.get(deps.ledger);
  if (checked !== undefined && now.getTime() - checked >= 0 && now.getTime() - checked < HOUR_IN_MS) return;
  pruneCheckedAt.set(deps.ledger, now.getTime());
  try {
    const row = await deps.ledger.readCheckpoint(tenant, RETENTION_ROW);
    const last = typeof row.state["prunedAt"] === "string" ? Date.parse(row.state["prunedAt"]) : Number.NaN;
    if (now.getTime() - last < PRUNE_EVERY_IN_MS) return;
    const cutoff = new Date(now.getTime() - deps.settings.jobs.lookbackHours * HOUR_IN_MS - deps.settings.ledgerRetentionDays * DAY_IN_MS);
    const limit = 1_000;
    const removed = await deps.ledger.prune(tenant, cutoff, limit);
    const state = removed < limit ? { prunedAt: now.toISOString() } : row.state;
    await deps.ledger.writeCheckpoint({ ...row, state, lastSuccessAt: now });
    if (removed > 0) deps.logger.info(`ledger: ${removed} delivered alert(s) older than ${cutoff.toISOString()} removed`);
  } catch (err) {
    if (err instanceof CheckpointConflictError) return; // the other monitor pruned at the same moment
    deps.logger.warn("ledger: delivered alerts past their retention could not be removed now; tried again next cycle", { error: describe(err) });
  }
}

/** The silence summaries due (routing/silence-summary.ts). When the ledger fails, the old state is kept, so the next cycle tries again. */
async function admitSilenceSummary(deps: MonitorDeps, checkpoint: Checkpoint, now: Date): Promise<{ state: unknown; admitted: number }> {
  const previous = checkpoint.state["silenceSummary"];
  try {
    const outcome = await admitSilenceSummaries({
      ledger: deps.ledger,
      routing: deps.settings.routing,
      tenant: deps.settings.alerts.tenantName,
      state: previous,
      now,
      logger: deps.logger,
    });
    return outcome;
  } catch (err) {
    deps.logger.error("the silence summary could not be prepared; it is tried again next cycle", { error: describe(err) });
    return { state: previous, admitted: 0 };
  }
}

/**
 * After losing the checkpoint race: when the winner's watermark is ahead of
 * ours (ours was held back for an alert still undelivered, which the winner
 * could not see while we held its claim), lower theirs to ours, keeping the
 * rest of their checkpoint. A lower watermark only means re-reading a little
 * more; a higher one would break "never ahead of undelivered work".
 */
async function holdWatermarkAfterConflict(
  ledger: Pick<AlertLedger, "readCheckpoint" | "writeCheckpoint">,
  tenant: string,
  monitor: MonitorName,
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

/**
 * The watermark moves to the cycle's pinned time, held back to the oldest
 * alert still undelivered (so the window re-covers it; the ledger's known
 * fingerprints keep that from re-alerting), but never further back than the
 * lookback, so a receiver that stays down does not grow the window forever.
 */
function heldWatermark(now: Date, oldestUndelivered: Date | null, lookbackHours: number): Date {
  if (!oldestUndelivered || oldestUndelivered >= now) return now;
  const floor = now.getTime() - lookbackHours * 3_600_000;
  return new Date(Math.max(oldestUndelivered.getTime(), floor));
}

export function readOpenFailures(state: Record<string, unknown>): Record<string, OpenFailure> {
  const raw = state["openFailures"];
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

function describe(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return redact(text);
}

export type { Alert };

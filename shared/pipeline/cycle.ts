/**
 * The alert path, in the order it runs. Every monitor cycle is this one
 * function; a monitor brings only its poll + detect (jobs.ts, license.ts):
 *
 *   checkpoint → poll → detect → decide → route → deliver → record
 *
 * Rendering happens inside delivery (the outbox renders each message for its
 * receiver). Beside the monitor's own alerts, three kinds are admitted before
 * delivery so that this cycle sends them: the monitors' health, escalations of
 * unacknowledged Teams bot alerts, and the summaries of ended silence windows
 * (upkeep.ts). A failed poll still delivers what is pending and leaves the
 * watermark where it was.
 */
import { describeError } from "../security/secret.js";
import { decide, toAdmit, type Decision } from "../alerts/decide.js";
import { classifyMonitorError, setAsideAlerts, type MonitorErrorClass, type MonitorHealthState } from "../alerts/monitoring-rules.js";
import { deliverPending, emptyOutboxResult, type OutboxResult } from "../receivers/outbox.js";
import { CheckpointConflictError, type Checkpoint } from "../ledger/index.js";
import { admitRouted } from "../routing/admission.js";
import type { SilenceSummaryState } from "../routing/silence-summary.js";
import type { CycleSummary, MonitorName } from "../telemetry/cycle-summary.js";
import { checkpointRow, holdWatermarkAfterConflict, readMonitorCheckpoint, type MonitorCheckpoint } from "./checkpoint.js";
import type { Found, MonitorDeps, Poll, Polled } from "./monitor.js";
import { admitMonitorHealth, admitSilenceSummary, pruneLedger } from "./upkeep.js";

export async function runCycle(deps: MonitorDeps, monitor: MonitorName, poll: Poll): Promise<CycleSummary> {
  const now = deps.now();
  const checkpoint = await openCheckpoint(deps, monitor);
  const found: Found = { detected: [], known: new Set() };
  const polled = await pollAndDetect(deps, monitor, poll, checkpoint, now, found);
  const decisions = decide(found);
  const routed = await route(deps, monitor, decisions, now, polled);
  const upkeep = await admitUpkeep(deps, monitor, checkpoint, routed, now);
  const delivery = await deliver(deps, now);
  const checkpointWritten = await record(deps, monitor, checkpoint, routed, decisions, upkeep, delivery, now);
  return {
    monitor,
    tenant: deps.settings.alerts.tenantName,
    ok: routed.error === undefined && delivery.failed === 0,
    read: routed.polled?.read ?? 0,
    newAlerts: routed.admitted + upkeep.admitted,
    delivery,
    ...(routed.polled?.window ? { window: routed.polled.window } : {}),
    ...(routed.error !== undefined ? { error: routed.error } : {}),
    checkpointWritten,
  };
}

/** Checkpoint: where this monitor stands, and what an earlier run (perhaps another process) learned about the service. */
async function openCheckpoint(deps: MonitorDeps, monitor: MonitorName): Promise<MonitorCheckpoint> {
  await deps.ledger.ensureTables();
  const checkpoint = await readMonitorCheckpoint(deps.ledger, deps.settings.alerts.tenantName, monitor);
  deps.reader.adoptReading?.(checkpoint.state.avepoint);
  return checkpoint;
}

/** The outcome of poll + detect + route: the poll's, or why it failed (the checkpoint then stays where it was). */
interface Routed {
  polled?: Polled;
  error?: string;
  failure: MonitorErrorClass | null;
  /** Rows admitted for real receivers (alert × receiver). */
  admitted: number;
}

/** Poll + detect: the monitor's own part (jobs.ts, license.ts). A failed read is an outcome, not an exception. */
async function pollAndDetect(
  deps: MonitorDeps,
  monitor: MonitorName,
  poll: Poll,
  checkpoint: MonitorCheckpoint,
  now: Date,
  found: Found,
): Promise<Omit<Routed, "admitted">> {
  try {
    return { polled: await poll(deps, checkpoint, now, found), failure: null };
  } catch (err) {
    return failed(deps, monitor, err);
  }
}

/**
 * Route: each alert that is news is admitted to the ledger for the receivers
 * its route names (routing/admission.ts). The ledger refusing it fails the
 * cycle as a failed read does, so the watermark does not pass it.
 */
async function route(deps: MonitorDeps, monitor: MonitorName, decisions: readonly Decision[], now: Date, polled: Omit<Routed, "admitted">): Promise<Routed> {
  const news = toAdmit(decisions);
  if (decisions.length > 0) {
    const count = (verdict: Decision["verdict"]) => decisions.filter((d) => d.verdict === verdict).length;
    // One line per cycle, however long the window: its first reasons say why.
    deps.logger.debug(`${monitor} monitor: decided ${count("first")} first, ${count("repeat")} repeat, ${count("resolved")} resolved`, {
      reasons: decisions.slice(0, 20).map((d) => `${d.verdict}: ${d.reason}`),
    });
  }
  if (news.length === 0) return { ...polled, admitted: 0 };
  try {
    const admitted = await admitRouted(deps.ledger, news, deps.settings.routing, now, deps.logger);
    // Counted only for a complete read, as the summary's `read` is: a failed cycle reports what it read as nothing.
    return { ...polled, admitted: polled.polled ? admitted.length : 0 };
  } catch (err) {
    const refused = failed(deps, monitor, err);
    // After a failed read, that read's error is the one the cycle reports.
    return polled.polled ? { ...refused, admitted: 0 } : { ...polled, admitted: 0 };
  }
}

function failed(deps: MonitorDeps, monitor: MonitorName, err: unknown): Omit<Routed, "admitted"> {
  const error = describeError(err);
  const failure = classifyMonitorError(err);
  deps.logger.error(`${monitor} monitor: the read failed; the checkpoint stays where it was`, { error, problem: failure.problem });
  return { error, failure };
}

interface Upkeep {
  monitoring: MonitorHealthState;
  /** Undefined: nothing to write (no silences, or the ledger failed). */
  silenceSummary: SilenceSummaryState | undefined;
  admitted: number;
}

/** The alerts every cycle admits beside the monitor's own (upkeep.ts, the bot's escalations), so this cycle's delivery sends them. */
async function admitUpkeep(deps: MonitorDeps, monitor: MonitorName, checkpoint: MonitorCheckpoint, routed: Routed, now: Date): Promise<Upkeep> {
  // The monitor's own health, admitted even when the read failed, so it goes out this cycle.
  const consecutiveFailures = routed.polled ? 0 : checkpoint.consecutiveFailures + 1;
  const health = await admitMonitorHealth(deps, monitor, checkpoint, routed.failure, consecutiveFailures, now);
  if (deps.escalate) await deps.escalate(deps.ledger, now, deps.logger);
  // Silence windows that ended since the last cycle: one summary each.
  const silenceSummary = await admitSilenceSummary(deps, checkpoint, now);
  return { monitoring: health.state, silenceSummary: silenceSummary.state, admitted: health.admitted + silenceSummary.admitted };
}

/** Render + deliver: everything pending, earlier cycles' leftovers first (receivers/outbox.ts). */
async function deliver(deps: MonitorDeps, now: Date): Promise<OutboxResult> {
  if (deps.receivers.length === 0) return emptyOutboxResult();
  const tenant = deps.settings.alerts.tenantName;
  return deliverPending({
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
    admitSetAside: async (rows) => (await admitRouted(deps.ledger, setAsideAlerts(tenant, rows, now), deps.settings.routing, now, deps.logger)),
  });
}

/** Record: the checkpoint, written last (If-Match: an overlapping run that wrote first keeps its own). Returns whether ours was written. */
async function record(
  deps: MonitorDeps,
  monitor: MonitorName,
  checkpoint: MonitorCheckpoint,
  routed: Routed,
  decisions: readonly Decision[],
  upkeep: Upkeep,
  delivery: OutboxResult,
  now: Date,
): Promise<boolean> {
  const reading = deps.reader.reading?.();
  const shared = {
    monitoring: upkeep.monitoring,
    ...(upkeep.silenceSummary !== undefined ? { silenceSummary: upkeep.silenceSummary } : {}),
    // Kept even when the read failed: a path found or a 404 seen is worth remembering.
    ...(reading !== undefined ? { avepoint: reading } : {}),
  };
  let next: Checkpoint;
  if (routed.polled) {
    const { state, ...moved } = routed.polled.next(decisions, delivery);
    next = checkpointRow(checkpoint, { ...moved, lastSuccessAt: now, lastError: null, consecutiveFailures: 0 }, { ...state, ...shared });
  } else {
    next = checkpointRow(checkpoint, { lastError: routed.error ?? null, consecutiveFailures: checkpoint.consecutiveFailures + 1 }, shared);
  }
  try {
    await deps.ledger.writeCheckpoint(next);
  } catch (err) {
    if (!(err instanceof CheckpointConflictError)) throw err;
    // An overlapping run wrote first; its checkpoint is as valid as ours and the ledger kept every alert,
    // except that its watermark may have passed an alert only we know is still undelivered.
    const tenant = deps.settings.alerts.tenantName;
    const lowered = routed.polled ? await holdWatermarkAfterConflict(deps.ledger, tenant, monitor, next.watermark) : false;
    deps.logger.info(
      `${monitor} monitor: another run updated the checkpoint first; keeping theirs${lowered ? ", with the watermark held back to our undelivered alerts" : ""}`,
    );
    return false;
  }
  await pruneLedger(deps, now);
  return true;
}

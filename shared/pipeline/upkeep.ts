/**
 * What every cycle does beside its monitor's own poll: the monitors' health
 * ("Monitoring degraded"), the summaries of ended silence windows, and the
 * ledger's retention. None of them fails the cycle: each keeps its old state
 * when the ledger fails, so the next cycle tries again.
 */
import { describeError } from "../security/secret.js";
import { evaluateSharedHealth, type MonitorErrorClass, type MonitorHealthState } from "../alerts/monitoring-rules.js";
import { CheckpointConflictError } from "../ledger/index.js";
import { admitRouted } from "../routing/admission.js";
import { admitSilenceSummaries } from "../routing/silence-summary.js";
import type { SilenceSummaryState } from "../routing/silence-summary.js";
import type { MonitorName } from "../telemetry/cycle-summary.js";
import { parsePrunedAt, parseSharedHealthRow, prunedRow, RETENTION_ROW, SHARED_HEALTH_ROW, sharedHealthRow, type MonitorCheckpoint } from "./checkpoint.js";
import type { MonitorDeps } from "./monitor.js";

/**
 * "Monitoring degraded" / its resolve (monitoring-rules.ts), one per cause
 * across both monitors: the monitors' health is kept in one shared row,
 * written If-Match (re-read and decided again when the other monitor wrote
 * first; the same decision has the same identity, so it is admitted once).
 * When the ledger refuses the alert, the previous state is kept, so the next
 * cycle raises it again.
 */
export async function admitMonitorHealth(
  deps: MonitorDeps,
  monitor: MonitorName,
  checkpoint: MonitorCheckpoint,
  failure: MonitorErrorClass | null,
  consecutiveFailures: number,
  now: Date,
): Promise<{ state: MonitorHealthState; admitted: number }> {
  const previous = checkpoint.state.monitoring;
  // Healthy before and now: the shared row already says so for this monitor; no round trip.
  if (!failure && checkpoint.consecutiveFailures === 0 && !previous.open) return { state: previous, admitted: 0 };
  const tenant = deps.settings.alerts.tenantName;
  let admitted = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      const row = await deps.ledger.readCheckpoint(tenant, SHARED_HEALTH_ROW);
      const { alerts, shared, own } = evaluateSharedHealth({
        tenant,
        monitor,
        shared: parseSharedHealthRow(row.state),
        own: previous,
        failure,
        consecutiveFailures,
        threshold: deps.settings.monitoring.failureThreshold,
        lastSuccessAt: checkpoint.lastSuccessAt,
        now,
      });
      if (alerts.length > 0) admitted += (await admitRouted(deps.ledger, alerts, deps.settings.routing, now, deps.logger)).length;
      const next = sharedHealthRow(row, shared);
      // A quiet cycle changes nothing: no write.
      if (next) {
        try {
          await deps.ledger.writeCheckpoint(next);
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
    deps.logger.error(`${monitor} monitor: the monitoring alert could not be stored; it is raised again next cycle`, { error: describeError(err) });
    return { state: previous, admitted };
  }
}

/** The silence summaries due (routing/silence-summary.ts). When the ledger fails, the old state is kept, so the next cycle tries again. */
export async function admitSilenceSummary(
  deps: MonitorDeps,
  checkpoint: MonitorCheckpoint,
  now: Date,
): Promise<{ state: SilenceSummaryState | undefined; admitted: number }> {
  try {
    return await admitSilenceSummaries({
      ledger: deps.ledger,
      routing: deps.settings.routing,
      tenant: deps.settings.alerts.tenantName,
      lastCheck: checkpoint.state.silenceSummary,
      now,
      logger: deps.logger,
    });
  } catch (err) {
    deps.logger.error("the silence summary could not be prepared; it is tried again next cycle", { error: describeError(err) });
    // Nothing to write: the stored state stays as it was.
    return { state: undefined, admitted: 0 };
  }
}

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
export async function pruneLedger(deps: MonitorDeps, now: Date): Promise<void> {
  const tenant = deps.settings.alerts.tenantName;
  // Asked of the checkpoint at most hourly per process: most cycles cost no round trip for it.
  const checked = pruneCheckedAt.get(deps.ledger);
  if (checked !== undefined && now.getTime() - checked >= 0 && now.getTime() - checked < HOUR_IN_MS) return;
  pruneCheckedAt.set(deps.ledger, now.getTime());
  try {
    const row = await deps.ledger.readCheckpoint(tenant, RETENTION_ROW);
    if (now.getTime() - parsePrunedAt(row.state) < PRUNE_EVERY_IN_MS) return;
    const cutoff = new Date(now.getTime() - deps.settings.jobs.lookbackHours * HOUR_IN_MS - deps.settings.ledgerRetentionDays * DAY_IN_MS);
    const limit = 1_000;
    const removed = await deps.ledger.prune(tenant, cutoff, limit);
    // A full batch means more are due: the date stays, so the next cycle goes on.
    await deps.ledger.writeCheckpoint(removed < limit ? prunedRow(row, now) : { ...row, lastSuccessAt: now });
    if (removed > 0) deps.logger.info(`ledger: ${removed} delivered alert(s) older than ${cutoff.toISOString()} removed`);
  } catch (err) {
    if (err instanceof CheckpointConflictError) return; // the other monitor pruned at the same moment
    deps.logger.warn("ledger: delivered alerts past their retention could not be removed now; tried again next cycle", { error: describeError(err) });
  }
}

/**
 * The composition root: turns Settings into the pieces a monitor cycle needs.
 * The Functions entry points and the local runner both build through here, so
 * `func start`, `npm run poll` and `npm start` run the same code.
 * Built once per process: the AvePoint client keeps its token between cycles.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { TokenCredential } from "@azure/identity";
import { createAvePointClient } from "./avepoint/index.js";
import type { GraphCredentialSettings } from "./config/email.js";
import type { Settings } from "./config/settings.js";
import { createGraphCredential } from "./receivers/email-graph.js";
import { escalationStep } from "./bot/escalation.js";
import type { Receiver } from "./receivers/channel.js";
import { buildReceivers } from "./receivers/registry.js";
import { DEFAULT_EMAIL_RECEIVER, DEFAULT_TEAMS_RECEIVER } from "./routing/config.js";
import { AlertLedger, createTableClients } from "./ledger/index.js";
import { silentLogger, type Logger } from "./logging.js";
import { pingHeartbeat } from "./monitors/heartbeat.js";
import { buildStatus, type StatusReport } from "./status.js";
import { runJobsMonitor, runLicenseMonitor, type AvePointReader, type CycleSummary, type MonitorName } from "./pipeline.js";
import { countTableRoundTrips, measureCycle, observeApiRequest } from "./telemetry/cycle-usage.js";
import { recordCycleMetrics } from "./telemetry/metrics.js";

export interface RuntimeOptions {
  now?: () => Date;
  /** Replaces the AvePoint client (the demo's simulator is reached through the real client; tests may inject). */
  reader?: AvePointReader;
  receivers?: Receiver[];
  /** Replaces the ledger built from settings.storage (the benchmark counts its Table Storage round trips). */
  ledger?: AlertLedger;
}

export interface Runtime {
  readonly settings: Settings;
  run(monitor: MonitorName, logger: Logger, options?: { abortSignal?: AbortSignal }): Promise<CycleSummary>;
  /** The configured receivers, as the monitors deliver to them (what `npm run send-test-alert` tests). */
  receivers(logger: Logger): Receiver[];
  /** Where every monitor stands (shared/status.ts): for `npm run status` and GET /api/health. */
  status(): Promise<StatusReport>;
}

/** Receiver name of the Teams Workflows webhook from TEAMS_WEBHOOK_URL; permanent (the ledger keys deliveries by it). */
export const TEAMS_RECEIVER = DEFAULT_TEAMS_RECEIVER;
/** Receiver name of the email list from EMAIL_TO; permanent like TEAMS_RECEIVER. */
export const EMAIL_RECEIVER = DEFAULT_EMAIL_RECEIVER;

export function createRuntime(settings: Settings, options: RuntimeOptions = {}): Runtime {
  const storage = settings.storage;
  const now = options.now ?? (() => new Date());
  const ledger = options.ledger ?? (storage ? measuredLedger(storage, settings.tablePrefix, now) : undefined);
  if (!ledger) throw new Error("no ledger storage configured");
  const unavailableSince = new Map<string, Date>();
  const escalate = escalationStep(settings);
  let reader = options.reader;
  // Like the AvePoint client, the Graph credential lives as long as the process: it caches its token.
  let graphCredential: TokenCredential | undefined;
  // Channels are cheap and take the run's logger; pacing is process-wide, keyed by destination.
  const receiversFor = (logger: Logger): Receiver[] => {
    if (options.receivers) return options.receivers;
    const graphCredentialFor = (credential: GraphCredentialSettings): TokenCredential => (graphCredential ??= createGraphCredential(credential));
    return buildReceivers({ settings, logger, graphCredential: graphCredentialFor });
  };
  // The client lives as long as the process (it caches its token) but logs to the
  // invocation that is running: each run's logger is found through async context.
  const currentLogger = new AsyncLocalStorage<Logger>();
  const forwardingLogger: Logger = {
    error: (m, d) => (currentLogger.getStore() ?? silentLogger).error(m, d),
    warn: (m, d) => (currentLogger.getStore() ?? silentLogger).warn(m, d),
    info: (m, d) => (currentLogger.getStore() ?? silentLogger).info(m, d),
    debug: (m, d) => (currentLogger.getStore() ?? silentLogger).debug(m, d),
  };
  return {
    settings,
    async run(monitor, logger, runOptions = {}) {
      reader ??= createAvePointClient(settings.avepoint, { logger: forwardingLogger, onRequest: observeApiRequest });
      const deps = {
        settings,
        reader,
        ledger,
        receivers: receiversFor(logger),
        now,
        logger,
        owner: `${monitor}-${randomUUID().slice(0, 8)}`,
        unavailableSince,
        ...(escalate ? { escalate } : {}),
        ...(runOptions.abortSignal ? { abortSignal: runOptions.abortSignal } : {}),
      };
      const measured = await measureCycle(() => currentLogger.run(logger, () => (monitor === "jobs" ? runJobsMonitor(deps) : runLicenseMonitor(deps))));
      const summary: CycleSummary = { ...measured.result, usage: measured.usage };
      // No-ops unless a MeterProvider is registered (in Azure: shared/telemetry/export.ts).
      recordCycleMetrics(summary);
      // The dead man's switch hears only from cycles that read and delivered everything.
      const heartbeatUrl = settings.monitoring.heartbeatUrl;
      if (summary.ok && heartbeatUrl) await pingHeartbeat(heartbeatUrl, { logger, ...(runOptions.abortSignal ? { abortSignal: runOptions.abortSignal } : {}) });
      return summary;
    },
    receivers: (logger) => receiversFor(logger),
    // Tables are created when absent, so a deployment that has not run a cycle yet reads as "has not run yet".
    status: async () => {
      await ledger.ensureTables();
      return buildStatus({ settings, ledger, now: now() });
    },
  };
}

/** The ledger over the settings' tables, its round trips counted against the cycle running (shared/telemetry/cycle-usage.ts). */
function measuredLedger(storage: NonNullable<Settings["storage"]>, tablePrefix: string, now: () => Date): AlertLedger {
  const clients = createTableClients(storage, tablePrefix);
  countTableRoundTrips(clients.alerts, clients.checkpoints);
  return new AlertLedger(clients, { now });
}

/** One line per cycle, for logs and the local runner. */
export function formatSummary(s: CycleSummary): string {
  const d = s.delivery;
  const parts = [
    `${s.monitor} monitor [${s.tenant}]: ${s.ok ? "ok" : "FAILED"}`,
    s.monitor === "jobs" ? `${s.read} job(s) read` : s.read > 0 ? "license read" : "license not read",
    `${s.newAlerts} new alert(s)`,
    `${d.delivered} delivered in ${d.messages} message(s)`,
  ];
  if (d.failed > 0) parts.push(`${d.failed} pending after failed delivery`);
  if (d.skipped > 0) parts.push(`${d.skipped} held by another run`);
  if (d.deferred > 0) parts.push(`${d.deferred} pending, retried next cycle`);
  if (d.overtaken > 0) parts.push(`${d.overtaken} sent after another run took them over (possible duplicates)`);
  if (d.setAside.length > 0) parts.push(`${d.setAside.length} set aside (quarantined: unreadable or not renderable)`);
  if (s.window) parts.push(`window ${s.window.start.toISOString()} .. ${s.window.end.toISOString()}`);
  if (s.error) parts.push(`read error: ${s.error}`);
  if (d.errors.length > 0) parts.push(`delivery error: ${d.errors[0]}`);
  return parts.join("; ");
}

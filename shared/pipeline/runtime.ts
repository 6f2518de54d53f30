/**
 * The composition root: turns Settings into the pieces a monitor cycle needs,
 * and runs a cycle for a Functions invocation. The Functions entry points and
 * the local runner both build through here, so `func start`, `npm run poll`
 * and `npm start` run the same code. Built once per process: the AvePoint
 * client keeps its token between cycles. Telemetry is hooked in one place,
 * `observeCycle`.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { InvocationContext } from "@azure/functions";
import type { TokenCredential } from "@azure/identity";
import { createAvePointClient } from "../avepoint/index.js";
import type { GraphCredentialSettings } from "../config/email.js";
import { loadSettings, type Settings } from "../config/settings.js";
import { createGraphCredential } from "../receivers/email-graph.js";
import { escalationStep } from "../bot/escalation.js";
import type { Receiver } from "../receivers/channel.js";
import { buildReceivers } from "../receivers/registry.js";
import { AlertLedger, createTableClients } from "../ledger/index.js";
import { createLogger, silentLogger, type Logger } from "../logging.js";
import { redact } from "../security/secret.js";
import { cycleLogLine } from "../telemetry/cycle-line.js";
import { formatSummary, type CycleSummary, type MonitorName } from "../telemetry/cycle-summary.js";
import { countTableRoundTrips, measureCycle, observeApiRequest } from "../telemetry/cycle-usage.js";
import { flushMetrics, startMetricsExport } from "../telemetry/export.js";
import { pingHeartbeat } from "../telemetry/heartbeat.js";
import { recordCycleMetrics } from "../telemetry/metrics.js";
import { runJobsMonitor } from "./jobs.js";
import { runLicenseMonitor } from "./license.js";
import type { AvePointReader } from "./monitor.js";
import { buildStatus, type StatusReport } from "./status.js";

interface RuntimeOptions {
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
  /** Where every monitor stands (status.ts): for `npm run status` and GET /api/health. */
  status(): Promise<StatusReport>;
}

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
      return observeCycle(settings, logger, runOptions.abortSignal, () =>
        currentLogger.run(logger, () => (monitor === "jobs" ? runJobsMonitor(deps) : runLicenseMonitor(deps))),
      );
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

/**
 * Telemetry of one cycle, all of it: the Application Insights exporter started
 * (once per process, only where the platform configured it), the cycle measured
 * (time, API requests, table round trips), its metrics recorded and sent before
 * the invocation ends (a Flex Consumption instance may be frozen right after),
 * and the heartbeat pinged.
 */
async function observeCycle(settings: Settings, logger: Logger, abortSignal: AbortSignal | undefined, cycle: () => Promise<CycleSummary>): Promise<CycleSummary> {
  await startMetricsExport({ logger });
  const measured = await measureCycle(cycle);
  const summary: CycleSummary = { ...measured.result, usage: measured.usage };
  // No-ops unless a MeterProvider is registered (in Azure: shared/telemetry/export.ts).
  recordCycleMetrics(summary);
  // The dead man's switch hears only from cycles that read and delivered everything.
  const heartbeatUrl = settings.monitoring.heartbeatUrl;
  if (summary.ok && heartbeatUrl) await pingHeartbeat(heartbeatUrl, { logger, ...(abortSignal ? { abortSignal } : {}) });
  await flushMetrics({ logger });
  return summary;
}

// --- The Functions entry points ------------------------------------------------------

let runtime: Runtime | undefined;

/** The process's runtime; settings are read on first use (ConfigError lists every problem). */
export function getRuntime(): Runtime {
  runtime ??= createRuntime(loadSettings());
  return runtime;
}

export class MonitorCycleError extends Error {
  override readonly name = "MonitorCycleError";
  constructor(readonly summary: CycleSummary) {
    // The host records this text (and the stack) in Application Insights without our logger: redact here too.
    super(redact(formatSummary(summary)));
  }
}

/**
 * Runs one cycle for a timer invocation. A failed cycle throws after logging its
 * summary, so the Functions host records a failed execution (which the
 * deployment's "monitor of the monitor" alert watches); nothing is lost, since
 * whatever was not read or delivered is retried next cycle.
 *
 * Each cycle logs two lines: the readable summary and the structured one
 * (shared/telemetry/cycle-line.ts), both through the redacting logger.
 */
export async function runMonitorInvocation(monitor: MonitorName, context: InvocationContext, rt: Runtime = getRuntime()): Promise<CycleSummary> {
  const logger = createLogger(context, rt.settings.logLevel);
  const summary = await rt.run(monitor, logger);
  const line = formatSummary(summary);
  if (!summary.ok) {
    logger.error(line);
    logger.error(cycleLogLine(summary));
    throw new MonitorCycleError(summary);
  }
  logger.info(line);
  logger.info(cycleLogLine(summary));
  return summary;
}

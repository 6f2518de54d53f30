/**
 * What a Functions entry point needs: the settings (loaded and validated once
 * per process, every problem listed), the runtime built from them, and a
 * logger over the invocation's context. Type-only imports from @azure/functions.
 */
import type { InvocationContext } from "@azure/functions";
import { loadSettings } from "./config/load.js";
import { createLogger } from "./logging.js";
import type { CycleSummary, MonitorName } from "./pipeline.js";
import { createRuntime, formatSummary, type Runtime } from "./runtime.js";
import { redact } from "./security/secret.js";
import { cycleLogLine } from "./telemetry/cycle-line.js";
import { flushMetrics, startMetricsExport } from "./telemetry/export.js";

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
 * (shared/telemetry/cycle-line.ts), both through the redacting logger; its
 * metrics are sent before the invocation ends (shared/telemetry/export.ts).
 */
export async function runMonitorInvocation(monitor: MonitorName, context: InvocationContext, rt: Runtime = getRuntime()): Promise<CycleSummary> {
  const logger = createLogger(context, rt.settings.logLevel);
  await startMetricsExport({ logger });
  const summary = await rt.run(monitor, logger);
  await flushMetrics({ logger });
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

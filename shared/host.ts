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

let runtime: Runtime | undefined;

/** The process's runtime; settings are read on first use (ConfigError lists every problem). */
export function getRuntime(): Runtime {
  runtime ??= createRuntime(loadSettings());
  return runtime;
}

export class MonitorCycleError extends Error {
  override readonly name = "MonitorCycleError";
  constructor(readonly summary: CycleSummary) {
    super(formatSummary(summary));
  }
}

/**
 * Runs one cycle for a timer invocation. A failed cycle throws after logging its
 * summary, so the Functions host records a failed execution (which the
 * deployment's "monitor of the monitor" alert watches); nothing is lost, since
 * whatever was not read or delivered is retried next cycle.
 */
export async function runMonitorInvocation(monitor: MonitorName, context: InvocationContext): Promise<CycleSummary> {
  const rt = getRuntime();
  const logger = createLogger(context, rt.settings.logLevel);
  const summary = await rt.run(monitor, logger);
  const line = formatSummary(summary);
  if (!summary.ok) {
    logger.error(line);
    throw new MonitorCycleError(summary);
  }
  logger.info(line);
  return summary;
}

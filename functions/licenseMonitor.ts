import { app, type InvocationContext, type Timer, type TimerFunctionOptions } from "@azure/functions";
import { runMonitorInvocation } from "../shared/pipeline/runtime.js";
import type { CycleSummary } from "../shared/telemetry/cycle-summary.js";

/** Polls license consumption and alerts on seats, storage and policy. */
export async function licenseMonitor(timer: Timer, context: InvocationContext): Promise<CycleSummary> {
  context.log(`license monitor triggered (isPastDue: ${timer.isPastDue})`);
  return runMonitorInvocation("license", context);
}

/** Exported so the local runner invokes exactly what is registered. */
export const timer = {
  name: "licenseMonitor",
  options: { schedule: "%LICENSE_SCHEDULE%", runOnStartup: false, handler: licenseMonitor } satisfies TimerFunctionOptions,
};

app.timer(timer.name, timer.options);

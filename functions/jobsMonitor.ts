import { app, type InvocationContext, type Timer, type TimerFunctionOptions } from "@azure/functions";
import { runMonitorInvocation } from "../shared/pipeline/runtime.js";
import type { CycleSummary } from "../shared/telemetry/cycle-summary.js";

/** Polls Cloud Backup jobs and alerts on failed, exception and partial outcomes. */
export async function jobsMonitor(timer: Timer, context: InvocationContext): Promise<CycleSummary> {
  // A past-due timer still runs: the watermark, not the schedule, decides what is read.
  context.log(`jobs monitor triggered (isPastDue: ${timer.isPastDue})`);
  return runMonitorInvocation("jobs", context);
}

/** Exported so the local runner invokes exactly what is registered. */
export const timer = {
  name: "jobsMonitor",
  options: { schedule: "%JOBS_SCHEDULE%", runOnStartup: false, handler: jobsMonitor } satisfies TimerFunctionOptions,
};

app.timer(timer.name, timer.options);

/**
 * The local runner: what `func start` does for timers, without the Functions
 * host (whose install downloads a binary). It imports the compiled function
 * files — the same modules `package.json` `main` points the host at — and
 * invokes their registered timer handlers, once or on their schedules.
 */
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { InvocationContext, Timer, TimerFunctionOptions } from "@azure/functions";
import { parseSchedule } from "../shared/config/ncrontab.js";
import { MonitorCycleError } from "../shared/pipeline/runtime.js";
import { formatSummary, type CycleSummary } from "../shared/telemetry/cycle-summary.js";

export interface TimerRegistration {
  name: string;
  options: TimerFunctionOptions;
}

export interface InvocationOutcome {
  name: string;
  summary?: CycleSummary;
  /** Set when the handler threw something other than a failed cycle (e.g. a configuration error). */
  error?: unknown;
  ok: boolean;
}

const FUNCTIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "functions");

/**
 * Imports every compiled function file and returns its timer registration.
 * Outside the Functions host, `@azure/functions` prints two warnings per
 * registration ("test mode", "skipping call to register"); they say nothing
 * useful here, so they are filtered while the files load.
 */
export async function loadTimerRegistrations(dir: string = FUNCTIONS_DIR): Promise<TimerRegistration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".js")).sort();
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("WARNING:") && args[0].includes("@azure/functions")) return;
    if (typeof args[0] === "string" && args[0].startsWith('WARNING: Skipping call to register function')) return;
    warn(...args);
  };
  try {
    const registrations: TimerRegistration[] = [];
    for (const file of files) {
      const mod = (await import(pathToFileURL(join(dir, file)).href)) as { timer?: TimerRegistration };
      if (mod.timer?.options.schedule) registrations.push(mod.timer);
    }
    return registrations;
  } finally {
    console.warn = warn;
  }
}

/** `%NAME%` in a schedule is an app setting, as the Functions host resolves it. */
export function resolveSchedule(schedule: string, values: Record<string, string | undefined>): string {
  return schedule.replace(/%([A-Za-z0-9_]+)%/g, (_, name: string) => {
    const value = values[name];
    if (!value) throw new Error(`schedule ${schedule} names app setting ${name}, which is not set`);
    return value;
  });
}

export async function invokeTimer(
  registration: TimerRegistration,
  log: (level: string, line: string) => void,
  isPastDue = false,
): Promise<InvocationOutcome> {
  const { InvocationContext } = (await import("@azure/functions")).default as unknown as {
    InvocationContext: new (init: object) => InvocationContext;
  };
  const context = new InvocationContext({
    functionName: registration.name,
    invocationId: crypto.randomUUID(),
    logHandler: (level: string, ...args: unknown[]) => log(level, args.map(String).join(" ")),
  });
  const timer: Timer = { isPastDue, schedule: { adjustForDST: false }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };
  try {
    const summary = (await registration.options.handler(timer, context)) as CycleSummary;
    return { name: registration.name, summary, ok: summary.ok };
  } catch (error) {
    if (error instanceof MonitorCycleError) return { name: registration.name, summary: error.summary, ok: false };
    return { name: registration.name, error, ok: false };
  }
}

export function outcomeLine(outcome: InvocationOutcome): string {
  if (outcome.summary) return formatSummary(outcome.summary);
  const e = outcome.error;
  return `${outcome.name}: FAILED; ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}

/**
 * Runs every registration on its schedule until the signal aborts. A cycle
 * still running when its next time comes is not started twice (the host's
 * singleton timer behaves the same). With `runAtStart` each also runs once
 * right away (the host's runOnStartup), so the demo does not wait a whole
 * period for its first license cycle.
 */
/** setTimeout takes at most 2^31-1 ms (~24.8 days); a longer delay fires after 1 ms instead. */
const MAX_TIMEOUT_IN_MS = 2 ** 31 - 1;

export async function runOnSchedules(
  registrations: readonly TimerRegistration[],
  values: Record<string, string | undefined>,
  options: { signal: AbortSignal; log: (level: string, line: string) => void; onOutcome: (o: InvocationOutcome) => void; runAtStart?: boolean },
): Promise<void> {
  const plans = registrations.map((r) => ({
    r,
    schedule: parseSchedule(resolveSchedule(String(r.options.schedule), values)),
    running: undefined as Promise<void> | undefined,
  }));
  const timers = new Set<NodeJS.Timeout>();
  const run = (plan: (typeof plans)[number]) => {
    if (plan.running || options.signal.aborted) return;
    plan.running = invokeTimer(plan.r, options.log)
      .then(options.onOutcome)
      .finally(() => (plan.running = undefined));
  };
  const arm = (plan: (typeof plans)[number]) => {
    if (options.signal.aborted) return;
    const next = plan.schedule.next(new Date());
    const t = setTimeout(() => {
      timers.delete(t);
      const due = Date.now() >= next.getTime();
      arm(plan);
      if (due) run(plan);
    }, Math.min(MAX_TIMEOUT_IN_MS, Math.max(0, next.getTime() - Date.now())));
    timers.add(t);
  };
  if (options.runAtStart) plans.forEach(run);
  plans.forEach(arm);
  await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
  for (const t of timers) clearTimeout(t);
  // A cycle under way finishes (its claims recorded) before the caller stops what it needs.
  await Promise.all(plans.map((p) => p.running));
}

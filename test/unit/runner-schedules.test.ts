import { describe, expect, it } from "vitest";
import { resolveSchedule, runOnSchedules, type InvocationOutcome, type TimerRegistration } from "../../cli/runner.js";

describe("the local runner's schedules", () => {
  it("resolves %SETTING% schedules from app settings, as the Functions host does", () => {
    expect(resolveSchedule("%JOBS_SCHEDULE%", { JOBS_SCHEDULE: "0 */5 * * * *" })).toBe("0 */5 * * * *");
    expect(() => resolveSchedule("%MISSING%", {})).toThrow(/MISSING, which is not set/);
  });

  it("runs each timer on its schedule, never two of one at once, and lets a running cycle finish on stop", async () => {
    let running = 0;
    let maxRunning = 0;
    let finished = 0;
    const registration: TimerRegistration = {
      name: "slowMonitor",
      options: {
        schedule: "%SLOW_SCHEDULE%",
        handler: async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setTimeout(r, 1_300)); // longer than the one-second schedule
          running--;
          finished++;
          return { ok: true };
        },
      },
    };
    const outcomes: InvocationOutcome[] = [];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 3_600);
    await runOnSchedules([registration], { SLOW_SCHEDULE: "* * * * * *" }, { signal: controller.signal, log: () => {}, onOutcome: (o) => outcomes.push(o) });

    expect(maxRunning).toBe(1);
    expect(running).toBe(0); // stop waited for the cycle under way
    expect(finished).toBeGreaterThanOrEqual(2);
    expect(outcomes).toHaveLength(finished);
    expect(outcomes.every((o) => o.name === "slowMonitor" && o.ok)).toBe(true);
  });

  it("with runAtStart runs each timer once right away, not only when its schedule first comes", async () => {
    const started: number[] = [];
    const t0 = Date.now();
    const registration: TimerRegistration = {
      name: "yearlyMonitor",
      options: { schedule: "0 0 0 1 1 *", handler: async () => void started.push(Date.now() - t0) },
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const outcomes: InvocationOutcome[] = [];
    await runOnSchedules([registration], {}, { signal: controller.signal, log: () => {}, onOutcome: (o) => outcomes.push(o), runAtStart: true });
    expect(started).toHaveLength(1);
    expect(started[0]).toBeLessThan(300);
    expect(outcomes.map((o) => o.name)).toEqual(["yearlyMonitor"]);

    const without = new AbortController();
    setTimeout(() => without.abort(), 300);
    await runOnSchedules([registration], {}, { signal: without.signal, log: () => {}, onOutcome: () => {} });
    expect(started).toHaveLength(1); // without it, nothing runs before New Year
  });
});

import { describe, expect, it } from "vitest";
import type { BackupJob, ServiceId } from "../../shared/avepoint/model.js";
import {
  detectFailureRatio,
  detectStuckJobs,
  evaluateRecoveryPoint,
  evaluateScheduledStart,
  evaluateSkippedGrowth,
  evaluateUnusualActivity,
  recordServiceJobs,
  recoveryPointDue,
  type RuleContext,
} from "../../shared/alerts/health-rules.js";
import { freshServiceHealth, parseHealthState, type ServiceHealthState, type StuckJobState, type UnusualServiceState } from "../../shared/alerts/health-state.js";

const T0 = new Date("2026-11-29T08:00:00Z");
const hours = (n: number) => new Date(T0.getTime() + n * 3_600_000);
const ctxAt = (now: Date, extra: Partial<RuleContext> = {}): RuleContext => ({ tenant: "Contoso", now, generation: 1, sendResolved: true, ...extra });

function job(overrides: Partial<BackupJob> & { id: string }): BackupJob {
  return { state: "Finished", rawState: "Finished", startTime: hours(-2), finishTime: hours(-1), durationMs: 3_600_000, counts: { total: 100, failed: 0, successful: 100, skipped: 0 }, errors: [], ...overrides };
}

describe("stuck jobs", () => {
  it("warns once when a job runs past JOB_MAX_RUNTIME_HOURS, stays quiet, and resolves when it ends", () => {
    const running = job({ id: "IB-LONG", state: "InProgress", rawState: "InProgress", startTime: hours(0), finishTime: null });
    let stuck: Record<string, StuckJobState> = {};
    const fired: string[] = [];
    for (let h = 1; h <= 15; h++) {
      const result = detectStuckJobs([running], stuck, { tenant: "Contoso", now: hours(h), maxRuntimeHours: 12, sendResolved: true });
      stuck = result.stuck;
      fired.push(...result.alerts.map((a) => `${h}:${a.status}`));
    }
    expect(fired).toEqual(["13:firing"]);
    const ended = detectStuckJobs([{ ...running, state: "Finished", finishTime: hours(16) }], stuck, { tenant: "Contoso", now: hours(16), maxRuntimeHours: 12, sendResolved: true });
    expect(ended.alerts.map((a) => [a.status, a.severity, a.outcome])).toEqual([["resolved", "info", "ended"]]);
    expect(ended.stuck).toEqual({});
  });

  it("resolves a stuck job that is no longer listed, and keeps resolved notices back when ALERT_SEND_RESOLVED is false", () => {
    const stuck = { "IB-GONE": { startTime: hours(-20).toISOString(), since: hours(-5).toISOString() } };
    expect(detectStuckJobs([], stuck, { tenant: "Contoso", now: T0, maxRuntimeHours: 12, sendResolved: true }).alerts[0]).toMatchObject({ outcome: "vanished", status: "resolved" });
    expect(detectStuckJobs([], stuck, { tenant: "Contoso", now: T0, maxRuntimeHours: 12, sendResolved: false })).toEqual({ alerts: [], stuck: {} });
  });

  it("is off at 0 hours and gives the same fingerprint when a cycle is re-run", () => {
    const running = job({ id: "IB-X", state: "InProgress", startTime: hours(-30), finishTime: null });
    expect(detectStuckJobs([running], {}, { tenant: "Contoso", now: T0, maxRuntimeHours: 0, sendResolved: true }).alerts).toEqual([]);
    const a = detectStuckJobs([running], {}, { tenant: "Contoso", now: T0, maxRuntimeHours: 12, sendResolved: true }).alerts[0]!;
    const b = detectStuckJobs([running], {}, { tenant: "Contoso", now: hours(1), maxRuntimeHours: 12, sendResolved: true }).alerts[0]!;
    expect(a.fingerprint).toBe(b.fingerprint);
  });
});

describe("failed and skipped objects of a job", () => {
  it.each([
    ["off when unset", null, { total: 100, failed: 90, successful: 10, skipped: 0 }, 0],
    ["at the threshold: quiet", 50, { total: 100, failed: 30, successful: 50, skipped: 20 }, 0],
    ["above: failed + skipped count", 50, { total: 100, failed: 30, successful: 49, skipped: 21 }, 1],
    ["no objects: quiet", 0, { total: 0, failed: 0, successful: 0, skipped: 0 }, 0],
  ] as const)("%s", (_name, threshold, counts, expected) => {
    expect(detectFailureRatio([job({ id: "IB-R", counts: { ...counts } })], { tenant: "Contoso", now: T0, thresholdPercent: threshold })).toHaveLength(expected);
  });

  it("alerts a Finished job but not one that already alerts on its state, nor one still running", () => {
    const counts = { total: 10, failed: 6, successful: 4, skipped: 0 };
    const alerts = detectFailureRatio(
      [job({ id: "OK-BUT-BAD", counts }), job({ id: "FAILED", state: "Failed", counts }), job({ id: "RUNNING", state: "InProgress", counts })],
      { tenant: "Contoso", now: T0, thresholdPercent: 20, skipJobIds: new Set(["FAILED"]) },
    );
    expect(alerts.map((a) => [a.job.id, a.severity, a.percent])).toEqual([["OK-BUT-BAD", "warning", 60]]);
  });
});

describe("missed backup by recovery-point age", () => {
  const service: ServiceId = 1;
  it("fires once when the newest success is older than BACKUP_MAX_AGE_HOURS, stays quiet, resolves when a backup finishes", () => {
    let state: ServiceHealthState = recordServiceJobs(freshServiceHealth(), [job({ id: "IB-OK-1", finishTime: hours(0), startTime: hours(-1) })], hours(0)).state;
    const notices: string[] = [];
    for (let h = 1; h <= 40; h++) {
      const due = recoveryPointDue(state, hours(h), 26);
      expect(due).toBe(h >= 26);
      const r = evaluateRecoveryPoint(service, state, { ...ctxAt(hours(h)), maxAgeHours: 26 });
      state = r.state;
      if (r.alert) notices.push(`${h}:${r.alert.status}:${r.alert.severity}`);
    }
    expect(notices).toEqual(["26:firing:critical"]);
    const success = job({ id: "IB-OK-2", startTime: hours(40), finishTime: hours(41) });
    const recorded = recordServiceJobs(state, [success], hours(42));
    expect(recorded.newestSuccess?.id).toBe("IB-OK-2");
    const resolved = evaluateRecoveryPoint(service, recorded.state, { ...ctxAt(hours(42)), maxAgeHours: 26, success });
    expect(resolved.alert).toMatchObject({ kind: "missed-backup", cause: "age", status: "resolved", resolvedBy: { id: "IB-OK-2" } });
    expect(resolved.state.age).toEqual({ episode: 1, open: false, since: null });
    // The next episode has a new identity.
    const again = evaluateRecoveryPoint(service, resolved.state, { ...ctxAt(hours(70)), maxAgeHours: 26 });
    expect(again.alert?.identity).toBe("missed-backup:Contoso:1:age:1-2:firing");
  });

  it("only Finished jobs are recovery points", () => {
    const { state } = recordServiceJobs(freshServiceHealth(), [job({ id: "P", state: "PartiallyFinished" }), job({ id: "F", state: "Failed" })], T0);
    expect(state.lastSuccessAt).toBeNull();
    expect(evaluateRecoveryPoint(service, state, { ...ctxAt(T0), maxAgeHours: 26 }).alert).toMatchObject({ status: "firing", lastSuccessAt: null });
  });
});

describe("missed scheduled start", () => {
  it("fires once when the slot passes without a start, and resolves when a backup starts", () => {
    const slot = hours(0);
    const first = evaluateScheduledStart(2, freshServiceHealth(), { ...ctxAt(hours(2)), slot, started: undefined, graceMinutes: 120, maxAgeHours: 26 });
    expect(first.alert).toMatchObject({ cause: "schedule", severity: "warning", status: "firing", scheduledAt: slot });
    const again = evaluateScheduledStart(2, first.state, { ...ctxAt(hours(8)), slot: hours(6), started: undefined, graceMinutes: 120, maxAgeHours: 26 });
    expect(again.alert).toBeUndefined();
    const started = job({ id: "IB-LATE", state: "InProgress", startTime: hours(9), finishTime: null });
    const resolved = evaluateScheduledStart(2, again.state, { ...ctxAt(hours(9)), slot, started, graceMinutes: 120, maxAgeHours: 26 });
    expect(resolved.alert).toMatchObject({ status: "resolved", resolvedBy: { id: "IB-LATE" }, scheduledAt: slot });
    expect(evaluateScheduledStart(2, resolved.state, { ...ctxAt(hours(10)), slot, started, graceMinutes: 120, maxAgeHours: 26 }).alert).toBeUndefined();
  });
});

describe("skipped objects growing", () => {
  it("fires after N growing runs, stays quiet while open, resolves when a run skips no more than before the growth", () => {
    let state = freshServiceHealth();
    const skippedSeries = [0, 2, 5, 9, 12, 12, 4, 0];
    const notices: string[] = [];
    skippedSeries.forEach((skipped, i) => {
      const run = job({ id: `IB-${i}`, startTime: hours(i * 24), finishTime: hours(i * 24 + 1), counts: { total: 100, failed: 0, successful: 100 - skipped, skipped } });
      state = recordServiceJobs(state, [run], hours(i * 24 + 2)).state;
      const r = evaluateSkippedGrowth(3, state, { ...ctxAt(hours(i * 24 + 2)), runs: 3, jobs: [run] });
      state = r.state;
      if (r.alert) notices.push(`${i}:${r.alert.status}:${r.alert.runs?.map((x) => x.skipped).join(">")}`);
    });
    expect(notices).toEqual(["3:firing:0>2>5>9", "7:resolved:12>12>4>0"]);
  });

  it("is off at 0 runs", () => {
    const state = recordServiceJobs(freshServiceHealth(), [1, 2, 3, 4, 5].map((n) => job({ id: `J${n}`, finishTime: hours(n), counts: { total: 9, failed: 0, successful: 9 - n, skipped: n } })), T0).state;
    expect(evaluateSkippedGrowth(3, state, { ...ctxAt(T0), runs: 0, jobs: [] }).alert).toBeUndefined();
    expect(evaluateSkippedGrowth(3, state, { ...ctxAt(T0), runs: 3, jobs: [] }).alert).toMatchObject({ status: "firing" });
  });
});

describe("unusual activity", () => {
  it("alerts on each rise, stays quiet while counts hold or fall, resolves at zero", () => {
    let services: Record<string, UnusualServiceState> = {};
    const readings = [
      [],
      [{ serviceType: 1, ransomwareCount: 0, unusualCount: 2 }],
      [{ serviceType: 1, ransomwareCount: 0, unusualCount: 2 }],
      [{ serviceType: 1, ransomwareCount: 1, unusualCount: 2 }],
      [{ serviceType: 1, ransomwareCount: 1, unusualCount: 1 }],
      [],
      [],
    ];
    const notices: string[] = [];
    readings.forEach((reading, i) => {
      const r = evaluateUnusualActivity(reading, services, { ...ctxAt(hours(i)), windowHours: 24 });
      services = r.services;
      notices.push(...r.alerts.map((a) => `${i}:${a.status}:${a.severity}:${a.ransomwareCount}/${a.unusualCount}:${a.service}`));
    });
    expect(notices).toEqual(["1:firing:critical:0/2:2", "3:firing:critical:1/2:2", "5:resolved:info:0/0:2"]);
  });

  it("maps the API's serviceType to the jobs listing's services", () => {
    const r = evaluateUnusualActivity([{ serviceType: 0, ransomwareCount: 1, unusualCount: 0 }, { serviceType: 8, ransomwareCount: 0, unusualCount: 3 }], {}, { ...ctxAt(T0), windowHours: 24 });
    expect(r.alerts.map((a) => [a.serviceType, a.service])).toEqual([[0, 1], [8, 7]]);
  });
});

describe("health state", () => {
  it("starts afresh from nothing and from something unreadable, saying why", () => {
    expect(parseHealthState(undefined).problem).toBeUndefined();
    const bad = parseHealthState({ version: 1, services: "nope" });
    expect(bad.state.services).toEqual({});
    expect(bad.problem).toMatch(/invalid/);
  });
});

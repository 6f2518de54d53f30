import { beforeAll, describe, expect, it, test } from "vitest";
import {
  decideLevel,
  evaluateLicense,
  freshLicenseState,
  InvalidLicenseUsageError,
  LICENSE_HISTORY_MAX_READINGS,
  noticeReason,
  parseLicenseState,
  type LicenseMetricState,
  type LicenseState,
} from "../../shared/alerts/license-rules.js";
import { fingerprintOf } from "../../shared/alerts/fingerprint.js";
import type { LicenseAlert, LicenseLevel } from "../../shared/alerts/model.js";
import type { LicenseUsage } from "../../shared/avepoint/model.js";
import type { Settings } from "../../shared/config/settings.js";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-03-02T08:00:00.000Z");
const DEFAULTS: Settings["license"] = { schedule: "0 0 * * * *", warnPercent: 90, criticalPercent: 100, hysteresisPercent: 2, remindHours: 24 };

/** Seats 40 of 100, storage 100 of 1000 GB, in policy — unless overridden. */
function usage(over: Partial<LicenseUsage> = {}): LicenseUsage {
  return { outOfPolicySince: null, purchasedUserSeats: 100, assignedUserSeats: 40, purchasedStorageGb: 1000, protectedStorageGb: 100, ...over };
}

/**
 * Walks a timeline with an injected clock, storing the state between cycles
 * the way the monitor does: through JSON and `parseLicenseState`.
 */
class Timeline {
  state: LicenseState | undefined;
  readonly sent: LicenseAlert[] = [];
  constructor(
    readonly settings: Settings["license"] = DEFAULTS,
    readonly tenant = "contoso",
  ) {}

  /** One cycle at T0 + `hours`; returns the alerts it produced. */
  at(hours: number, over: Partial<LicenseUsage>): LicenseAlert[] {
    const { alerts, state } = evaluateLicense({ usage: usage(over), state: this.state, settings: this.settings, tenant: this.tenant, now: new Date(T0 + hours * HOUR) });
    const stored = parseLicenseState(JSON.parse(JSON.stringify(state)));
    expect(stored.corrupt).toBe(false);
    this.state = stored.state;
    this.sent.push(...alerts);
    return alerts;
  }

  seats(hours: number, assigned: number, purchased = 100): LicenseAlert[] {
    return this.at(hours, { assignedUserSeats: assigned, purchasedUserSeats: purchased });
  }

  storage(hours: number, protectedGb: number, purchasedGb = 1000): LicenseAlert[] {
    return this.at(hours, { protectedStorageGb: protectedGb, purchasedStorageGb: purchasedGb });
  }
}

function only(alerts: LicenseAlert[]): LicenseAlert {
  expect(alerts).toHaveLength(1);
  return alerts[0] as LicenseAlert;
}

describe("the seats timeline from the issue: 40 → 95 → 96 → 104 → 50 → 50", () => {
  const t = new Timeline();
  const steps: Record<"at40" | "at95" | "at96" | "at104" | "at50" | "again50", LicenseAlert[]> = {
    at40: [],
    at95: [],
    at96: [],
    at104: [],
    at50: [],
    again50: [],
  };
  beforeAll(() => {
    steps.at40 = t.seats(0, 40);
    steps.at95 = t.seats(1, 95);
    steps.at96 = t.seats(2, 96);
    steps.at104 = t.seats(3, 104);
    steps.at50 = t.seats(4, 50);
    steps.again50 = t.seats(5, 50);
  });

  it("is quiet at 40 of 100", () => {
    expect(steps.at40).toEqual([]);
  });

  it("sends one warning at 95, showing 95 of 100 (95%)", () => {
    const a = only(steps.at95);
    expect(a).toMatchObject({ kind: "license", metric: "seats", level: "warning", reason: "entered", severity: "warning", status: "firing", percent: 95, tenant: "contoso" });
    expect(a.usage.assignedUserSeats).toBe(95);
    expect(a.usage.purchasedUserSeats).toBe(100);
    expect(a.detectedAt.toISOString()).toBe(new Date(T0 + HOUR).toISOString());
    expect(a.previousUsed).toBeUndefined();
    expect(a.fingerprint).toBe(fingerprintOf(a.identity));
    expect(a.identity).toMatch(/^license:contoso:seats:/);
  });

  it("is quiet at 96 (still warning)", () => {
    expect(steps.at96).toEqual([]);
  });

  it("sends one critical at 104, with the change since the warning", () => {
    const a = only(steps.at104);
    expect(a).toMatchObject({ metric: "seats", level: "critical", reason: "escalated", severity: "critical", status: "firing", percent: 104, previousUsed: 95 });
  });

  it("sends one resolved notice at 50", () => {
    const a = only(steps.at50);
    expect(a).toMatchObject({ metric: "seats", level: "ok", reason: "resolved", severity: "info", status: "resolved", percent: 50, previousUsed: 104 });
  });

  it("is quiet at 50 again", () => {
    expect(steps.again50).toEqual([]);
  });

  it("gave every notice its own fingerprint", () => {
    expect(new Set(t.sent.map((a) => a.fingerprint)).size).toBe(3);
  });
});

describe("seats state machine", () => {
  it("a second entry after a resolve is a new alert with a new fingerprint", () => {
    const t = new Timeline();
    const first = only(t.seats(0, 95));
    only(t.seats(1, 50));
    const second = only(t.seats(2, 95));
    expect(second).toMatchObject({ reason: "entered", level: "warning", previousUsed: 50 });
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(t.state?.metrics.seats.episode).toBe(2);
  });

  it("enters critical directly from ok", () => {
    const a = only(new Timeline().seats(0, 100));
    expect(a).toMatchObject({ reason: "entered", level: "critical", severity: "critical", percent: 100 });
  });

  it("resolves directly from critical", () => {
    const t = new Timeline();
    t.seats(0, 120);
    expect(only(t.seats(1, 10))).toMatchObject({ reason: "resolved", level: "ok", status: "resolved" });
  });

  it("de-escalates critical → warning once, then resolves", () => {
    const t = new Timeline();
    only(t.seats(0, 104));
    expect(t.seats(1, 99)).toEqual([]); // within 2 points of critical: still critical
    const down = only(t.seats(2, 97));
    expect(down).toMatchObject({ reason: "de-escalated", level: "warning", severity: "warning", status: "firing", previousUsed: 104 });
    expect(t.seats(3, 95)).toEqual([]);
    expect(only(t.seats(4, 80))).toMatchObject({ reason: "resolved" });
  });

  it("does not re-alert on a wobble around the warning threshold (89.5 ↔ 90.5)", () => {
    const t = new Timeline();
    const wobble = [895, 905, 895, 905, 895, 905, 895, 881];
    const notices = wobble.map((assigned, hour) => t.seats(hour, assigned, 1000));
    expect(notices.map((n) => n.map((a) => a.reason))).toEqual([[], ["entered"], [], [], [], [], [], []]);
    // 88.0 is exactly warn − hysteresis: still warning. Only below it resolves.
    expect(t.seats(8, 880, 1000)).toEqual([]);
    expect(only(t.seats(9, 879, 1000))).toMatchObject({ reason: "resolved" });
  });

  it("does not flap on a wobble around the critical threshold (99.5 ↔ 100.5)", () => {
    const t = new Timeline();
    const notices = [995, 1005, 995, 1005, 995].map((assigned, hour) => t.seats(hour, assigned, 1000));
    expect(notices.map((n) => n.map((a) => `${a.reason}:${a.level}`))).toEqual([["entered:warning"], ["escalated:critical"], [], [], []]);
  });

  it("stays quiet below the threshold inside the hysteresis band when it never alerted", () => {
    const t = new Timeline();
    for (const [hour, assigned] of [880, 899, 885, 899].entries()) expect(t.seats(hour, assigned, 1000)).toEqual([]);
  });
});

describe("storage crossing its thresholds", () => {
  it("walks up through warning and critical and back down, once per change", () => {
    const t = new Timeline();
    const gb = [500, 900, 950, 1000, 1100, 985, 970, 885, 870, 870];
    const notices = gb.map((protectedGb, hour) => t.storage(hour, protectedGb));
    expect(notices.map((n) => n.map((a) => `${a.metric}:${a.reason}:${a.level}`))).toEqual([
      [],
      ["storage:entered:warning"],
      [],
      ["storage:escalated:critical"],
      [],
      [], // 98.5%: within the band below critical
      ["storage:de-escalated:warning"],
      [], // 88.5%: within the band below warning
      ["storage:resolved:ok"],
      [],
    ]);
    const escalated = notices[3]?.[0];
    expect(escalated).toMatchObject({ percent: 100, previousUsed: 900, severity: "critical" });
    expect(escalated?.usage.protectedStorageGb).toBe(1000);
    expect(escalated?.usage.purchasedStorageGb).toBe(1000);
  });

  it("keeps seats and storage apart: each has its own notices and fingerprints", () => {
    const t = new Timeline();
    const both = t.at(0, { assignedUserSeats: 95, protectedStorageGb: 950 });
    expect(both.map((a) => a.metric)).toEqual(["seats", "storage"]);
    expect(both[0]?.fingerprint).not.toBe(both[1]?.fingerprint);
    expect(t.at(1, { assignedUserSeats: 95, protectedStorageGb: 100 }).map((a) => `${a.metric}:${a.reason}`)).toEqual(["storage:resolved"]);
  });
});

describe("out of policy", () => {
  const since = new Date("2026-02-27T00:00:00.000Z");

  it("is critical when set and resolved when cleared, once each", () => {
    const t = new Timeline();
    const set = only(t.at(0, { outOfPolicySince: since }));
    expect(set).toMatchObject({ metric: "policy", level: "critical", reason: "entered", severity: "critical", status: "firing" });
    expect(set.usage.outOfPolicySince).toEqual(since);
    expect(set.percent).toBeUndefined();
    expect(set.previousUsed).toBeUndefined();
    expect(set.forecast).toBeUndefined();
    expect(t.at(1, { outOfPolicySince: since })).toEqual([]);
    const cleared = only(t.at(2, { outOfPolicySince: null }));
    expect(cleared).toMatchObject({ metric: "policy", level: "ok", reason: "resolved", severity: "info", status: "resolved" });
    expect(t.at(3, { outOfPolicySince: null })).toEqual([]);
  });

  it("is reminded while it lasts", () => {
    const t = new Timeline();
    t.at(0, { outOfPolicySince: since });
    expect(t.at(23, { outOfPolicySince: since })).toEqual([]);
    expect(only(t.at(24, { outOfPolicySince: since }))).toMatchObject({ metric: "policy", reason: "reminder", severity: "critical" });
  });
});

describe("purchased 0 means not applicable", () => {
  it("sends nothing and divides by nothing", () => {
    const t = new Timeline();
    expect(t.at(0, { purchasedUserSeats: 0, assignedUserSeats: 5, purchasedStorageGb: 0, protectedStorageGb: 700 })).toEqual([]);
    expect(t.at(1, { purchasedUserSeats: 0, assignedUserSeats: 0, purchasedStorageGb: 0, protectedStorageGb: 0 })).toEqual([]);
    expect(t.state?.metrics.seats.level).toBe("ok");
    expect(t.state?.metrics.storage.level).toBe("ok");
  });

  it("closes an alerting metric with a resolved notice without a percent", () => {
    const t = new Timeline();
    only(t.storage(0, 1200));
    const closed = only(t.storage(1, 1200, 0));
    expect(closed).toMatchObject({ metric: "storage", reason: "resolved", level: "ok", status: "resolved", severity: "info", previousUsed: 1200 });
    expect(closed.percent).toBeUndefined();
    expect(closed.forecast).toBeUndefined();
    expect(closed.usage.purchasedStorageGb).toBe(0);
    expect(t.storage(2, 1200, 0)).toEqual([]);
    // Applicable again and still over: a new episode.
    expect(only(t.storage(3, 1200))).toMatchObject({ reason: "entered", level: "critical" });
  });
});

describe("reminders", () => {
  it("reminds a metric still critical every remindHours, each with its own fingerprint", () => {
    const t = new Timeline({ ...DEFAULTS, remindHours: 6 });
    const entered = only(t.seats(0, 104));
    for (const hour of [1, 2, 3, 4, 5]) expect(t.seats(hour, 104)).toEqual([]);
    const first = only(t.seats(6, 105));
    expect(first).toMatchObject({ reason: "reminder", level: "critical", severity: "critical", status: "firing", previousUsed: 104, percent: 105 });
    expect(t.seats(11, 105)).toEqual([]);
    const second = only(t.seats(12, 105));
    expect(second.reason).toBe("reminder");
    expect(new Set([entered.fingerprint, first.fingerprint, second.fingerprint]).size).toBe(3);
  });

  it("measures from the last notice, not from the start of the episode", () => {
    const t = new Timeline();
    t.seats(0, 95); // warning
    t.seats(5, 104); // escalated at hour 5
    expect(t.seats(24, 104)).toEqual([]);
    expect(t.seats(28, 104)).toEqual([]);
    expect(only(t.seats(29, 104)).reason).toBe("reminder");
  });

  it("does not remind a warning", () => {
    const t = new Timeline({ ...DEFAULTS, remindHours: 1 });
    t.seats(0, 95);
    for (const hour of [1, 2, 10, 50]) expect(t.seats(hour, 95)).toEqual([]);
  });

  it("never reminds when remindHours is 0", () => {
    const t = new Timeline({ ...DEFAULTS, remindHours: 0 });
    only(t.seats(0, 104));
    for (const hour of [24, 48, 100, 1000]) expect(t.seats(hour, 104)).toEqual([]);
  });

  it("counts a skipped cycle's time: one reminder, not one per missed period", () => {
    const t = new Timeline({ ...DEFAULTS, remindHours: 6 });
    t.seats(0, 104);
    expect(only(t.seats(30, 104)).reason).toBe("reminder");
    expect(t.seats(31, 104)).toEqual([]);
  });
});

describe("forecast in the notice", () => {
  it("gives the date seats run out on a rising series", () => {
    const t = new Timeline();
    t.seats(0, 80);
    t.seats(1, 85);
    const a = only(t.seats(2, 90)); // 5 seats an hour: 10 left → 2 hours
    expect(a.forecast?.ratePerDay).toBeCloseTo(120, 9);
    expect(a.forecast?.exhaustedAt?.toISOString()).toBe(new Date(T0 + 4 * HOUR).toISOString());
  });

  it("forecasts storage against the purchased GB", () => {
    const t = new Timeline();
    t.storage(0, 880);
    t.storage(24, 890);
    const a = only(t.storage(48, 900)); // 10 GB a day, 100 GB left → 10 days
    expect(a.forecast?.ratePerDay).toBeCloseTo(10, 9);
    expect(a.forecast?.exhaustedAt?.toISOString()).toBe(new Date(T0 + 48 * HOUR + 10 * DAY).toISOString());
  });

  it("is not rising on a flat series", () => {
    const t = new Timeline({ ...DEFAULTS, remindHours: 3 });
    t.seats(0, 100);
    t.seats(1, 100);
    t.seats(2, 100);
    const a = only(t.seats(3, 100));
    expect(a.reason).toBe("reminder");
    expect(a.forecast).toEqual({ exhaustedAt: null, ratePerDay: 0 });
  });

  it("is not rising on a falling series", () => {
    const t = new Timeline();
    t.seats(0, 104);
    t.seats(1, 100);
    const a = only(t.seats(2, 96));
    expect(a.reason).toBe("de-escalated");
    expect(a.forecast?.exhaustedAt).toBeNull();
    expect(a.forecast?.ratePerDay).toBeCloseTo(-96, 9);
  });

  it("is not rising with a single reading", () => {
    expect(only(new Timeline().seats(0, 95)).forecast).toEqual({ exhaustedAt: null, ratePerDay: 0 });
  });
});

describe("history", () => {
  it(`keeps at most ${LICENSE_HISTORY_MAX_READINGS} readings, newest last`, () => {
    const t = new Timeline();
    for (let hour = 0; hour < 60; hour++) t.seats(hour, 40);
    const history = t.state?.history ?? [];
    expect(history).toHaveLength(LICENSE_HISTORY_MAX_READINGS);
    expect(history[0]?.at).toBe(new Date(T0 + 12 * HOUR).toISOString());
    expect(history.at(-1)?.at).toBe(new Date(T0 + 59 * HOUR).toISOString());
  });

  it("drops readings older than 30 days", () => {
    const t = new Timeline();
    t.seats(0, 40);
    t.seats(24, 41);
    t.seats(24 * 30 + 12, 42); // the first reading is now 30.5 days old
    expect(t.state?.history.map((r) => r.seatsUsed)).toEqual([41, 42]);
  });

  it("replaces a reading taken at the same instant instead of doubling it", () => {
    const t = new Timeline();
    t.seats(0, 40);
    t.seats(1, 41);
    t.seats(1, 43);
    expect(t.state?.history.map((r) => r.seatsUsed)).toEqual([40, 43]);
  });

  it("records each metric's numbers in the reading", () => {
    const t = new Timeline();
    t.at(0, { assignedUserSeats: 7, purchasedUserSeats: 9, protectedStorageGb: 1.5, purchasedStorageGb: 2 });
    expect(t.state?.history).toEqual([
      { at: new Date(T0).toISOString(), seatsUsed: 7, seatsPurchased: 9, storageUsedGb: 1.5, storagePurchasedGb: 2 },
    ]);
  });
});

describe("determinism and identities", () => {
  const input = (state: LicenseState | undefined, hours: number, assigned: number) => ({
    usage: usage({ assignedUserSeats: assigned }),
    state,
    settings: DEFAULTS,
    tenant: "contoso",
    now: new Date(T0 + hours * HOUR),
  });

  it("gives the same alerts, fingerprints and state for the same input", () => {
    const t = new Timeline();
    t.seats(0, 95);
    const stored = t.state;
    const first = evaluateLicense(input(stored, 1, 104));
    const again = evaluateLicense(input(stored, 1, 104));
    expect(first.alerts).toHaveLength(1);
    expect(again).toEqual(first);
    expect(again.alerts.map((a) => a.fingerprint)).toEqual(first.alerts.map((a) => a.fingerprint));
  });

  it("re-running with the old state (its result was never stored) repeats the same fingerprint for the ledger to drop", () => {
    const t = new Timeline();
    t.seats(0, 40);
    const old = t.state;
    const sent = only(evaluateLicense(input(old, 1, 95)).alerts);
    // The next cycle runs from the old state again, an hour later, with the same level.
    const rerun = only(evaluateLicense(input(old, 2, 96)).alerts);
    expect(rerun.fingerprint).toBe(sent.fingerprint);
  });

  it("a re-run that reaches another level does not collide with the notice already sent", () => {
    const t = new Timeline();
    t.seats(0, 40);
    const old = t.state;
    const warning = only(evaluateLicense(input(old, 1, 95)).alerts);
    const critical = only(evaluateLicense(input(old, 2, 104)).alerts);
    expect(critical.fingerprint).not.toBe(warning.fingerprint);
  });

  it("does not modify the state it is given", () => {
    const t = new Timeline();
    t.seats(0, 95);
    const stored = t.state as LicenseState;
    const copy = structuredClone(stored);
    evaluateLicense(input(stored, 1, 104));
    expect(stored).toEqual(copy);
  });

  it("puts the tenant into the identity", () => {
    const a = only(new Timeline(DEFAULTS, "contoso").seats(0, 95));
    const b = only(new Timeline(DEFAULTS, "fabrikam").seats(0, 95));
    expect(a.identity).toContain(":contoso:");
    expect(b.fingerprint).not.toBe(a.fingerprint);
  });

  it("fixes the state's generation at its first evaluation and keeps it", () => {
    const t = new Timeline();
    t.seats(0, 40);
    expect(t.state?.generation).toBe(T0);
    t.seats(5, 40);
    expect(t.state?.generation).toBe(T0);
  });
});

describe("parseLicenseState", () => {
  it("gives a fresh state, not flagged, when nothing is stored", () => {
    for (const nothing of [undefined, null, ""]) {
      expect(parseLicenseState(nothing)).toEqual({ state: freshLicenseState(), corrupt: false });
    }
  });

  it("reads its own output back, as an object or as JSON text", () => {
    const t = new Timeline();
    t.seats(0, 95);
    t.seats(1, 104);
    const state = t.state as LicenseState;
    expect(parseLicenseState(JSON.parse(JSON.stringify(state)))).toEqual({ state, corrupt: false });
    expect(parseLicenseState(JSON.stringify(state))).toEqual({ state, corrupt: false });
  });

  const valid = (): Record<string, unknown> => JSON.parse(JSON.stringify(freshLicenseState())) as Record<string, unknown>;
  test.each<[string, unknown]>([
    ["text that is not JSON", "{not json"],
    ["a number", 42],
    ["an array", []],
    ["another version", { ...valid(), version: 2 }],
    ["a metric missing", { ...valid(), metrics: { seats: freshLicenseState().metrics.seats } }],
    ["an unknown level", { ...valid(), metrics: { ...freshLicenseState().metrics, seats: { ...freshLicenseState().metrics.seats, level: "panic" } } }],
    ["a negative counter", { ...valid(), metrics: { ...freshLicenseState().metrics, storage: { ...freshLicenseState().metrics.storage, episode: -1 } } }],
    [
      "an alerting metric without a notice",
      { ...valid(), metrics: { ...freshLicenseState().metrics, seats: { level: "critical", episode: 1, notices: 0, lastNoticeAt: null, lastNoticeUsed: null } } },
    ],
    ["a reading with a bad time", { ...valid(), history: [{ at: "yesterday", seatsUsed: 1, seatsPurchased: 1, storageUsedGb: 1, storagePurchasedGb: 1 }] }],
    ["a reading with a string number", { ...valid(), history: [{ at: new Date(T0).toISOString(), seatsUsed: "1", seatsPurchased: 1, storageUsedGb: 1, storagePurchasedGb: 1 }] }],
  ])("replaces %s with a fresh state and flags it", (_, stored) => {
    const parsed = parseLicenseState(stored);
    expect(parsed.corrupt).toBe(true);
    expect(parsed.state).toEqual(freshLicenseState());
    expect(parsed.problem).toMatch(/^stored license state is (not JSON|invalid) \(.+\)$/);
  });

  it("names the failing path", () => {
    const stored = { ...valid(), metrics: { ...freshLicenseState().metrics, seats: { ...freshLicenseState().metrics.seats, level: "panic" } } };
    expect(parseLicenseState(stored).problem).toContain("metrics.seats.level");
  });

  it("sorts a stored history by time", () => {
    const reading = (hours: number) => ({ at: new Date(T0 + hours * HOUR).toISOString(), seatsUsed: hours, seatsPurchased: 100, storageUsedGb: 0, storagePurchasedGb: 0 });
    const parsed = parseLicenseState({ ...valid(), history: [reading(2), reading(0), reading(1)] });
    expect(parsed.state.history.map((r) => r.seatsUsed)).toEqual([0, 1, 2]);
  });

  it("after a corrupt state, monitoring goes on and its notices cannot collide with the lost state's", () => {
    const before = new Timeline();
    const lost = only(before.seats(0, 95));
    // Months later the state is unreadable; the metric is in warning again.
    const { state, corrupt } = parseLicenseState("garbage");
    expect(corrupt).toBe(true);
    const after = evaluateLicense({ usage: usage({ assignedUserSeats: 95 }), state, settings: DEFAULTS, tenant: "contoso", now: new Date(T0 + 90 * DAY) });
    const fresh = only(after.alerts);
    expect(fresh).toMatchObject({ reason: "entered", level: "warning" });
    expect(fresh.fingerprint).not.toBe(lost.fingerprint);
  });
});

describe("invalid usage", () => {
  test.each<[string, Partial<LicenseUsage>]>([
    ["NaN seats", { assignedUserSeats: Number.NaN }],
    ["negative storage", { protectedStorageGb: -1 }],
    ["infinite purchase", { purchasedUserSeats: Number.POSITIVE_INFINITY }],
    ["an invalid date", { outOfPolicySince: new Date(Number.NaN) }],
  ])("is refused, never read as a level: %s", (_, over) => {
    expect(() => evaluateLicense({ usage: usage(over), state: undefined, settings: DEFAULTS, tenant: "contoso", now: new Date(T0) })).toThrow(InvalidLicenseUsageError);
  });

  it("names the field in the error", () => {
    try {
      evaluateLicense({ usage: usage({ assignedUserSeats: Number.NaN }), state: undefined, settings: DEFAULTS, tenant: "contoso", now: new Date(T0) });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).name).toBe("InvalidLicenseUsageError");
      expect((err as Error).message).toContain("assignedUserSeats");
    }
  });
});

// percent, previous level → level, with warn 90, critical 100, hysteresis 2.
describe("decideLevel", () => {
  const thresholds = { warnPercent: 90, criticalPercent: 100, hysteresisPercent: 2 };
  test.each<[number, LicenseLevel, LicenseLevel]>([
    [0, "ok", "ok"],
    [87.99, "ok", "ok"],
    [89.99, "ok", "ok"],
    [90, "ok", "warning"],
    [99.99, "ok", "warning"],
    [100, "ok", "critical"],
    [150, "ok", "critical"],
    [95, "warning", "warning"],
    [89, "warning", "warning"],
    [88, "warning", "warning"],
    [87.99, "warning", "ok"],
    [100, "warning", "critical"],
    [98, "critical", "critical"],
    [99.5, "critical", "critical"],
    [97.99, "critical", "warning"],
    [89, "critical", "warning"],
    [88, "critical", "warning"],
    [87.99, "critical", "ok"],
    [0, "critical", "ok"],
  ])("%d%% after %s → %s", (percent, previous, expected) => {
    expect(decideLevel(percent, previous, thresholds)).toBe(expected);
  });

  test.each<[number, LicenseLevel, LicenseLevel]>([
    [89.99, "ok", "ok"],
    [90, "ok", "warning"],
    [89.99, "warning", "ok"],
    [99.99, "critical", "warning"],
    [100, "critical", "critical"],
  ])("with hysteresis 0: %d%% after %s → %s", (percent, previous, expected) => {
    expect(decideLevel(percent, previous, { warnPercent: 90, criticalPercent: 100, hysteresisPercent: 0 })).toBe(expected);
  });

  test.each<[number, LicenseLevel, LicenseLevel]>([
    [80, "ok", "ok"],
    [85, "ok", "critical"],
    [83, "critical", "critical"],
    [82.99, "critical", "ok"],
  ])("with warn = critical = 85: %d%% after %s → %s", (percent, previous, expected) => {
    expect(decideLevel(percent, previous, { warnPercent: 85, criticalPercent: 85, hysteresisPercent: 2 })).toBe(expected);
  });
});

describe("noticeReason", () => {
  const state = (level: LicenseLevel, lastNoticeHoursAgo: number | null = 1): LicenseMetricState => ({
    level,
    episode: level === "ok" ? 0 : 1,
    notices: level === "ok" ? 0 : 1,
    lastNoticeAt: lastNoticeHoursAgo === null ? null : new Date(T0 - lastNoticeHoursAgo * HOUR).toISOString(),
    lastNoticeUsed: null,
  });
  test.each<[LicenseLevel, LicenseLevel, number, string | null]>([
    ["ok", "ok", 1, null],
    ["ok", "warning", 1, "entered"],
    ["ok", "critical", 1, "entered"],
    ["warning", "warning", 100, null],
    ["warning", "critical", 1, "escalated"],
    ["warning", "ok", 1, "resolved"],
    ["critical", "warning", 1, "de-escalated"],
    ["critical", "ok", 1, "resolved"],
    ["critical", "critical", 23.99, null],
    ["critical", "critical", 24, "reminder"],
  ])("%s → %s, last notice %d h ago: %s", (previous, next, hoursAgo, expected) => {
    expect(noticeReason(state(previous, hoursAgo), next, new Date(T0), 24)).toBe(expected);
  });
});

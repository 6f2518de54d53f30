import { describe, expect, it } from "vitest";
import {
  classifyMonitorError,
  crossedThreshold,
  evaluateCredentialExpiry,
  evaluateSharedHealth,
  freshSharedHealthState,
  parseSharedHealthState,
  type SharedHealthState,
  expiryThresholds,
  freshMonitorHealthState,
  parseCredentialNoticeState,
  parseMonitorHealthState,
  type CredentialNoticeState,
  type MonitorHealthState,
} from "../../shared/alerts/monitoring-rules.js";
import { InvalidLicenseUsageError } from "../../shared/alerts/license-rules.js";
import {
  AvePointApiError,
  AvePointAuthError,
  AvePointCertificateError,
  AvePointPathNotFoundError,
  AvePointPermissionError,
  IncompleteListingError,
  MalformedResponseError,
  PageLimitExceededError,
  UnsafeNextLinkError,
} from "../../shared/avepoint/errors.js";
import { NetworkError } from "../../shared/http/request.js";

const DAY = 86_400_000;
const T0 = new Date("2026-11-29T08:00:00Z");

describe("classifyMonitorError", () => {
  it.each([
    ["token refused (401 invalid_client)", new AvePointAuthError({ tokenOrigin: "https://id", status: 401, error: "invalid_client" }), "credential"],
    ["token endpoint 2xx without a token", new AvePointAuthError({ tokenOrigin: "https://id", status: null }), "credential"],
    ["token endpoint down (503)", new AvePointAuthError({ tokenOrigin: "https://id", status: 503 }), "unreachable"],
    ["unreadable certificate", new AvePointCertificateError("bad PEM"), "credential"],
    ["API 401", new AvePointApiError({ status: 401, path: "/cloudbackup/jobs" }), "credential"],
    ["API 403 (permission missing)", new AvePointApiError({ status: 403, path: "/cloudbackup/jobs" }), "credential"],
    ["API 404 (another endpoint)", new AvePointApiError({ status: 404, path: "/cloudbackup/jobs" }), "malformed"],
    ["every known path 404 (renamed)", new AvePointPathNotFoundError("jobs", ["/backup/m365/cloudbackupjobs", "/cloudbackup/jobs"]), "renamed"],
    ["a scope not granted", new AvePointPermissionError("microsoft365backup.subscriptionInfo.read.all", "token-endpoint", 400), "credential"],
    ["a listing short of TotalCount", new IncompleteListingError(20, 25), "malformed"],
    ["API 400", new AvePointApiError({ status: 400, path: "/cloudbackup/jobs" }), "malformed"],
    ["API 500 after retries", new AvePointApiError({ status: 500, path: "/cloudbackup/jobs" }), "unreachable"],
    ["API 429 after retries", new AvePointApiError({ status: 429, path: "/cloudbackup/jobs" }), "unreachable"],
    ["network", new NetworkError("request to https://api failed: ECONNREFUSED", false), "unreachable"],
    ["timeout", new NetworkError("no response within 30000 ms", true), "unreachable"],
    ["malformed page", new MalformedResponseError(0, "Data is missing"), "malformed"],
    ["foreign NextLink", new UnsafeNextLinkError("https://evil", "https://api"), "malformed"],
    ["paging loop", new PageLimitExceededError(1000, 5), "malformed"],
    ["license numbers", new InvalidLicenseUsageError("purchasedUserSeats", -1), "malformed"],
    ["anything else", new TypeError("x is undefined"), "unexpected"],
    ["not an Error", "boom", "unexpected"],
  ])("%s → %s", (_name, error, problem) => {
    expect(classifyMonitorError(error).problem).toBe(problem);
  });

  it("keeps the error's name and message, without credentials, cut short", () => {
    const text = classifyMonitorError(new NetworkError(`request failed: https://x/?sig=abcdef123456 Bearer eyJhbGciOiJSUzI1NiJ9 ${"x".repeat(1000)}`, false)).text;
    expect(text.startsWith("NetworkError: request failed")).toBe(true);
    expect(text).not.toContain("abcdef123456");
    expect(text).not.toContain("eyJhbGciOiJSUzI1NiJ9");
    expect(text.length).toBeLessThanOrEqual(400);
  });
});

describe("evaluateSharedHealth (one notice per cause and episode, across monitors, one when it ends)", () => {
  const credential = { problem: "credential" as const, text: "AvePointAuthError: refused" };
  const outage = { problem: "unreachable" as const, text: "NetworkError: ECONNRESET" };
  type Failure = typeof credential | typeof outage;
  /** One cycle of `monitor`; returns the next shared state and the notices as `status:problem:monitors`. */
  const step = (shared: SharedHealthState, monitor: string, failure: Failure | null, consecutiveFailures: number, now = T0, threshold = 3) => {
    const r = evaluateSharedHealth({ tenant: "Contoso", monitor, shared, own: freshMonitorHealthState(), failure, consecutiveFailures, threshold, lastSuccessAt: T0, now });
    return { ...r, notices: r.alerts.map((a) => `${a.status}:${a.problem}:${(a.monitors ?? [a.monitor]).join("+")}:${a.failures}:${a.severity}`) };
  };

  it("one monitor: fires at the threshold, once, and resolves on the next success", () => {
    let shared = freshSharedHealthState();
    const notices: string[] = [];
    const timeline: [boolean, number][] = [[true, 1], [true, 2], [true, 3], [true, 4], [true, 5], [false, 0], [false, 0], [true, 1]];
    for (const [i, [failed, n]] of timeline.entries()) {
      const r = step(shared, "jobs", failed ? credential : null, n, new Date(T0.getTime() + i * 300_000));
      notices.push(...r.notices.map((x) => `${i}:${x}`));
      shared = r.shared;
    }
    expect(notices).toEqual(["2:firing:credential:jobs:3:critical", "5:resolved:credential:jobs:3:info"]);
  });

  it("one cause on both monitors: one notice naming both, resolved once both succeed again", () => {
    let shared = freshSharedHealthState();
    const notices: string[] = [];
    const run = (monitor: string, failure: Failure | null, n: number) => {
      const r = step(shared, monitor, failure, n);
      notices.push(...r.notices);
      shared = r.shared;
      return r;
    };
    run("license", credential, 1);
    run("jobs", credential, 1);
    run("jobs", credential, 2);
    run("jobs", credential, 3);
    run("license", credential, 2);
    run("license", credential, 3);
    expect(run("jobs", null, 0).own.open).toBe(false);
    expect(notices).toEqual(["firing:credential:jobs+license:3:critical"]);
    run("license", null, 0);
    expect(notices).toEqual(["firing:credential:jobs+license:3:critical", "resolved:credential:jobs+license:3:info"]);
  });

  it("a monitor failing for the cause later joins the open episode without a second notice", () => {
    let { shared } = step(freshSharedHealthState(), "jobs", credential, 3);
    const joined = step(shared, "license", credential, 1);
    expect(joined.notices).toEqual([]);
    expect(joined.own).toMatchObject({ open: true, problem: "credential" });
    shared = step(joined.shared, "jobs", null, 0).shared;
    expect(step(shared, "license", null, 0).notices).toEqual(["resolved:credential:jobs+license:3:info"]);
  });

  it("two causes are two notices", () => {
    const first = step(freshSharedHealthState(), "jobs", credential, 3);
    const second = step(first.shared, "license", outage, 3);
    expect([...first.notices, ...second.notices]).toEqual(["firing:credential:jobs:3:critical", "firing:unreachable:license:3:critical"]);
  });

  it("gives each episode its own fingerprints, and the same fingerprint when a cycle is decided again from the same state", () => {
    const first = step(freshSharedHealthState(), "jobs", credential, 3);
    expect(step(freshSharedHealthState(), "jobs", credential, 3).alerts[0]?.fingerprint).toBe(first.alerts[0]?.fingerprint);
    // The other monitor deciding from the same state raises the same notice (the ledger admits it once).
    expect(step(freshSharedHealthState(), "license", credential, 3).alerts[0]?.fingerprint).toBe(first.alerts[0]?.fingerprint);
    const resolved = step(first.shared, "jobs", null, 0);
    const second = step(resolved.shared, "jobs", credential, 3);
    const fingerprints = new Set([first.alerts[0]?.fingerprint, resolved.alerts[0]?.fingerprint, second.alerts[0]?.fingerprint]);
    expect(fingerprints.size).toBe(3);
    expect(second.alerts[0]?.identity).toMatch(/^monitoring:Contoso:\d+-credential-2:degraded$/);
  });

  it("an episode a monitor opened before notices were shared resolves with its own identity", () => {
    const own: MonitorHealthState = { version: 1, generation: 1764403200000, episode: 4, open: true, problem: "credential", failures: 3 };
    const r = evaluateSharedHealth({ tenant: "Contoso", monitor: "jobs", shared: freshSharedHealthState(), own, failure: null, consecutiveFailures: 0, threshold: 3, lastSuccessAt: T0, now: T0 });
    expect(r.alerts.map((a) => a.identity)).toEqual(["monitoring:Contoso:jobs:1764403200000-4:resolved"]);
  });

  it("a threshold of 1 fires on the first failure", () => {
    const r = evaluateSharedHealth({ tenant: "C", monitor: "license", shared: freshSharedHealthState(), own: freshMonitorHealthState(), failure: credential, consecutiveFailures: 1, threshold: 1, lastSuccessAt: null, now: T0 });
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]?.lastSuccessAt).toBeNull();
  });

  it("reads back what it wrote, and a damaged state as fresh", () => {
    const { shared, own } = step(freshSharedHealthState(), "jobs", credential, 3);
    expect(parseSharedHealthState(JSON.parse(JSON.stringify(shared)))).toEqual(shared);
    expect(parseSharedHealthState({ version: 1 })).toEqual(freshSharedHealthState());
    expect(parseSharedHealthState(undefined)).toEqual(freshSharedHealthState());
    expect(parseMonitorHealthState(JSON.parse(JSON.stringify(own)))).toEqual(own);
    expect(parseMonitorHealthState({ version: 1, episode: -1 })).toEqual(freshMonitorHealthState());
    expect(parseMonitorHealthState({ ...own, problem: "nonsense" })).toEqual(freshMonitorHealthState());
  });
});

describe("credential expiry", () => {
  it.each([
    [30, [30, 7, 0]],
    [7, [7, 0]],
    [5, [5, 0]],
    [90, [90, 7, 0]],
  ])("warn days %i → steps %j", (days, steps) => {
    expect(expiryThresholds(days)).toEqual(steps);
  });

  it.each([
    [31, null],
    [30, 30],
    [8, 30],
    [7, 7],
    [0.5, 7],
    [0, 0],
    [-3, 0],
  ])("%f days left → step %s", (daysLeft, step) => {
    expect(crossedThreshold(new Date(T0.getTime() + daysLeft * DAY), T0, 30)).toBe(step);
  });

  it("warns once per step as the days pass, then says renewed", () => {
    const expiresAt = new Date(T0.getTime() + 40 * DAY);
    let state: CredentialNoticeState = {};
    const notices: string[] = [];
    for (let day = 0; day <= 45; day++) {
      const now = new Date(T0.getTime() + day * DAY);
      // Renewed on day 45: a new certificate, valid a year.
      const current = day < 45 ? expiresAt : new Date(now.getTime() + 365 * DAY);
      const r = evaluateCredentialExpiry({ tenant: "Contoso", credentials: [{ credential: "certificate", expiresAt: current }], state, warnDays: 30, now });
      notices.push(...r.alerts.map((a) => `${day}:${a.status}:${a.thresholdDays}:${a.severity}`));
      state = parseCredentialNoticeState(JSON.parse(JSON.stringify(r.state)));
    }
    expect(notices).toEqual(["10:firing:30:warning", "33:firing:7:critical", "40:firing:0:critical", "45:resolved:0:info"]);
  });

  it("starting 5 days before expiry sends only the 7-day notice; the same input again sends nothing", () => {
    const credentials = [{ credential: "client-secret" as const, expiresAt: new Date(T0.getTime() + 5 * DAY) }];
    const first = evaluateCredentialExpiry({ tenant: "C", credentials, state: {}, warnDays: 30, now: T0 });
    expect(first.alerts.map((a) => a.thresholdDays)).toEqual([7]);
    expect(evaluateCredentialExpiry({ tenant: "C", credentials, state: first.state, warnDays: 30, now: T0 }).alerts).toEqual([]);
    // Lost state: the same fingerprint again, so the ledger deduplicates it.
    expect(evaluateCredentialExpiry({ tenant: "C", credentials, state: {}, warnDays: 30, now: T0 }).alerts[0]?.fingerprint).toBe(first.alerts[0]?.fingerprint);
  });
});

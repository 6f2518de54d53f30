import { describe, expect, it } from "vitest";
import {
  classifyMonitorError,
  crossedThreshold,
  evaluateCredentialExpiry,
  evaluateMonitorHealth,
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

describe("evaluateMonitorHealth (one notice per degraded episode, one when it ends)", () => {
  const failure = { problem: "credential" as const, text: "AvePointAuthError: refused" };
  const step = (state: MonitorHealthState, failed: boolean, consecutiveFailures: number, now = T0) =>
    evaluateMonitorHealth({ tenant: "Contoso", monitor: "jobs", state, failure: failed ? failure : null, consecutiveFailures, threshold: 3, lastSuccessAt: T0, now });

  it("fires at the threshold, once, and resolves on the next success", () => {
    let state = freshMonitorHealthState();
    const notices: string[] = [];
    const timeline: [boolean, number][] = [[true, 1], [true, 2], [true, 3], [true, 4], [true, 5], [false, 0], [false, 0], [true, 1]];
    for (const [i, [failed, n]] of timeline.entries()) {
      const r = step(state, failed, n, new Date(T0.getTime() + i * 300_000));
      notices.push(...r.alerts.map((a) => `${i}:${a.status}:${a.problem}:${a.failures}:${a.severity}`));
      state = r.state;
    }
    expect(notices).toEqual(["2:firing:credential:3:critical", "5:resolved:credential:3:info"]);
  });

  it("gives each episode its own fingerprints, and the same fingerprint when a cycle is re-run", () => {
    const first = step(freshMonitorHealthState(), true, 3);
    expect(step(freshMonitorHealthState(), true, 3).alerts[0]?.fingerprint).toBe(first.alerts[0]?.fingerprint);
    const resolved = step(first.state, false, 0);
    const second = step(resolved.state, true, 3);
    const fingerprints = new Set([first.alerts[0]?.fingerprint, resolved.alerts[0]?.fingerprint, second.alerts[0]?.fingerprint]);
    expect(fingerprints.size).toBe(3);
    expect(second.alerts[0]?.identity).toMatch(/^monitoring:Contoso:jobs:\d+-2:degraded$/);
  });

  it("a threshold of 1 fires on the first failure", () => {
    const r = evaluateMonitorHealth({ tenant: "C", monitor: "license", state: freshMonitorHealthState(), failure, consecutiveFailures: 1, threshold: 1, lastSuccessAt: null, now: T0 });
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]?.lastSuccessAt).toBeNull();
  });

  it("reads back what it wrote, and a damaged state as fresh", () => {
    const { state } = step(freshMonitorHealthState(), true, 3);
    expect(parseMonitorHealthState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(parseMonitorHealthState({ version: 1, episode: -1 })).toEqual(freshMonitorHealthState());
    expect(parseMonitorHealthState({ ...state, problem: "nonsense" })).toEqual(freshMonitorHealthState());
    expect(parseMonitorHealthState(undefined)).toEqual(freshMonitorHealthState());
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

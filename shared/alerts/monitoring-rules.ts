import {
  AvePointApiError,
  AvePointAuthError,
  AvePointCertificateError,
  AvePointPathNotFoundError,
  AvePointPermissionError,
  MalformedResponseError,
  PageLimitExceededError,
  UnsafeNextLinkError,
} from "../avepoint/errors.js";
import { NetworkError } from "../http/request.js";
import { describeError } from "../security/secret.js";
import { fingerprintOf } from "./fingerprint.js";
import { InvalidLicenseUsageError } from "./license-rules.js";
import type { CredentialExpiryAlert, MonitoringDegradedAlert, MonitoringProblem, SetAsideAlert } from "./model.js";

/**
 * Rules about the monitor itself: "Monitoring degraded" when a monitor fails
 * several cycles in a row, "credential expires soon" before the AvePoint
 * credential runs out. Pure: the clock comes in as `now`, state comes in and
 * goes out as plain JSON (kept in the monitor's checkpoint).
 */

const DAY_IN_MS = 24 * 60 * 60 * 1000;
/** The error text an alert carries: enough to recognise the failure, short enough for a card. */
const MONITORING_ERROR_CHARS = 400;

// --- Classifying a failed cycle ----------------------------------------------------

export interface MonitorErrorClass {
  problem: MonitoringProblem;
  /** `Name: message`, redacted and cut to MONITORING_ERROR_CHARS. */
  text: string;
}

/**
 * What kind of failure stopped a cycle, for the operator:
 *
 * | error                                                      | problem     |
 * | ---------------------------------------------------------- | ----------- |
 * | AvePointAuthError with HTTP 5xx / 408 / 429 (token outage)  | unreachable |
 * | AvePointAuthError otherwise (refused, no usable token)     | credential  |
 * | AvePointCertificateError (unreadable certificate)          | credential  |
 * | AvePointApiError 401 / 403, AvePointPermissionError        | credential  |
 * | AvePointPathNotFoundError (every known path answered 404)  | renamed     |
 * | AvePointApiError 404 otherwise                             | malformed   |
 * | AvePointApiError 5xx / 408 / 429 (after the retries)       | unreachable |
 * | AvePointApiError other 4xx (the API no longer accepts us)  | malformed   |
 * | NetworkError (refused, reset, DNS, TLS, timeout)           | unreachable |
 * | MalformedResponseError, UnsafeNextLinkError,               | malformed   |
 * | PageLimitExceededError, InvalidLicenseUsageError           |             |
 * | anything else (ledger, a bug)                              | unexpected  |
 *
 * Job states the API never sent before are not cycle failures: they are
 * raised as job alerts of their own ("unrecognized state").
 */
export function classifyMonitorError(error: unknown): MonitorErrorClass {
  return { problem: problemOf(error), text: errorText(error) };
}

function isOutageStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function problemOf(error: unknown): MonitoringProblem {
  if (error instanceof AvePointAuthError) return error.status !== null && isOutageStatus(error.status) ? "unreachable" : "credential";
  if (error instanceof AvePointCertificateError || error instanceof AvePointPermissionError) return "credential";
  if (error instanceof AvePointPathNotFoundError) return "renamed";
  if (error instanceof AvePointApiError) {
    if (error.status === 401 || error.status === 403) return "credential";
    if (isOutageStatus(error.status)) return "unreachable";
    return "malformed";
  }
  if (error instanceof NetworkError) return "unreachable";
  if (
    error instanceof MalformedResponseError ||
    error instanceof UnsafeNextLinkError ||
    error instanceof PageLimitExceededError ||
    error instanceof InvalidLicenseUsageError
  ) {
    return "malformed";
  }
  return "unexpected";
}

/** `Name: message`, with anything that looks like a credential removed, cut to MONITORING_ERROR_CHARS. */
function errorText(error: unknown): string {
  const text = describeError(error);
  return text.length <= MONITORING_ERROR_CHARS ? text : `${text.slice(0, MONITORING_ERROR_CHARS - 1)}\u2026`;
}

/** What to check for each problem: shown on the card and in the email. */
export function monitoringAdvice(problem: MonitoringProblem): { what: string; check: string[] } {
  switch (problem) {
    case "credential":
      return {
        what: "AvePoint refused the monitor's credential or permissions.",
        check: [
          "The client secret or certificate has not expired and matches the app registration (AVEPOINT_CLIENT_ID).",
          "The app registration still has the Cloud Backup for Microsoft 365 API permissions, with admin consent.",
          "AVEPOINT_ENVIRONMENT / AVEPOINT_TOKEN_URL name the right AvePoint environment.",
        ],
      };
    case "unreachable":
      return {
        what: "The AvePoint API could not be reached, or kept failing after retries.",
        check: [
          "AvePoint's service status, and whether the outage is on their side.",
          "AVEPOINT_REGION / AVEPOINT_API_URL name your tenant's data center.",
          "Outbound HTTPS from the function app (firewall, proxy, DNS).",
        ],
      };
    case "malformed":
      return {
        what: "AvePoint answered with something the monitor cannot understand (a changed response, an endpoint that moved).",
        check: [
          "AVEPOINT_API_PROFILE matches the API version your tenant uses (seed or current).",
          "AvePoint's API release notes for a changed or moved endpoint.",
          "The function's logs for the response that could not be read; update the monitor if the API changed.",
        ],
      };
    case "renamed":
      return {
        what: "AvePoint answered 404 (not found) on every path the monitor knows for this endpoint: the vendor may have renamed it again.",
        check: [
          "AvePoint's API change log (AvePoint/cloud-api docs/change-log.md) for the endpoint's new path.",
          "AVEPOINT_API_PROFILE: auto asks every known path, newest first; a pinned seed or current asks only its own.",
          "AVEPOINT_REGION / AVEPOINT_API_URL name your tenant's data center.",
        ],
      };
    case "unexpected":
      return {
        what: "The monitor failed for a reason outside the AvePoint API.",
        check: ["The function's logs (Application Insights) for the error.", "The alert ledger's storage account is reachable by the function app."],
      };
  }
}

// --- Monitoring degraded -----------------------------------------------------------

/** A monitor's degraded-alert state, kept in its checkpoint (`state.monitoring`). */
export interface MonitorHealthState {
  version: 1;
  /** Epoch ms when this state lineage began (as license-rules: a lost state cannot collide with sent notices). */
  generation: number | null;
  /** Degraded episodes so far (the current one while `open`). */
  episode: number;
  /** A degraded alert is out and not resolved yet. */
  open: boolean;
  /** What the open episode was raised for. */
  problem: MonitoringProblem | null;
  /** Failures counted when it was raised. */
  failures: number;
}

export function freshMonitorHealthState(): MonitorHealthState {
  return { version: 1, generation: null, episode: 0, open: false, problem: null, failures: 0 };
}

const PROBLEMS: readonly MonitoringProblem[] = ["credential", "unreachable", "malformed", "renamed", "unexpected"];

/** Reads the stored state; anything unreadable gives a fresh one (it never throws, so it cannot stop a cycle). */
export function parseMonitorHealthState(json: unknown): MonitorHealthState {
  if (typeof json !== "object" || json === null) return freshMonitorHealthState();
  const v = json as Record<string, unknown>;
  const count = (x: unknown) => typeof x === "number" && Number.isInteger(x) && x >= 0;
  if (v["version"] !== 1 || !count(v["episode"]) || typeof v["open"] !== "boolean" || !count(v["failures"])) return freshMonitorHealthState();
  if (!(v["generation"] === null || (typeof v["generation"] === "number" && Number.isInteger(v["generation"])))) return freshMonitorHealthState();
  const problem = PROBLEMS.find((p) => p === v["problem"]) ?? null;
  if (v["open"] === true && problem === null) return freshMonitorHealthState();
  return {
    version: 1,
    generation: v["generation"] as number | null,
    episode: v["episode"] as number,
    open: v["open"] as boolean,
    problem,
    failures: v["failures"] as number,
  };
}

interface MonitorHealthInput {
  tenant: string;
  monitor: string;
  /** This cycle's failure; null when the cycle's read succeeded. */
  failure: MonitorErrorClass | null;
  /** Consecutive failed cycles including this one (0 after a success). */
  consecutiveFailures: number;
  /** MONITOR_FAILURE_THRESHOLD. */
  threshold: number;
  /** The last successful cycle (before this one). */
  lastSuccessAt: Date | null;
  /** The cycle's pinned time. */
  now: Date;
}

// --- One alert per cause, across monitors -------------------------------------------

/**
 * The monitors' health seen together (one row shared by both monitors), so
 * one cause that breaks both (a refused credential, a missing permission, an
 * API outage) raises one "Monitoring degraded" alert, not one per monitor.
 */
export interface SharedHealthState {
  version: 2;
  /** As MonitorHealthState.generation: when this lineage of notices began (epoch ms). */
  generation: number | null;
  /** Each monitor's last cycle: failures in a row (0 = its last cycle succeeded) and why. */
  monitors: Record<string, { failures: number; problem: MonitoringProblem | null }>;
  /** The open episode of each cause. */
  episodes: Partial<Record<MonitoringProblem, DegradedEpisode>>;
  /** Episodes so far per cause (their numbers make the alerts' identities). */
  counts: Partial<Record<MonitoringProblem, number>>;
}

interface DegradedEpisode {
  /** Identity of its alerts without the `:degraded` / `:resolved` ending. */
  identity: string;
  /** The monitor that raised it (the cards' incident key). */
  monitor: string;
  /** Every monitor it affected so far. */
  monitors: string[];
  failures: number;
  error: string;
  lastSuccessAt: string | null;
}

export function freshSharedHealthState(): SharedHealthState {
  return { version: 2, generation: null, monitors: {}, episodes: {}, counts: {} };
}

/** Reads the shared state; anything unreadable gives a fresh one (never throws). */
export function parseSharedHealthState(json: unknown): SharedHealthState {
  if (typeof json !== "object" || json === null) return freshSharedHealthState();
  const v = json as Partial<SharedHealthState>;
  if (v.version !== 2 || typeof v.monitors !== "object" || typeof v.episodes !== "object" || typeof v.counts !== "object" || v.monitors === null || v.episodes === null || v.counts === null) {
    return freshSharedHealthState();
  }
  const episodes: SharedHealthState["episodes"] = {};
  for (const problem of PROBLEMS) {
    const e = v.episodes[problem];
    if (e && typeof e.identity === "string" && typeof e.monitor === "string" && Array.isArray(e.monitors) && typeof e.failures === "number") episodes[problem] = e;
  }
  return { version: 2, generation: typeof v.generation === "number" ? v.generation : null, monitors: v.monitors, episodes, counts: v.counts };
}

interface SharedHealthInput extends MonitorHealthInput {
  shared: SharedHealthState;
  /** This monitor's own stored state (MonitorHealthState), read once to carry an episode open before this rule existed. */
  own: MonitorHealthState;
}

interface SharedHealthEvaluation {
  alerts: MonitoringDegradedAlert[];
  shared: SharedHealthState;
  /** This monitor's view, kept in its checkpoint for status tooling. */
  own: MonitorHealthState;
}

/**
 * One notice per cause and episode, whichever monitors it hits:
 *
 * | this monitor's cycle                       | open episode of its cause | notice            |
 * | ------------------------------------------ | ------------------------- | ----------------- |
 * | failed, failures in a row ≥ threshold      | none                      | degraded (firing), naming every monitor failing for that cause |
 * | failed                                     | yes                       | none; the monitor is added to it |
 * | succeeded                                  | yes, it was in it         | resolved, once every monitor in it succeeded again |
 *
 * Identity: `monitoring:<tenant>:<generation>-<cause>-<n>:degraded|resolved`.
 * Two runs deciding from the same state reach the same identity, so the
 * ledger admits the notice once.
 */
export function evaluateSharedHealth(input: SharedHealthInput): SharedHealthEvaluation {
  const { tenant, monitor, failure, now } = input;
  const prior = adoptOpenEpisode(input.shared, input.own, tenant, monitor);
  const generation = prior.generation ?? input.own.generation ?? now.getTime();
  const threshold = Math.max(1, input.threshold);
  const monitors = { ...prior.monitors, [monitor]: failure ? { failures: input.consecutiveFailures, problem: failure.problem } : { failures: 0, problem: null } };
  const episodes = { ...prior.episodes };
  const counts = { ...prior.counts };
  const alerts: MonitoringDegradedAlert[] = [];
  const notice = (status: "firing" | "resolved", problem: MonitoringProblem, e: DegradedEpisode): MonitoringDegradedAlert => {
    const identity = `${e.identity}:${status === "firing" ? "degraded" : "resolved"}`;
    return {
      kind: "monitoring",
      subject: "degraded",
      fingerprint: fingerprintOf(identity),
      identity,
      tenant,
      severity: status === "firing" ? "critical" : "info",
      status,
      detectedAt: now,
      monitor: e.monitor,
      ...(e.monitors.length > 1 ? { monitors: e.monitors } : {}),
      problem,
      failures: e.failures,
      error: status === "firing" ? e.error : "",
      lastSuccessAt: e.lastSuccessAt ? new Date(e.lastSuccessAt) : null,
    };
  };

  if (failure) {
    const open = episodes[failure.problem];
    if (open) {
      if (!open.monitors.includes(monitor)) episodes[failure.problem] = { ...open, monitors: [...open.monitors, monitor] };
    } else if (input.consecutiveFailures >= threshold) {
      const n = (counts[failure.problem] ?? 0) + 1;
      counts[failure.problem] = n;
      // Every monitor failing for the same cause right now is named, not only the one that crossed the threshold.
      const affected = [monitor, ...Object.keys(monitors).filter((m) => m !== monitor && monitors[m]!.problem === failure.problem && monitors[m]!.failures > 0)];
      const episode: DegradedEpisode = {
        identity: `monitoring:${tenant}:${generation}-${failure.problem}-${n}`,
        monitor,
        monitors: affected,
        failures: input.consecutiveFailures,
        error: failure.text,
        lastSuccessAt: input.lastSuccessAt ? input.lastSuccessAt.toISOString() : null,
      };
      episodes[failure.problem] = episode;
      alerts.push(notice("firing", failure.problem, episode));
    }
  } else {
    for (const problem of PROBLEMS) {
      const open = episodes[problem];
      if (!open || !open.monitors.includes(monitor)) continue;
      if (open.monitors.every((m) => (monitors[m]?.failures ?? 0) === 0)) {
        alerts.push(notice("resolved", problem, open));
        delete episodes[problem];
      }
    }
  }

  const shared: SharedHealthState = { version: 2, generation, monitors, episodes, counts };
  // Open for this monitor while it is still failing within an open episode (a monitor that recovered waits for the others, but is not degraded itself).
  const mine = failure ? PROBLEMS.map((p) => [p, episodes[p]] as const).find(([, e]) => e?.monitors.includes(monitor)) : undefined;
  const episodeCount = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  const own: MonitorHealthState = mine
    ? { version: 1, generation, episode: episodeCount, open: true, problem: mine[0], failures: mine[1]!.failures }
    : { version: 1, generation, episode: episodeCount, open: false, problem: null, failures: 0 };
  return { alerts, shared, own };
}

/** An episode this monitor opened before notices were shared keeps its identity, so its resolve matches the card already out. */
function adoptOpenEpisode(shared: SharedHealthState, own: MonitorHealthState, tenant: string, monitor: string): SharedHealthState {
  if (shared.monitors[monitor] !== undefined || !own.open || own.problem === null || shared.episodes[own.problem]) return shared;
  const generation = own.generation ?? 0;
  const episode: DegradedEpisode = { identity: `monitoring:${tenant}:${monitor}:${generation}-${own.episode}`, monitor, monitors: [monitor], failures: own.failures, error: "", lastSuccessAt: null };
  return { ...shared, monitors: { ...shared.monitors, [monitor]: { failures: own.failures, problem: own.problem } }, episodes: { ...shared.episodes, [own.problem]: episode } };
}

// --- Rows set aside ----------------------------------------------------------------

/**
 * One "set aside" alert per quarantined row. Identity: `set-aside:<tenant>:<row>`,
 * so the ledger's insert-if-absent admits it once whatever run sees it.
 */
export function setAsideAlerts(tenant: string, rows: readonly { receiver: string; row: string; reason: string }[], now: Date): SetAsideAlert[] {
  return rows.map(({ receiver, row, reason }) => {
    const identity = `set-aside:${tenant}:${row}`;
    return {
      kind: "monitoring",
      subject: "set-aside",
      fingerprint: fingerprintOf(identity),
      identity,
      tenant,
      severity: "warning",
      status: "firing",
      detectedAt: now,
      receiver,
      row,
      reason: reason.length <= MONITORING_ERROR_CHARS ? reason : `${reason.slice(0, MONITORING_ERROR_CHARS - 1)}\u2026`,
    };
  });
}

// --- Credential expiry -------------------------------------------------------------

export interface CredentialExpiry {
  credential: CredentialExpiryAlert["credential"];
  expiresAt: Date;
}

/** Per credential: the expiry last warned about and the step reached (days; 0 = expired). */
export type CredentialNoticeState = Partial<Record<CredentialExpiry["credential"], { expiresAt: string; thresholdDays: number }>>;

/** The warning steps for CREDENTIAL_WARN_DAYS, largest first: e.g. 30 → [30, 7, 0]; 5 → [5, 0]. */
export function expiryThresholds(warnDays: number): number[] {
  const steps = [Math.max(1, Math.floor(warnDays)), 7, 0];
  return [...new Set(steps.filter((d) => d <= steps[0]!))].sort((a, b) => b - a);
}

/** The smallest step already crossed (0 once expired), or null while more than warnDays remain. */
export function crossedThreshold(expiresAt: Date, now: Date, warnDays: number): number | null {
  const left = expiresAt.getTime() - now.getTime();
  let crossed: number | null = null;
  for (const step of expiryThresholds(warnDays)) if (left <= step * DAY_IN_MS) crossed = step;
  return crossed;
}

export function parseCredentialNoticeState(json: unknown): CredentialNoticeState {
  const out: CredentialNoticeState = {};
  if (typeof json !== "object" || json === null) return out;
  for (const credential of ["certificate", "client-secret"] as const) {
    const v = (json as Record<string, unknown>)[credential] as Record<string, unknown> | undefined;
    if (v && typeof v["expiresAt"] === "string" && Number.isFinite(Date.parse(v["expiresAt"])) && typeof v["thresholdDays"] === "number") {
      out[credential] = { expiresAt: v["expiresAt"], thresholdDays: v["thresholdDays"] };
    }
  }
  return out;
}

interface CredentialExpiryInput {
  tenant: string;
  credentials: readonly CredentialExpiry[];
  state: CredentialNoticeState;
  /** CREDENTIAL_WARN_DAYS. */
  warnDays: number;
  now: Date;
}

/**
 * One notice per credential per step crossed (30 days, 7 days, expired by
 * default): a monitor started 5 days before expiry sends the 7-day notice
 * only, never the 30-day one after it. A credential whose expiry moved out
 * of the warning window (renewed) gets a resolved notice.
 *
 * | days left ≤ step | severity |
 * | ---------------- | -------- |
 * | > 7              | warning  |
 * | ≤ 7, or expired  | critical |
 *
 * Identity: `credential:<tenant>:<credential>:<expiresAt ISO>:<step>` (or
 * `:renewed`): the expiry is the identity of that credential's instance, so
 * a renewed credential starts its own series.
 */
export function evaluateCredentialExpiry(input: CredentialExpiryInput): { alerts: CredentialExpiryAlert[]; state: CredentialNoticeState } {
  const { tenant, now, warnDays } = input;
  const alerts: CredentialExpiryAlert[] = [];
  const state: CredentialNoticeState = { ...input.state };
  const notice = (c: CredentialExpiry, thresholdDays: number, status: "firing" | "resolved", expiresAt: Date): CredentialExpiryAlert => {
    const identity = `credential:${tenant}:${c.credential}:${expiresAt.toISOString()}:${status === "resolved" ? "renewed" : thresholdDays}`;
    return {
      kind: "monitoring",
      subject: "credential-expiry",
      fingerprint: fingerprintOf(identity),
      identity,
      tenant,
      severity: status === "resolved" ? "info" : thresholdDays > 7 ? "warning" : "critical",
      status,
      detectedAt: now,
      credential: c.credential,
      expiresAt: status === "resolved" ? c.expiresAt : expiresAt,
      thresholdDays,
    };
  };
  for (const c of input.credentials) {
    if (!Number.isFinite(c.expiresAt.getTime())) continue;
    const before = state[c.credential];
    const expiresIso = c.expiresAt.toISOString();
    const crossed = crossedThreshold(c.expiresAt, now, warnDays);
    const sameExpiry = before?.expiresAt === expiresIso;
    if (crossed === null) {
      // Renewed (or the window shrank): close what was warned about.
      if (before) {
        alerts.push(notice(c, before.thresholdDays, "resolved", new Date(before.expiresAt)));
        delete state[c.credential];
      }
      continue;
    }
    if (sameExpiry && before.thresholdDays <= crossed) continue;
    alerts.push(notice(c, crossed, "firing", c.expiresAt));
    state[c.credential] = { expiresAt: expiresIso, thresholdDays: crossed };
  }
  return { alerts, state };
}

import { z } from "zod";
import type { LicenseUsage } from "../avepoint/model.js";
import type { Settings } from "../config/settings.js";
import { fingerprintOf } from "./fingerprint.js";
import { forecastExhaustion, type UsageSample } from "./forecast.js";
import type { LicenseAlert, LicenseForecast, LicenseLevel, LicenseMetric, Severity } from "./model.js";

/**
 * License and storage consumption rules: one state machine per metric (seats,
 * storage, policy), a bounded history of readings, and a forecast. Pure: the
 * clock comes in as `now`, the state comes in and goes out as plain JSON.
 *
 * Notices (one alert each, never repeated for the same state):
 *
 * | previous → next level          | reason         | status   | severity        |
 * | ------------------------------ | -------------- | -------- | --------------- |
 * | ok → warning / critical        | entered        | firing   | warning / crit. |
 * | warning → critical             | escalated      | firing   | critical        |
 * | critical → warning             | de-escalated   | firing   | warning         |
 * | warning / critical → ok        | resolved       | resolved | info            |
 * | critical → critical, remindHours since the last notice (remindHours > 0) | reminder | firing | critical |
 * | anything else                  | (no notice)    |          |                 |
 *
 * Levels with hysteresis (see `decideLevel`): a level is entered at its
 * threshold and left only when the reading falls more than hysteresisPercent
 * points below it, so 89.5 ↔ 90.5 does not re-alert. The same band applies to
 * leaving critical (de-escalation), so 99.5 ↔ 100.5 does not flap either.
 *
 * A purchased amount of 0 means the metric does not apply: no percent, no
 * alert. If the metric was alerting, it gets a resolved notice without a
 * percent (its `usage` shows purchased 0), so the open alert is closed in the
 * channel rather than left hanging.
 *
 * Identity of a notice:
 *   license:<tenant>:<metric>:<generation>-<episode>:<reason>:<level>:<n>
 * - episode: counts entries from ok into warning/critical, so a second
 *   "entered" after a resolve is a new alert for the ledger;
 * - n: the notice's number within its episode (reminders, repeated
 *   escalations), so every notice is distinct;
 * - level: so that if the state write after a cycle is lost, a re-run that
 *   reaches a different level does not collide with the notice already sent;
 * - generation: when this state lineage began (epoch ms, fixed at the first
 *   evaluation of a fresh state). After a corrupt or lost state restarts the
 *   counters, new notices cannot collide with ones the ledger already holds.
 *   It is an identity of the state, not a detection time.
 * Re-running with the same state and input yields the same fingerprints, so a
 * cycle retried before its state was stored is deduplicated by the ledger.
 */

const HOUR_IN_MS = 60 * 60 * 1000;
const DAY_IN_MS = 24 * HOUR_IN_MS;

/** The history keeps at most this many readings (48 hourly readings = two days)… */
export const LICENSE_HISTORY_MAX_READINGS = 48;
/** …and none older than this, whichever bound cuts more. */
const LICENSE_HISTORY_MAX_AGE_IN_MS = 30 * DAY_IN_MS;

const LICENSE_METRICS = ["seats", "storage", "policy"] as const satisfies readonly LicenseMetric[];
const LEVELS = ["ok", "warning", "critical"] as const satisfies readonly LicenseLevel[];
const RANK: Record<LicenseLevel, number> = { ok: 0, warning: 1, critical: 2 };

type LicenseNoticeReason = LicenseAlert["reason"];
type LicenseThresholds = Pick<Settings["license"], "warnPercent" | "criticalPercent" | "hysteresisPercent">;

/** Where one metric's state machine stands. */
export interface LicenseMetricState {
  level: LicenseLevel;
  /** Episodes so far (the current one when level is not ok); 0 = never alerted. */
  episode: number;
  /** Notices sent in the current episode. */
  notices: number;
  /** ISO time of the last notice for this metric (any episode); null = none yet. */
  lastNoticeAt: string | null;
  /** Used amount at the last notice (seats or GB); null for policy or none yet. */
  lastNoticeUsed: number | null;
}

/** One poll's numbers, kept for the forecast. */
interface LicenseReading {
  /** ISO time of the cycle that read it. */
  at: string;
  seatsUsed: number;
  seatsPurchased: number;
  storageUsedGb: number;
  storagePurchasedGb: number;
}

/** The license monitor's checkpoint state: plain JSON. */
export interface LicenseState {
  version: 1;
  /** Epoch ms when this state lineage began; null until the first evaluation. */
  generation: number | null;
  metrics: Record<LicenseMetric, LicenseMetricState>;
  /** Oldest first, bounded by LICENSE_HISTORY_MAX_READINGS / _MAX_AGE_IN_MS. */
  history: LicenseReading[];
}

/** What `parseLicenseState` read. */
export interface ParsedLicenseState {
  /** The stored state, or a fresh one when nothing usable was stored. */
  state: LicenseState;
  /** True when something was stored but could not be read, and was replaced by a fresh state. */
  corrupt: boolean;
  /** Why it could not be read (no values, only paths and messages); set when corrupt. */
  problem?: string;
}

interface LicenseEvaluationInput {
  usage: LicenseUsage;
  /** The stored state (`parseLicenseState(...).state`); undefined means a fresh one. */
  state: LicenseState | undefined;
  settings: Settings["license"];
  /** Tenant label (ALERT_TENANT_NAME); part of every identity. */
  tenant: string;
  /** The cycle's pinned time. */
  now: Date;
}

interface LicenseEvaluation {
  /** Notices to admit to the ledger, in metric order seats, storage, policy. */
  alerts: LicenseAlert[];
  /** The next state: store it only after the alerts were admitted. */
  state: LicenseState;
}

/** The usage handed in is not a set of readings we can reason about (a normalization bug). */
export class InvalidLicenseUsageError extends Error {
  override readonly name = "InvalidLicenseUsageError";
  constructor(readonly field: string, value: unknown) {
    super(`License usage field ${field} must be a finite number of at least 0 (got ${String(value)}); the license response was not normalized correctly`);
  }
}

// --- State schema ------------------------------------------------------------

const isoTime = z.iso.datetime();
const count = z.number().int().min(0);
const amount = z.number().min(0);

const metricStateSchema = z
  .object({
    level: z.enum(LEVELS),
    episode: count,
    notices: count,
    lastNoticeAt: isoTime.nullable(),
    lastNoticeUsed: amount.nullable(),
  })
  .refine((m) => m.level === "ok" || (m.episode >= 1 && m.notices >= 1 && m.lastNoticeAt !== null), {
    message: "an alerting metric must have an episode, a notice and its time",
  });

const readingSchema = z.object({
  at: isoTime,
  seatsUsed: amount,
  seatsPurchased: amount,
  storageUsedGb: amount,
  storagePurchasedGb: amount,
});

const stateSchema = z.object({
  version: z.literal(1),
  generation: z.number().int().nullable(),
  metrics: z.object({ seats: metricStateSchema, storage: metricStateSchema, policy: metricStateSchema }),
  history: z.array(readingSchema),
});

function freshMetric(): LicenseMetricState {
  return { level: "ok", episode: 0, notices: 0, lastNoticeAt: null, lastNoticeUsed: null };
}

/** The state before any reading: every metric ok, no history. */
export function freshLicenseState(): LicenseState {
  return { version: 1, generation: null, metrics: { seats: freshMetric(), storage: freshMetric(), policy: freshMetric() }, history: [] };
}

/**
 * Reads a stored state (an object, or its JSON text). Nothing stored
 * (undefined, null, "") gives a fresh state. Anything unreadable gives a fresh
 * state flagged `corrupt`, with the problem; it never throws, so a corrupt
 * checkpoint cannot stop license monitoring. (A fresh state gets a new
 * generation at its first evaluation, so its notices cannot collide with the
 * ones the lost state already sent.)
 */
export function parseLicenseState(json: unknown): ParsedLicenseState {
  if (json === undefined || json === null || json === "") return { state: freshLicenseState(), corrupt: false };
  const corrupt = (problem: string): ParsedLicenseState => ({ state: freshLicenseState(), corrupt: true, problem });
  let value: unknown = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch (err) {
      return corrupt(`stored license state is not JSON (${(err as Error).message})`);
    }
  }
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    return corrupt(`stored license state is invalid (${where})`);
  }
  const { generation, metrics, history } = parsed.data;
  return { state: { version: 1, generation, metrics, history: sortReadings(history) }, corrupt: false };
}

// --- Levels --------------------------------------------------------------------

/**
 * The level of a reading, given the level before it. A level holds from its
 * threshold up; once in it, it holds down to (threshold − hysteresis) inclusive,
 * i.e. it is left only when the reading is more than hysteresis points below:
 *
 * | percent p                              | previous       | level    |
 * | -------------------------------------- | -------------- | -------- |
 * | p ≥ critical                           | any            | critical |
 * | critical − h ≤ p < critical            | critical       | critical |
 * | warn ≤ p (and not critical above)      | any            | warning  |
 * | warn − h ≤ p < warn                    | warning, crit. | warning  |
 * | warn − h ≤ p < warn                    | ok             | ok       |
 * | p < warn − h                           | any            | ok       |
 */
export function decideLevel(percent: number, previous: LicenseLevel, thresholds: LicenseThresholds): LicenseLevel {
  const h = thresholds.hysteresisPercent;
  const holds = (threshold: number, wasIn: boolean) => percent >= threshold || (wasIn && percent >= threshold - h);
  if (holds(thresholds.criticalPercent, previous === "critical")) return "critical";
  if (holds(thresholds.warnPercent, previous !== "ok")) return "warning";
  return "ok";
}

/** Why a metric sends a notice now, or null when it does not. */
export function noticeReason(previous: LicenseMetricState, next: LicenseLevel, now: Date, remindHours: number): LicenseNoticeReason | null {
  if (previous.level === next) {
    if (next !== "critical" || remindHours <= 0) return null;
    // A missing time cannot happen for a parsed state; remind rather than stay silent.
    const last = previous.lastNoticeAt === null ? -Infinity : Date.parse(previous.lastNoticeAt);
    return now.getTime() - last >= remindHours * HOUR_IN_MS ? "reminder" : null;
  }
  if (previous.level === "ok") return "entered";
  if (next === "ok") return "resolved";
  return RANK[next] > RANK[previous.level] ? "escalated" : "de-escalated";
}

function severityOf(level: LicenseLevel): Severity {
  return level === "critical" ? "critical" : level === "warning" ? "warning" : "info";
}

// --- Evaluation ----------------------------------------------------------------

/** What this cycle reads for one metric. */
interface MetricReading {
  level: LicenseLevel;
  /** Seats or GB in use; absent for policy. */
  used?: number;
  /** Absent for policy and when the metric does not apply (purchased 0). */
  percent?: number;
  forecast?: LicenseForecast;
}

function assertValidUsage(usage: LicenseUsage): void {
  for (const field of ["purchasedUserSeats", "assignedUserSeats", "purchasedStorageGb", "protectedStorageGb"] as const) {
    const value = usage[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new InvalidLicenseUsageError(field, value);
  }
  if (usage.outOfPolicySince !== null && !(usage.outOfPolicySince instanceof Date && Number.isFinite(usage.outOfPolicySince.getTime()))) {
    throw new InvalidLicenseUsageError("outOfPolicySince", usage.outOfPolicySince);
  }
}

function sortReadings(history: readonly LicenseReading[]): LicenseReading[] {
  return [...history].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/**
 * Adds this cycle's reading (replacing one at the same instant), keeps the
 * series in time order, drops readings older than the age bound, then keeps
 * the newest LICENSE_HISTORY_MAX_READINGS.
 */
function withReading(history: readonly LicenseReading[], reading: LicenseReading, now: Date): LicenseReading[] {
  const at = Date.parse(reading.at);
  const oldest = now.getTime() - LICENSE_HISTORY_MAX_AGE_IN_MS;
  const kept = sortReadings([...history.filter((r) => Date.parse(r.at) !== at), reading]).filter((r) => Date.parse(r.at) >= oldest);
  return kept.slice(-LICENSE_HISTORY_MAX_READINGS);
}

function readMetric(
  metric: LicenseMetric,
  usage: LicenseUsage,
  history: readonly LicenseReading[],
  previous: LicenseLevel,
  settings: Settings["license"],
): MetricReading {
  if (metric === "policy") return { level: usage.outOfPolicySince === null ? "ok" : "critical" };
  const [used, purchased, usedOf] =
    metric === "seats"
      ? [usage.assignedUserSeats, usage.purchasedUserSeats, (r: LicenseReading) => r.seatsUsed]
      : [usage.protectedStorageGb, usage.purchasedStorageGb, (r: LicenseReading) => r.storageUsedGb];
  if (purchased === 0) return { level: "ok", used };
  const percent = (used * 100) / purchased;
  const samples: UsageSample[] = history.map((r) => ({ atMs: Date.parse(r.at), used: usedOf(r) }));
  return { level: decideLevel(percent, previous, settings), used, percent, forecast: forecastExhaustion(samples, purchased) };
}

/**
 * One cycle of the license monitor: this reading against the stored state.
 * Deterministic: the same input always yields the same alerts (with the same
 * fingerprints) and the same next state.
 */
export function evaluateLicense(input: LicenseEvaluationInput): LicenseEvaluation {
  const { usage, settings, tenant, now } = input;
  if (!Number.isFinite(now.getTime())) throw new RangeError("evaluateLicense: now is not a valid date");
  assertValidUsage(usage);

  const prior = input.state ?? freshLicenseState();
  const generation = prior.generation ?? now.getTime();
  const nowIso = now.toISOString();
  const history = withReading(
    prior.history,
    {
      at: nowIso,
      seatsUsed: usage.assignedUserSeats,
      seatsPurchased: usage.purchasedUserSeats,
      storageUsedGb: usage.protectedStorageGb,
      storagePurchasedGb: usage.purchasedStorageGb,
    },
    now,
  );

  const alerts: LicenseAlert[] = [];
  const metrics = { ...prior.metrics };
  for (const metric of LICENSE_METRICS) {
    const before = prior.metrics[metric];
    const reading = readMetric(metric, usage, history, before.level, settings);
    const reason = noticeReason(before, reading.level, now, settings.remindHours);
    if (reason === null) continue;

    const episode = reason === "entered" ? before.episode + 1 : before.episode;
    const n = reason === "entered" ? 1 : before.notices + 1;
    const identity = `license:${tenant}:${metric}:${generation}-${episode}:${reason}:${reading.level}:${n}`;
    const resolved = reason === "resolved";
    alerts.push({
      kind: "license",
      fingerprint: fingerprintOf(identity),
      identity,
      tenant,
      severity: resolved ? "info" : severityOf(reading.level),
      status: resolved ? "resolved" : "firing",
      detectedAt: now,
      metric,
      level: reading.level,
      reason,
      usage,
      ...(reading.percent !== undefined ? { percent: reading.percent } : {}),
      ...(before.lastNoticeUsed !== null && reading.used !== undefined ? { previousUsed: before.lastNoticeUsed } : {}),
      ...(reading.forecast ? { forecast: reading.forecast } : {}),
    });
    metrics[metric] = { level: reading.level, episode, notices: n, lastNoticeAt: nowIso, lastNoticeUsed: reading.used ?? null };
  }

  return { alerts, state: { version: 1, generation, metrics, history } };
}

import type { BackupJob, ServiceId, UnusualActivityCounts } from "../avepoint/model.js";
import { serviceOfServiceType } from "../avepoint/model.js";
import { fingerprintOf } from "./fingerprint.js";
import type { FailureRatioAlert, MissedBackupAlert, StuckJobAlert, UnusualActivityAlert } from "./health-model.js";
import { MAX_RUNS, type Episode, type ServiceHealthState, type StuckJobState, type UnusualServiceState } from "./health-state.js";
import type { AlertBase } from "./model.js";

/**
 * Backup health rules: pure functions of what was read, the stored state and
 * the clock (`now`). I/O (which listings to make, and when) lives in
 * shared/sources/backup-health.ts.
 *
 * | rule                     | fires (once per episode)                                   | resolves                                   |
 * | ------------------------ | ---------------------------------------------------------- | ------------------------------------------ |
 * | missed-backup, age       | no Finished backup of a watched service for maxAgeHours    | a backup of it finishes                    |
 * | missed-backup, schedule  | a scheduled start passed + grace without a backup starting | a backup of it starts                      |
 * | stuck-job                | a job In Progress longer than maxRuntimeHours              | it reaches a final state (or is not listed)|
 * | failure-ratio, objects   | a final job with (failed + skipped) / total > threshold    | (a job event: no resolve)                  |
 * | failure-ratio, skipped   | skipped objects grew in N runs of a service in a row       | a run skips no more than before the growth |
 * | unusual-activity         | ransomware or unusual-activity counts of a service rise    | both counts are back to 0                  |
 *
 * Identities (fingerprints hash them):
 *   missed-backup:<tenant>:<service>:<age|schedule>:<generation>-<episode>:<firing|resolved>
 *   failure-ratio:<tenant>:<service>:skipped-growth:<generation>-<episode>:<firing|resolved>
 *   failure-ratio:<tenant>:<job id>:objects
 *   stuck-job:<tenant>:<job id>:<start time>:<firing|resolved>
 *   unusual-activity:<tenant>:<serviceType>:<generation>-<episode>:<notice n | resolved>
 * The generation is when the stored state began (see health-state.ts): after a
 * lost state the episode counters restart without colliding with notices the
 * ledger already holds. Re-running a cycle with the same state and input gives
 * the same fingerprints, so the ledger deduplicates a retried cycle.
 */

const HOUR_IN_MS = 3_600_000;

export interface RuleContext {
  tenant: string;
  /** The cycle's pinned time. */
  now: Date;
  /** HealthState.generation (set at the first evaluation). */
  generation: number;
  /** ALERT_SEND_RESOLVED: false keeps resolved notices back (episodes still close). */
  sendResolved: boolean;
}

function base(identity: string, ctx: RuleContext, severity: AlertBase["severity"], status: AlertBase["status"]) {
  return { fingerprint: fingerprintOf(identity), identity, tenant: ctx.tenant, severity, status, detectedAt: ctx.now };
}

function opened(previous: Episode, now: Date): Episode {
  return { episode: previous.episode + 1, open: true, since: now.toISOString() };
}

function closed(previous: Episode): Episode {
  return { episode: previous.episode, open: false, since: null };
}

const time = (iso: string | null): number => (iso === null ? Number.NaN : Date.parse(iso));

// --- Stuck jobs ------------------------------------------------------------------

interface StuckJobOptions {
  tenant: string;
  now: Date;
  maxRuntimeHours: number;
  sendResolved: boolean;
}

/**
 * `jobs` is this cycle's complete listing (the window reaches back to every
 * job still open). A stuck job is warned about once; its end (or its
 * disappearance from the listing) resolves it.
 */
export function detectStuckJobs(
  jobs: readonly BackupJob[],
  stuck: Readonly<Record<string, StuckJobState>>,
  options: StuckJobOptions,
): { alerts: StuckJobAlert[]; stuck: Record<string, StuckJobState> } {
  const { tenant, now, maxRuntimeHours } = options;
  const next: Record<string, StuckJobState> = { ...stuck };
  const alerts: StuckJobAlert[] = [];
  const ctx = { tenant, now, generation: 0, sendResolved: options.sendResolved };
  const byId = new Map(jobs.filter((j) => j.id !== null).map((j) => [j.id as string, j]));
  const withService = (job: BackupJob) => {
    return job.service !== undefined ? { service: job.service } : {};
  };

  for (const [id, entry] of Object.entries(stuck)) {
    const job = byId.get(id);
    if (job?.state === "InProgress") continue;
    delete next[id];
    if (!options.sendResolved) continue;
    const identity = `stuck-job:${tenant}:${id}:${entry.startTime}:resolved`;
    const last: BackupJob = job ?? { id, state: "Unknown", rawState: null, startTime: new Date(entry.startTime), finishTime: null, durationMs: null, counts: null, errors: [] };
    const known = entry.service !== undefined ? { service: entry.service as ServiceId } : withService(last);
    alerts.push({ kind: "stuck-job", ...base(identity, ctx, "info", "resolved"), job: last, ...known, maxRuntimeHours, outcome: job ? "ended" : "vanished" });
  }

  if (maxRuntimeHours <= 0) return { alerts, stuck: next };
  for (const job of jobs) {
    if (job.state !== "InProgress" || job.id === null || job.startTime === null || next[job.id] !== undefined) continue;
    if (now.getTime() - job.startTime.getTime() <= maxRuntimeHours * HOUR_IN_MS) continue;
    const startTime = job.startTime.toISOString();
    next[job.id] = { startTime, since: now.toISOString() };
    const identity = `stuck-job:${tenant}:${job.id}:${startTime}:firing`;
    alerts.push({ kind: "stuck-job", ...base(identity, ctx, "warning", "firing"), job, ...withService(job), maxRuntimeHours });
  }
  return { alerts, stuck: next };
}

// --- Failed and skipped objects of one job -----------------------------------------

interface FailureRatioOptions {
  tenant: string;
  now: Date;
  /** JOB_FAILED_OBJECTS_PERCENT; null = rule off. */
  thresholdPercent: number | null;
  /** Jobs that already alert on their state: their card shows the counts. */
  skipJobIds?: ReadonlySet<string>;
}

/** (failed + skipped) / total in percent; null without counts or objects. */
function failedObjectsPercent(job: BackupJob): number | null {
  const counts = job.counts;
  if (!counts || counts.total <= 0 || counts.missing?.some((c) => c !== "successful")) return null;
  return ((counts.failed + counts.skipped) * 100) / counts.total;
}

/** Final jobs (even Finished) whose failed + skipped objects exceed the threshold: one warning per job. */
export function detectFailureRatio(jobs: readonly BackupJob[], options: FailureRatioOptions): FailureRatioAlert[] {
  const threshold = options.thresholdPercent;
  if (threshold === null) return [];
  const ctx = { tenant: options.tenant, now: options.now, generation: 0, sendResolved: true };
  const alerts: FailureRatioAlert[] = [];
  for (const job of jobs) {
    if (job.state === "InProgress" || job.id === null || options.skipJobIds?.has(job.id)) continue;
    const percent = failedObjectsPercent(job);
    if (percent === null || percent <= threshold) continue;
    const identity = `failure-ratio:${options.tenant}:${job.id}:objects`;
    alerts.push({
      kind: "failure-ratio",
      ...base(identity, ctx, "warning", "firing"),
      cause: "objects",
      job,
      ...(job.service !== undefined ? { service: job.service } : {}),
      percent,
      thresholdPercent: threshold,
    });
  }
  return alerts;
}

// --- Per-service records -------------------------------------------------------------

/**
 * Folds one per-service listing of backup jobs into the service's record:
 * the newest Finished job is the recovery point, every final run with
 * counts joins the skipped-objects series. Returns the newest success found.
 */
export function recordServiceJobs(
  previous: ServiceHealthState,
  jobs: readonly BackupJob[],
  listedAt: Date,
): { state: ServiceHealthState; newestSuccess: BackupJob | undefined } {
  const state: ServiceHealthState = { ...previous, runs: [...previous.runs], listedAt: listedAt.toISOString() };
  let newestSuccess: BackupJob | undefined;
  for (const job of jobs) {
    if (job.state !== "Finished" || job.finishTime === null) continue;
    if (!newestSuccess || job.finishTime > (newestSuccess.finishTime as Date)) newestSuccess = job;
  }
  if (newestSuccess && newestSuccess.finishTime && !(time(state.lastSuccessAt) >= newestSuccess.finishTime.getTime())) {
    state.lastSuccessAt = newestSuccess.finishTime.toISOString();
    state.lastSuccessJobId = newestSuccess.id;
    state.lastSuccessStart = newestSuccess.startTime?.toISOString() ?? state.lastSuccessAt;
  }
  const known = new Set(state.runs.map((r) => r.id));
  for (const job of jobs) {
    if (job.state === "InProgress" || job.state === "Unknown" || job.id === null || !job.counts || job.counts.missing?.includes("skipped") || known.has(job.id)) continue;
    state.runs.push({ id: job.id, finish: job.finishTime?.toISOString() ?? null, skipped: job.counts.skipped });
    known.add(job.id);
  }
  state.runs.sort((a, b) => (time(a.finish) || 0) - (time(b.finish) || 0));
  state.runs = state.runs.slice(-MAX_RUNS);
  return { state, newestSuccess };
}

/** Whether the recovery point must be confirmed by a listing now: none known, or old enough to alert. */
export function recoveryPointDue(service: ServiceHealthState, now: Date, maxAgeHours: number): boolean {
  if (maxAgeHours <= 0) return false;
  const last = time(service.lastSuccessAt);
  return Number.isNaN(last) || now.getTime() - last >= maxAgeHours * HOUR_IN_MS;
}

// --- Missed backup: recovery-point age ---------------------------------------------------

/**
 * Call after the service was listed this cycle (the recovery point is fresh).
 * `success` is the newest successful job that listing found, for the resolved card.
 */
export function evaluateRecoveryPoint(
  service: ServiceId,
  state: ServiceHealthState,
  ctx: RuleContext & { maxAgeHours: number; success?: BackupJob | undefined },
): { alert?: MissedBackupAlert; state: ServiceHealthState } {
  const due = recoveryPointDue(state, ctx.now, ctx.maxAgeHours);
  const facts = { service, lastSuccessAt: state.lastSuccessAt === null ? null : new Date(state.lastSuccessAt), lastSuccessJobId: state.lastSuccessJobId, maxAgeHours: ctx.maxAgeHours };
  if (!state.age.open && due && ctx.maxAgeHours > 0) {
    const age = opened(state.age, ctx.now);
    const identity = `missed-backup:${ctx.tenant}:${service}:age:${ctx.generation}-${age.episode}:firing`;
    return { alert: { kind: "missed-backup", ...base(identity, ctx, "critical", "firing"), cause: "age", ...facts }, state: { ...state, age } };
  }
  if (state.age.open && !due) {
    const next = { ...state, age: closed(state.age) };
    if (!ctx.sendResolved) return { state: next };
    const identity = `missed-backup:${ctx.tenant}:${service}:age:${ctx.generation}-${state.age.episode}:resolved`;
    return {
      alert: { kind: "missed-backup", ...base(identity, ctx, "info", "resolved"), cause: "age", ...facts, ...(ctx.success ? { resolvedBy: ctx.success } : {}) },
      state: next,
    };
  }
  return { state };
}

// --- Missed backup: scheduled start -----------------------------------------------------

/**
 * `slot` is a scheduled start whose grace period has passed (or, for an open
 * episode, the slot it fired for); `started` the first backup of the service
 * that started at or after it, if the listing found one.
 */
export function evaluateScheduledStart(
  service: ServiceId,
  state: ServiceHealthState,
  ctx: RuleContext & { slot: Date; started: BackupJob | undefined; graceMinutes: number; maxAgeHours: number },
): { alert?: MissedBackupAlert; state: ServiceHealthState } {
  const facts = {
    cause: "schedule" as const,
    service,
    lastSuccessAt: state.lastSuccessAt === null ? null : new Date(state.lastSuccessAt),
    lastSuccessJobId: state.lastSuccessJobId,
    maxAgeHours: ctx.maxAgeHours,
    graceMinutes: ctx.graceMinutes,
  };
  if (ctx.started) {
    if (!state.schedule.open) return { state };
    const scheduledAt = new Date(state.schedule.slot ?? ctx.slot.toISOString());
    const next = { ...state, schedule: { ...closed(state.schedule), slot: null } };
    if (!ctx.sendResolved) return { state: next };
    const identity = `missed-backup:${ctx.tenant}:${service}:schedule:${ctx.generation}-${state.schedule.episode}:resolved`;
    return { alert: { kind: "missed-backup", ...base(identity, ctx, "info", "resolved"), ...facts, scheduledAt, resolvedBy: ctx.started }, state: next };
  }
  if (state.schedule.open) return { state };
  const schedule = { ...opened(state.schedule, ctx.now), slot: ctx.slot.toISOString() };
  const identity = `missed-backup:${ctx.tenant}:${service}:schedule:${ctx.generation}-${schedule.episode}:firing`;
  return { alert: { kind: "missed-backup", ...base(identity, ctx, "warning", "firing"), ...facts, scheduledAt: ctx.slot }, state: { ...state, schedule } };
}

// --- Failure ratio: skipped objects growing ----------------------------------------------

/**
 * Fires when each of the last `runs` runs skipped more objects than the run
 * before it; resolves when a run skips no more than the run before the growth.
 * `newest` is the job of the newest run (for the card), when listed this cycle.
 */
export function evaluateSkippedGrowth(
  service: ServiceId,
  state: ServiceHealthState,
  ctx: RuleContext & { runs: number; jobs: readonly BackupJob[] },
): { alert?: FailureRatioAlert; state: ServiceHealthState } {
  if (ctx.runs <= 0 || state.runs.length === 0) return { state };
  const latest = state.runs[state.runs.length - 1]!;
  const jobOf = (id: string): BackupJob =>
    ctx.jobs.find((j) => j.id === id) ?? { id, state: "Finished", rawState: null, startTime: null, finishTime: latest.finish ? new Date(latest.finish) : null, durationMs: null, counts: null, errors: [], service };
  const trend = state.runs.slice(-(ctx.runs + 1));
  const growing = trend.length === ctx.runs + 1 && trend.every((r, i) => i === 0 || r.skipped > trend[i - 1]!.skipped);
  const runs = trend.map((r) => ({ jobId: r.id, finishTime: r.finish ? new Date(r.finish) : null, skipped: r.skipped }));
  if (!state.skipped.open && growing) {
    const skipped = { ...opened(state.skipped, ctx.now), baseline: trend[0]!.skipped };
    const identity = `failure-ratio:${ctx.tenant}:${service}:skipped-growth:${ctx.generation}-${skipped.episode}:firing`;
    return {
      alert: { kind: "failure-ratio", ...base(identity, ctx, "warning", "firing"), cause: "skipped-growth", job: jobOf(latest.id), service, runs },
      state: { ...state, skipped },
    };
  }
  if (state.skipped.open && latest.skipped <= state.skipped.baseline) {
    const next = { ...state, skipped: { ...closed(state.skipped), baseline: 0 } };
    if (!ctx.sendResolved) return { state: next };
    const identity = `failure-ratio:${ctx.tenant}:${service}:skipped-growth:${ctx.generation}-${state.skipped.episode}:resolved`;
    return {
      alert: { kind: "failure-ratio", ...base(identity, ctx, "info", "resolved"), cause: "skipped-growth", job: jobOf(latest.id), service, runs },
      state: next,
    };
  }
  return { state };
}

// --- Unusual activity -------------------------------------------------------------------

/**
 * One reading of every service's counts (services not listed count 0). A rise
 * of either count is a critical notice (a new one for each further rise);
 * both counts back at 0 resolve the episode.
 */
export function evaluateUnusualActivity(
  readings: readonly UnusualActivityCounts[],
  previous: Readonly<Record<string, UnusualServiceState>>,
  ctx: RuleContext & { windowHours: number },
): { alerts: UnusualActivityAlert[]; services: Record<string, UnusualServiceState> } {
  const current = new Map<number, { ransomware: number; unusual: number }>();
  for (const r of readings) {
    // Two entries for one service (several locations): their counts add up.
    const sum = current.get(r.serviceType) ?? { ransomware: 0, unusual: 0 };
    current.set(r.serviceType, { ransomware: sum.ransomware + r.ransomwareCount, unusual: sum.unusual + r.unusualCount });
  }
  const keys = new Set([...Object.keys(previous).map(Number), ...current.keys()]);
  const services: Record<string, UnusualServiceState> = {};
  const alerts: UnusualActivityAlert[] = [];
  for (const serviceType of [...keys].sort((a, b) => a - b)) {
    const before = previous[String(serviceType)] ?? { ...closedEpisode(), ransomware: 0, unusual: 0, notices: 0 };
    const now = current.get(serviceType) ?? { ransomware: 0, unusual: 0 };
    const mapped = serviceOfServiceType(serviceType);
    const facts = {
      serviceType,
      ...(mapped !== undefined ? { service: mapped } : {}),
      ransomwareCount: now.ransomware,
      unusualCount: now.unusual,
      previousRansomwareCount: before.ransomware,
      previousUnusualCount: before.unusual,
      windowHours: ctx.windowHours,
    };
    let next: UnusualServiceState = { ...before, ransomware: now.ransomware, unusual: now.unusual };
    if (now.ransomware > before.ransomware || now.unusual > before.unusual) {
      const episode = before.open ? { episode: before.episode, open: true, since: before.since } : opened(before, ctx.now);
      const notices = before.open ? before.notices + 1 : 1;
      next = { ...next, ...episode, notices };
      const identity = `unusual-activity:${ctx.tenant}:${serviceType}:${ctx.generation}-${episode.episode}:${notices}`;
      alerts.push({ kind: "unusual-activity", ...base(identity, ctx, "critical", "firing"), ...facts });
    } else if (before.open && now.ransomware === 0 && now.unusual === 0) {
      next = { ...next, ...closed(before), notices: 0 };
      if (ctx.sendResolved) {
        const identity = `unusual-activity:${ctx.tenant}:${serviceType}:${ctx.generation}-${before.episode}:resolved`;
        alerts.push({ kind: "unusual-activity", ...base(identity, ctx, "info", "resolved"), ...facts });
      }
    }
    // Nothing to remember for a service that never alerted and reads 0.
    if (next.episode > 0 || next.ransomware > 0 || next.unusual > 0) services[String(serviceType)] = next;
  }
  return { alerts, services };
}

function closedEpisode(): Episode {
  return { episode: 0, open: false, since: null };
}

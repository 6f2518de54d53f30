import { AvePointPermissionError } from "../avepoint/errors.js";
import type { BackupFrequency, BackupJob, JobQuery, ServiceId, UnusualActivityCounts } from "../avepoint/model.js";
import { SERVICE_IDS, serviceOfServiceType } from "../avepoint/model.js";
import type { HealthAlert } from "../alerts/health-model.js";
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
} from "../alerts/health-rules.js";
import { freshServiceHealth, type HealthState, type ParsedHealthState } from "../alerts/health-state.js";
import { JOB_TYPES } from "../config/schema.js";
import type { Settings } from "../config/settings.js";
import type { Logger } from "../logging.js";
import { describeError } from "../security/secret.js";
import type { JobReader } from "./jobs-window.js";

/**
 * The I/O side of the backup-health rules (the rules themselves are pure, in
 * shared/alerts/health-rules.ts). What each costs in AvePoint requests, and
 * why a quiet cycle costs nothing extra:
 *
 * - stuck jobs, failed objects: read from the cycle's own listing; 0 requests.
 * - missed backup (age): the jobs listing does not say which service a job
 *   belongs to, so each watched service keeps its newest successful backup in
 *   the checkpoint and is listed on its own (ObjectType=s, JobType=Backup) only
 *   when that recovery point reaches BACKUP_MAX_AGE_HOURS (about once a day per
 *   service when healthy), and while it alerts only in cycles whose listing
 *   shows a job that finished since it was last listed. WATCH_SERVICES=auto
 *   finds the services once a day (one listing per service not yet watched,
 *   none for a service the cycle's per-service read of the window shows in use).
 * - skipped growth: from those same per-service listings; 0 extra requests.
 * - missed scheduled start (current profile): the schedule once a day; one
 *   per-service listing when a scheduled start's grace period ends.
 * - unusual activity (current profile): one request per UNUSUAL_ACTIVITY_INTERVAL.
 */

/** How far back the unusual-activity counts reach. */
const UNUSUAL_ACTIVITY_WINDOW_HOURS = 24;
/** Unusual activity is read at most this often (Cloud Backup detects it per backup run). */
const UNUSUAL_ACTIVITY_INTERVAL_IN_MS = 60 * 60_000;
/** WATCH_SERVICES=auto looks for newly used services this often. */
const DISCOVERY_INTERVAL_IN_MS = 24 * 3_600_000;
/** A missing permission is asked about again after this long. */
const NOT_PERMITTED_RETRY_IN_MS = 24 * 3_600_000;
/** An optional endpoint that failed is tried again after this long (the cycle goes on without it). */
const FAILED_ENDPOINT_RETRY_IN_MS = 15 * 60_000;
/** A backup that starts a little before its scheduled time still counts for it. */
const SCHEDULE_EARLY_START_IN_MS = 10 * 60_000;

const HOUR_IN_MS = 3_600_000;

/** What the health rules need from the AvePoint client; the optional endpoints exist in the current profile. */
export interface HealthReader extends JobReader {
  /** The API revision whose jobs path answers (AVEPOINT_API_PROFILE=auto); absent or null = not known. */
  readonly revision?: string | null;
  getBackupFrequency?(options?: { abortSignal?: AbortSignal }): Promise<BackupFrequency[]>;
  getUnusualActivity?(query: { startTime: Date; finishTime: Date }, options?: { abortSignal?: AbortSignal }): Promise<UnusualActivityCounts[]>;
}

interface BackupHealthInput {
  reader: HealthReader;
  settings: Pick<Settings, "health" | "jobs" | "alerts"> & { avepoint: Pick<Settings["avepoint"], "profile" | "pageSize"> };
  /** This cycle's complete jobs listing. */
  jobs: readonly BackupJob[];
  /** The same listing per service, when the cycle read it that way (jobs-window.ts readWindow); discovery then asks nothing more of a service it shows in use. */
  windowByService?: ReadonlyMap<ServiceId, readonly BackupJob[]>;
  now: Date;
  logger: Logger;
  abortSignal?: AbortSignal;
}

interface JobHealthInput extends Omit<BackupHealthInput, "reader" | "abortSignal"> {
  /** The stored state as read with the checkpoint (shared/pipeline/checkpoint.ts). */
  parsed: ParsedHealthState;
  /** Ids of jobs that alert on their state this cycle (their cards already show the counts). */
  alertingJobIds: ReadonlySet<string>;
}

/** Job-level findings, known before the pipeline learns services (so their job ids can be labelled by the same scan). */
interface JobHealth {
  alerts: HealthAlert[];
  state: HealthState;
}

/** Step 1 (pure): stuck jobs and failed/skipped objects, from the cycle's own listing. */
export function detectJobHealth(input: JobHealthInput): JobHealth {
  const { settings, now } = input;
  const { parsed } = input;
  if (parsed.problem) input.logger.warn(`${parsed.problem}; the backup-health rules start afresh`);
  const state = parsed.state;
  state.generation ??= now.getTime();
  const tenant = settings.alerts.tenantName;
  const stuck = detectStuckJobs(input.jobs, state.stuck, { tenant, now, maxRuntimeHours: settings.health.jobMaxRuntimeHours, sendResolved: settings.alerts.sendResolved });
  state.stuck = stuck.stuck;
  const ratio = detectFailureRatio(input.jobs, { tenant, now, thresholdPercent: settings.health.jobFailedObjectsPercent, skipJobIds: input.alertingJobIds });
  return { alerts: [...stuck.alerts, ...ratio], state };
}

/** Job ids of firing job-level alerts without a service: worth a label from the pipeline's service scan. */
export function jobIdsToLabel(alerts: readonly HealthAlert[]): string[] {
  const ids: string[] = [];
  for (const alert of alerts) {
    if (alert.status !== "firing" || (alert.kind !== "stuck-job" && alert.kind !== "failure-ratio") || alert.service !== undefined) continue;
    if (alert.job.id !== null) ids.push(alert.job.id);
  }
  return ids;
}

/** Adds the service to job-level alerts that lack one, where a listing this cycle learned it. */
export function withServices(alerts: readonly HealthAlert[], serviceOf: (jobId: string) => ServiceId | undefined, state: HealthState): HealthAlert[] {
  return alerts.map((alert) => {
    if ((alert.kind !== "stuck-job" && alert.kind !== "failure-ratio") || alert.service !== undefined || alert.job.id === null) return alert;
    const service = serviceOf(alert.job.id);
    if (service === undefined) return alert;
    // A stuck job's resolved notice names the same service, without listing again.
    const stuck = alert.kind === "stuck-job" ? state.stuck[alert.job.id] : undefined;
    if (stuck) stuck.service = service;
    return { ...alert, service };
  });
}

interface ServiceHealth {
  alerts: HealthAlert[];
  state: HealthState;
  /** Service of each job id seen in a per-service listing this cycle. */
  serviceOf: Map<string, ServiceId>;
}

/** Step 2 (I/O): the per-service rules, listing a service only when a rule needs it. */
export async function checkServiceHealth(input: BackupHealthInput, state: HealthState): Promise<ServiceHealth> {
  const { reader, settings, now } = input;
  const health = settings.health;
  const ctx: RuleContext = { tenant: settings.alerts.tenantName, now, generation: state.generation ?? now.getTime(), sendResolved: settings.alerts.sendResolved };
  const out: ServiceHealth = { alerts: [], state, serviceOf: new Map() };
  const signal = input.abortSignal ? { abortSignal: input.abortSignal } : undefined;
  const listed = new Map<ServiceId, BackupJob[]>();

  /** Lists a service's backup jobs; with `limit`, stops after that many (the client then requests no further page). */
  const list = async (service: ServiceId, start: Date, limit = Number.POSITIVE_INFINITY): Promise<BackupJob[]> => {
    const query: JobQuery = { startTime: start < now ? start : now, finishTime: now, jobType: JOB_TYPES.Backup, objectType: service };
    const jobs: BackupJob[] = [];
    // A listing cut short asks for no page ahead of the one it stops in.
    const options = Number.isFinite(limit) ? { ...signal, pageConcurrency: 1 } : signal;
    for await (const job of reader.listJobs(query, options)) {
      jobs.push(job);
      if (job.id !== null) out.serviceOf.set(job.id, service);
      if (jobs.length >= limit) break;
    }
    listed.set(service, [...(listed.get(service) ?? []), ...jobs]);
    return jobs;
  };
  const record = (service: ServiceId, jobs: readonly BackupJob[]): BackupJob | undefined => {
    const { state: next, newestSuccess } = recordServiceJobs(state.services[service] ?? freshServiceHealth(), jobs, now);
    state.services[service] = next;
    return newestSuccess;
  };
  const newestSuccess = new Map<ServiceId, BackupJob | undefined>();

  // --- Which services are watched ------------------------------------------------------
  const perService = health.backupMaxAgeHours > 0 || health.jobSkippedGrowthRuns > 0;
  const searchHours = Math.max(settings.jobs.lookbackHours, health.backupMaxAgeHours);
  // With the age rule off, skipped growth still needs the runs: the service is listed once a day.
  const refreshHours = health.backupMaxAgeHours > 0 ? health.backupMaxAgeHours : 24;
  let watched: ServiceId[] = [];
  if (perService && health.watchServices) {
    watched = health.watchServices;
  } else if (perService) {
    watched = SERVICE_IDS.filter((s) => state.services[s]?.lastSuccessAt);
    const discoveredAt = state.discoveredAt === null ? Number.NaN : Date.parse(state.discoveredAt);
    if (!(now.getTime() - discoveredAt < DISCOVERY_INTERVAL_IN_MS)) {
      // A service that never had a successful backup is not watched, so an unused service is never nagged.
      // One page per service is enough to tell: a success it misses (the API lists oldest first) only
      // makes the age rule list the service again sooner, and that full listing decides any alert.
      for (const service of SERVICE_IDS.filter((s) => !watched.includes(s))) {
        // The window read per service already shows a success of a service in use: no listing needed. (That listing
        // has every job type, the discovery listing only backups; a service with no success in the window, whose last
        // backup may lie between the window's start and the search's, is listed as before.)
        const inWindow = input.windowByService?.get(service);
        const fromWindow = inWindow?.some((j) => j.state === "Finished" && j.finishTime !== null) ? inWindow : undefined;
        if (fromWindow) listed.set(service, [...fromWindow]);
        const success = record(service, fromWindow ?? (await list(service, new Date(now.getTime() - searchHours * HOUR_IN_MS), settings.avepoint.pageSize)));
        if (success) {
          watched.push(service);
          newestSuccess.set(service, success);
        } else {
          delete state.services[service];
        }
      }
      watched.sort((a, b) => a - b);
      state.discoveredAt = now.toISOString();
    }
  }

  // --- Missed backup (age) and skipped growth ---------------------------------------------
  for (const service of watched) {
    const current = state.services[service] ?? freshServiceHealth();
    state.services[service] = current;
    const listedAt = current.listedAt === null ? Number.NaN : Date.parse(current.listedAt);
    // While it alerts, a backup that finished since the last listing may end the episode.
    const finishedSince = input.jobs.some((j) => j.state === "Finished" && j.finishTime !== null && j.finishTime.getTime() > listedAt);
    const due =
      !listed.has(service) &&
      (Number.isNaN(listedAt) || (!current.age.open && recoveryPointDue(current, now, refreshHours)) || (current.age.open && finishedSince));
    if (due) {
      const start = current.lastSuccessStart
        ? new Date(Math.max(Date.parse(current.lastSuccessStart), now.getTime() - (searchHours + 24) * HOUR_IN_MS))
        : new Date(now.getTime() - searchHours * HOUR_IN_MS);
      newestSuccess.set(service, record(service, await list(service, start)));
    }
    if (!listed.has(service)) continue;
    const age = evaluateRecoveryPoint(service, state.services[service]!, { ...ctx, maxAgeHours: health.backupMaxAgeHours, success: newestSuccess.get(service) });
    const growth = evaluateSkippedGrowth(service, age.state, { ...ctx, runs: health.jobSkippedGrowthRuns, jobs: listed.get(service) ?? [] });
    state.services[service] = growth.state;
    for (const alert of [age.alert, growth.alert]) if (alert) out.alerts.push(alert);
  }

  // The schedule and unusual-activity endpoints exist in the current revision only: pinned, or found by `auto`.
  const current = settings.avepoint.profile === "current" || (settings.avepoint.profile === "auto" && reader.revision === "current");

  // --- Missed scheduled start (current profile) ----------------------------------------------
  if (current && health.backupStartGraceMinutes > 0 && reader.getBackupFrequency) {
    await checkSchedule(input, state, ctx, out, list, reader.getBackupFrequency.bind(reader));
  }

  // --- Unusual activity (current profile) --------------------------------------------------
  if (current && health.unusualActivity && reader.getUnusualActivity) {
    const unusual = state.unusual;
    const checkedAt = unusual.checkedAt === null ? Number.NaN : Date.parse(unusual.checkedAt);
    const blocked = unusual.retryAt !== null && Date.parse(unusual.retryAt) > now.getTime();
    if (!blocked && !(now.getTime() - checkedAt < UNUSUAL_ACTIVITY_INTERVAL_IN_MS)) {
      const readings = await optional("unusual-activity data", input, (retryAt) => (unusual.retryAt = retryAt), () =>
        reader.getUnusualActivity!({ startTime: new Date(now.getTime() - UNUSUAL_ACTIVITY_WINDOW_HOURS * HOUR_IN_MS), finishTime: now }, signal),
      );
      if (readings) {
        const result = evaluateUnusualActivity(readings, unusual.services, { ...ctx, windowHours: UNUSUAL_ACTIVITY_WINDOW_HOURS });
        state.unusual = { checkedAt: now.toISOString(), retryAt: null, services: result.services };
        out.alerts.push(...result.alerts);
      }
    }
  }
  return out;
}

async function checkSchedule(
  input: BackupHealthInput,
  state: HealthState,
  ctx: RuleContext,
  out: ServiceHealth,
  list: (service: ServiceId, start: Date) => Promise<BackupJob[]>,
  getBackupFrequency: NonNullable<HealthReader["getBackupFrequency"]>,
): Promise<void> {
  const { now, settings } = input;
  const health = settings.health;
  const schedule = state.schedule;
  const graceInMs = health.backupStartGraceMinutes * 60_000;
  const today = now.toISOString().slice(0, 10);
  const blocked = schedule.retryAt !== null && Date.parse(schedule.retryAt) > now.getTime();
  // The schedule lists today's start times (UTC): read it once per UTC day.
  if (!blocked && (schedule.fetchedAt === null || schedule.fetchedAt.slice(0, 10) !== today)) {
    const frequency = await optional("backup frequency", input, (retryAt) => (schedule.retryAt = retryAt), () =>
      getBackupFrequency(input.abortSignal ? { abortSignal: input.abortSignal } : undefined),
    );
    if (frequency) {
      const slots: Record<string, string[]> = {};
      // Starts not yet checked from the previous day are kept (a late slot's grace can run past midnight).
      for (const [key, times] of Object.entries(schedule.slots)) slots[key] = [...times];
      for (const entry of frequency) {
        const service = serviceOfServiceType(entry.serviceType);
        if (service === undefined || (health.watchServices && !health.watchServices.includes(service))) continue;
        const merged = new Set([...(slots[service] ?? []), ...entry.startTimes.map((t) => t.toISOString())]);
        slots[service] = [...merged].filter((t) => Date.parse(t) > now.getTime() - 48 * HOUR_IN_MS).sort();
      }
      state.schedule = { fetchedAt: now.toISOString(), slots, retryAt: null };
    }
  }

  for (const [key, times] of Object.entries(state.schedule.slots)) {
    const service = Number(key) as ServiceId;
    const current = state.services[service] ?? freshServiceHealth();
    const passed = times.filter((t) => Date.parse(t) + graceInMs <= now.getTime());
    const pending = times.filter((t) => Date.parse(t) + graceInMs > now.getTime());
    const openSlot = current.schedule.open ? current.schedule.slot : null;
    // Check the latest start whose grace has ended; while an episode is open, re-check only when a job started since.
    const slot = passed.at(-1) ?? null;
    const startedSince = openSlot !== null && input.jobs.some((j) => j.startTime !== null && current.listedAt !== null && j.startTime.getTime() > Date.parse(current.listedAt));
    if (slot === null && !startedSince) continue;
    const from = new Date(Date.parse(slot ?? openSlot!) - SCHEDULE_EARLY_START_IN_MS);
    const jobs = await list(service, from);
    const base = state.services[service] ?? current;
    state.services[service] = { ...base, listedAt: now.toISOString() };
    const started = jobs
      .filter((j) => j.startTime !== null && j.startTime >= from)
      .sort((a, b) => (a.startTime as Date).getTime() - (b.startTime as Date).getTime())[0];
    const result = evaluateScheduledStart(service, state.services[service]!, {
      ...ctx,
      slot: new Date(slot ?? openSlot!),
      started,
      graceMinutes: health.backupStartGraceMinutes,
      maxAgeHours: health.backupMaxAgeHours,
    });
    state.services[service] = result.state;
    if (result.alert) out.alerts.push(result.alert);
    state.schedule.slots[key] = pending;
    if (pending.length === 0) delete state.schedule.slots[key];
  }
}

/**
 * Calls an optional endpoint. A missing permission is one info line and a
 * pause of a day; any other failure is logged as an error and retried after
 * FAILED_ENDPOINT_RETRY_IN_MS, without failing the cycle (job alerts still go out).
 */
async function optional<T>(what: string, input: BackupHealthInput, setRetryAt: (iso: string) => void, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AvePointPermissionError) {
      input.logger.info(`${what} is not read: ${err.message} Asking again in 24 hours.`, { scope: err.scope });
      setRetryAt(new Date(input.now.getTime() + NOT_PERMITTED_RETRY_IN_MS).toISOString());
      return undefined;
    }
    if (input.abortSignal?.aborted) throw err;
    input.logger.error(`${what} could not be read; the backup-health rule that uses it skips this cycle`, {
      error: describeError(err),
    });
    setRetryAt(new Date(input.now.getTime() + FAILED_ENDPOINT_RETRY_IN_MS).toISOString());
    return undefined;
  }
}

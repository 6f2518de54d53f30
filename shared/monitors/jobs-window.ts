import type { BackupJob, JobQuery, ServiceId } from "../avepoint/model.js";
import { SERVICE_IDS } from "../avepoint/model.js";
import { JOB_TYPES, type Settings } from "../config/settings.js";
import type { OpenFailure } from "../alerts/job-rules.js";

/** What the jobs monitor needs from the AvePoint client. */
export interface JobReader {
  listJobs(query: JobQuery, options?: { abortSignal?: AbortSignal }): AsyncIterable<BackupJob>;
}

/** A job seen In Progress, re-read every cycle until it reaches a final state. */
export interface OpenJob {
  id: string;
  startTime: Date;
}

export interface JobsWindow {
  start: Date;
  /** Pinned at the cycle's start, so pages read later in the cycle see the same window. */
  end: Date;
}

/**
 * The window a cycle reads:
 * - first cycle: `now - JOBS_LOOKBACK_HOURS`;
 * - later: the watermark minus JOBS_OVERLAP_MINUTES (jobs can appear late in the listing);
 * - until the service has listed a running job (so it may list jobs only once
 *   final, or filter on finish time), the watermark minus `reachBackHours`
 *   (the longest job, JOB_MAX_RUNTIME_HOURS): a job that started cycles ago and
 *   has just failed is still inside; the ledger's fingerprints make re-reading harmless;
 * - and never later than the oldest job still open, however long it runs.
 */
export function jobsWindow(
  checkpoint: { watermark: Date | null; openJobs: readonly OpenJob[] },
  jobs: Settings["jobs"],
  now: Date,
  reachBackHours = 0,
): JobsWindow {
  const back = Math.max(jobs.overlapMinutes * 60_000, reachBackHours * 3_600_000);
  let start = checkpoint.watermark
    ? new Date(checkpoint.watermark.getTime() - back)
    : new Date(now.getTime() - jobs.lookbackHours * 3_600_000);
  for (const open of checkpoint.openJobs) {
    if (open.startTime < start) start = open.startTime;
  }
  if (start > now) start = now;
  return { start, end: now };
}

/**
 * Reads every job in the window, following every page. With ALERT_JOB_TYPES
 * set, one listing per job type (the listing does not say a job's type).
 */
export async function readJobs(reader: JobReader, window: JobsWindow, jobTypes: Settings["jobs"]["jobTypes"], signal?: AbortSignal): Promise<BackupJob[]> {
  const queries: JobQuery[] =
    jobTypes.length === 0
      ? [{ startTime: window.start, finishTime: window.end }]
      : jobTypes.map((t) => ({ startTime: window.start, finishTime: window.end, jobType: JOB_TYPES[t] }));
  const byKey = new Map<string, BackupJob>();
  let anonymous = 0;
  for (const query of queries) {
    for await (const job of reader.listJobs(query, signal ? { abortSignal: signal } : undefined)) {
      // A job listed twice (pages shifting under us) counts once; jobs without an id are all kept.
      byKey.set(job.id ?? `\u0000anonymous-${anonymous++}`, job);
    }
  }
  return [...byKey.values()];
}

export interface ServiceScan {
  /** Service of each job id found by a per-service listing. */
  serviceOf: Map<string, ServiceId>;
  /** Jobs read per service (only for the services that were listed). */
  jobsByService: Map<ServiceId, BackupJob[]>;
  /** How many per-service listings were made. */
  listings: number;
}

/**
 * The jobs listing does not say which service a job belongs to. Learn it only
 * when it matters, so a quiet cycle costs nothing extra:
 * - services with an open failure are listed (to see them recover);
 * - then, while some alerting job is still unlabelled, the remaining services.
 */
export async function scanServices(
  reader: JobReader,
  window: JobsWindow,
  needLabels: ReadonlySet<string>,
  openFailures: Readonly<Record<string, OpenFailure>>,
  signal?: AbortSignal,
): Promise<ServiceScan> {
  const scan: ServiceScan = { serviceOf: new Map(), jobsByService: new Map(), listings: 0 };
  const unlabelled = new Set(needLabels);
  const withFailures = SERVICE_IDS.filter((s) => openFailures[String(s)] !== undefined);
  const others = SERVICE_IDS.filter((s) => openFailures[String(s)] === undefined);
  for (const service of [...withFailures, ...others]) {
    if (!withFailures.includes(service) && unlabelled.size === 0) break;
    const jobs: BackupJob[] = [];
    scan.listings++;
    const query: JobQuery = { startTime: window.start, finishTime: window.end, objectType: service };
    for await (const job of reader.listJobs(query, signal ? { abortSignal: signal } : undefined)) {
      jobs.push(job);
      if (job.id !== null) {
        scan.serviceOf.set(job.id, service);
        unlabelled.delete(job.id);
      }
    }
    scan.jobsByService.set(service, jobs);
  }
  return scan;
}

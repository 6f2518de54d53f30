import type { BackupJob, JobPage, JobQuery, ServiceId } from "../avepoint/model.js";
import { SERVICE_IDS } from "../avepoint/model.js";
import { JOB_TYPES } from "../config/schema.js";
import type { Settings } from "../config/settings.js";
import type { OpenFailure } from "../alerts/job-rules.js";

/** What the jobs monitor needs from the AvePoint client. */
export interface JobReader {
  listJobs(query: JobQuery, options?: { abortSignal?: AbortSignal; pageConcurrency?: number }): AsyncIterable<BackupJob>;
  /** The same listing page by page (its TotalCount lets a long window be read per service); absent = read job by job. */
  listJobPages?(query: JobQuery, options?: { abortSignal?: AbortSignal }): AsyncIterable<JobPage>;
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
 * - later: the watermark minus the overlap (15 minutes, config/schema.ts; jobs can appear late in the listing);
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
async function readJobs(reader: JobReader, window: JobsWindow, jobTypes: Settings["jobs"]["jobTypes"], signal?: AbortSignal): Promise<BackupJob[]> {
  const queries: JobQuery[] =
    jobTypes.length === 0
      ? [{ startTime: window.start, finishTime: window.end }]
      : jobTypes.map((t) => ({ startTime: window.start, finishTime: window.end, jobType: JOB_TYPES[t] }));
  const kept = new JobSet();
  for (const query of queries) {
    for await (const job of reader.listJobs(query, signal ? { abortSignal: signal } : undefined)) kept.addAll([job]);
  }
  return kept.jobs();
}

/** The window's jobs, and when it was read per service, each service's listing. */
interface WindowRead {
  jobs: BackupJob[];
  /**
   * Per-service listings of the whole window (every service listed, all job
   * types), when the window was read per service; null when read unfiltered.
   */
  byService: Map<ServiceId, BackupJob[]> | null;
  /** Set when the per-service totals did not add up to the unfiltered TotalCount (the window was then read unfiltered too). */
  mismatch?: { unfiltered: number; perService: number | null };
}

/**
 * Reads the window. The unfiltered listing does not name a job's service, and
 * learning it costs a listing per service; so when the first page's TotalCount
 * shows the window needs more than one page, the window is read per service
 * instead (Σ over services of max(1, ⌈jobs / page size⌉) pages, at most 12 more
 * than the unfiltered read), which labels every job and shows every service's
 * jobs to the backup-health rules for free. The per-service TotalCounts must add
 * up to the unfiltered one: otherwise some job belongs to a service we do not
 * know (or the window moved), and the window is read unfiltered as well, so no
 * job is ever lost. A window of one page (a quiet cycle) stays one request.
 */
export async function readWindow(
  reader: JobReader,
  window: JobsWindow,
  jobs: Pick<Settings["jobs"], "jobTypes">,
  pageSize: number,
  signal?: AbortSignal,
): Promise<WindowRead> {
  const options = signal ? { abortSignal: signal } : undefined;
  if (jobs.jobTypes.length > 0 || !reader.listJobPages) return { jobs: await readJobs(reader, window, jobs.jobTypes, signal), byService: null };
  const query: JobQuery = { startTime: window.start, finishTime: window.end };
  const kept = new JobSet();
  const pages = reader.listJobPages(query, options)[Symbol.asyncIterator]();
  const first = await pages.next();
  const total = first.done ? null : first.value.totalCount;
  if (!first.done) kept.addAll(first.value.jobs);
  if (total === null || total <= pageSize) {
    for (let page = first; !page.done; ) {
      page = await pages.next();
      if (!page.done) kept.addAll(page.value.jobs);
    }
    return { jobs: kept.jobs(), byService: null };
  }
  await pages.return?.();

  const byService = new Map<ServiceId, BackupJob[]>();
  const perService = new JobSet();
  let perServiceTotal: number | null = 0;
  for (const service of SERVICE_IDS) {
    const listed: BackupJob[] = [];
    let pageNumber = 0;
    for await (const page of reader.listJobPages({ ...query, objectType: service }, options)) {
      if (pageNumber++ === 0) perServiceTotal = perServiceTotal === null || page.totalCount === null ? null : perServiceTotal + page.totalCount;
      listed.push(...page.jobs);
    }
    perService.addAll(listed);
    byService.set(service, listed);
  }
  if (perServiceTotal === total) return { jobs: perService.jobs(), byService };
  // A job of a service we do not know (or jobs that came or went meanwhile): the unfiltered listing decides what alerts.
  return { jobs: await readJobs(reader, window, [], signal), byService, mismatch: { unfiltered: total, perService: perServiceTotal } };
}

/** Jobs by id: a job listed twice (pages shifting under us) counts once; jobs without an id are all kept. */
class JobSet {
  readonly #byKey = new Map<string, BackupJob>();
  #anonymous = 0;

  addAll(jobs: Iterable<BackupJob>): void {
    for (const job of jobs) this.#byKey.set(job.id ?? `\u0000anonymous-${this.#anonymous++}`, job);
  }

  jobs(): BackupJob[] {
    return [...this.#byKey.values()];
  }
}

interface ServiceScan {
  /** Service of each job id found by a per-service listing. */
  serviceOf: Map<string, ServiceId>;
  /** Jobs read per service, kept only for services with an open failure (what recovery needs): memory grows with alerts, not jobs. */
  jobsByService: Map<ServiceId, BackupJob[]>;
}

/**
 * The jobs listing does not say which service a job belongs to. Learn it only
 * when it matters, so a quiet cycle costs nothing extra:
 * - services with an open failure are listed (to see them recover);
 * - then, while some alerting job is still unlabelled, the remaining services.
 * A service in `listed` (the window read per service) is not asked again.
 */
export async function scanServices(
  reader: JobReader,
  window: JobsWindow,
  needLabels: ReadonlySet<string>,
  openFailures: Readonly<Record<string, OpenFailure>>,
  signal?: AbortSignal,
  listed: ReadonlyMap<ServiceId, readonly BackupJob[]> | null = null,
): Promise<ServiceScan> {
  const scan: ServiceScan = { serviceOf: new Map(), jobsByService: new Map() };
  const unlabelled = new Set(needLabels);
  const withFailures = SERVICE_IDS.filter((s) => openFailures[String(s)] !== undefined);
  const others = SERVICE_IDS.filter((s) => openFailures[String(s)] === undefined);
  const label = (service: ServiceId, jobs: readonly BackupJob[]) => {
    for (const job of jobs) {
      if (job.id === null) continue;
      scan.serviceOf.set(job.id, service);
      unlabelled.delete(job.id);
    }
    if (withFailures.includes(service)) scan.jobsByService.set(service, [...jobs]);
  };
  for (const [service, jobs] of listed ?? []) label(service, jobs);
  for (const service of [...withFailures, ...others]) {
    if (listed?.has(service)) continue;
    if (!withFailures.includes(service) && unlabelled.size === 0) break;
    const jobs: BackupJob[] = [];
    const query: JobQuery = { startTime: window.start, finishTime: window.end, objectType: service };
    for await (const job of reader.listJobs(query, signal ? { abortSignal: signal } : undefined)) jobs.push(job);
    label(service, jobs);
  }
  return scan;
}

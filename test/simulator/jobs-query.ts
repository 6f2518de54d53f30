/**
 * The jobs endpoint's query: parameter parsing (names case-insensitive, as ASP.NET
 * binds them), filtering, ordering, paging and next links.
 */
import { TICKS_AT_UNIX_EPOCH, type ApiProfile } from "./style.js";
import type { SimJob } from "./tenant.js";

/**
 * How the server reads StartTime / FinishTime (the documents leave it open):
 * - `epoch`: Unix seconds or milliseconds (the seed default; ISO is refused);
 * - `ticks`: .NET DateTime ticks, as a sibling API of the seed era takes them; an epoch-ms
 *   value is read as ticks too, i.e. a time in the year 1 (no error, an empty window);
 * - `iso`: ISO-8601 date-times or dates (the current default; numbers are refused);
 * - `dates`: dates only, as every current request sample writes them; a full date-time is refused (400)
 *   and the window is whole days: StartTime's day from 00:00, FinishTime's day to its end.
 */
export type QueryTimes = "epoch" | "ticks" | "iso" | "dates";

/**
 * What StartTime / FinishTime filter on (the documents do not say):
 * - `start`: the job's start lies in the window (the simulator's default);
 * - `finish`: the job's finish lies in the window (a running job: its start is before FinishTime);
 * - `both`: it started at or after StartTime and finished at or before FinishTime.
 */
export type WindowReading = "start" | "finish" | "both";

/** The server's reading of the jobs query, beyond its parameters; every field has the simulator's old behaviour as default. */
export interface JobsReading {
  queryTimes: QueryTimes;
  /** 1: PageIndex 1 is the first page and 0 is read as 1 (as every vendor request sample asks PageIndex=1 first). */
  pageBase: 0 | 1;
  window: WindowReading;
  /** False: jobs not yet final are left out of every listing until they end. */
  runningListed: boolean;
}

export interface JobsRequest {
  /** Inclusive window bounds in epoch ms; undefined = unbounded. */
  startMs: number | undefined;
  finishMs: number | undefined;
  jobType: number;
  objectType: number;
  jobState: number;
  pageIndex: number;
  /** After the server cap. */
  pageSize: number;
}

export type JobsRequestParse = { ok: true; request: JobsRequest } | { ok: false; message: string };

export const DEFAULT_PAGE_SIZE = 10;

/** JobState query values, numbered as in the docs. */
const JOB_STATE_FILTER: Record<number, string> = {
  1: "InProgress",
  2: "Finished",
  3: "Failed",
  4: "FinishedException",
  5: "PartiallyFinished",
};

export function queryParam(params: URLSearchParams, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of params) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Lower-cased names of the parameters the next link rewrites. */
const PAGING_PARAMS = new Set(["pageindex", "pagesize"]);

function parseTime(raw: string | undefined, queryTimes: QueryTimes, name: string): number | undefined | Error {
  if (raw === undefined || raw === "") return undefined;
  if (queryTimes === "ticks") {
    if (!/^\d+$/.test(raw)) return new Error(`${name} must be a UTC time as .NET ticks (long), got '${raw}'`);
    return Math.round((Number(raw) - TICKS_AT_UNIX_EPOCH) / 10_000);
  }
  if (queryTimes === "dates" && !/^\d{4}-\d{2}-\d{2}$/.test(raw)) return new Error(`${name} must be a UTC date such as 2024-10-24, got '${raw}'`);
  if (queryTimes === "epoch") {
    if (!/^-?\d+$/.test(raw)) return new Error(`${name} must be a UTC time as epoch milliseconds (long), got '${raw}'`);
    const value = Number(raw);
    // Values below 1e11 cannot be ms in this century: treat them as epoch seconds.
    return Math.abs(value) < 1e11 ? value * 1000 : value;
  }
  if (/^-?\d+$/.test(raw)) return new Error(`${name} must be an ISO-8601 UTC time such as 2024-01-01 or 2024-01-01T08:00:00Z, got '${raw}'`);
  // The docs call these UTC; a time without a zone designator is read as UTC, not local time.
  const zoned = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(raw) ? `${raw}Z` : raw;
  const value = Date.parse(zoned);
  if (Number.isNaN(value)) return new Error(`${name} is not an ISO-8601 time: '${raw}'`);
  return value;
}

function parseInteger(raw: string | undefined, name: string, fallback: number, min: number, max: number): number | Error {
  if (raw === undefined || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw)) return new Error(`${name} must be an integer, got '${raw}'`);
  const value = Number(raw);
  if (value < min || value > max) return new Error(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** The reading of each profile's own paths when a test sets nothing. */
export function defaultQueryTimes(profile: ApiProfile): QueryTimes {
  return profile === "seed" ? "epoch" : "iso";
}

export function parseJobsRequest(params: URLSearchParams, queryTimes: QueryTimes, pageCap: number, pageBase: 0 | 1 = 0): JobsRequestParse {
  const startMs = parseTime(queryParam(params, "StartTime"), queryTimes, "StartTime");
  let finishMs = parseTime(queryParam(params, "FinishTime"), queryTimes, "FinishTime");
  // A date bound covers its whole day.
  if (queryTimes === "dates" && typeof finishMs === "number") finishMs += 86_400_000 - 1;
  const jobType = parseInteger(queryParam(params, "JobType"), "JobType", 0, 0, 5);
  const objectType = parseInteger(queryParam(params, "ObjectType"), "ObjectType", 0, 0, 12);
  const jobState = parseInteger(queryParam(params, "JobState"), "JobState", 0, 0, 5);
  const pageIndex = parseInteger(queryParam(params, "PageIndex"), "PageIndex", 0, 0, Number.MAX_SAFE_INTEGER);
  const pageSize = parseInteger(queryParam(params, "PageSize"), "PageSize", DEFAULT_PAGE_SIZE, 1, Number.MAX_SAFE_INTEGER);
  for (const value of [startMs, finishMs, jobType, objectType, jobState, pageIndex, pageSize]) {
    if (value instanceof Error) return { ok: false, message: value.message };
  }
  const request: JobsRequest = {
    startMs: startMs as number | undefined,
    finishMs: finishMs as number | undefined,
    jobType: jobType as number,
    objectType: objectType as number,
    jobState: jobState as number,
    // A 1-based server serves its first page for 0 as for 1.
    pageIndex: Math.max(0, (pageIndex as number) - pageBase),
    pageSize: Math.min(pageSize as number, pageCap),
  };
  if (request.startMs !== undefined && request.finishMs !== undefined && request.startMs > request.finishMs) {
    return { ok: false, message: "StartTime must not be after FinishTime" };
  }
  return { ok: true, request };
}

/**
 * Jobs matching the filters, newest start first, ties by id (jobs without an id last).
 *
 * Window assumption (the docs only say "a time range"), chosen by `reading.window`:
 * by default a job belongs to the range when its START time lies within
 * [StartTime, FinishTime], both ends inclusive and each optional. So a job that
 * started before StartTime and is still running is NOT returned: the client must
 * re-read jobs it saw In Progress with a window that still covers their start.
 */
export function selectJobs(jobs: readonly SimJob[], request: JobsRequest, reading: Pick<JobsReading, "window" | "runningListed"> = { window: "start", runningListed: true }): SimJob[] {
  const wantedState = JOB_STATE_FILTER[request.jobState];
  const after = (ms: number) => request.startMs === undefined || ms >= request.startMs;
  const before = (ms: number) => request.finishMs === undefined || ms <= request.finishMs;
  return jobs
    .filter((job) => {
      const start = job.startTime.getTime();
      const finish = job.finishTime ? job.finishTime.getTime() : undefined;
      if (finish === undefined && !reading.runningListed) return false;
      // A running job has no finish yet: "finish" lists it once it has started, "both" once it started in the window.
      if (reading.window === "start" && !(after(start) && before(start))) return false;
      if (reading.window === "finish" && !(finish === undefined ? before(start) : after(finish) && before(finish))) return false;
      if (reading.window === "both" && !(after(start) && (finish === undefined ? before(start) : before(finish)))) return false;
      if (request.jobType !== 0 && (job.jobType ?? 1) !== request.jobType) return false;
      if (request.objectType !== 0 && job.objectType !== request.objectType) return false;
      if (wantedState !== undefined && job.state !== wantedState) return false;
      return true;
    })
    .sort((a, b) => {
      const byStart = b.startTime.getTime() - a.startTime.getTime();
      if (byStart !== 0) return byStart;
      if (a.id == null || b.id == null) return a.id == null ? (b.id == null ? 0 : 1) : -1;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
}

export function pageOf(selected: readonly SimJob[], request: JobsRequest): { jobs: SimJob[]; hasMore: boolean } {
  const from = request.pageIndex * request.pageSize;
  const jobs = selected.slice(from, from + request.pageSize);
  return { jobs, hasMore: from + request.pageSize < selected.length };
}

/** `off-path`: same origin, but the backend's own path (as the vendor's OpenAPI names it), which the gateway does not serve. */
export type NextLinkMode = "absent" | "relative" | "absolute" | "foreign" | "off-path";

/** The backend's path in the vendor's OpenAPI file (m365backup-openapi-2024-09.json "paths"). */
export const BACKEND_JOBS_PATH = "/api/PublicApi/cloudbackup/jobs";

/** An origin that is not the simulator: a client must refuse to send its token there. */
export const FOREIGN_ORIGIN = "http://127.0.0.2:1";

/** The next page's link: the same query with PageIndex + 1 and the effective (capped) PageSize. */
export function nextLinkFor(
  mode: Exclude<NextLinkMode, "absent">,
  simulatorUrl: string,
  pathname: string,
  params: URLSearchParams,
  request: JobsRequest,
  profile: ApiProfile,
  pageBase: 0 | 1 = 0,
): string {
  const next = new URLSearchParams();
  for (const [key, value] of params) if (!PAGING_PARAMS.has(key.toLowerCase())) next.append(key, value);
  next.append(profile === "seed" ? "PageIndex" : "pageIndex", String(request.pageIndex + 1 + pageBase));
  next.append(profile === "seed" ? "PageSize" : "pageSize", String(request.pageSize));
  const relative = `${mode === "off-path" ? BACKEND_JOBS_PATH : pathname}?${next.toString()}`;
  if (mode === "off-path") return `${simulatorUrl}${relative}`;
  if (mode === "relative") return relative;
  return `${mode === "absolute" ? simulatorUrl : FOREIGN_ORIGIN}${relative}`;
}

/**
 * The jobs endpoint's query: parameter parsing (names case-insensitive, as ASP.NET
 * binds them), filtering, ordering, paging and next links.
 */
import type { ApiProfile } from "./style.js";
import type { SimJob } from "./tenant.js";

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

function parseTime(raw: string | undefined, profile: ApiProfile, name: string): number | undefined | Error {
  if (raw === undefined || raw === "") return undefined;
  if (profile === "seed") {
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

export function parseJobsRequest(params: URLSearchParams, profile: ApiProfile, pageCap: number): JobsRequestParse {
  const startMs = parseTime(queryParam(params, "StartTime"), profile, "StartTime");
  const finishMs = parseTime(queryParam(params, "FinishTime"), profile, "FinishTime");
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
    pageIndex: pageIndex as number,
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
 * Window assumption (the docs only say "a time range"): a job belongs to the range
 * when its START time lies within [StartTime, FinishTime], both ends inclusive and
 * each optional. So a job that started before StartTime and is still running is NOT
 * returned — the client must re-read jobs it saw In Progress with a window that
 * still covers their start.
 */
export function selectJobs(jobs: readonly SimJob[], request: JobsRequest): SimJob[] {
  const wantedState = JOB_STATE_FILTER[request.jobState];
  return jobs
    .filter((job) => {
      const start = job.startTime.getTime();
      if (request.startMs !== undefined && start < request.startMs) return false;
      if (request.finishMs !== undefined && start > request.finishMs) return false;
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

export type NextLinkMode = "absent" | "relative" | "absolute" | "foreign";

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
): string {
  const next = new URLSearchParams();
  for (const [key, value] of params) if (!PAGING_PARAMS.has(key.toLowerCase())) next.append(key, value);
  next.append(profile === "seed" ? "PageIndex" : "pageIndex", String(request.pageIndex + 1));
  next.append(profile === "seed" ? "PageSize" : "pageSize", String(request.pageSize));
  const relative = `${pathname}?${next.toString()}`;
  if (mode === "relative") return relative;
  return `${mode === "absolute" ? simulatorUrl : FOREIGN_ORIGIN}${relative}`;
}

/**
 * The revisions of the AvePoint Cloud Backup API this client speaks. Only
 * paths, query time encoding and the unit of a bare `Duration` differ;
 * response parsing is tolerant enough to read any shape from any path.
 *
 * The jobs path was renamed four times after the seed page (AvePoint/cloud-api
 * change log); the change log promises nothing about old paths still answering.
 * AVEPOINT_API_PROFILE=auto (the default) asks the paths newest first and keeps
 * the one that answers; `seed` and `current` pin one revision.
 *
 * seed:    ../shared/reference/avepoint/cloudbackup-jobs-and-license-api.md
 * current: ../shared/reference/avepoint/current-api/list-jobs.md, subscription.md
 */
import type { ApiProfile } from "../config/settings.js";
import type { JobQuery } from "./model.js";
import { encodeTime, type DurationUnit, type TimeEncoding } from "./normalize.js";

export type { ApiProfile };

export interface ApiRevision {
  /** How status, checkpoints and logs name it. */
  name: RevisionName;
  jobsPath: string;
  /** Documented only for the seed and today's revision. */
  licensePath?: string;
  /** Backup schedule per service (current revision only). */
  backupFrequencyPath?: string;
  /** Unusual-activity counts per service (current revision only). */
  unusualActivityPath?: string;
  /** How StartTime / FinishTime are written until the service shows otherwise. */
  queryTimes: TimeEncoding;
  durationUnit: DurationUnit;
}

type RevisionName = "current" | "2025-04" | "2025-01" | "2024-12" | "seed";

/** Newest first: the order `auto` asks them in. */
export const API_REVISIONS: readonly ApiRevision[] = [
  {
    name: "current",
    jobsPath: "/backup/m365/cloudbackupjobs",
    licensePath: "/backup/m365/cloudbackuplicenseconsumption",
    backupFrequencyPath: "/backup/m365/settings/backup/frequency",
    unusualActivityPath: "/backup/m365/cloudbackupunusualactivitydata",
    queryTimes: "iso",
    // "duration: Duration in hours, string" (list-jobs.md).
    durationUnit: "hours",
  },
  { name: "2025-04", jobsPath: "/backup/m365/jobs", queryTimes: "iso", durationUnit: "hours" },
  { name: "2025-01", jobsPath: "/backup/m365/cloudbackup/getjobs", queryTimes: "iso", durationUnit: "hours" },
  { name: "2024-12", jobsPath: "/cloudbackup/getjobs", queryTimes: "ms", durationUnit: "milliseconds" },
  {
    name: "seed",
    jobsPath: "/cloudbackup/jobs",
    licensePath: "/cloudbackup/licenseconsumption",
    // "long" UTC times, read as Unix epoch milliseconds as the vendor's OpenAPI int64 fields are
    // (the vendor's own sample ten days later shows .NET ticks: `auto` learns which from the service).
    queryTimes: "ms",
    durationUnit: "milliseconds",
  },
];

export function revisionNamed(name: string | undefined): ApiRevision | undefined {
  return API_REVISIONS.find((r) => r.name === name);
}

/** The revision a pinned profile means. */
export function pinnedRevision(profile: ApiProfile): ApiRevision | undefined {
  return profile === "auto" ? undefined : revisionNamed(profile);
}

/**
 * StartTime and FinishTime of a window, as the service takes times. A date
 * reaches to the start of its day; the day after covers all of the window,
 * whether or not the server reads the bound inclusively.
 */
export function windowParameters(times: TimeEncoding, window: { startTime: Date; finishTime: Date }): [string, string][] {
  const finish = times === "date" ? new Date(window.finishTime.getTime() + 86_400_000) : window.finishTime;
  return [
    ["StartTime", encodeTime(window.startTime, times)],
    ["FinishTime", encodeTime(finish, times)],
  ];
}

/** The query parameters of one jobs page (PascalCase, as every revision's request samples write them); no times = unfiltered. */
export function jobQueryParameters(times: TimeEncoding, query: JobQuery | undefined, pageIndex: number, pageSize: number): URLSearchParams {
  const params = new URLSearchParams();
  if (query) {
    for (const [name, value] of windowParameters(times, query)) params.set(name, value);
    if (query.jobType !== undefined) params.set("JobType", String(query.jobType));
    if (query.objectType !== undefined) params.set("ObjectType", String(query.objectType));
    if (query.jobState !== undefined) params.set("JobState", String(query.jobState));
  }
  params.set("PageIndex", String(pageIndex));
  params.set("PageSize", String(pageSize));
  return params;
}

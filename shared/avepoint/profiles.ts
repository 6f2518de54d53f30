/**
 * The two revisions of the AvePoint Cloud Backup API this client speaks.
 * Only paths, query time encoding and the unit of a bare `Duration` differ;
 * response parsing is tolerant enough to read either shape from either path.
 *
 * seed:    ../shared/reference/avepoint/cloudbackup-jobs-and-license-api.md
 * current: ../shared/reference/avepoint/current-api/list-jobs.md, subscription.md
 */
import type { ApiProfile } from "../config/settings.js";
import type { JobQuery } from "./model.js";

export type { ApiProfile };

/** What a duration number means when the API gives one without start and finish times to derive it from. */
export type DurationUnit = "milliseconds" | "hours" | "ticks";

export interface ApiProfileDefinition {
  name: ApiProfile;
  jobsPath: string;
  licensePath: string;
  /** Backup schedule per service (current profile only). */
  backupFrequencyPath?: string;
  /** Unusual-activity counts per service (current profile only). */
  unusualActivityPath?: string;
  /** How StartTime / FinishTime are written in the query string. */
  encodeTime(time: Date): string;
  durationUnit: DurationUnit;
}

export const API_PROFILE_DEFINITIONS: Record<ApiProfile, ApiProfileDefinition> = {
  seed: {
    name: "seed",
    jobsPath: "/cloudbackup/jobs",
    licensePath: "/cloudbackup/licenseconsumption",
    // "long" UTC times: Unix epoch milliseconds, as the vendor's OpenAPI int64 fields are.
    encodeTime: (time) => String(time.getTime()),
    durationUnit: "milliseconds",
  },
  current: {
    name: "current",
    jobsPath: "/backup/m365/cloudbackupjobs",
    licensePath: "/backup/m365/cloudbackuplicenseconsumption",
    backupFrequencyPath: "/backup/m365/settings/backup/frequency",
    unusualActivityPath: "/backup/m365/cloudbackupunusualactivitydata",
    encodeTime: (time) => time.toISOString(),
    // "duration: Duration in hours, string" (list-jobs.md).
    durationUnit: "hours",
  },
};

/** The query parameters of one jobs page (PascalCase, as both revisions' request samples write them). */
export function jobQueryParameters(profile: ApiProfileDefinition, query: JobQuery, pageIndex: number, pageSize: number): URLSearchParams {
  const params = new URLSearchParams();
  params.set("StartTime", profile.encodeTime(query.startTime));
  params.set("FinishTime", profile.encodeTime(query.finishTime));
  if (query.jobType !== undefined) params.set("JobType", String(query.jobType));
  if (query.objectType !== undefined) params.set("ObjectType", String(query.objectType));
  if (query.jobState !== undefined) params.set("JobState", String(query.jobState));
  params.set("PageIndex", String(pageIndex));
  params.set("PageSize", String(pageSize));
  return params;
}

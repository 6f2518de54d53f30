/**
 * What the client has learned about the AvePoint service where the vendor's
 * documents leave it open (../shared/reference/avepoint/README.md). Kept in each
 * monitor's checkpoint (`state.avepoint`) so a cold start does not pay for the
 * learning again; shown by `npm run status` and `check-config -- --online`.
 */
import type { TimeEncoding } from "./normalize.js";
import { revisionNamed } from "./profiles.js";

export interface ServiceReading {
  /** The revision whose jobs path answers (profiles.ts API_REVISIONS). */
  jobsRevision?: string;
  /** The revision whose license path answers. */
  licenseRevision?: string;
  /** How StartTime / FinishTime are written in the jobs query. */
  queryTimes?: TimeEncoding;
  /** Where PageIndex starts, once a second page has shown it. */
  pageBase?: 0 | 1;
  /** True once a job In Progress was seen in a windowed listing: running jobs are listed, so a short overlap is safe. */
  runningListed?: boolean;
}

const ENCODINGS: readonly TimeEncoding[] = ["iso", "date", "ms", "s", "ticks"];

/** Reads a stored reading leniently: anything unrecognised is simply not known (and learned again). */
export function readServiceReading(stored: unknown): ServiceReading {
  if (typeof stored !== "object" || stored === null) return {};
  const v = stored as Record<string, unknown>;
  const out: ServiceReading = {};
  if (typeof v["jobsRevision"] === "string" && revisionNamed(v["jobsRevision"])) out.jobsRevision = v["jobsRevision"];
  if (typeof v["licenseRevision"] === "string" && revisionNamed(v["licenseRevision"])?.licensePath) out.licenseRevision = v["licenseRevision"];
  if (ENCODINGS.includes(v["queryTimes"] as TimeEncoding)) out.queryTimes = v["queryTimes"] as TimeEncoding;
  if (v["pageBase"] === 0 || v["pageBase"] === 1) out.pageBase = v["pageBase"];
  if (v["runningListed"] === true) out.runningListed = true;
  return out;
}

/** One line for people: "revision current, ISO times, PageIndex from 1, running jobs listed". */
export function describeServiceReading(reading: ServiceReading): string {
  const parts = [
    reading.jobsRevision ? `jobs on the ${reading.jobsRevision} revision (${revisionNamed(reading.jobsRevision)?.jobsPath ?? "?"})` : "jobs path not yet found",
    reading.licenseRevision ? `license on the ${reading.licenseRevision} revision` : "license path not yet found",
    reading.queryTimes ? `query times as ${TIME_WORDS[reading.queryTimes]}` : "query time encoding not yet learned",
    reading.pageBase !== undefined ? `PageIndex from ${reading.pageBase}` : "PageIndex base not yet seen",
    reading.runningListed ? "running jobs listed" : "running jobs not yet seen listed (window reaches back over JOB_MAX_RUNTIME_HOURS)",
  ];
  return parts.join("; ");
}

const TIME_WORDS: Record<TimeEncoding, string> = {
  iso: "ISO date-times",
  date: "dates only",
  ms: "epoch milliseconds",
  s: "epoch seconds",
  ticks: ".NET ticks",
};

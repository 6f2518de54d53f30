/**
 * Response shaping: turns tenant data into the JSON one API profile would send,
 * bent by the style knobs that reproduce the deviations seen between the vendor's
 * documents (PascalCase vs camelCase, `totalCount` vs `totalNumber`, long vs ISO
 * times, spaced state names, numbers as strings, `null` lists).
 *
 * Everything is built with canonical camelCase keys and re-cased at the end, so
 * `casing` really applies to every key, envelope included.
 */
import type { SimBackupFrequency, SimJob, SimLicense, SimUnusualActivity } from "./tenant.js";

export type ApiProfile = "seed" | "current";

export interface ResponseStyle {
  /** Property-name casing of every key. */
  casing: "pascal" | "camel" | "lower" | "upper";
  /** `{statusCode, message, data, metadata{totalCount,nextLink}, requestId, timestamp, traceId}`. */
  envelope: boolean;
  /**
   * Job times (and license `outOfPolicyTime`, see {@link licenseTimeFormat}): epoch ms, epoch s, or ISO-8601.
   * A missing time (in-progress job, in-policy license) is 0 for `ms`/`s`/`ticks`, as a .NET `long` would be, and null for `iso`/`date`.
   * `ticks` is .NET DateTime ticks (100 ns since 0001-01-01), as the vendor's seed-era response sample shows;
   * `date` is a date without a time ("2024-10-24"), as the current request samples write times.
   */
  timeFormat: "ms" | "s" | "iso" | "ticks" | "date";
  /** `totalCount/failedCount/...` vs `totalNumber/failedNumber/...`; applies to backup details and to the page total. */
  counterNames: "count" | "number";
  /** `InProgress` vs `In Progress` / `Finished with Exception` vs `FinishedWithException`. */
  stateSpelling: "compact" | "spaced" | "long";
  stateCase: "as-is" | "lower" | "upper";
  /** Counters, totals and license numbers as strings. */
  numbersAsStrings: boolean;
  /** Job list as `null` instead of `[]` when the page has no jobs. */
  nullWhenEmpty: boolean;
  /** Seed: a long in ms (or in .NET ticks, as the vendor's seed-era sample); current: hours as a string with three decimals ("0.011"). */
  durationAs: "ms" | "ticks" | "hours-string";
  /** Include `jobErrors` in each job (current profile). */
  jobErrors: boolean;
}

export const SEED_STYLE: Readonly<ResponseStyle> = {
  casing: "pascal",
  envelope: false,
  timeFormat: "ms",
  counterNames: "count",
  stateSpelling: "compact",
  stateCase: "as-is",
  numbersAsStrings: false,
  nullWhenEmpty: false,
  durationAs: "ms",
  jobErrors: false,
};

export const CURRENT_STYLE: Readonly<ResponseStyle> = {
  casing: "camel",
  envelope: true,
  timeFormat: "iso",
  // The current docs' table says totalNumber, their sample says totalCount; the sample is what servers send.
  counterNames: "count",
  stateSpelling: "compact",
  stateCase: "as-is",
  numbersAsStrings: false,
  nullWhenEmpty: false,
  durationAs: "hours-string",
  jobErrors: true,
};

export function resolveStyle(profile: ApiProfile, overrides: Partial<ResponseStyle> | undefined): ResponseStyle {
  return { ...(profile === "seed" ? SEED_STYLE : CURRENT_STYLE), ...overrides };
}

/**
 * Both profiles document `outOfPolicyTime` as a long, so license times stay epoch ms
 * unless a test sets `style.timeFormat` explicitly.
 */
export function licenseTimeFormat(overrides: Partial<ResponseStyle> | undefined): ResponseStyle["timeFormat"] {
  return overrides?.timeFormat ?? "ms";
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const SPACED: Record<string, string> = {
  InProgress: "In Progress",
  FinishedException: "Finished with Exception",
  PartiallyFinished: "Partially Finished",
};
const LONG: Record<string, string> = { FinishedException: "FinishedWithException" };

export function spellState(state: string, style: ResponseStyle): string {
  const table = style.stateSpelling === "spaced" ? SPACED : style.stateSpelling === "long" ? LONG : {};
  const spelled = table[state] ?? state;
  if (style.stateCase === "lower") return spelled.toLowerCase();
  if (style.stateCase === "upper") return spelled.toUpperCase();
  return spelled;
}

/** .NET DateTime ticks at the Unix epoch (100 ns units since 0001-01-01). */
export const TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000;

export function formatTime(time: Date | null | undefined, format: ResponseStyle["timeFormat"]): Json {
  if (!time) return format === "iso" || format === "date" ? null : 0;
  const ms = time.getTime();
  if (format === "ms") return ms;
  if (format === "s") return Math.floor(ms / 1000);
  // Ticks exceed 2^53: the JSON number is as exact as a double gets (the vendor's sample ends ...0695).
  if (format === "ticks") return TICKS_AT_UNIX_EPOCH + ms * 10_000;
  if (format === "date") return time.toISOString().slice(0, 10);
  // The vendor's samples carry whole seconds ("2024-12-02T07:52:25Z"); keep ms only when there are some.
  return ms % 1000 === 0 ? time.toISOString().replace(/\.000Z$/, "Z") : time.toISOString();
}

function counter(value: number, style: ResponseStyle): Json {
  return style.numbersAsStrings ? String(value) : value;
}

function counterKey(base: "total" | "failed" | "successful" | "skipped", style: ResponseStyle): string {
  return `${base}${style.counterNames === "count" ? "Count" : "Number"}`;
}

function durationOf(job: SimJob, nowMs: number, style: ResponseStyle): Json {
  // A running job reports how long it has run so far.
  const end = job.finishTime ? job.finishTime.getTime() : nowMs;
  const ms = Math.max(0, end - job.startTime.getTime());
  if (style.durationAs === "ticks") return ms * 10_000;
  return style.durationAs === "ms" ? ms : (ms / 3_600_000).toFixed(3);
}

export function shapeJob(job: SimJob, nowMs: number, style: ResponseStyle): Json {
  const shaped: { [key: string]: Json } = {
    id: job.id ?? null,
    state: spellState(job.state, style),
    startTime: formatTime(job.startTime, style.timeFormat),
    finishTime: formatTime(job.finishTime, style.timeFormat),
    duration: durationOf(job, nowMs, style),
    backupDetails: job.counts
      ? {
          [counterKey("total", style)]: counter(job.counts.total, style),
          [counterKey("failed", style)]: counter(job.counts.failed, style),
          [counterKey("successful", style)]: counter(job.counts.successful, style),
          [counterKey("skipped", style)]: counter(job.counts.skipped, style),
        }
      : null,
  };
  if (style.jobErrors) {
    shaped.jobErrors = (job.errors ?? []).map((e) => ({
      isErrorCode: e.isErrorCode ?? false,
      value: e.message,
      url: e.url ?? "",
      number: counter(e.count ?? 1, style),
    }));
  }
  return shaped;
}

export interface ShapedPage {
  jobs: readonly SimJob[];
  totalCount: number | undefined;
  /** undefined: the server does not do next links; "": this is the last page. */
  nextLink: string | undefined;
}

export interface EnvelopeIds {
  requestId: string;
  traceId: string;
  timestamp: string;
}

export function shapeJobPage(page: ShapedPage, nowMs: number, style: ResponseStyle, ids: EnvelopeIds): Json {
  const jobs: Json = page.jobs.length === 0 && style.nullWhenEmpty ? null : page.jobs.map((j) => shapeJob(j, nowMs, style));
  const totalKey = counterKey("total", style);
  if (style.envelope) {
    const metadata: { [key: string]: Json } = {};
    if (page.totalCount !== undefined) metadata[totalKey] = counter(page.totalCount, style);
    if (page.nextLink !== undefined) metadata.nextLink = page.nextLink;
    return recase({ statusCode: 200, message: "", data: jobs, requestId: ids.requestId, timestamp: ids.timestamp, metadata, traceId: ids.traceId }, style);
  }
  const bare: { [key: string]: Json } = {};
  if (page.totalCount !== undefined) bare[totalKey] = counter(page.totalCount, style);
  bare.jobs = jobs;
  // Without an envelope the last page simply has no NextLink.
  if (page.nextLink) bare.nextLink = page.nextLink;
  return recase(bare, style);
}

export function shapeLicense(license: SimLicense, style: ResponseStyle, timeFormat: ResponseStyle["timeFormat"], ids: EnvelopeIds): Json {
  const data: Json = {
    outOfPolicyTime: formatTime(license.outOfPolicyTime === 0 ? null : new Date(license.outOfPolicyTime), timeFormat),
    purchasedUserSeats: counter(license.purchasedUserSeats, style),
    assignedUserSeats: counter(license.assignedUserSeats, style),
    purchasedStorageSize: counter(license.purchasedStorageSize, style),
    protectedSize: counter(license.protectedSize, style),
  };
  if (!style.envelope) return recase(data, style);
  return recase({ statusCode: 200, message: "", data, requestId: ids.requestId, timestamp: ids.timestamp, traceId: ids.traceId }, style);
}

/** GET /backup/m365/settings/backup/frequency: `data` is the list of services (backup-frequency.md). */
export function shapeBackupFrequency(entries: readonly SimBackupFrequency[], style: ResponseStyle, ids: EnvelopeIds): Json {
  const data: Json = entries.map((e) => ({
    serviceType: e.serviceType,
    frequency: counter(e.frequency, style),
    backupStartTime: e.backupStartTime.map((t) => formatTime(t, "iso")),
  }));
  return recase({ statusCode: 200, message: "", data, requestId: ids.requestId, timestamp: ids.timestamp, traceId: ids.traceId }, style);
}

/** GET /backup/m365/cloudbackupunusualactivitydata: `data.data` lists one entry per service, counts summed (unusual-activities.md). */
export function shapeUnusualActivity(activities: readonly SimUnusualActivity[], style: ResponseStyle, ids: EnvelopeIds): Json {
  const byService = new Map<number, { ransomware: number; unusual: number }>();
  for (const a of activities) {
    const sum = byService.get(a.serviceType) ?? { ransomware: 0, unusual: 0 };
    byService.set(a.serviceType, { ransomware: sum.ransomware + a.potentialRansomwareAttackCount, unusual: sum.unusual + a.unusualActivitiesCount });
  }
  const list: Json = [...byService.entries()].map(([serviceType, sum]) => ({
    tenantOwner: "Simulated Owner",
    tenantId: "00000000-0000-4000-8000-000000000001",
    serviceType,
    potentialRansomwareAttackCount: counter(sum.ransomware, style),
    unusualActivitiesCount: counter(sum.unusual, style),
  }));
  return recase({ statusCode: 200, message: "", data: { data: list }, requestId: ids.requestId, timestamp: ids.timestamp, traceId: ids.traceId }, style);
}

/** An error body in the profile's shape (the current profile's envelope with `errors`). */
export function shapeError(status: number, message: string, style: ResponseStyle, ids: EnvelopeIds): Json {
  return recase(
    { statusCode: status, message, errors: [{ code: String(status), message }], requestId: ids.requestId, timestamp: ids.timestamp, traceId: ids.traceId },
    style,
  );
}

function recaseKey(key: string, casing: ResponseStyle["casing"]): string {
  switch (casing) {
    case "pascal":
      return key.charAt(0).toUpperCase() + key.slice(1);
    case "camel":
      return key.charAt(0).toLowerCase() + key.slice(1);
    case "lower":
      return key.toLowerCase();
    case "upper":
      return key.toUpperCase();
  }
}

function recase(value: Json, style: ResponseStyle): Json {
  if (Array.isArray(value)) return value.map((v) => recase(v, style));
  if (value === null || typeof value !== "object") return value;
  const out: { [key: string]: Json } = {};
  for (const [key, inner] of Object.entries(value)) out[recaseKey(key, style.casing)] = recase(inner, style);
  return out;
}

/**
 * Raw AvePoint JSON → the typed model. Pure: no I/O, no clock.
 *
 * Tolerant about form: property names in any casing (also snake_case), the
 * bare seed shape or the current profile's {statusCode, message, data,
 * metadata} envelope, times as epoch seconds / milliseconds / .NET ticks / ISO-8601 / dates,
 * numbers as strings, both counter namings, every spelling of every state.
 *
 * Strict about meaning: a value we cannot read is a MalformedResponseError
 * naming the page and the property, never a zero or an empty list; a job with
 * a state we do not know, or without an id, is kept and marked, never dropped.
 */
import { AvePointApiError, MalformedResponseError } from "./errors.js";
import type { BackupFrequency, BackupJob, JobCounter, JobCounts, JobError, JobPage, KnownJobState, LicenseUsage, ServiceId, UnusualActivityCounts } from "./model.js";

/** What a duration number means when the API gives one without start and finish times to derive it from (per API profile, profiles.ts). */
export type DurationUnit = "milliseconds" | "hours" | "ticks";

export interface NormalizeContext {
  /** Which response this is: a page index, a next link (path + query), or "license". Named in errors. */
  page: number | string;
  /** Request path (no query), named in API errors carried inside an envelope. */
  path: string;
  /** Unit of a bare duration number (per API profile). */
  durationUnit: DurationUnit;
  /** Set on every job when the page was read through an ObjectType query. */
  service?: ServiceId;
  /** Request id from the response headers, used when the body names none. */
  requestId?: string | null;
  /** Told how each job's StartTime was written (so the client can write query times alike). */
  onTimeEncoding?: (encoding: TimeEncoding) => void;
}

/** Thrown by readers below; turned into a MalformedResponseError naming the page. */
class Unreadable extends Error {}

function fail(detail: string): never {
  throw new Unreadable(detail);
}

// --- Property access in any casing -------------------------------------------

/** Property names compared without case and without separators: TotalCount = totalCount = total_count. */
function keyOf(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, "").toLowerCase();
}

class Fields {
  readonly #map = new Map<string, unknown>();

  constructor(readonly source: Record<string, unknown>) {
    for (const [name, value] of Object.entries(source)) {
      const key = keyOf(name);
      // With two spellings of one name, a non-null value wins over null.
      if (!this.#map.has(key) || this.#map.get(key) === null || this.#map.get(key) === undefined) this.#map.set(key, value);
    }
  }

  has(...names: string[]): boolean {
    return names.some((n) => this.#map.has(keyOf(n)));
  }

  /** The first of `names` present (undefined when none is). */
  get(...names: string[]): unknown {
    for (const n of names) {
      const key = keyOf(n);
      if (this.#map.has(key)) return this.#map.get(key);
    }
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the text ${quote(value)}`;
  return `${typeof value} ${String(value)}`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

// --- Scalars -------------------------------------------------------------------

const NUMERIC = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** A number, or a string holding one; undefined for null / absent / "". */
function readNumber(value: unknown, what: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(`${what} is not a finite number`);
    return value;
  }
  if (typeof value === "string") {
    const text = value.trim();
    if (text === "") return undefined;
    if (!NUMERIC.test(text)) fail(`${what} is ${describeType(value)}, expected a number`);
    // "1e999" has the form of a number but reads as Infinity.
    const n = Number(text);
    if (!Number.isFinite(n)) fail(`${what} is ${describeType(value)}, not a finite number`);
    return n;
  }
  return fail(`${what} is ${describeType(value)}, expected a number`);
}

/** A whole number ≥ 0 (counts, seats). */
function readCount(value: unknown, what: string): number | undefined {
  const n = readNumber(value, what);
  if (n === undefined) return undefined;
  if (!Number.isSafeInteger(n) || n < 0) fail(`${what} is ${n}, expected a whole number of at least 0`);
  return n;
}

function requireCount(value: unknown, what: string): number {
  const n = readCount(value, what);
  if (n === undefined) fail(`${what} is missing`);
  return n;
}

/** Epoch values below this are seconds, at or above it milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_LIMIT = 1e11;
/**
 * Values above this are .NET DateTime ticks (100 ns since 0001-01-01), as the
 * vendor's seed-era sample sends them: 5e17 ticks is the year 1585, 5e17 ms the year 15 million.
 */
const TICKS_LIMIT = 5e17;
/** .NET ticks at the Unix epoch. */
const TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000;
const TICKS_PER_MS = 10_000;

/** How the API wrote a time: what the client writes its own query times in, once it has seen one. */
export type TimeEncoding = "iso" | "date" | "ms" | "s" | "ticks";

/** The encoding of one time value as the API sent it; undefined when it is not a set time. */
export function timeEncodingOf(value: unknown): TimeEncoding | undefined {
  if (typeof value === "string") {
    const text = value.trim();
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text.startsWith("0001-01-01") ? undefined : "date";
    if (ISO_TIME.test(text)) return text.startsWith("0001-01-01") ? undefined : "iso";
    if (!NUMERIC.test(text)) return undefined;
  }
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return n > TICKS_LIMIT ? "ticks" : n < SECONDS_LIMIT ? "s" : "ms";
}

/** A time written the way the API reads it. A date rounds down to its day (callers widen windows, never narrow them). */
export function encodeTime(time: Date, encoding: TimeEncoding): string {
  const ms = time.getTime();
  switch (encoding) {
    case "iso":
      return time.toISOString();
    case "date":
      return time.toISOString().slice(0, 10);
    case "ms":
      return String(ms);
    case "s":
      return String(Math.floor(ms / 1000));
    case "ticks":
      // BigInt: ticks exceed 2^53, and the API should get the exact value.
      return String(BigInt(TICKS_AT_UNIX_EPOCH) + BigInt(ms) * BigInt(TICKS_PER_MS));
  }
}
/** 9999-12-31: anything later is not a time this API means. */
const LATEST_MS = 253_402_300_799_999;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const HAS_ZONE = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * A time given as epoch seconds or milliseconds or .NET ticks (number or
 * numeric string) or as ISO-8601 (UTC when no zone is written, as the docs say
 * all times are UTC). 0, "" and .NET's 0001-01-01 mean "not set" (e.g. the
 * finish time of a running job).
 */
export function readTime(value: unknown, what: string): Date | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" && !NUMERIC.test(value.trim())) {
    const text = value.trim();
    if (text === "") return null;
    if (!ISO_TIME.test(text)) fail(`${what} is ${describeType(value)}, expected epoch seconds, epoch milliseconds or an ISO-8601 time`);
    if (text.startsWith("0001-01-01")) return null;
    // Date.parse wants "T" between date and time and hh:mm in an offset.
    const normalized = text.replace(" ", "T").replace(/(T.*[+-]\d{2})$/, "$1:00");
    const ms = Date.parse(normalized.length > 10 && !HAS_ZONE.test(normalized) ? `${normalized}Z` : normalized);
    if (Number.isNaN(ms)) fail(`${what} is ${describeType(value)}, which is not a valid date`);
    return new Date(ms);
  }
  const n = readNumber(value, what);
  if (n === undefined || n === 0) return null;
  if (n < 0) fail(`${what} is ${n}, a time before 1970`);
  const ms = Math.round(n > TICKS_LIMIT ? (n - TICKS_AT_UNIX_EPOCH) / TICKS_PER_MS : n < SECONDS_LIMIT ? n * 1000 : n);
  if (ms < 0) fail(`${what} is ${n}, in .NET ticks a time before 1970`);
  if (ms > LATEST_MS) fail(`${what} is ${n}, beyond any date (expected epoch seconds or milliseconds or .NET ticks)`);
  return new Date(ms);
}

const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/;

/** A duration: a number in the profile's unit, or a .NET TimeSpan "d.hh:mm:ss". */
function readDuration(value: unknown, unit: DurationUnit, what: string): number | null {
  if (typeof value === "string") {
    const span = TIMESPAN.exec(value.trim());
    if (span) {
      const [, days, hours, minutes, seconds] = span;
      return Math.round(((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000);
    }
  }
  const n = readNumber(value, what);
  if (n === undefined) return null;
  if (n < 0) fail(`${what} is ${n}, a negative duration`);
  return Math.round(unit === "hours" ? n * 3_600_000 : unit === "ticks" ? n / TICKS_PER_MS : n);
}

function readText(value: unknown, what: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return fail(`${what} is ${describeType(value)}, expected text`);
}

// --- States --------------------------------------------------------------------

/**
 * Every spelling the API has used, compared without case, spaces, hyphens or
 * underscores: the five of the Cloud Backup docs, and those AvePoint's other
 * job APIs report for the same product (Elements get-customer-jobs `status`).
 * States not yet final (Pending, Queued, ...) are tracked like In Progress; the
 * raw text stays on the job.
 */
const STATE_SPELLINGS: Record<string, KnownJobState> = {
  inprogress: "InProgress",
  running: "InProgress",
  pending: "InProgress",
  waiting: "InProgress",
  waitingforconfiguration: "InProgress",
  notstarted: "InProgress",
  queued: "InProgress",
  notfinished: "InProgress",
  finished: "Finished",
  failed: "Failed",
  failedtostart: "Failed",
  finishedexception: "FinishedException",
  finishedwithexception: "FinishedException",
  finishedwithexceptions: "FinishedException",
  partiallyfinished: "PartiallyFinished",
  canceled: "Canceled",
  cancelled: "Canceled",
  stopped: "Stopped",
  rejected: "Rejected",
  skipped: "Skipped",
};

/** The seed's CloudBackupJobState enum (seed doc "Query Parameters"), for a state sent as its number. */
const STATE_CODES: Record<number, KnownJobState> = { 1: "InProgress", 2: "Finished", 3: "Failed", 4: "FinishedException", 5: "PartiallyFinished" };

export function normalizeJobState(raw: unknown): { state: KnownJobState | "Unknown"; rawState: string | null } {
  if (raw === null || raw === undefined) return { state: "Unknown", rawState: null };
  const rawState = typeof raw === "string" ? raw : JSON.stringify(raw);
  const code = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : undefined;
  if (code !== undefined) return { state: Object.hasOwn(STATE_CODES, code) ? (STATE_CODES[code] as KnownJobState) : "Unknown", rawState };
  const key = typeof raw === "string" ? raw.replace(/[\s_-]/g, "").toLowerCase() : "";
  // Own keys only: "constructor" or "__proto__" are unknown states, not Object.prototype members.
  return { state: Object.hasOwn(STATE_SPELLINGS, key) ? (STATE_SPELLINGS[key] as KnownJobState) : "Unknown", rawState };
}

// --- Envelope ------------------------------------------------------------------

interface Unwrapped {
  payload: unknown;
  /** Fields of the envelope (or of the bare object): where TotalCount / NextLink / ids may sit. */
  outer: Fields;
  metadata: Fields | null;
  enveloped: boolean;
}

/**
 * Recognizes the current profile's envelope. An envelope whose statusCode is
 * not 2xx is the API reporting an error in a 200 response.
 */
function unwrap(body: unknown, context: NormalizeContext): Unwrapped {
  if (!isObject(body)) fail(`the body is ${describeType(body)}, expected a JSON object`);
  const outer = new Fields(body);
  const enveloped = outer.has("data", "statusCode");
  if (!enveloped) return { payload: body, outer, metadata: null, enveloped };

  const statusCode = readNumber(outer.get("statusCode"), "statusCode");
  if (statusCode !== undefined && (statusCode < 200 || statusCode > 299)) {
    throw new AvePointApiError({
      status: statusCode,
      path: context.path,
      requestId: readText(outer.get("requestId"), "requestId") ?? context.requestId ?? null,
      traceId: readText(outer.get("traceId"), "traceId"),
      serverMessage: shortText(outer.get("message")),
    });
  }
  if (!outer.has("data")) fail("the response envelope has no data property");
  const metadataValue = outer.get("metadata");
  if (metadataValue !== null && metadataValue !== undefined && !isObject(metadataValue)) {
    fail(`metadata is ${describeType(metadataValue)}, expected an object`);
  }
  return { payload: outer.get("data"), outer, metadata: isObject(metadataValue) ? new Fields(metadataValue) : null, enveloped };
}

/**
 * The statusCode of a 200 response's envelope, when it says something else (read
 * inside the retried request, so an envelope 429 / 5xx is retried like the HTTP status).
 */
export function readEnvelopeStatus(text: string): number | undefined {
  // Cheap test first: most bodies say 200 or have no envelope at all.
  const hint = /"status_?code"\s*:\s*"?(\d{3})/i.exec(text);
  if (!hint || hint[1]?.startsWith("2")) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(body)) return undefined;
  const value = new Fields(body).get("statusCode");
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d{3}$/.test(value.trim()) ? Number(value) : undefined;
  return n !== undefined && (n < 200 || n > 299) ? n : undefined;
}

function shortText(value: unknown): string | null {
  if (typeof value !== "string" || value.trim() === "") return null;
  const text = value.trim().replace(/\s+/g, " ");
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

// --- Jobs ----------------------------------------------------------------------

/** Parses one jobs page from the response text. */
export function parseJobPage(text: string, context: NormalizeContext): JobPage {
  return normalizeJobPage(parseJson(text, context.page), context);
}

export function normalizeJobPage(body: unknown, context: NormalizeContext): JobPage {
  return readingPage(context.page, () => readJobPage(body, context));
}

function readJobPage(body: unknown, context: NormalizeContext): JobPage {
  const { payload, outer, metadata, enveloped } = unwrap(body, context);

  // The payload is the list itself (current profile), null (no jobs), or a seed-shaped object inside data.
  let jobsValue: unknown;
  let inner: Fields | null = null;
  if (Array.isArray(payload) || payload === null) {
    jobsValue = payload;
  } else if (isObject(payload)) {
    inner = enveloped ? new Fields(payload) : outer;
    if (!inner.has("jobs")) fail(`${enveloped ? "data" : "the body"} has no Jobs property (properties: ${Object.keys(payload).join(", ") || "none"})`);
    jobsValue = inner.get("jobs");
  } else {
    fail(`data is ${describeType(payload)}, expected a list of jobs`);
  }
  if (jobsValue !== null && jobsValue !== undefined && !Array.isArray(jobsValue)) {
    fail(`Jobs is ${describeType(jobsValue)}, expected a list`);
  }
  const rawJobs: unknown[] = Array.isArray(jobsValue) ? jobsValue : [];

  const totalCount =
    readCount(metadata?.get("totalCount", "totalNumber"), "metadata.totalCount") ??
    readCount(inner?.get("totalCount", "totalNumber"), "TotalCount") ??
    readCount(enveloped ? outer.get("totalCount", "totalNumber") : undefined, "totalCount") ??
    null;

  const nextLinkValue = metadata?.get("nextLink") ?? inner?.get("nextLink", "@odata.nextLink") ?? outer.get("nextLink", "@odata.nextLink");
  if (nextLinkValue !== null && nextLinkValue !== undefined && typeof nextLinkValue !== "string") {
    fail(`NextLink is ${describeType(nextLinkValue)}, expected text`);
  }
  const nextLink = nextLinkValue?.trim() || null;

  const requestId =
    readText(outer.get("requestId"), "requestId") ?? context.requestId ?? readText(outer.get("traceId"), "traceId") ?? null;

  const jobs = rawJobs.map((raw, position) => readJob(raw, position, context));
  return { jobs, totalCount, nextLink, requestId };
}

function readJob(raw: unknown, position: number, context: NormalizeContext): BackupJob {
  if (!isObject(raw)) fail(`job at position ${position} is ${describeType(raw)}, expected an object`);
  const f = new Fields(raw);
  const idValue = f.get("id", "jobId");
  if (idValue !== null && idValue !== undefined && typeof idValue !== "string" && typeof idValue !== "number") {
    fail(`job at position ${position}: Id is ${describeType(idValue)}, expected text`);
  }
  const id = idValue === null || idValue === undefined || String(idValue).trim() === "" ? null : String(idValue).trim();
  const label = `job ${id !== null ? JSON.stringify(id) : `at position ${position} (no id)`}`;

  try {
    const { state, rawState } = normalizeJobState(f.get("state", "status", "jobState"));
    const startTime = readTime(f.get("startTime"), "StartTime");
    const encoding = timeEncodingOf(f.get("startTime"));
    if (encoding !== undefined) context.onTimeEncoding?.(encoding);
    const finishTime = readTime(f.get("finishTime", "endTime"), "FinishTime");
    // A bare Duration beside times in ticks is in ticks too (the vendor's seed-era sample: finish - start exactly).
    const unit = encoding === "ticks" ? "ticks" : context.durationUnit;
    const givenDuration = readDuration(f.get("duration"), unit, "Duration");
    // Start and finish are exact; a bare duration's unit is only known per profile.
    const durationMs = startTime && finishTime ? Math.max(0, finishTime.getTime() - startTime.getTime()) : givenDuration;
    const job: BackupJob = {
      id,
      state,
      rawState,
      startTime,
      finishTime,
      durationMs,
      counts: readCounts(f.get("backupDetails", "details")),
      errors: readJobErrors(f.get("jobErrors", "errors")),
    };
    if (context.service !== undefined) job.service = context.service;
    return job;
  } catch (err) {
    if (err instanceof Unreadable) fail(`${label}: ${err.message}`);
    throw err;
  }
}

/** Both namings the API has used for the object counters, per model field. */
const COUNTER_NAMES: Record<JobCounter, [string, string]> = {
  total: ["TotalCount", "totalNumber"],
  failed: ["FailedCount", "failedNumber"],
  successful: ["SuccessfulCount", "successfulNumber"],
  skipped: ["SkippedCount", "skippedNumber"],
};

function readCounts(value: unknown): JobCounts | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) fail(`BackupDetails is ${describeType(value)}, expected an object`);
  const f = new Fields(value);
  const present = Object.values(COUNTER_NAMES).filter((names) => f.has(...names));
  if (present.length === 0) return null;
  // A counter the API left out is missing, not zero: the job keeps the counts it has (JobCounts.missing).
  const counts: JobCounts = { total: 0, failed: 0, successful: 0, skipped: 0 };
  const missing: JobCounter[] = [];
  for (const field of ["total", "failed", "successful", "skipped"] as const) {
    const names = COUNTER_NAMES[field];
    const value = readCount(f.get(...names), `BackupDetails.${names[0]}`);
    if (value === undefined) missing.push(field);
    else counts[field] = value;
  }
  if (missing.length > 0) counts.missing = missing;
  return counts;
}

function readJobErrors(value: unknown): JobError[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) fail(`jobErrors is ${describeType(value)}, expected a list`);
  return value.map((entry, index): JobError => {
    if (typeof entry === "string") return { message: entry };
    if (!isObject(entry)) fail(`jobErrors[${index}] is ${describeType(entry)}, expected an object`);
    const f = new Fields(entry);
    const error: JobError = { message: readText(f.get("value", "message", "errorMessage"), `jobErrors[${index}].value`) ?? "" };
    const count = readCount(f.get("number", "count"), `jobErrors[${index}].number`);
    if (count !== undefined) error.count = count;
    const url = readText(f.get("url"), `jobErrors[${index}].url`);
    if (url) error.url = url;
    const isErrorCode = f.get("isErrorCode");
    if (typeof isErrorCode === "boolean") error.isErrorCode = isErrorCode;
    else if (typeof isErrorCode === "string" && /^(true|false)$/i.test(isErrorCode)) error.isErrorCode = isErrorCode.toLowerCase() === "true";
    else if (isErrorCode !== null && isErrorCode !== undefined) fail(`jobErrors[${index}].isErrorCode is ${describeType(isErrorCode)}, expected true or false`);
    return error;
  });
}

// --- License -------------------------------------------------------------------

export function parseLicenseUsage(text: string, context: NormalizeContext): LicenseUsage {
  return normalizeLicenseUsage(parseJson(text, context.page), context);
}

export function normalizeLicenseUsage(body: unknown, context: NormalizeContext): LicenseUsage {
  return readingPage(context.page, () => {
    const { payload, enveloped } = unwrap(body, context);
    if (!isObject(payload)) fail(`${enveloped ? "data" : "the body"} is ${describeType(payload)}, expected the license consumption object`);
    const f = new Fields(payload);
    const storage = (names: string[], what: string): number => {
      const n = readNumber(f.get(...names), what);
      if (n === undefined) fail(`${what} is missing`);
      if (n < 0) fail(`${what} is ${n}, expected at least 0`);
      return n;
    };
    return {
      // 0 means "in policy"; readTime maps 0 / "" / null to null.
      outOfPolicySince: readTime(f.get("outOfPolicyTime"), "OutOfPolicyTime"),
      purchasedUserSeats: requireCount(f.get("purchasedUserSeats"), "PurchasedUserSeats"),
      assignedUserSeats: requireCount(f.get("assignedUserSeats"), "AssignedUserSeats"),
      purchasedStorageGb: storage(["purchasedStorageSize", "purchasedStorage"], "PurchasedStorageSize"),
      protectedStorageGb: storage(["protectedSize", "protectedStorageSize"], "ProtectedSize"),
    };
  });
}

// --- JSON ------------------------------------------------------------------------

/**
 * Runs a reader: the one place its complaint becomes a MalformedResponseError
 * naming the page. (Jobs and license have a second entry, normalize*, for a body
 * already parsed: tests feed it values, a bare JSON string among them, that no
 * response text reads as.)
 */
function readingPage<T>(page: number | string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof Unreadable) throw new MalformedResponseError(page, err.message);
    throw err;
  }
}

function parseJson(text: string, page: number | string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") throw new MalformedResponseError(page, "the body is empty, expected JSON");
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    const truncated = /^[[{]/.test(trimmed) && !/[\]}]$/.test(trimmed);
    throw new MalformedResponseError(
      page,
      truncated
        ? `the body is not valid JSON: it ends after ${trimmed.length} characters before the JSON is closed (truncated)`
        : `the body is not valid JSON (${trimmed.length} characters, starting ${quote(trimmed.slice(0, 20))})`,
    );
  }
}

// --- Error bodies ----------------------------------------------------------------

interface ErrorBodyInfo {
  message: string | null;
  requestId: string | null;
  traceId: string | null;
}

/** What a non-2xx response says about itself ({message, requestId, traceId} or OAuth-style), read leniently. */
export function readErrorBody(text: string): ErrorBodyInfo {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { message: null, requestId: null, traceId: null };
  }
  if (!isObject(body)) return { message: null, requestId: null, traceId: null };
  const f = new Fields(body);
  const text_ = (...names: string[]) => {
    const v = f.get(...names);
    return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
  };
  return {
    message: shortText(f.get("message", "error_description", "title", "detail", "error")),
    requestId: text_("requestId"),
    traceId: text_("traceId"),
  };
}

// --- Backup frequency and unusual activity (current profile) ----------------------

/** Reads one entry's serviceType: a whole number (the API's enum), never guessed. */
function readServiceType(f: Fields, what: string): number {
  const n = readCount(f.get("serviceType", "service", "objectType"), `${what}.serviceType`);
  if (n === undefined) fail(`${what}.serviceType is missing`);
  return n;
}

/** The list inside `data` (or `data.data`, as the unusual-activity sample nests it), or the bare list. */
function readList(body: unknown, context: NormalizeContext, what: string): unknown[] {
  const { payload } = unwrap(body, context);
  let list: unknown = payload;
  if (isObject(payload)) {
    const inner = new Fields(payload);
    if (!inner.has("data", "items", "value")) fail(`data has no ${what} list (properties: ${Object.keys(payload).join(", ") || "none"})`);
    list = inner.get("data", "items", "value");
  }
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) fail(`${what} is ${describeType(list)}, expected a list`);
  return list;
}

export function parseBackupFrequency(text: string, context: NormalizeContext): BackupFrequency[] {
  return readingPage(context.page, () =>
    readList(parseJson(text, context.page), context, "backup frequency").map((raw, position) => {
      const what = `backup frequency[${position}]`;
      if (!isObject(raw)) fail(`${what} is ${describeType(raw)}, expected an object`);
      const f = new Fields(raw);
      const timesValue = f.get("backupStartTime", "backupStartTimes", "startTimes");
      if (timesValue !== null && timesValue !== undefined && !Array.isArray(timesValue)) fail(`${what}.backupStartTime is ${describeType(timesValue)}, expected a list`);
      const startTimes = (Array.isArray(timesValue) ? timesValue : [])
        .map((t, i) => readTime(t, `${what}.backupStartTime[${i}]`))
        .filter((t): t is Date => t !== null);
      return { serviceType: readServiceType(f, what), frequency: readCount(f.get("frequency"), `${what}.frequency`) ?? null, startTimes };
    }),
  );
}

export function parseUnusualActivity(text: string, context: NormalizeContext): UnusualActivityCounts[] {
  return readingPage(context.page, () =>
    readList(parseJson(text, context.page), context, "unusual activity").map((raw, position) => {
      const what = `unusual activity[${position}]`;
      if (!isObject(raw)) fail(`${what} is ${describeType(raw)}, expected an object`);
      const f = new Fields(raw);
      // A missing counter is a response we do not understand, never a zero.
      return {
        serviceType: readServiceType(f, what),
        ransomwareCount: requireCount(f.get("potentialRansomwareAttackCount", "ransomwareCount"), `${what}.potentialRansomwareAttackCount`),
        unusualCount: requireCount(f.get("unusualActivitiesCount", "unusualActivityCount"), `${what}.unusualActivitiesCount`),
      };
    }),
  );
}

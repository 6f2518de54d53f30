/**
 * Property-based tests of the AvePoint response normalizer: whatever the API
 * sends (any casing, numbers as text, missing fields, nulls, extra fields,
 * times in s / ms / ISO-8601, thousands of jobs, plain junk), parsing either
 * returns a valid model or throws a typed error; it never throws anything
 * else and never reads what it cannot understand as zeros.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AvePointApiError, MalformedResponseError } from "../../shared/avepoint/errors.js";
import { JOB_STATES, type BackupJob, type JobPage, type LicenseUsage } from "../../shared/avepoint/model.js";
import {
  normalizeJobPage,
  normalizeLicenseUsage,
  parseJobPage,
  parseLicenseUsage,
  type NormalizeContext,
} from "../../shared/avepoint/normalize.js";

const SEED_CONTEXT: NormalizeContext = { page: 0, path: "/cloudbackup/jobs", durationUnit: "milliseconds" };
const CURRENT_CONTEXT: NormalizeContext = { page: 1, path: "/backup/m365/cloudbackupjobs", durationUnit: "hours" };
const LICENSE_CONTEXT: NormalizeContext = { page: "license", path: "/cloudbackup/licenseconsumption", durationUnit: "milliseconds" };

/** Bounded runs: each property stays well under a second. */
const RUNS = { numRuns: 250 };

// --- Checks of the model ----------------------------------------------------------

/** 9999-12-31T23:59:59.999Z, the normalizer's latest readable time. */
const LATEST_MS = 253_402_300_799_999;

function expectValidDate(value: Date | null): void {
  if (value === null) return;
  expect(value).toBeInstanceOf(Date);
  expect(Number.isNaN(value.getTime())).toBe(false);
  expect(value.getTime()).toBeGreaterThanOrEqual(Date.UTC(1, 0, 1) - 86_400_000 * 366 * 2);
  expect(value.getTime()).toBeLessThanOrEqual(LATEST_MS);
}

function expectCount(value: number | undefined | null): void {
  if (value === undefined || value === null) return;
  expect(Number.isSafeInteger(value)).toBe(true);
  expect(value).toBeGreaterThanOrEqual(0);
}

function expectValidJob(job: BackupJob): void {
  expect(job.id === null || (typeof job.id === "string" && job.id.length > 0 && job.id === job.id.trim())).toBe(true);
  expect([...JOB_STATES, "Unknown"]).toContain(job.state);
  if (job.state === "Unknown") expect(job.rawState === null || typeof job.rawState === "string").toBe(true);
  else expect(typeof job.rawState).toBe("string");
  expectValidDate(job.startTime);
  expectValidDate(job.finishTime);
  if (job.durationMs !== null) {
    expect(Number.isFinite(job.durationMs)).toBe(true);
    expect(job.durationMs).toBeGreaterThanOrEqual(0);
  }
  if (job.counts !== null) {
    for (const n of [job.counts.total, job.counts.failed, job.counts.successful, job.counts.skipped]) {
      expect(typeof n).toBe("number");
      expectCount(n);
    }
  }
  expect(Array.isArray(job.errors)).toBe(true);
  for (const error of job.errors) {
    expect(typeof error.message).toBe("string");
    expectCount(error.count);
  }
}

function expectValidPage(page: JobPage): void {
  expect(Array.isArray(page.jobs)).toBe(true);
  page.jobs.forEach(expectValidJob);
  expectCount(page.totalCount);
  expect(page.nextLink === null || (typeof page.nextLink === "string" && page.nextLink.trim() !== "")).toBe(true);
  expect(page.requestId === null || typeof page.requestId === "string").toBe(true);
}

function expectValidLicense(usage: LicenseUsage): void {
  expectValidDate(usage.outOfPolicySince);
  expectCount(usage.purchasedUserSeats);
  expectCount(usage.assignedUserSeats);
  for (const gb of [usage.purchasedStorageGb, usage.protectedStorageGb]) {
    expect(Number.isFinite(gb)).toBe(true);
    expect(gb).toBeGreaterThanOrEqual(0);
  }
}

/** The result of parsing: the model, or the typed error it threw. Anything else fails the property. */
function outcome<T>(parse: () => T): { ok: true; value: T } | { ok: false; error: MalformedResponseError | AvePointApiError } {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    if (error instanceof MalformedResponseError || error instanceof AvePointApiError) return { ok: false, error };
    throw error;
  }
}

function expectTypedError(error: MalformedResponseError | AvePointApiError, body: unknown): void {
  if (error instanceof AvePointApiError) {
    // Only an envelope whose statusCode is not 2xx is an API error inside a 200.
    expect(typeof body === "object" && body !== null).toBe(true);
    expect(error.status < 200 || error.status > 299).toBe(true);
  } else {
    expect(error.name).toBe("MalformedResponseError");
    expect(error.detail.length).toBeGreaterThan(0);
  }
}

// --- Generators --------------------------------------------------------------------

/** One property name in a random spelling the API could use: any letter casing, or snake_case. */
function spelled(name: string): fc.Arbitrary<string> {
  const snake = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2");
  return fc.tuple(fc.boolean(), fc.array(fc.boolean(), { minLength: snake.length, maxLength: snake.length })).map(([useSnake, upper]) => {
    const base = useSnake ? snake : name;
    return [...base].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join("");
  });
}

/** An object whose keys are spelled randomly; `undefined` values leave the key out. */
function object(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(([name, value]) => fc.tuple(spelled(name), value));
  return fc.tuple(...entries).map((pairs) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of pairs) if (value !== undefined) out[key] = value;
    return out;
  });
}

/** Extra properties the API may add some day: they must be ignored. */
const extraFields = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).map((k) => `x${k}`),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 3 },
);

function withExtras(base: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(base, extraFields).map(([b, extra]) => ({ ...extra, ...b }));
}

const number = (n: number) => fc.constantFrom<unknown>(n, String(n), ` ${n} `);

/** A time given as seconds or milliseconds (number or text) or ISO-8601 in several spellings, with the instant it means. */
const encodedTime: fc.Arbitrary<{ raw: unknown; ms: number | null }> = fc.oneof(
  fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2099, 11, 31) / 1000 }).chain((seconds) => {
    const ms = seconds * 1000;
    const iso = new Date(ms).toISOString();
    return fc.integer({ min: -12 * 60, max: 14 * 60 }).chain((offset) => {
      const roundOffset = offset - (offset % 30);
      const local = new Date(ms + roundOffset * 60_000).toISOString().slice(0, 19);
      const sign = roundOffset < 0 ? "-" : "+";
      const hh = String(Math.floor(Math.abs(roundOffset) / 60)).padStart(2, "0");
      const mm = String(Math.abs(roundOffset) % 60).padStart(2, "0");
      const forms: unknown[] = [
        seconds,
        ms,
        String(seconds),
        String(ms),
        iso,
        iso.slice(0, 19),
        iso.slice(0, 19).replace("T", " "),
        `${local}${sign}${hh}:${mm}`,
        `${local}${sign}${hh}${mm}`,
        iso.toLowerCase(),
      ];
      if (mm === "00") forms.push(`${local}${sign}${hh}`);
      return fc.constantFrom(...forms).map((raw) => ({ raw, ms }));
    });
  }),
  fc.constantFrom<{ raw: unknown; ms: number | null }>({ raw: 0, ms: null }, { raw: "", ms: null }, { raw: null, ms: null }, { raw: "0", ms: null }, { raw: "0001-01-01T00:00:00", ms: null }),
);

/** Every spelling of every known state, as the API may send it. */
const STATE_FORMS: Record<(typeof JOB_STATES)[number], string[]> = {
  InProgress: ["InProgress", "In Progress", "in_progress", "IN-PROGRESS", "Running", "running", "Pending", "Waiting", "Waiting for configuration", "Not started", "Queued", "Not Finished", "1"],
  Finished: ["Finished", "finished", "FINISHED", "2"],
  Failed: ["Failed", "failed", "FAILED", "Failed to start", "3"],
  FinishedException: ["FinishedException", "Finished With Exception", "finished_with_exceptions", "finished-exception"],
  PartiallyFinished: ["PartiallyFinished", "Partially Finished", "partially_finished"],
  Canceled: ["Canceled", "Cancelled", "CANCELED"],
  Stopped: ["Stopped", "stopped"],
  Rejected: ["Rejected"],
  Skipped: ["Skipped", "skipped"],
};

const knownState = fc.constantFrom(...JOB_STATES).chain((state) => fc.constantFrom(...STATE_FORMS[state]).map((raw) => ({ raw, state })));
const unknownState = fc
  .string({ minLength: 1, maxLength: 20 })
  // Digits are the seed's JobState codes, known or not: an unknown code is tested on its own.
  .filter((s) => !/^\s*\d+\s*$/.test(s) && !Object.values(STATE_FORMS).flat().some((f) => f.replace(/[\s_-]/g, "").toLowerCase() === s.replace(/[\s_-]/g, "").toLowerCase()))
  .map((raw) => ({ raw, state: "Unknown" as const }));

/** Ids as the API writes them (`IB20241202075225000001`), or other non-blank text without surrounding spaces. */
const jobId = fc.oneof(
  fc.stringMatching(/^[A-Z]{2}\d{20}$/),
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() === s && s.length > 0),
);

const counts = fc.record({
  total: fc.nat({ max: 1_000_000 }),
  failed: fc.nat({ max: 1_000_000 }),
  successful: fc.nat({ max: 1_000_000 }),
  skipped: fc.nat({ max: 1_000_000 }),
});

interface ExpectedJob {
  id: string | null;
  state: BackupJob["state"];
  startMs: number | null;
  finishMs: number | null;
  counts: { total: number; failed: number; successful: number; skipped: number } | null;
  errors: number;
}

/** A well-formed job in a random dialect, with what the normalizer must make of it. */
const wellFormedJob: fc.Arbitrary<{ raw: Record<string, unknown>; expected: ExpectedJob }> = fc
  .record({
    id: fc.option(jobId, { nil: null }),
    idAsNumber: fc.option(fc.nat({ max: 1_000_000_000 }), { nil: undefined }),
    state: fc.oneof({ weight: 4, arbitrary: knownState }, { weight: 1, arbitrary: unknownState }),
    start: encodedTime,
    finish: encodedTime,
    counts: fc.option(counts, { nil: null }),
    countNaming: fc.constantFrom<"count" | "number">("count", "number"),
    countsAsText: fc.boolean(),
    errors: fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.record({ value: fc.string({ maxLength: 30 }), number: fc.nat({ max: 99 }) })), { maxLength: 3 }),
    duration: fc.option(fc.oneof(fc.nat({ max: 10_000_000 }), fc.constantFrom("01:02:03", "1.02:03:04.5")), { nil: undefined }),
  })
  .chain((g) => {
    const idValue: unknown = g.idAsNumber !== undefined ? g.idAsNumber : g.id;
    const details =
      g.counts === null
        ? null
        : Object.fromEntries(
            ([["Total", "total"], ["Failed", "failed"], ["Successful", "successful"], ["Skipped", "skipped"]] as const).map(([name, field]) => {
              const n = g.counts![field];
              return [`${name}${g.countNaming === "count" ? "Count" : "Number"}`, g.countsAsText ? String(n) : n];
            }),
          );
    const detailsArb: fc.Arbitrary<unknown> =
      details === null ? fc.constant(null) : object(Object.fromEntries(Object.entries(details).map(([k, v]) => [k, fc.constant(v)])));
    return fc
      .tuple(
        withExtras(
          object({
            Id: fc.constant(idValue),
            State: fc.constant(g.state.raw),
            StartTime: fc.constant(g.start.raw),
            FinishTime: fc.constant(g.finish.raw),
            Duration: fc.constant(g.duration),
            JobErrors: fc.constant(g.errors),
          }),
        ),
        detailsArb,
        spelled("BackupDetails"),
      )
      .map(([fields, d, detailsKey]) => {
        const raw = { ...fields, [detailsKey]: d };
        const expected: ExpectedJob = {
          id: idValue === null ? null : String(idValue),
          state: g.state.state,
          startMs: g.start.ms,
          finishMs: g.finish.ms,
          counts: g.counts,
          errors: g.errors.length,
        };
        return { raw, expected };
      });
  });

/** A page of jobs in the seed shape or the current profile's envelope, keys spelled randomly. */
function pageOf(jobs: Record<string, unknown>[], totalCount: number, shape: "seed" | "current" | "current-object"): fc.Arbitrary<unknown> {
  const total = number(totalCount);
  switch (shape) {
    case "seed":
      return withExtras(object({ Jobs: fc.constant(jobs), TotalCount: total, NextLink: fc.constantFrom<unknown>(undefined, null, "") }));
    case "current":
      return withExtras(
        object({
          StatusCode: fc.constantFrom<unknown>(200, "200"),
          Message: fc.constantFrom<unknown>("OK", null),
          Data: fc.constant(jobs),
          Metadata: object({ TotalCount: total, NextLink: fc.constantFrom<unknown>(undefined, null, "", "/backup/m365/cloudbackupjobs?pageIndex=2") }),
          RequestId: fc.constantFrom<unknown>(undefined, "req-1"),
        }),
      );
    case "current-object":
      return object({ StatusCode: fc.constant(200), Data: object({ Jobs: fc.constant(jobs), TotalCount: total }) });
  }
}

const wellFormedPage = fc
  .tuple(fc.array(wellFormedJob, { maxLength: 12 }), fc.constantFrom<"seed" | "current" | "current-object">("seed", "current", "current-object"))
  .chain(([jobs, shape]) => pageOf(jobs.map((j) => j.raw), jobs.length, shape).map((body) => ({ body, expected: jobs.map((j) => j.expected) })));

function expectMatches(job: BackupJob, expected: ExpectedJob): void {
  expect(job.id).toBe(expected.id);
  expect(job.state).toBe(expected.state);
  expect(job.startTime?.getTime() ?? null).toBe(expected.startMs);
  expect(job.finishTime?.getTime() ?? null).toBe(expected.finishMs);
  expect(job.counts).toEqual(expected.counts);
  expect(job.errors).toHaveLength(expected.errors);
}

/** Replaces one value somewhere inside a JSON value (chosen by `path`) with `junk`. */
function corrupt(value: unknown, path: number[], junk: unknown): unknown {
  if (path.length === 0) return junk;
  const [step, ...rest] = path as [number, ...number[]];
  if (Array.isArray(value) && value.length > 0) {
    const copy = [...value];
    const i = step % copy.length;
    copy[i] = corrupt(copy[i], rest, junk);
    return copy;
  }
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 0) return junk;
    const key = keys[step % keys.length]!;
    return { ...value, [key]: corrupt((value as Record<string, unknown>)[key], rest, junk) };
  }
  return junk;
}

const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom<unknown>(-1, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e300, "", " ", "NaN", "1e999", "12abc", "2024-13-45", "0x1F", true, [], {}, null),
  fc.string({ maxLength: 20 }),
  fc.double(),
);

// --- Properties ----------------------------------------------------------------------

describe("job page normalization (properties)", () => {
  it("reads well-formed pages in any casing, shape and time encoding exactly", () => {
    fc.assert(
      fc.property(wellFormedPage, fc.constantFrom(SEED_CONTEXT, CURRENT_CONTEXT), ({ body, expected }, context) => {
        const page = normalizeJobPage(body, context);
        expectValidPage(page);
        expect(page.jobs).toHaveLength(expected.length);
        page.jobs.forEach((job, i) => expectMatches(job, expected[i]!));
        expect(page.totalCount).toBe(expected.length);
        // The same body as text reads the same.
        expect(parseJobPage(JSON.stringify(body), context)).toEqual(page);
      }),
      RUNS,
    );
  });

  it("never crashes on a well-formed page with one value replaced by junk: a valid model or a typed error", () => {
    fc.assert(
      fc.property(wellFormedPage, fc.array(fc.nat(), { minLength: 0, maxLength: 5 }), junkValue, ({ body }, path, junk) => {
        const damaged = corrupt(body, path, junk);
        const result = outcome(() => normalizeJobPage(damaged, SEED_CONTEXT));
        if (result.ok) expectValidPage(result.value);
        else expectTypedError(result.error, damaged);
      }),
      RUNS,
    );
  });

  it("never crashes on arbitrary JSON or text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 })), (body) => {
        const result = outcome(() => normalizeJobPage(body, CURRENT_CONTEXT));
        if (result.ok) expectValidPage(result.value);
        else expectTypedError(result.error, body);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 })), (text) => {
        const result = outcome(() => parseJobPage(text, SEED_CONTEXT));
        if (result.ok) expectValidPage(result.value);
        else expectTypedError(result.error, text);
      }),
      RUNS,
    );
  });

  it("a truncated body is a MalformedResponseError, never a shorter list", () => {
    fc.assert(
      fc.property(wellFormedPage, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), ({ body }, fraction) => {
        const text = JSON.stringify(body);
        const cut = text.slice(0, Math.floor(text.length * fraction));
        expect(() => parseJobPage(cut, SEED_CONTEXT)).toThrow(MalformedResponseError);
      }),
      RUNS,
    );
  });

  it("a job without a usable id or with an unknown state is kept and marked, never dropped", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(null), fc.constant(""), fc.constant("   ")), { minLength: 1, maxLength: 5 }), unknownState, (ids, state) => {
        const jobs = ids.map((id) => ({ Id: id, State: state.raw }));
        const page = normalizeJobPage({ Jobs: jobs, TotalCount: jobs.length }, SEED_CONTEXT);
        expect(page.jobs).toHaveLength(jobs.length);
        for (const job of page.jobs) {
          expect(job.id).toBeNull();
          expect(job.state).toBe("Unknown");
          expect(job.rawState).toBe(state.raw);
        }
      }),
      RUNS,
    );
  });

  it("reads huge pages (thousands of jobs) completely", () => {
    fc.assert(
      fc.property(fc.array(wellFormedJob, { minLength: 1, maxLength: 8 }), fc.integer({ min: 2_000, max: 4_000 }), (sample, size) => {
        const jobs = Array.from({ length: size }, (_, i) => ({ ...sample[i % sample.length]!.raw }));
        const text = JSON.stringify({ statusCode: 200, data: jobs, metadata: { totalCount: size * 3 } });
        const page = parseJobPage(text, CURRENT_CONTEXT);
        expect(page.jobs).toHaveLength(size);
        expect(page.totalCount).toBe(size * 3);
        // One comparison of the whole list (per-job assertions would dominate the run time).
        const summary = (id: string | null, state: string, start: number | null, finish: number | null) => `${id}|${state}|${start}|${finish}`;
        expect(page.jobs.map((j) => summary(j.id, j.state, j.startTime?.getTime() ?? null, j.finishTime?.getTime() ?? null))).toEqual(
          page.jobs.map((_, i) => {
            const e = sample[i % sample.length]!.expected;
            return summary(e.id, e.state, e.startMs, e.finishMs);
          }),
        );
      }),
      { numRuns: 4 },
    );
  });
});

// --- License ---------------------------------------------------------------------------

const wellFormedLicense = fc
  .record({
    outOfPolicy: encodedTime,
    purchased: fc.nat({ max: 1_000_000 }),
    assigned: fc.nat({ max: 1_000_000 }),
    storage: fc.double({ min: 0, max: 1e7, noNaN: true }),
    protected: fc.double({ min: 0, max: 1e7, noNaN: true }),
    asText: fc.boolean(),
    enveloped: fc.boolean(),
    storageNaming: fc.boolean(),
  })
  .chain((g) => {
    const n = (v: number) => (g.asText ? String(v) : v);
    const fields = object({
      OutOfPolicyTime: fc.constant(g.outOfPolicy.raw),
      PurchasedUserSeats: fc.constant(n(g.purchased)),
      AssignedUserSeats: fc.constant(n(g.assigned)),
      [g.storageNaming ? "PurchasedStorageSize" : "PurchasedStorage"]: fc.constant(n(g.storage)),
      [g.storageNaming ? "ProtectedSize" : "ProtectedStorageSize"]: fc.constant(n(g.protected)),
    });
    const body = g.enveloped ? object({ StatusCode: fc.constant(200), Data: withExtras(fields) }) : withExtras(fields);
    return body.map((b) => ({ body: b, g }));
  });

describe("license normalization (properties)", () => {
  it("reads well-formed license bodies in any casing exactly", () => {
    fc.assert(
      fc.property(wellFormedLicense, ({ body, g }) => {
        const usage = normalizeLicenseUsage(body, LICENSE_CONTEXT);
        expectValidLicense(usage);
        expect(usage.outOfPolicySince?.getTime() ?? null).toBe(g.outOfPolicy.ms);
        expect(usage.purchasedUserSeats).toBe(g.purchased);
        expect(usage.assignedUserSeats).toBe(g.assigned);
        expect(usage.purchasedStorageGb).toBe(Number(String(g.storage)));
        expect(usage.protectedStorageGb).toBe(Number(String(g.protected)));
      }),
      RUNS,
    );
  });

  it("never crashes on damaged or arbitrary license bodies, and never reads a missing value as zero", () => {
    fc.assert(
      fc.property(wellFormedLicense, fc.array(fc.nat(), { maxLength: 3 }), junkValue, ({ body }, path, junk) => {
        const damaged = corrupt(body, path, junk);
        const result = outcome(() => parseLicenseUsage(JSON.stringify(damaged) ?? "", LICENSE_CONTEXT));
        if (result.ok) expectValidLicense(result.value);
        else expectTypedError(result.error, damaged);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.anything({ maxDepth: 3 }), (body) => {
        const result = outcome(() => normalizeLicenseUsage(body, LICENSE_CONTEXT));
        if (result.ok) expectValidLicense(result.value);
        else expectTypedError(result.error, body);
      }),
      RUNS,
    );
  });

  it("a license body missing any seat or storage value is an error naming it", () => {
    const names = ["PurchasedUserSeats", "AssignedUserSeats", "PurchasedStorageSize", "ProtectedSize"] as const;
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.constantFrom<unknown>(undefined, null, ""), (missing, value) => {
        const body: Record<string, unknown> = { OutOfPolicyTime: 0, PurchasedUserSeats: 10, AssignedUserSeats: 5, PurchasedStorageSize: 100, ProtectedSize: 20 };
        if (value === undefined) delete body[missing];
        else body[missing] = value;
        expect(() => normalizeLicenseUsage(body, LICENSE_CONTEXT)).toThrow(new RegExp(missing));
      }),
      RUNS,
    );
  });
});

describe("regressions found by these properties", () => {
  it("a numeric text that reads as Infinity (\"1e999\") is malformed, not an endless amount", () => {
    const body = { OutOfPolicyTime: 0, PurchasedUserSeats: 10, AssignedUserSeats: 5, PurchasedStorageSize: 100, ProtectedSize: "1e999" };
    expect(() => normalizeLicenseUsage(body, LICENSE_CONTEXT)).toThrow(/ProtectedSize .*not a finite number/);
    const job = { Id: "IB1", State: "Failed", Duration: "1e999" };
    expect(() => normalizeJobPage({ Jobs: [job], TotalCount: 1 }, SEED_CONTEXT)).toThrow(MalformedResponseError);
  });

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty"])("a state named like an Object member (%s) is an unknown state", (state) => {
    const page = normalizeJobPage({ Jobs: [{ Id: "IB1", State: state }], TotalCount: 1 }, SEED_CONTEXT);
    expect(page.jobs[0]).toMatchObject({ state: "Unknown", rawState: state });
  });
});

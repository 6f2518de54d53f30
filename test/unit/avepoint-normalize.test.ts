import { describe, expect, it } from "vitest";
import { AvePointApiError, MalformedResponseError } from "../../shared/avepoint/errors.js";
import {
  encodeTime,
  normalizeJobPage,
  normalizeJobState,
  normalizeLicenseUsage,
  parseJobPage,
  parseLicenseUsage,
  readErrorBody,
  readTime,
  timeEncodingOf,
  type NormalizeContext,
  type TimeEncoding,
} from "../../shared/avepoint/normalize.js";

const seed: NormalizeContext = { page: 0, path: "/cloudbackup/jobs", durationUnit: "milliseconds" };
const current: NormalizeContext = { page: 0, path: "/backup/m365/cloudbackupjobs", durationUnit: "hours" };

const START_ISO = "2024-12-02T07:52:25.000Z";
const FINISH_ISO = "2024-12-02T07:53:04.000Z";
const START_MS = Date.parse(START_ISO);
const FINISH_MS = Date.parse(FINISH_ISO);

type Casing = (name: string) => string;
const casings: Array<[string, Casing]> = [
  ["PascalCase", (n) => n[0]!.toUpperCase() + n.slice(1)],
  ["camelCase", (n) => n[0]!.toLowerCase() + n.slice(1)],
  ["lowercase", (n) => n.toLowerCase()],
  ["UPPERCASE", (n) => n.toUpperCase()],
  ["snake_case", (n) => n.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()],
];

/** Renames every property of a JSON value with `casing`. */
function recase(value: unknown, casing: Casing): unknown {
  if (Array.isArray(value)) return value.map((v) => recase(v, casing));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [casing(k), recase(v, casing)]));
  }
  return value;
}

const seedJob = {
  Id: "FB20241015105312327583",
  State: "Finished",
  StartTime: START_MS,
  FinishTime: FINISH_MS,
  Duration: FINISH_MS - START_MS,
  BackupDetails: { TotalCount: 16, FailedCount: 1, SuccessfulCount: 13, SkippedCount: 2 },
};
const expectedJob = {
  id: "FB20241015105312327583",
  state: "Finished",
  rawState: "Finished",
  startTime: new Date(START_MS),
  finishTime: new Date(FINISH_MS),
  durationMs: FINISH_MS - START_MS,
  counts: { total: 16, failed: 1, successful: 13, skipped: 2 },
  errors: [],
};

describe("job pages: form", () => {
  it.each(casings)("reads a bare seed page in %s", (_name, casing) => {
    const body = recase({ TotalCount: 1, Jobs: [seedJob], NextLink: "" }, casing);
    expect(normalizeJobPage(body, seed)).toEqual({ jobs: [expectedJob], totalCount: 1, nextLink: null, requestId: null });
  });

  it.each(casings)("reads the current envelope in %s", (_name, casing) => {
    const body = recase(
      {
        statusCode: 200,
        message: "",
        data: [{ ...seedJob, StartTime: START_ISO, FinishTime: FINISH_ISO, Duration: "0.011" }],
        requestId: "0HNEVHLNSPSEJ:00000002",
        metadata: { totalCount: 7, nextLink: "/backup/m365/cloudbackupjobs?PageIndex=1" },
        traceId: "00-f335-97d2-00",
      },
      casing,
    );
    expect(normalizeJobPage(body, current)).toEqual({
      jobs: [expectedJob],
      totalCount: 7,
      nextLink: "/backup/m365/cloudbackupjobs?PageIndex=1",
      requestId: "0HNEVHLNSPSEJ:00000002",
    });
  });

  it("reads a seed-shaped object inside the envelope's data", () => {
    const page = normalizeJobPage({ statusCode: 200, data: { totalCount: 1, jobs: [seedJob], nextLink: "x?PageIndex=1" } }, seed);
    expect(page).toMatchObject({ totalCount: 1, nextLink: "x?PageIndex=1", jobs: [expectedJob] });
  });

  it("takes metadata.totalNumber, a top-level nextLink and @odata.nextLink", () => {
    expect(normalizeJobPage({ data: [], metadata: { totalNumber: "3" }, nextLink: "/n" }, current)).toMatchObject({ totalCount: 3, nextLink: "/n" });
    expect(normalizeJobPage({ Jobs: [], "@odata.nextLink": "https://h/n" }, seed)).toMatchObject({ nextLink: "https://h/n" });
  });

  it.each([
    ["bare Jobs: null", { TotalCount: 0, Jobs: null }],
    ["envelope data: null", { statusCode: 200, data: null, metadata: { totalCount: 0 } }],
    ["envelope data: []", { statusCode: "200", data: [], metadata: null }],
  ])("reads %s as an empty page", (_name, body) => {
    expect(normalizeJobPage(body, seed).jobs).toEqual([]);
  });

  it("uses the header request id when the body has none, and the trace id last", () => {
    expect(normalizeJobPage({ Jobs: [] }, { ...seed, requestId: "hdr-1" }).requestId).toBe("hdr-1");
    expect(normalizeJobPage({ data: [], traceId: "t-1" }, current).requestId).toBe("t-1");
  });

  it("sets the service on every job when the page came from an ObjectType query", () => {
    const page = normalizeJobPage({ Jobs: [seedJob, { ...seedJob, Id: "2" }] }, { ...seed, service: 7 });
    expect(page.jobs.map((j) => j.service)).toEqual([7, 7]);
  });
});

describe("job pages: values", () => {
  it.each([
    ["epoch milliseconds", START_MS, FINISH_MS],
    ["epoch seconds", START_MS / 1000, FINISH_MS / 1000],
    ["ms as strings", String(START_MS), String(FINISH_MS)],
    ["seconds as strings", String(START_MS / 1000), String(FINISH_MS / 1000)],
    ["ISO with Z", START_ISO, FINISH_ISO],
    ["ISO without zone (UTC)", "2024-12-02T07:52:25", "2024-12-02T07:53:04"],
    ["ISO with offset", "2024-12-02T08:52:25+01:00", "2024-12-02T09:53:04+02:00"],
    ["ISO with space", "2024-12-02 07:52:25Z", "2024-12-02 07:53:04Z"],
    ["ISO with hour-only and compact offsets", "2024-12-02T08:52:25+01", "2024-12-02T07:53:04+0000"],
    ["ISO with 7 fractional digits (.NET)", "2024-12-02T07:52:25.0000000Z", "2024-12-02T07:53:04.0000000"],
  ])("reads times given as %s", (_name, start, finish) => {
    const [job] = normalizeJobPage({ Jobs: [{ ...seedJob, StartTime: start, FinishTime: finish }] }, seed).jobs;
    expect(job?.startTime).toEqual(new Date(START_MS));
    expect(job?.finishTime).toEqual(new Date(FINISH_MS));
    expect(job?.durationMs).toBe(39_000);
  });

  it.each([0, "", null, "0001-01-01T00:00:00"])("reads a finish time of %j as not finished", (finish) => {
    const [job] = normalizeJobPage({ Jobs: [{ ...seedJob, State: "InProgress", FinishTime: finish, Duration: 5000 }] }, seed).jobs;
    expect(job?.finishTime).toBeNull();
    expect(job?.durationMs).toBe(5000);
  });

  it.each([
    ["milliseconds", seed, 7200000, 7_200_000],
    ["hours", current, "2", 7_200_000],
    ["hours", current, "0.5", 1_800_000],
    ["milliseconds", seed, "01:30:00", 5_400_000],
  ] as const)("derives durationMs from a bare duration in %s when there is no finish time", (_unit, ctx, duration, expected) => {
    const [job] = normalizeJobPage({ Jobs: [{ Id: "1", State: "InProgress", StartTime: START_MS, Duration: duration }] }, ctx).jobs;
    expect(job?.durationMs).toBe(expected);
  });

  it.each([
    ["TotalCount/FailedCount/SuccessfulCount/SkippedCount", { TotalCount: 10, FailedCount: 2, SuccessfulCount: 7, SkippedCount: 1 }],
    ["totalNumber/failedNumber/successfulNumber/skippedNumber", { totalNumber: 10, failedNumber: 2, successfulNumber: 7, skippedNumber: 1 }],
    ["numbers as strings", { totalNumber: "10", failedNumber: "2", successfulNumber: "7", skippedNumber: "1" }],
  ])("reads counters named %s", (_name, details) => {
    const [job] = normalizeJobPage({ Jobs: [{ ...seedJob, BackupDetails: details }] }, seed).jobs;
    expect(job?.counts).toEqual({ total: 10, failed: 2, successful: 7, skipped: 1 });
  });

  it("reads null or empty BackupDetails as unknown counts, not zeros", () => {
    expect(normalizeJobPage({ Jobs: [{ ...seedJob, BackupDetails: null }] }, seed).jobs[0]?.counts).toBeNull();
    expect(normalizeJobPage({ Jobs: [{ ...seedJob, BackupDetails: {} }] }, seed).jobs[0]?.counts).toBeNull();
  });

  it("reads TotalCount given as a string", () => {
    expect(normalizeJobPage({ TotalCount: "42", Jobs: [] }, seed).totalCount).toBe(42);
  });

  it("keeps jobErrors", () => {
    const [job] = normalizeJobPage(
      {
        data: [
          {
            ...seedJob,
            jobErrors: [
              { isErrorCode: true, value: "Mailbox not found", url: "https://learn.avepoint.com/e/123", number: 4 },
              { isErrorCode: "false", value: "Throttled", number: "2" },
              "plain text error",
            ],
          },
        ],
      },
      current,
    ).jobs;
    expect(job?.errors).toEqual([
      { message: "Mailbox not found", isErrorCode: true, url: "https://learn.avepoint.com/e/123", count: 4 },
      { message: "Throttled", isErrorCode: false, count: 2 },
      { message: "plain text error" },
    ]);
  });

  it("keeps a job without an id, with id null", () => {
    const page = normalizeJobPage({ Jobs: [{ ...seedJob, Id: null }, { ...seedJob, Id: undefined }, { ...seedJob, Id: "  " }, { ...seedJob, Id: 42 }] }, seed);
    expect(page.jobs.map((j) => j.id)).toEqual([null, null, null, "42"]);
  });
});

describe("job states", () => {
  it.each([
    ["InProgress", "InProgress"],
    ["In Progress", "InProgress"],
    ["in progress", "InProgress"],
    ["INPROGRESS", "InProgress"],
    ["In_Progress", "InProgress"],
    ["Finished", "Finished"],
    ["finished", "Finished"],
    ["FINISHED", "Finished"],
    ["Failed", "Failed"],
    ["failed", "Failed"],
    ["FinishedException", "FinishedException"],
    ["FinishedWithException", "FinishedException"],
    ["Finished with Exception", "FinishedException"],
    ["finished with exception", "FinishedException"],
    ["FINISHED WITH EXCEPTION", "FinishedException"],
    ["PartiallyFinished", "PartiallyFinished"],
    ["Partially Finished", "PartiallyFinished"],
    ["partially finished", "PartiallyFinished"],
    [" Failed ", "Failed"],
  ])("reads %j as %s and keeps the raw text", (raw, state) => {
    expect(normalizeJobState(raw)).toEqual({ state, rawState: raw });
    const [job] = normalizeJobPage({ Jobs: [{ ...seedJob, State: raw }] }, seed).jobs;
    expect(job).toMatchObject({ state, rawState: raw });
  });

  it.each([
    ["Quarantined", "Quarantined"],
    ["Finishedd", "Finishedd"],
    ["", ""],
    [9, "9"],
  ])("keeps a job with the unknown state %j as Unknown, never healthy", (raw, rawState) => {
    const [job] = normalizeJobPage({ Jobs: [{ ...seedJob, State: raw }] }, seed).jobs;
    expect(job).toMatchObject({ id: seedJob.Id, state: "Unknown", rawState });
  });

  it("keeps a job without a state as Unknown with rawState null", () => {
    const { State: _omit, ...withoutState } = seedJob;
    expect(normalizeJobPage({ Jobs: [withoutState] }, seed).jobs[0]).toMatchObject({ state: "Unknown", rawState: null });
  });
});

describe("malformed job pages", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["a list as the body", [seedJob], /the body is a list, expected a JSON object/],
    ["a string as the body", "hello", /the body is the text "hello"/],
    ["no Jobs property", { TotalCount: 3 }, /the body has no Jobs property \(properties: TotalCount\)/],
    ["Jobs is an object", { Jobs: { Id: "1" } }, /Jobs is an object, expected a list/],
    ["data is a number", { statusCode: 200, data: 5 }, /data is number 5, expected a list of jobs/],
    ["envelope without data", { statusCode: 200, message: "" }, /envelope has no data property/],
    ["metadata is a list", { data: [], metadata: [] }, /metadata is a list/],
    ["a job is a string", { Jobs: [seedJob, "job"] }, /job at position 1 is the text "job", expected an object/],
    ["a job is null", { Jobs: [null] }, /job at position 0 is null/],
    ["an unreadable start time", { Jobs: [{ ...seedJob, StartTime: "yesterday" }] }, /job "FB20241015105312327583": StartTime is the text "yesterday"/],
    ["an impossible date", { Jobs: [{ ...seedJob, FinishTime: "2024-13-45T00:00:00Z" }] }, /FinishTime .* not a valid date/],
    ["a negative time", { Jobs: [{ ...seedJob, StartTime: -5 }] }, /StartTime is -5, a time before 1970/],
    ["a time beyond any date", { Jobs: [{ ...seedJob, StartTime: 1e17 }] }, /beyond any date/],
    ["a counter as words", { Jobs: [{ ...seedJob, BackupDetails: { ...seedJob.BackupDetails, FailedCount: "two" } }] }, /BackupDetails.FailedCount is the text "two", expected a number/],
    ["a negative counter", { Jobs: [{ ...seedJob, BackupDetails: { ...seedJob.BackupDetails, FailedCount: -1 } }] }, /FailedCount is -1, expected a whole number/],
    ["a fractional counter", { Jobs: [{ ...seedJob, BackupDetails: { ...seedJob.BackupDetails, TotalCount: 1.5 } }] }, /TotalCount is 1.5/],
    ["BackupDetails is a number", { Jobs: [{ ...seedJob, BackupDetails: 7 }] }, /BackupDetails is number 7/],
    ["an unreadable TotalCount", { TotalCount: "many", Jobs: [] }, /TotalCount is the text "many"/],
    ["an unreadable metadata.totalCount", { data: [], metadata: { totalCount: true } }, /metadata.totalCount is boolean true/],
    ["jobErrors is an object", { data: [{ ...seedJob, jobErrors: { value: "x" } }] }, /jobErrors is an object, expected a list/],
    ["a jobErrors entry is a number", { data: [{ ...seedJob, jobErrors: [5] }] }, /jobErrors\[0\] is number 5/],
    ["an unreadable duration", { Jobs: [{ ...seedJob, Duration: "long" }] }, /Duration is the text "long"/],
    ["an id that is an object", { Jobs: [{ ...seedJob, Id: { x: 1 } }] }, /job at position 0: Id is an object/],
    ["NextLink is a number", { Jobs: [], NextLink: 5 }, /NextLink is number 5, expected text/],
  ];

  it.each(cases)("refuses %s, naming the page and the problem", (_name, body, detail) => {
    const error = capture(() => normalizeJobPage(body, { ...seed, page: 3 }));
    expect(error).toBeInstanceOf(MalformedResponseError);
    const malformed = error as MalformedResponseError;
    expect(malformed.name).toBe("MalformedResponseError");
    expect(malformed.page).toBe(3);
    expect(malformed.detail).toMatch(detail);
    expect(malformed.message).toContain("page 3");
  });

  it.each([
    ["truncated JSON", '{"TotalCount": 2, "Jobs": [{"Id": "1"', /truncated/],
    ["an empty body", "", /the body is empty/],
    ["HTML", "<html>Service Unavailable</html>", /not valid JSON .*starting "<html>/],
  ])("refuses %s as text", (_name, text, detail) => {
    const error = capture(() => parseJobPage(text, { ...seed, page: "/cloudbackup/jobs?PageIndex=2" }));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).page).toBe("/cloudbackup/jobs?PageIndex=2");
    expect((error as MalformedResponseError).detail).toMatch(detail);
  });

  it("never reads a malformed page as zero jobs", () => {
    expect(() => parseJobPage('{"Jobs": "none"}', seed)).toThrow(MalformedResponseError);
  });
});

describe("envelope errors", () => {
  it("reads a non-2xx statusCode in a 200 envelope as an API error", () => {
    const error = capture(() =>
      normalizeJobPage({ statusCode: 403, message: "Permission denied for scope", data: null, requestId: "r-9", traceId: "t-9" }, current),
    );
    expect(error).toBeInstanceOf(AvePointApiError);
    expect(error).toMatchObject({ name: "AvePointApiError", status: 403, requestId: "r-9", traceId: "t-9", path: current.path });
    expect((error as Error).message).toContain("Permission denied for scope");
  });

  it("reads the same for license consumption", () => {
    expect(() => normalizeLicenseUsage({ StatusCode: "500", Data: null }, { ...current, page: "license" })).toThrow(AvePointApiError);
  });
});

describe("license consumption", () => {
  const license = { OutOfPolicyTime: 0, PurchasedUserSeats: 100, AssignedUserSeats: 47, PurchasedStorageSize: 500, ProtectedSize: 120.5 };
  const expected = { outOfPolicySince: null, purchasedUserSeats: 100, assignedUserSeats: 47, purchasedStorageGb: 500, protectedStorageGb: 120.5 };
  const ctx = { ...seed, page: "license" };

  it.each(casings)("reads the bare seed shape in %s", (_name, casing) => {
    expect(normalizeLicenseUsage(recase(license, casing), ctx)).toEqual(expected);
  });

  it("reads the current envelope with numbers as strings", () => {
    const body = { statusCode: 200, message: "", data: { outOfPolicyTime: "0", purchasedUserSeats: "100", assignedUserSeats: "47", purchasedStorageSize: "500", protectedSize: "120.5" } };
    expect(normalizeLicenseUsage(body, ctx)).toEqual(expected);
  });

  it.each([
    ["ms", START_MS],
    ["s", START_MS / 1000],
    ["ISO", START_ISO],
  ])("reads an out-of-policy time in %s", (_name, time) => {
    expect(normalizeLicenseUsage({ ...license, OutOfPolicyTime: time }, ctx).outOfPolicySince).toEqual(new Date(START_MS));
  });

  it.each([
    ["a missing seat count", { ...license, AssignedUserSeats: undefined }, /AssignedUserSeats is missing/],
    ["seats as words", { ...license, PurchasedUserSeats: "lots" }, /PurchasedUserSeats is the text "lots"/],
    ["a negative size", { ...license, ProtectedSize: -1 }, /ProtectedSize is -1/],
    ["null data", { statusCode: 200, data: null }, /data is null, expected the license consumption object/],
    ["an unreadable time", { ...license, OutOfPolicyTime: "soon" }, /OutOfPolicyTime is the text "soon"/],
  ])("refuses %s", (_name, body, detail) => {
    const error = capture(() => normalizeLicenseUsage(body, ctx));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).detail).toMatch(detail);
    expect((error as Error).message).toContain("license consumption");
  });

  it("refuses truncated JSON", () => {
    expect(() => parseLicenseUsage('{"PurchasedUserSeats": 1', ctx)).toThrow(/truncated/);
  });
});

describe("readTime", () => {
  it("tells seconds from milliseconds by magnitude", () => {
    expect(readTime(1_733_125_945, "t")).toEqual(new Date(1_733_125_945_000));
    expect(readTime(1_733_125_945_123, "t")).toEqual(new Date(1_733_125_945_123));
    expect(readTime(1_733_125_945.5, "t")).toEqual(new Date(1_733_125_945_500));
  });
  it("reads a date-only ISO value as UTC midnight", () => {
    expect(readTime("2024-01-01", "t")).toEqual(new Date("2024-01-01T00:00:00Z"));
  });
});

describe("readErrorBody", () => {
  it("reads message and ids in any casing", () => {
    expect(readErrorBody('{"Message":"quota exceeded","RequestId":"r1","TraceId":"t1"}')).toEqual({ message: "quota exceeded", requestId: "r1", traceId: "t1" });
  });
  it("gives nulls for a body that is not JSON", () => {
    expect(readErrorBody("<html>")).toEqual({ message: null, requestId: null, traceId: null });
  });
});

function capture(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, none was thrown");
}

describe("the vendor's encodings (review D2, D7, D8)", () => {
  // The vendor's own response sample for GET /cloudbackup/jobs (AvePoint/cloud-api ef6ab37): .NET ticks.
  const vendorSample = { id: "FB20241015025312178069", state: "Finished", startTime: 638645575921780695, finishTime: 638645576438386696, duration: 516606001, backupDetails: null };

  it("reads .NET ticks in every time field, and a bare Duration beside them in ticks", () => {
    const [job] = normalizeJobPage({ totalCount: 1, jobs: [vendorSample] }, seed).jobs;
    expect(job!.startTime!.toISOString()).toBe("2024-10-15T02:53:12.178Z");
    expect(job!.finishTime!.toISOString()).toBe("2024-10-15T02:54:03.839Z");
    const [bare] = normalizeJobPage({ jobs: [{ ...vendorSample, finishTime: 0 }] }, seed).jobs;
    expect(bare!.durationMs).toBe(51_661);
    expect(readTime("638645575921780695", "t")!.toISOString()).toBe("2024-10-15T02:53:12.178Z");
  });

  it("reads an out-of-policy time in ticks (the license monitor must not fail when the subscription goes out of policy)", () => {
    const usage = normalizeLicenseUsage({ OutOfPolicyTime: 638645575921780695, PurchasedUserSeats: 1, AssignedUserSeats: 1, PurchasedStorageSize: 1, ProtectedSize: 1 }, { ...seed, page: "license" });
    expect(usage.outOfPolicySince!.toISOString()).toBe("2024-10-15T02:53:12.178Z");
  });

  it("knows each encoding it reads, to write query times the same way", () => {
    expect([638645575921780695, START_MS, START_MS / 1000, START_ISO, "2024-10-24", 0, "0001-01-01T00:00:00"].map((v) => timeEncodingOf(v))).toEqual(["ticks", "ms", "s", "iso", "date", undefined, undefined]);
    const at = new Date("2024-10-15T02:53:12.178Z");
    expect(["ticks", "ms", "s", "iso", "date"].map((e) => encodeTime(at, e as TimeEncoding))).toEqual([
      "638645575921780000",
      "1728960792178",
      "1728960792",
      "2024-10-15T02:53:12.178Z",
      "2024-10-15",
    ]);
  });

  it.each([
    ["Failed to start", "Failed"],
    ["Canceled", "Canceled"],
    ["Cancelled", "Canceled"],
    ["Stopped", "Stopped"],
    ["Rejected", "Rejected"],
    ["Skipped", "Skipped"],
    ["Pending", "InProgress"],
    ["Waiting for configuration", "InProgress"],
    ["Not started", "InProgress"],
    ["Queued", "InProgress"],
    ["Not Finished", "InProgress"],
    [1, "InProgress"],
    [3, "Failed"],
    ["5", "PartiallyFinished"],
  ])("reads the state %j as %s, keeping the raw text", (raw, state) => {
    expect(normalizeJobState(raw)).toEqual({ state, rawState: typeof raw === "string" ? raw : String(raw) });
  });

  it("keeps a job whose BackupDetails lacks a counter, with the counts it has", () => {
    const page = normalizeJobPage({ Jobs: [{ ...seedJob, BackupDetails: { TotalCount: 1, FailedCount: 0, SuccessfulCount: 1 } }, { ...seedJob, Id: "B", BackupDetails: { ...seedJob.BackupDetails, SkippedCount: null } }] }, seed);
    expect(page.jobs.map((j) => j.counts)).toEqual([
      { total: 1, failed: 0, successful: 1, skipped: 0, missing: ["skipped"] },
      { total: 16, failed: 1, successful: 13, skipped: 0, missing: ["skipped"] },
    ]);
  });
});

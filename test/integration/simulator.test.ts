import { randomUUID, sign } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestCertificate, createUnrelatedTestCertificate } from "../support/certificates.js";
import type { TestCertificate } from "../support/certificates.js";
import {
  AvePointSimulator,
  FOREIGN_ORIGIN,
  JOB_INFO_SCOPE,
  JWT_BEARER_ASSERTION_TYPE,
  SUBSCRIPTION_INFO_SCOPE,
  SimulatedTenant,
  createDemoTenant,
} from "../simulator/index.js";
import type { SimJob, SimulatorOptions } from "../simulator/index.js";
import { BACKEND_JOBS_PATH } from "../simulator/index.js";

const BOTH_SCOPES = `${JOB_INFO_SCOPE} ${SUBSCRIPTION_INFO_SCOPE}`;
const SEED_JOBS = "/cloudbackup/jobs";
const SEED_LICENSE = "/cloudbackup/licenseconsumption";
const CURRENT_JOBS = "/backup/m365/cloudbackupjobs";
const CURRENT_LICENSE = "/backup/m365/cloudbackuplicenseconsumption";

type JsonObject = Record<string, unknown>;

let sim: AvePointSimulator;
let clockMs: number;

async function startSimulator(options: SimulatorOptions = {}): Promise<AvePointSimulator> {
  sim = await AvePointSimulator.start({ now: () => clockMs, ...options });
  return sim;
}

beforeEach(() => {
  clockMs = Date.parse("2025-03-10T12:00:00Z");
});

afterEach(async () => {
  await sim?.stop();
});

async function postToken(form: Record<string, string>): Promise<{ status: number; body: JsonObject; text: string }> {
  const response = await fetch(sim.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as JsonObject, text };
}

async function tokenBySecret(scope = BOTH_SCOPES): Promise<string> {
  const { status, body } = await postToken({ grant_type: "client_credentials", client_id: "sim-client", client_secret: "sim-secret", scope });
  expect(status).toBe(200);
  return body.access_token as string;
}

async function get(path: string, token: string | undefined): Promise<{ status: number; body: JsonObject; text: string; headers: Headers }> {
  const response = await fetch(path.startsWith("http") ? path : `${sim.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  let body: JsonObject = {};
  try {
    body = JSON.parse(text) as JsonObject;
  } catch {
    // Truncated and malformed bodies are asserted on `text`.
  }
  return { status: response.status, body, text, headers: response.headers };
}

interface AssertionOverrides {
  header?: JsonObject;
  claims?: JsonObject;
  signWith?: TestCertificate;
}

function signedAssertion(cert: TestCertificate, overrides: AssertionOverrides = {}): string {
  const nowS = Math.floor(clockMs / 1000);
  const header = { alg: "RS256", typ: "JWT", x5t: cert.thumbprintSha1Base64Url, ...overrides.header };
  const claims = { iss: "sim-client", sub: "sim-client", aud: sim.tokenUrl, jti: randomUUID(), nbf: nowS, iat: nowS, exp: nowS + 600, ...overrides.claims };
  const encode = (value: JsonObject): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = sign("RSA-SHA256", Buffer.from(input), (overrides.signWith ?? cert).keyPem).toString("base64url");
  return `${input}.${signature}`;
}

function assertionForm(assertion: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: "client_credentials", client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: assertion, scope: JOB_INFO_SCOPE, ...extra };
}

function job(overrides: Partial<SimJob> & { startTime: Date }): SimJob {
  return { state: "Finished", objectType: 1, counts: { total: 10, failed: 0, successful: 9, skipped: 1 }, ...overrides };
}

/** Adds `count` finished Exchange jobs one minute apart, the newest at 11:00Z. */
function addJobs(count: number): SimJob[] {
  const added: SimJob[] = [];
  for (let i = 0; i < count; i++) {
    added.push(sim.tenant.addJob(job({ id: `IB${String(i).padStart(4, "0")}`, startTime: new Date(Date.parse("2025-03-10T11:00:00Z") - i * 60_000) })));
  }
  return added;
}

describe("token endpoint", () => {
  it("issues an opaque bearer token for the right client secret", async () => {
    await startSimulator({ tokenLifetimeSeconds: 1800 });
    const { status, body } = await postToken({ grant_type: "client_credentials", client_id: "sim-client", client_secret: "sim-secret", scope: JOB_INFO_SCOPE });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 1800, scope: JOB_INFO_SCOPE });
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(sim.requests.at(-1)).toMatchObject({ method: "POST", path: "/connect/token", status: 200, authorized: true });
  });

  it("refuses a wrong secret with invalid_client and never echoes the secret", async () => {
    await startSimulator();
    const { status, body, text } = await postToken({ grant_type: "client_credentials", client_id: "sim-client", client_secret: "wrong-secret-value", scope: JOB_INFO_SCOPE });
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_client");
    expect(text).not.toContain("wrong-secret-value");
    expect(text).not.toContain("sim-secret");
    expect(JSON.stringify(sim.requests)).not.toContain("wrong-secret-value");
    expect(sim.requests.at(-1)).toMatchObject({ status: 400, authorized: false });
  });

  it.each([
    [{ client_id: "sim-client", client_secret: "sim-secret", scope: JOB_INFO_SCOPE }, "invalid_request"],
    [{ grant_type: "password", client_id: "sim-client", client_secret: "sim-secret", scope: JOB_INFO_SCOPE }, "unsupported_grant_type"],
    [{ grant_type: "client_credentials", client_id: "other-client", client_secret: "sim-secret", scope: JOB_INFO_SCOPE }, "invalid_client"],
    [{ grant_type: "client_credentials", client_id: "sim-client", client_secret: "sim-secret" }, "invalid_scope"],
    [{ grant_type: "client_credentials", client_id: "sim-client", client_secret: "sim-secret", scope: "audit.read.all" }, "invalid_scope"],
  ])("answers %o with %s", async (form, error) => {
    await startSimulator();
    const { status, body } = await postToken(form as Record<string, string>);
    expect(status).toBe(400);
    expect(body.error).toBe(error);
  });

  it("requires a form-encoded body", async () => {
    await startSimulator();
    const response = await fetch(sim.tokenUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as JsonObject).error).toBe("invalid_request");
  });

  describe("certificate (client assertion)", () => {
    const cert = createTestCertificate({ commonName: "sim-client-cert" });

    it("accepts a real RS256 assertion signed by the registered certificate", async () => {
      await startSimulator({ certificatePem: cert.certPem });
      const { status, body } = await postToken(assertionForm(signedAssertion(cert)));
      expect(status).toBe(200);
      const api = await get(SEED_JOBS, body.access_token as string);
      expect(api.status).toBe(200);
    });

    it("accepts client_id in the form when it matches", async () => {
      await startSimulator({ certificatePem: cert.certPem });
      expect((await postToken(assertionForm(signedAssertion(cert), { client_id: "sim-client" }))).status).toBe(200);
    });

    it.each<[string, (c: TestCertificate) => AssertionOverrides]>([
      ["the wrong audience", () => ({ claims: { aud: "https://identity.avepointonlineservices.com/connect/token" } })],
      ["an expired assertion", () => ({ claims: { exp: Math.floor(clockMs / 1000) - 120 } })],
      ["a future nbf", () => ({ claims: { nbf: Math.floor(clockMs / 1000) + 600 } })],
      ["a wrong issuer", () => ({ claims: { iss: "someone-else" } })],
      ["a wrong subject", () => ({ claims: { sub: "someone-else" } })],
      ["no jti", () => ({ claims: { jti: undefined } })],
      ["a wrong x5t", () => ({ header: { x5t: "AAAAAAAAAAAAAAAAAAAAAAAAAAA" } })],
      ["HS256", () => ({ header: { alg: "HS256" } })],
      ["a signature by another key", () => ({ signWith: createUnrelatedTestCertificate() })],
    ])("refuses %s", async (_name, overrides) => {
      await startSimulator({ certificatePem: cert.certPem });
      const { status, body } = await postToken(assertionForm(signedAssertion(cert, overrides(cert))));
      expect(status).toBe(400);
      expect(body.error).toBe("invalid_client");
    });

    it("tolerates 60 s of clock skew on exp", async () => {
      await startSimulator({ certificatePem: cert.certPem });
      const { status } = await postToken(assertionForm(signedAssertion(cert, { claims: { exp: Math.floor(clockMs / 1000) - 30 } })));
      expect(status).toBe(200);
    });

    it("refuses an assertion from a different certificate than the registered one", async () => {
      const other = createUnrelatedTestCertificate({ commonName: "not-registered" });
      await startSimulator({ certificatePem: cert.certPem });
      const { status, body } = await postToken(assertionForm(signedAssertion(other)));
      expect(status).toBe(400);
      expect(body.error).toBe("invalid_client");
    });

    it("refuses a replayed assertion (same jti)", async () => {
      await startSimulator({ certificatePem: cert.certPem });
      const assertion = signedAssertion(cert);
      expect((await postToken(assertionForm(assertion))).status).toBe(200);
      const replay = await postToken(assertionForm(assertion));
      expect(replay.status).toBe(400);
      expect(replay.body.error_description).toMatch(/jti/);
    });

    it("refuses assertions when no certificate is registered, and bad assertion types", async () => {
      await startSimulator();
      expect((await postToken(assertionForm(signedAssertion(cert)))).body.error).toBe("invalid_client");
      expect((await postToken(assertionForm(signedAssertion(cert), { client_assertion_type: "saml" }))).body.error).toBe("invalid_request");
    });

    it("refuses an assertion once the registered certificate has expired", async () => {
      const expired = createTestCertificate({ notBefore: new Date(clockMs - 48 * 3_600_000), notAfter: new Date(clockMs - 3_600_000) });
      await startSimulator({ certificatePem: expired.certPem });
      const { body } = await postToken(assertionForm(signedAssertion(expired)));
      expect(body.error).toBe("invalid_client");
      expect(body.error_description).toMatch(/validity/);
    });
  });
});

describe("bearer tokens on the API", () => {
  it.each([SEED_JOBS, SEED_LICENSE, CURRENT_JOBS, CURRENT_LICENSE])("%s answers 401 with a JSON body without a token or with a bad one", async (path) => {
    await startSimulator();
    for (const token of [undefined, "not-a-token"]) {
      const response = await get(path, token);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
      expect(JSON.stringify(response.body)).toMatch(/[Mm]essage/);
    }
    expect(sim.requests.map((r) => [r.status, r.authorized])).toEqual([
      [401, false],
      [401, false],
    ]);
  });

  it("refuses a token after it expires on the simulator clock", async () => {
    await startSimulator({ tokenLifetimeSeconds: 60 });
    const token = await tokenBySecret();
    expect((await get(SEED_JOBS, token)).status).toBe(200);
    clockMs += 60_000;
    const expired = await get(SEED_JOBS, token);
    expect(expired.status).toBe(401);
    expect(expired.text).toContain("expired");
    expect(expired.text).not.toContain(token);
  });

  it("answers 403 when the token lacks the endpoint's permission", async () => {
    await startSimulator();
    const token = await tokenBySecret(JOB_INFO_SCOPE);
    expect((await get(SEED_JOBS, token)).status).toBe(200);
    expect((await get(SEED_LICENSE, token)).status).toBe(403);
  });
});

describe("response styles", () => {
  beforeEach(async () => {
    await startSimulator();
    sim.tenant.addJob(job({ id: "FB20250310100000123456", state: "FinishedException", startTime: new Date("2025-03-10T10:00:00Z"), finishTime: new Date("2025-03-10T10:00:36Z"), counts: { total: 16, failed: 2, successful: 12, skipped: 2 }, errors: [{ message: "Item too large", count: 2, url: "https://example.invalid/e1", isErrorCode: true }] }));
    sim.tenant.addJob(job({ id: "IB20250310110000000001", state: "InProgress", startTime: new Date("2025-03-10T11:00:00Z"), finishTime: null }));
  });

  it("serves the seed profile as PascalCase, epoch ms, bare object, no NextLink", async () => {
    const { body } = await get(SEED_JOBS, await tokenBySecret());
    expect(body).toEqual({
      TotalCount: 2,
      Jobs: [
        { Id: "IB20250310110000000001", State: "InProgress", StartTime: Date.parse("2025-03-10T11:00:00Z"), FinishTime: 0, Duration: 3_600_000, BackupDetails: { TotalCount: 10, FailedCount: 0, SuccessfulCount: 9, SkippedCount: 1 } },
        { Id: "FB20250310100000123456", State: "FinishedException", StartTime: Date.parse("2025-03-10T10:00:00Z"), FinishTime: Date.parse("2025-03-10T10:00:36Z"), Duration: 36_000, BackupDetails: { TotalCount: 16, FailedCount: 2, SuccessfulCount: 12, SkippedCount: 2 } },
      ],
    });
  });

  it("serves the current profile as the documented envelope with ISO times, hours and jobErrors", async () => {
    const { body } = await get(CURRENT_JOBS, await tokenBySecret());
    expect(body).toMatchObject({ statusCode: 200, message: "", metadata: { totalCount: 2, nextLink: "" } });
    expect(body.requestId).toMatch(/^[0-9A-F]{13}:\d{8}$/);
    expect(body.traceId).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(body.timestamp).toBe("2025-03-10T12:00:00.000Z");
    expect((body.data as JsonObject[])[1]).toEqual({
      id: "FB20250310100000123456",
      state: "FinishedException",
      startTime: "2025-03-10T10:00:00Z",
      finishTime: "2025-03-10T10:00:36Z",
      duration: "0.010",
      backupDetails: { totalCount: 16, failedCount: 2, successfulCount: 12, skippedCount: 2 },
      jobErrors: [{ isErrorCode: true, value: "Item too large", url: "https://example.invalid/e1", number: 2 }],
    });
    expect((body.data as JsonObject[])[0]).toMatchObject({ state: "InProgress", finishTime: null, jobErrors: [] });
  });

  it.each([
    ["camel", ["totalCount", "jobs"], ["id", "state", "startTime", "finishTime", "duration", "backupDetails"], "successfulCount"],
    ["lower", ["totalcount", "jobs"], ["id", "state", "starttime", "finishtime", "duration", "backupdetails"], "successfulcount"],
    ["upper", ["TOTALCOUNT", "JOBS"], ["ID", "STATE", "STARTTIME", "FINISHTIME", "DURATION", "BACKUPDETAILS"], "SUCCESSFULCOUNT"],
  ] as const)("casing %s re-cases every key", async (casing, topKeys, jobKeys, nestedKey) => {
    sim.options.style = { casing };
    const { body } = await get(SEED_JOBS, await tokenBySecret());
    expect(Object.keys(body)).toEqual(topKeys);
    const first = (body[topKeys[1]] as JsonObject[])[0]!;
    expect(Object.keys(first)).toEqual(jobKeys);
    expect(first[jobKeys[5]]).toHaveProperty(nestedKey, 9);
  });

  it("casing applies to the envelope too", async () => {
    sim.options.style = { casing: "pascal" };
    const { body } = await get(CURRENT_JOBS, await tokenBySecret());
    expect(Object.keys(body).sort()).toEqual(["Data", "Message", "Metadata", "RequestId", "StatusCode", "Timestamp", "TraceId"]);
    expect(body.Metadata).toEqual({ TotalCount: 2, NextLink: "" });
  });

  it("envelope on the seed path wraps the page", async () => {
    sim.options.style = { envelope: true };
    const { body } = await get(SEED_JOBS, await tokenBySecret());
    expect(body).toMatchObject({ StatusCode: 200, Metadata: { TotalCount: 2 } });
    expect((body.Data as unknown[]).length).toBe(2);
  });

  it.each([
    ["s", Date.parse("2025-03-10T10:00:00Z") / 1000, 0],
    ["iso", "2025-03-10T10:00:00Z", null],
    ["ms", Date.parse("2025-03-10T10:00:00Z"), 0],
  ] as const)("timeFormat %s", async (timeFormat, start, runningFinish) => {
    sim.options.style = { timeFormat };
    const jobs = (await get(SEED_JOBS, await tokenBySecret())).body.Jobs as JsonObject[];
    expect(jobs[1]!.StartTime).toBe(start);
    expect(jobs[0]!.FinishTime).toBe(runningFinish);
  });

  it("counterNames 'number' renames backup details and the total", async () => {
    sim.options.style = { counterNames: "number" };
    const { body } = await get(CURRENT_JOBS, await tokenBySecret());
    expect(body.metadata).toEqual({ totalNumber: 2, nextLink: "" });
    expect((body.data as JsonObject[])[1]!.backupDetails).toEqual({ totalNumber: 16, failedNumber: 2, successfulNumber: 12, skippedNumber: 2 });
  });

  it.each([
    ["spaced", "as-is", ["In Progress", "Finished with Exception"]],
    ["long", "as-is", ["InProgress", "FinishedWithException"]],
    ["compact", "lower", ["inprogress", "finishedexception"]],
    ["spaced", "upper", ["IN PROGRESS", "FINISHED WITH EXCEPTION"]],
  ] as const)("stateSpelling %s, stateCase %s", async (stateSpelling, stateCase, expected) => {
    sim.options.style = { stateSpelling, stateCase };
    const jobs = (await get(SEED_JOBS, await tokenBySecret())).body.Jobs as JsonObject[];
    expect(jobs.map((j) => j.State)).toEqual(expected);
  });

  it("passes unknown states through verbatim", async () => {
    sim.tenant.addJob(job({ id: "X1", state: "Cancelled", startTime: new Date("2025-03-10T11:30:00Z") }));
    const jobs = (await get(SEED_JOBS, await tokenBySecret())).body.Jobs as JsonObject[];
    expect(jobs[0]!.State).toBe("Cancelled");
  });

  it("numbersAsStrings turns counters, totals and license numbers into strings", async () => {
    sim.options.style = { numbersAsStrings: true };
    const token = await tokenBySecret();
    const { body } = await get(SEED_JOBS, token);
    expect(body.TotalCount).toBe("2");
    expect((body.Jobs as JsonObject[])[1]!.BackupDetails).toEqual({ TotalCount: "16", FailedCount: "2", SuccessfulCount: "12", SkippedCount: "2" });
    expect((await get(SEED_LICENSE, token)).body.PurchasedUserSeats).toBe("100");
  });

  it("nullWhenEmpty sends null instead of an empty list", async () => {
    sim.tenant.clearJobs();
    const token = await tokenBySecret();
    expect((await get(SEED_JOBS, token)).body.Jobs).toEqual([]);
    sim.options.style = { nullWhenEmpty: true };
    expect((await get(SEED_JOBS, token)).body.Jobs).toBeNull();
    expect((await get(CURRENT_JOBS, token)).body.data).toBeNull();
  });

  it("durationAs switches between ms and hours as a string", async () => {
    const token = await tokenBySecret();
    sim.options.style = { durationAs: "hours-string" };
    expect(((await get(SEED_JOBS, token)).body.Jobs as JsonObject[])[0]!.Duration).toBe("1.000");
    sim.options.style = { durationAs: "ms" };
    expect(((await get(CURRENT_JOBS, token)).body.data as JsonObject[])[0]!.duration).toBe(3_600_000);
  });

  it("serves backupDetails null for a job without counts and a null id verbatim", async () => {
    sim.tenant.addJob({ id: null, state: "Finished", startTime: new Date("2025-03-10T11:30:00Z"), objectType: 2 });
    const jobs = (await get(SEED_JOBS, await tokenBySecret())).body.Jobs as JsonObject[];
    expect(jobs[0]).toMatchObject({ Id: null, BackupDetails: null });
  });

  it("serves the license bare in the seed profile and enveloped in the current one", async () => {
    sim.tenant.license = { outOfPolicyTime: Date.parse("2025-03-01T00:00:00Z"), purchasedUserSeats: 100, assignedUserSeats: 120, purchasedStorageSize: 500, protectedSize: 510 };
    const token = await tokenBySecret();
    expect((await get(SEED_LICENSE, token)).body).toEqual({ OutOfPolicyTime: Date.parse("2025-03-01T00:00:00Z"), PurchasedUserSeats: 100, AssignedUserSeats: 120, PurchasedStorageSize: 500, ProtectedSize: 510 });
    const current = (await get(CURRENT_LICENSE, token)).body;
    expect(current).toMatchObject({ statusCode: 200, message: "", data: { outOfPolicyTime: Date.parse("2025-03-01T00:00:00Z"), purchasedUserSeats: 100, assignedUserSeats: 120, purchasedStorageSize: 500, protectedSize: 510 } });
    expect(current).not.toHaveProperty("metadata");
    sim.options.style = { timeFormat: "iso" };
    expect(((await get(CURRENT_LICENSE, token)).body.data as JsonObject).outOfPolicyTime).toBe("2025-03-01T00:00:00Z");
  });

  it("totalCount: false leaves the total out", async () => {
    sim.options.totalCount = false;
    const token = await tokenBySecret();
    expect((await get(SEED_JOBS, token)).body).not.toHaveProperty("TotalCount");
    expect((await get(CURRENT_JOBS, token)).body.metadata).toEqual({ nextLink: "" });
  });
});

describe("jobs query: filters, order, paging", () => {
  let token: string;
  beforeEach(async () => {
    await startSimulator();
    token = await tokenBySecret();
  });

  it("filters by the start-time window (inclusive), seconds accepted by magnitude", async () => {
    addJobs(5); // 11:00, 10:59, 10:58, 10:57, 10:56
    const from = Date.parse("2025-03-10T10:57:00Z");
    const to = Date.parse("2025-03-10T10:59:00Z");
    const ms = await get(`${SEED_JOBS}?StartTime=${from}&FinishTime=${to}`, token);
    expect((ms.body.Jobs as JsonObject[]).map((j) => j.Id)).toEqual(["IB0001", "IB0002", "IB0003"]);
    const seconds = await get(`${SEED_JOBS}?starttime=${from / 1000}&finishtime=${to / 1000}`, token);
    expect(seconds.body.TotalCount).toBe(3);
    const iso = await get(`${CURRENT_JOBS}?startTime=2025-03-10T10:57:00Z&finishTime=2025-03-10T10:59:00`, token);
    expect((iso.body.metadata as JsonObject).totalCount).toBe(3);
  });

  it("filters by ObjectType, JobType and JobState (0 = all)", async () => {
    const t = (m: number): Date => new Date(Date.parse("2025-03-10T10:00:00Z") + m * 60_000);
    sim.tenant.addJob(job({ id: "A", objectType: 1, state: "Failed", startTime: t(1) }));
    sim.tenant.addJob(job({ id: "B", objectType: 2, state: "Finished", startTime: t(2) }));
    sim.tenant.addJob(job({ id: "C", objectType: 2, state: "PartiallyFinished", jobType: 2, startTime: t(3) }));
    const ids = async (query: string): Promise<unknown[]> => ((await get(`${SEED_JOBS}?${query}`, token)).body.Jobs as JsonObject[]).map((j) => j.Id);
    expect(await ids("ObjectType=2")).toEqual(["C", "B"]);
    expect(await ids("objecttype=0&JobState=0&JobType=0")).toEqual(["C", "B", "A"]);
    expect(await ids("JobType=1")).toEqual(["B", "A"]);
    expect(await ids("JobState=3")).toEqual(["A"]);
    expect(await ids("JOBSTATE=5")).toEqual(["C"]);
  });

  it("orders newest start first, ties by id", async () => {
    const same = new Date("2025-03-10T10:00:00Z");
    sim.tenant.addJob(job({ id: "IB-b", startTime: same }));
    sim.tenant.addJob(job({ id: "IB-a", startTime: same }));
    sim.tenant.addJob(job({ id: "IB-c", startTime: new Date("2025-03-10T09:00:00Z") }));
    expect(((await get(SEED_JOBS, token)).body.Jobs as JsonObject[]).map((j) => j.Id)).toEqual(["IB-a", "IB-b", "IB-c"]);
  });

  it.each([
    ["PageSize=abc", /PageSize/],
    ["PageIndex=-1", /PageIndex/],
    ["PageSize=0", /PageSize/],
    ["ObjectType=13", /ObjectType/],
    ["StartTime=2025-01-01", /StartTime/],
    ["StartTime=2000&FinishTime=1000", /after/],
  ])("answers 400 for %s", async (query, message) => {
    const response = await get(`${SEED_JOBS}?${query}`, token);
    expect(response.status).toBe(400);
    expect(response.body.Message).toMatch(message);
  });

  it("rejects epoch numbers on the current profile, which takes ISO-8601", async () => {
    expect((await get(`${CURRENT_JOBS}?startTime=1741600000000`, token)).status).toBe(400);
  });

  it("pages by PageIndex with the documented default PageSize of 10 and caps PageSize", async () => {
    addJobs(25);
    const first = await get(SEED_JOBS, token);
    expect(first.body.TotalCount).toBe(25);
    expect((first.body.Jobs as JsonObject[]).length).toBe(10);
    const last = await get(`${SEED_JOBS}?PageIndex=2&PageSize=10`, token);
    expect((last.body.Jobs as JsonObject[]).map((j) => j.Id)).toEqual(["IB0020", "IB0021", "IB0022", "IB0023", "IB0024"]);
    expect((await get(`${SEED_JOBS}?PageIndex=3`, token)).body.Jobs).toEqual([]);

    sim.options.pageCap = 4;
    const capped = await get(`${SEED_JOBS}?PageSize=100&PageIndex=1`, token);
    expect((capped.body.Jobs as JsonObject[]).map((j) => j.Id)).toEqual(["IB0004", "IB0005", "IB0006", "IB0007"]);
    expect(capped.body.TotalCount).toBe(25);
  });

  it("nextLink 'absent' (seed default) never sends NextLink", async () => {
    addJobs(3);
    const page = await get(`${SEED_JOBS}?PageSize=2`, token);
    expect(page.body).not.toHaveProperty("NextLink");
  });

  it("nextLink 'relative' links path + query and omits it on the last page", async () => {
    addJobs(5);
    sim.options.nextLink = "relative";
    const first = await get(`${SEED_JOBS}?ObjectType=1&pagesize=2`, token);
    expect(first.body.NextLink).toBe(`${SEED_JOBS}?ObjectType=1&PageIndex=1&PageSize=2`);
    const second = await get(first.body.NextLink as string, token);
    const third = await get(second.body.NextLink as string, token);
    expect((third.body.Jobs as JsonObject[]).map((j) => j.Id)).toEqual(["IB0004"]);
    expect(third.body).not.toHaveProperty("NextLink");
  });

  it("nextLink 'absolute' (current default) links the full URL and sends '' on the last page", async () => {
    addJobs(3);
    const first = await get(`${CURRENT_JOBS}?startTime=2025-03-10&pageSize=2`, token);
    const link = (first.body.metadata as JsonObject).nextLink as string;
    expect(link).toBe(`${sim.url}${CURRENT_JOBS}?startTime=2025-03-10&pageIndex=1&pageSize=2`);
    const second = await get(link, token);
    expect(second.body.metadata).toEqual({ totalCount: 3, nextLink: "" });
  });

  it("nextLink 'absolute' carries the capped PageSize", async () => {
    addJobs(5);
    sim.options.pageCap = 2;
    const first = await get(`${CURRENT_JOBS}?pageSize=50`, token);
    expect((first.body.metadata as JsonObject).nextLink).toBe(`${sim.url}${CURRENT_JOBS}?pageIndex=1&pageSize=2`);
  });

  it("nextLink 'foreign' points at another origin", async () => {
    addJobs(3);
    sim.options.nextLink = "foreign";
    const first = await get(`${SEED_JOBS}?PageSize=2`, token);
    const link = new URL(first.body.NextLink as string);
    expect(link.origin).toBe(FOREIGN_ORIGIN);
    expect(link.origin).not.toBe(sim.url);
    expect(link.pathname).toBe(SEED_JOBS);
  });
});

describe("readings the documents leave open (switches; defaults keep the old behaviour)", () => {
  let token: string;
  beforeEach(async () => {
    await startSimulator();
    token = await tokenBySecret();
  });
  const ids = (body: JsonObject) => ((body.Jobs ?? body.data) as JsonObject[]).map((j) => j.Id ?? j.id);
  const at = (iso: string) => new Date(iso);

  it("writes times as .NET ticks and reads ticks in the query (an epoch-ms query lands in the year 1: no jobs)", async () => {
    sim.tenant.addJob({ id: "T1", state: "Finished", startTime: at("2024-10-15T02:53:12.178Z"), finishTime: at("2024-10-15T02:54:03.839Z"), objectType: 1 });
    Object.assign(sim.options, { style: { timeFormat: "ticks", durationAs: "ticks" }, queryTimes: "ticks" });
    const all = await get(SEED_JOBS, token);
    expect((all.body.Jobs as JsonObject[])[0]).toMatchObject({ StartTime: 638645575921780000, Duration: 516610000 });
    expect(ids((await get(`${SEED_JOBS}?StartTime=638645570000000000&FinishTime=638645580000000000`, token)).body)).toEqual(["T1"]);
    expect(ids((await get(`${SEED_JOBS}?StartTime=${Date.parse("2024-10-15T00:00:00Z")}`, token)).body)).toEqual(["T1"]);
    expect(ids((await get(`${SEED_JOBS}?FinishTime=${Date.parse("2024-10-16T00:00:00Z")}`, token)).body)).toEqual([]);
  });

  it("queryTimes 'dates' refuses a full date-time and reads a date as its whole day", async () => {
    sim.tenant.addJob({ id: "D1", state: "Finished", startTime: at("2025-03-10T23:30:00Z"), finishTime: at("2025-03-10T23:40:00Z"), objectType: 1 });
    sim.options.queryTimes = "dates";
    expect((await get(`${CURRENT_JOBS}?StartTime=2025-03-10T00:00:00Z`, token)).status).toBe(400);
    expect(ids((await get(`${CURRENT_JOBS}?StartTime=2025-03-10&FinishTime=2025-03-10`, token)).body)).toEqual(["D1"]);
  });

  it("pageBase 1 serves the first page for PageIndex 0 and 1", async () => {
    addJobs(15);
    sim.options.pageBase = 1;
    const zero = ids((await get(`${SEED_JOBS}?PageIndex=0`, token)).body);
    expect(ids((await get(`${SEED_JOBS}?PageIndex=1`, token)).body)).toEqual(zero);
    expect(ids((await get(`${SEED_JOBS}?PageIndex=2`, token)).body)).toHaveLength(5);
  });

  it.each([
    ["start", true, ["RUN", "IN"]],
    ["finish", true, ["RUN", "IN", "LATE"]],
    ["both", true, ["RUN", "IN"]],
    ["start", false, ["IN"]],
    ["finish", false, ["IN", "LATE"]],
  ] as const)("window on %s, running listed %s", async (window, runningListed, expected) => {
    sim.tenant.addJob({ id: "RUN", state: "InProgress", startTime: at("2025-03-10T10:30:00Z"), objectType: 1 });
    sim.tenant.addJob({ id: "IN", state: "Failed", startTime: at("2025-03-10T10:10:00Z"), finishTime: at("2025-03-10T10:20:00Z"), objectType: 1 });
    // Started before the window, finished inside it.
    sim.tenant.addJob({ id: "LATE", state: "Failed", startTime: at("2025-03-10T07:00:00Z"), finishTime: at("2025-03-10T10:40:00Z"), objectType: 1 });
    Object.assign(sim.options, { window, runningListed });
    const body = (await get(`${SEED_JOBS}?StartTime=${Date.parse("2025-03-10T10:00:00Z")}&FinishTime=${Date.parse("2025-03-10T11:00:00Z")}`, token)).body;
    expect(ids(body)).toEqual(expected);
  });

  it("nextLink 'off-path' links the backend's own path, which answers 404", async () => {
    addJobs(15);
    sim.options.nextLink = "off-path";
    const link = (await get(SEED_JOBS, token)).body.NextLink as string;
    expect(link).toBe(`${sim.url}${BACKEND_JOBS_PATH}?PageIndex=1&PageSize=10`);
    expect((await get(link, token)).status).toBe(404);
  });

  it("answers only the paths of the revisions it serves; the rest answer 404 as after a rename", async () => {
    sim.options.revisions = ["m365-jobs", "seed"];
    expect((await get(CURRENT_JOBS, token)).status).toBe(404);
    expect((await get(CURRENT_LICENSE, token)).status).toBe(404);
    expect((await get("/backup/m365/jobs", token)).status).toBe(200);
    expect((await get(SEED_LICENSE, token)).status).toBe(200);
  });
});

describe("faults", () => {
  let token: string;
  beforeEach(async () => {
    await startSimulator();
    token = await tokenBySecret();
    addJobs(2);
  });

  it("status: 429 with Retry-After, then normal service", async () => {
    sim.injectFault({ target: "jobs", kind: "status", status: 429, retryAfter: "1" });
    const limited = await get(SEED_JOBS, token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await get(SEED_JOBS, token)).status).toBe(200);
  });

  it("status: 'times' repeats the fault and an HTTP-date Retry-After and custom body pass through", async () => {
    const date = new Date(clockMs + 5000).toUTCString();
    sim.injectFault({ target: "any", kind: "status", status: 503, retryAfter: date, body: "Service Unavailable", times: 2 });
    const a = await get(SEED_LICENSE, token);
    const b = await get(SEED_JOBS, token);
    expect([a.status, b.status]).toEqual([503, 503]);
    expect(a.headers.get("retry-after")).toBe(date);
    expect(a.text).toBe("Service Unavailable");
    expect((await get(SEED_JOBS, token)).status).toBe(200);
    expect(sim.pendingFaults).toBe(0);
  });

  it("applies faults in FIFO order to matching requests only", async () => {
    sim.injectFault({ target: "license", kind: "status", status: 500 });
    sim.injectFault({ target: "jobs", kind: "status", status: 502 });
    sim.injectFault({ target: "jobs", kind: "status", status: 504 });
    expect((await get(SEED_JOBS, token)).status).toBe(502);
    expect((await get(SEED_JOBS, token)).status).toBe(504);
    expect((await get(SEED_LICENSE, token)).status).toBe(500);
    expect((await get(SEED_JOBS, token)).status).toBe(200);
  });

  it("status on the token endpoint", async () => {
    sim.injectFault({ target: "token", kind: "status", status: 500 });
    const failed = await postToken({ grant_type: "client_credentials", client_id: "sim-client", client_secret: "sim-secret", scope: JOB_INFO_SCOPE });
    expect(failed.status).toBe(500);
    expect(typeof (await tokenBySecret())).toBe("string");
  });

  it("truncated: 200 with half a JSON body", async () => {
    sim.injectFault({ target: "jobs", kind: "truncated" });
    const cut = await get(SEED_JOBS, token);
    const whole = await get(SEED_JOBS, token);
    expect(cut.status).toBe(200);
    expect(() => JSON.parse(cut.text) as unknown).toThrow();
    expect(whole.text.startsWith(cut.text)).toBe(true);
    expect(cut.text.length).toBe(Math.floor(whole.text.length / 2));
  });

  it("slow: answers normally after the delay", async () => {
    sim.injectFault({ target: "jobs", kind: "slow", delayInMs: 150 });
    const started = performance.now();
    const response = await get(SEED_JOBS, token);
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("slow: a client timeout fires before the response", async () => {
    sim.injectFault({ target: "jobs", kind: "slow", delayInMs: 2000 });
    await expect(fetch(`${sim.url}${SEED_JOBS}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(100) })).rejects.toThrow();
  });

  it("reset: the connection closes without a response and is logged with status 0", async () => {
    sim.injectFault({ target: "jobs", kind: "reset" });
    await expect(get(SEED_JOBS, token)).rejects.toThrow(TypeError);
    expect(sim.requests.at(-1)).toMatchObject({ path: SEED_JOBS, status: 0 });
    expect((await get(SEED_JOBS, token)).status).toBe(200);
  });

  it("body: serves exactly the given body and status", async () => {
    sim.injectFault({ target: "jobs", kind: "body", body: '{"Jobs": "not a list"}' });
    sim.injectFault({ target: "license", kind: "body", body: "<html>gateway</html>", status: 502 });
    expect((await get(SEED_JOBS, token)).text).toBe('{"Jobs": "not a list"}');
    const html = await get(SEED_LICENSE, token);
    expect([html.status, html.text]).toEqual([502, "<html>gateway</html>"]);
  });

  it("invalid-token-after on the token endpoint: the issued token dies after N uses", async () => {
    sim.injectFault({ target: "token", kind: "invalid-token-after", uses: 2 });
    const limited = await tokenBySecret();
    expect((await get(SEED_JOBS, limited)).status).toBe(200);
    expect((await get(SEED_JOBS, limited)).status).toBe(200);
    expect((await get(SEED_JOBS, limited)).status).toBe(401);
    const fresh = await tokenBySecret();
    expect((await get(SEED_JOBS, fresh)).status).toBe(200);
    expect((await get(SEED_JOBS, fresh)).status).toBe(200);
    expect((await get(SEED_JOBS, fresh)).status).toBe(200);
  });

  it("invalid-token-after on an API call: the presented token serves N more calls", async () => {
    sim.injectFault({ target: "jobs", kind: "invalid-token-after", uses: 1 });
    expect((await get(SEED_JOBS, token)).status).toBe(200);
    expect((await get(SEED_LICENSE, token)).status).toBe(401);
    sim.injectFault({ target: "jobs", kind: "invalid-token-after", uses: 0 });
    const other = await tokenBySecret();
    expect((await get(SEED_JOBS, other)).status).toBe(401);
  });

  it("rejects a fault with times < 1", () => {
    expect(() => sim.injectFault({ target: "jobs", kind: "reset", times: 0 })).toThrow(RangeError);
  });
});

describe("routing", () => {
  it("matches paths case-insensitively with or without a trailing slash and answers 405 for other methods", async () => {
    await startSimulator();
    const token = await tokenBySecret();
    expect((await get("/CloudBackup/Jobs/", token)).status).toBe(200);
    const post = await fetch(`${sim.url}${SEED_JOBS}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(post.status).toBe(405);
    expect((await fetch(sim.tokenUrl)).status).toBe(405);
  });
});

describe("request log", () => {
  it("records every request in order with method, path, query, status, authorization and clock", async () => {
    await startSimulator();
    const token = await tokenBySecret();
    clockMs += 1000;
    await get(`${SEED_JOBS}?PageIndex=0&PageSize=5`, token);
    await get(CURRENT_LICENSE, undefined);
    await get("/nowhere", token);
    expect(sim.requests).toEqual([
      { method: "POST", path: "/connect/token", query: {}, status: 200, authorized: true, at: Date.parse("2025-03-10T12:00:00Z") },
      { method: "GET", path: SEED_JOBS, query: { PageIndex: "0", PageSize: "5" }, status: 200, authorized: true, at: Date.parse("2025-03-10T12:00:01Z") },
      { method: "GET", path: CURRENT_LICENSE, query: {}, status: 401, authorized: false, at: Date.parse("2025-03-10T12:00:01Z") },
      { method: "GET", path: "/nowhere", query: {}, status: 404, authorized: false, at: Date.parse("2025-03-10T12:00:01Z") },
    ]);
    sim.resetRequests();
    expect(sim.requests).toEqual([]);
  });

  it("never records the token request's form (secrets)", async () => {
    await startSimulator();
    await tokenBySecret();
    expect(JSON.stringify(sim.requests)).not.toContain("sim-secret");
  });
});

describe("simulated tenant", () => {
  it("generates AvePoint-like ids and updates, removes and clears jobs", () => {
    const tenant = new SimulatedTenant();
    const added = tenant.addJob({ state: "InProgress", startTime: new Date("2025-03-10T07:52:25Z"), objectType: 3 });
    expect(added.id).toMatch(/^IB20250310075225\d{6}$/);
    tenant.updateJob(added.id!, { state: "Finished", finishTime: new Date("2025-03-10T08:00:00Z") });
    expect(tenant.jobs[0]).toMatchObject({ state: "Finished" });
    expect(() => tenant.updateJob("missing", {})).toThrow(/missing/);
    expect(() => tenant.addJob({ ...added })).toThrow(/already/);
    tenant.removeJob(added.id!);
    expect(tenant.jobs).toHaveLength(0);
    tenant.addJob({ state: "Finished", startTime: new Date(), objectType: 1 });
    tenant.clearJobs();
    expect(tenant.jobs).toHaveLength(0);
  });
});

describe("demo tenant", () => {
  function runDemo(seed: number, steps: number): SimulatedTenant {
    let now = Date.parse("2025-03-10T12:00:00Z");
    const tenant = new SimulatedTenant();
    const demo = createDemoTenant(tenant, { seed, now: () => now });
    for (let i = 0; i < steps; i++) {
      now += 5000;
      demo.advance();
    }
    return tenant;
  }

  it("is deterministic for a seed and differs between seeds", () => {
    const snapshot = (t: SimulatedTenant): string => JSON.stringify([t.jobs, t.license]);
    expect(snapshot(runDemo(7, 60))).toBe(snapshot(runDemo(7, 60)));
    expect(snapshot(runDemo(7, 60))).not.toBe(snapshot(runDemo(8, 60)));
  });

  it("backs up every service, finishes what it starts, shows failures followed by a success, and grows the license", () => {
    const tenant = runDemo(3, 400);
    const start = runDemo(3, 0);
    const services = new Set(tenant.jobs.map((j) => j.objectType));
    expect([...services].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 6, 7, 9, 10]);
    for (const j of tenant.jobs) {
      expect(j.id).toMatch(/^(IB|FB)\d{14}\d{6}$/);
      if (j.state !== "InProgress") expect(j.finishTime!.getTime()).toBeGreaterThanOrEqual(j.startTime.getTime());
      if (j.state !== "InProgress" && j.counts) expect(j.counts.failed + j.counts.successful + j.counts.skipped).toBe(j.counts.total);
    }
    const running = tenant.jobs.filter((j) => j.state === "InProgress");
    expect(running.length).toBeLessThanOrEqual(services.size);
    const bad = tenant.jobs.filter((j) => ["Failed", "FinishedException", "PartiallyFinished"].includes(j.state));
    expect(bad.length).toBeGreaterThan(0);
    for (const b of bad) expect(b.errors!.length).toBeGreaterThan(0);
    // The next finished run of a service after a bad one is a success.
    for (const objectType of services) {
      const done = tenant.jobs.filter((j) => j.objectType === objectType && j.state !== "InProgress").sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
      for (let i = 0; i + 1 < done.length; i++) if (done[i]!.state !== "Finished") expect(done[i + 1]!.state).toBe("Finished");
    }
    expect(tenant.jobs.some((j) => j.id!.startsWith("FB"))).toBe(true);
    expect(tenant.license.assignedUserSeats).toBeGreaterThan(start.license.assignedUserSeats);
    expect(tenant.license.protectedSize).toBeGreaterThan(start.license.protectedSize);
  });

  it("starts with one failed job in its history, the newest Exchange backup, so the first card is a single job failure", () => {
    for (const seed of [1, 7, 8]) {
      const tenant = runDemo(seed, 0);
      const bad = tenant.jobs.filter((j) => j.state !== "Finished");
      expect(bad).toHaveLength(1);
      expect(bad[0]).toMatchObject({ state: "Failed", objectType: 1 });
      expect(bad[0]!.errors!.length).toBeGreaterThan(0);
      const exchange = tenant.jobs.filter((j) => j.objectType === 1).sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
      expect(exchange[0]!.id).toBe(bad[0]!.id);
    }
  });

  it("keeps a started job In Progress for at least one advance before it finishes", () => {
    let now = Date.parse("2025-03-10T12:00:00Z");
    const tenant = new SimulatedTenant();
    const demo = createDemoTenant(tenant, { seed: 5, now: () => now });
    const seenRunning = new Map<string, number>();
    const finishedAfterRunning: string[] = [];
    for (let i = 0; i < 40; i++) {
      now += 5000;
      demo.advance();
      for (const j of tenant.jobs) {
        if (j.state === "InProgress") seenRunning.set(j.id!, (seenRunning.get(j.id!) ?? 0) + 1);
        else if (seenRunning.has(j.id!) && !finishedAfterRunning.includes(j.id!)) finishedAfterRunning.push(j.id!);
      }
    }
    expect(finishedAfterRunning.length).toBeGreaterThan(0);
    for (const id of finishedAfterRunning) expect(seenRunning.get(id)).toBeGreaterThanOrEqual(1);
  });

  it("never dates a job after the clock", () => {
    let now = Date.parse("2025-03-10T12:00:00Z");
    const tenant = new SimulatedTenant();
    const demo = createDemoTenant(tenant, { seed: 11, now: () => now, speed: 2.5 });
    for (let i = 0; i < 50; i++) {
      now += 3000;
      demo.advance();
      for (const j of tenant.jobs) {
        expect(j.startTime.getTime()).toBeLessThanOrEqual(now);
        if (j.finishTime) expect(j.finishTime.getTime()).toBeLessThanOrEqual(now);
      }
    }
  });
});

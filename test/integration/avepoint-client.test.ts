/**
 * The AvePoint client against the AvePoint simulator over real HTTP (127.0.0.1,
 * port 0): both credentials, both API profiles, every response style, paging,
 * every fault, and that no secret ever reaches a log line or an error.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { AvePointCredential } from "../../shared/config/settings.js";
import {
  AvePointApiError,
  AvePointAuthError,
  AvePointCertificateError,
  AvePointClient,
  AvePointPermissionError,
  createAvePointClient,
  IncompleteListingError,
  MalformedResponseError,
  PageLimitExceededError,
  type AvePointClientOptions,
  type BackupJob,
  type JobQuery,
} from "../../shared/avepoint/index.js";
import { NetworkError } from "../../shared/http/request.js";
import type { Logger } from "../../shared/logging.js";
import { Secret } from "../../shared/security/secret.js";
import {
  AvePointSimulator,
  BACKEND_JOBS_PATH,
  FOREIGN_ORIGIN,
  JOB_INFO_SCOPE,
  SUBSCRIPTION_INFO_SCOPE,
  type ResponseStyle,
  type SimJob,
} from "../simulator/index.js";
import { createTestCertificate, createUnrelatedTestCertificate, type TestCertificate } from "../support/certificates.js";

const CLIENT_ID = "3f0c1d7e-alerts-test";
const CLIENT_SECRET = "sim-secret-Zq8w!t0p-s3cr3t-value";
const WINDOW: JobQuery = { startTime: new Date("2025-01-06T00:00:00Z"), finishTime: new Date("2025-01-07T00:00:00Z") };
const HOUR = 3_600_000;

let certificate: TestCertificate;
let sim: AvePointSimulator;
let tmp: string;

/** What the client sent and received on the wire, so tests can look for leaked secrets. */
const wire = { urls: [] as string[], accessTokens: new Set<string>(), assertions: new Set<string>() };

beforeAll(async () => {
  certificate = createTestCertificate({ password: "pfx-pass-Kx9" });
  tmp = await mkdtemp(join(tmpdir(), "avepoint-client-"));
  // Observe (and pass through to the real fetch) what crosses the wire.
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    wire.urls.push(url);
    if (typeof init?.body === "string") {
      const assertion = new URLSearchParams(init.body).get("client_assertion");
      if (assertion) wire.assertions.add(assertion);
    }
    const response = await realFetch(input, init);
    if (url.endsWith("/connect/token")) {
      try {
        const token = (JSON.parse(await response.clone().text()) as { access_token?: string }).access_token;
        if (token) wire.accessTokens.add(token);
      } catch {
        // not a token answer
      }
    }
    return response;
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(async () => {
  sim = await AvePointSimulator.start({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, certificatePem: certificate.certPem });
});

afterEach(async () => {
  await sim.stop();
});

// --- helpers -------------------------------------------------------------------------

interface Harness {
  client: AvePointClient;
  logs: string[];
  sleeps: number[];
}

function captureLogger(lines: string[]): Logger {
  const write = (level: string) => (message: string, data?: Record<string, unknown>) =>
    lines.push(`${level} ${message}${data === undefined ? "" : ` ${JSON.stringify(data)}`}`);
  return { error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
}

function secretCredential(secret = CLIENT_SECRET): AvePointCredential {
  return { kind: "secret", secret: new Secret(secret) };
}

function harness(options: Partial<AvePointClientOptions> = {}): Harness {
  const logs: string[] = [];
  const sleeps: number[] = [];
  const client = new AvePointClient({
    apiUrl: sim.url,
    tokenUrl: sim.tokenUrl,
    clientId: CLIENT_ID,
    credential: secretCredential(),
    pageSize: 10,
    logger: captureLogger(logs),
    // Retries wait for nothing in tests; the requested waits are recorded instead.
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    retryPolicy: { maxAttempts: 4, baseDelayInMs: 100, maxDelayInMs: 5_000, maxTotalInMs: 60_000 },
    ...options,
  });
  return { client, logs, sleeps };
}

async function collect(client: AvePointClient, query: JobQuery = WINDOW, options: Parameters<AvePointClient["listJobs"]>[1] = {}): Promise<BackupJob[]> {
  const jobs: BackupJob[] = [];
  for await (const job of client.listJobs(query, options)) jobs.push(job);
  return jobs;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error("expected a failure, it succeeded");
}

/** `count` finished jobs an hour apart inside WINDOW; returns their ids. */
function addJobs(count: number, patch: Partial<SimJob> = {}): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const startTime = new Date(WINDOW.startTime.getTime() + 60_000 + i * 30_000);
    const job = sim.tenant.addJob({
      id: `FB20250106${String(i).padStart(6, "0")}`,
      state: "Finished",
      startTime,
      finishTime: new Date(startTime.getTime() + 120_000),
      objectType: 1 + (i % 12),
      counts: { total: 10 + i, failed: 0, successful: 10 + i, skipped: 0 },
      ...patch,
    });
    ids.push(job.id!);
  }
  return ids;
}

const apiRequests = () => sim.requests.filter((r) => r.path !== "/connect/token");
const tokenRequests = () => sim.requests.filter((r) => r.path === "/connect/token");

// --- authentication -------------------------------------------------------------------

describe("authentication", () => {
  it("gets one token per permission with the client secret, caches each, and reads jobs", async () => {
    const ids = addJobs(3);
    const { client } = harness();
    expect((await collect(client)).map((j) => j.id).sort()).toEqual(ids.sort());
    await collect(client);
    await client.getLicenseUsage();
    await client.getLicenseUsage();
    // One for the jobs scope, one for the subscription scope (review D6).
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests().every((r) => r.authorized)).toBe(true);
  });

  it("reads jobs when the app registration lacks the license permission, and names the missing one for the license", async () => {
    const ids = addJobs(2);
    sim.options.grantedScopes = [JOB_INFO_SCOPE];
    const { client } = harness();
    expect((await collect(client)).map((j) => j.id).sort()).toEqual(ids.sort());
    const error = await failure(client.getLicenseUsage());
    expect(error).toBeInstanceOf(AvePointPermissionError);
    expect(error).toMatchObject({ scope: SUBSCRIPTION_INFO_SCOPE });
    expect((error as Error).message).toContain(SUBSCRIPTION_INFO_SCOPE);
  });

  const certificateCredentials: Array<[string, () => Promise<AvePointCredential>]> = [
    ["combined PEM value", async () => ({ kind: "certificate", source: "value", pem: new Secret(certificate.combinedPem) })],
    [
      "PEM value with an encrypted key and AVEPOINT_CERTIFICATE_PASSWORD",
      async () => ({
        kind: "certificate",
        source: "value",
        pem: new Secret(`${certificate.certPem}\n${certificate.encryptedKeyPem}`),
        password: new Secret(certificate.password),
      }),
    ],
    [
      "PEM file",
      async () => {
        const path = join(tmp, "cert.pem");
        await writeFile(path, certificate.combinedPem);
        return { kind: "certificate", source: "file", path };
      },
    ],
    [
      "password-protected PFX file",
      async () => {
        const path = join(tmp, "cert.pfx");
        await writeFile(path, certificate.pfx);
        return { kind: "certificate", source: "file", path, password: new Secret(certificate.password) };
      },
    ],
  ];

  it.each(certificateCredentials)("signs a client assertion with a certificate from a %s", async (_name, credential) => {
    addJobs(2);
    const { client } = harness({ credential: await credential() });
    expect(await collect(client)).toHaveLength(2);
    expect(tokenRequests()).toEqual([expect.objectContaining({ status: 200, authorized: true })]);
    const notAfter = await client.certificateNotAfter();
    expect(Math.floor(notAfter!.getTime() / 1000)).toBe(Math.floor(certificate.notAfter.getTime() / 1000));
  });

  it("sends a fresh assertion with x5t, iss = sub = client id, aud = token URL and a short life", async () => {
    const before = wire.assertions.size;
    const { client } = harness({ credential: { kind: "certificate", source: "value", pem: new Secret(certificate.combinedPem) } });
    await client.getLicenseUsage();
    const assertion = [...wire.assertions].slice(before).at(-1)!;
    const [header, payload] = assertion.split(".").slice(0, 2).map((s) => JSON.parse(Buffer.from(s, "base64url").toString()) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: "RS256", x5t: certificate.thumbprintSha1Base64Url });
    expect(payload).toMatchObject({ iss: CLIENT_ID, sub: CLIENT_ID, aud: sim.tokenUrl });
    expect(typeof payload!.jti).toBe("string");
    expect((payload!.exp as number) - (payload!.nbf as number)).toBeLessThanOrEqual(6 * 60);
  });

  it("reports the certificate expiry as null with a client secret", async () => {
    expect(await harness().client.certificateNotAfter()).toBeNull();
  });

  it("refuses a wrong client secret with what the token endpoint said, and never the secret", async () => {
    const { client } = harness({ credential: secretCredential("wrong-secret-value-123") });
    const error = await failure(client.getLicenseUsage());
    expect(error).toBeInstanceOf(AvePointAuthError);
    expect(error).toMatchObject({ name: "AvePointAuthError", status: 400, error: "invalid_client", errorDescription: "invalid client secret" });
    expect(error.message).not.toContain("wrong-secret-value-123");
    expect(tokenRequests()).toHaveLength(1);
    expect(apiRequests()).toHaveLength(0);
  });

  it("refuses a certificate the app registration does not know", async () => {
    const other = createUnrelatedTestCertificate();
    const { client } = harness({ credential: { kind: "certificate", source: "value", pem: new Secret(other.combinedPem) } });
    const error = await failure(client.getLicenseUsage());
    expect(error).toMatchObject({ name: "AvePointAuthError", error: "invalid_client" });
    expect(error.message).toMatch(/x5t does not match/);
  });

  it.each([
    ["a wrong PFX password", "pfx", "not-the-password", /wrong or missing AVEPOINT_CERTIFICATE_PASSWORD/],
    ["an encrypted PEM key without a password", "encrypted", undefined, /encrypted: set AVEPOINT_CERTIFICATE_PASSWORD/],
    ["an encrypted PEM key with a wrong password", "encrypted", "nope", /cannot decrypt .* AVEPOINT_CERTIFICATE_PASSWORD/],
    ["a missing file", "missing", undefined, /cannot read the certificate file .*ENOENT/],
  ])("explains %s without sending anything", async (_name, shape, password, message) => {
    let credential: AvePointCredential;
    if (shape === "pfx") {
      const path = join(tmp, "bad.pfx");
      await writeFile(path, certificate.pfx);
      credential = { kind: "certificate", source: "file", path, password: new Secret(password!) };
    } else if (shape === "encrypted") {
      credential = {
        kind: "certificate",
        source: "value",
        pem: new Secret(`${certificate.certPem}\n${certificate.encryptedKeyPem}`),
        ...(password ? { password: new Secret(password) } : {}),
      };
    } else {
      credential = { kind: "certificate", source: "file", path: join(tmp, "does-not-exist.pem") };
    }
    const error = await failure(harness({ credential }).client.getLicenseUsage());
    expect(error).toBeInstanceOf(AvePointCertificateError);
    expect(error.name).toBe("AvePointCertificateError");
    expect(error.message).toMatch(message);
    if (password) expect(error.message).not.toContain(password);
    expect(sim.requests).toHaveLength(0);
  });

  it("shares one token request between concurrent callers", async () => {
    addJobs(3);
    const { client } = harness();
    await Promise.all([client.getLicenseUsage(), collect(client), client.getLicenseUsage(), collect(client)]);
    // One per permission, however many callers.
    expect(tokenRequests()).toHaveLength(2);
  });

  it("gets a new token shortly before the old one expires", async () => {
    await sim.stop();
    sim = await AvePointSimulator.start({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenLifetimeSeconds: 3600 });
    let now = Date.now();
    const { client } = harness({ now: () => now });
    await client.getLicenseUsage();
    now += 50 * 60_000; // 10 minutes left: still outside the 5-minute margin
    await client.getLicenseUsage();
    expect(tokenRequests()).toHaveLength(1);
    now += 6 * 60_000; // 4 minutes left: inside the margin
    await client.getLicenseUsage();
    expect(tokenRequests()).toHaveLength(2);
  });
});

// --- profiles ---------------------------------------------------------------------------

describe("API profiles", () => {
  it("seed: GET /cloudbackup/jobs with epoch-ms times and PascalCase parameters", async () => {
    addJobs(2);
    const { client } = harness({ profile: "seed" });
    await collect(client, { ...WINDOW, jobType: 1, objectType: 2, jobState: 3 });
    const [request] = apiRequests();
    expect(request).toMatchObject({
      path: "/cloudbackup/jobs",
      query: {
        StartTime: String(WINDOW.startTime.getTime()),
        FinishTime: String(WINDOW.finishTime.getTime()),
        JobType: "1",
        ObjectType: "2",
        JobState: "3",
        PageIndex: "0",
        PageSize: "10",
      },
    });
  });

  it("current: GET /backup/m365/cloudbackupjobs with ISO-8601 UTC times, envelope and jobErrors", async () => {
    sim.tenant.addJob({
      id: "EFB20250106000001",
      state: "FinishedException",
      startTime: new Date("2025-01-06T07:52:25Z"),
      finishTime: new Date("2025-01-06T07:53:04Z"),
      objectType: 1,
      counts: { total: 16, failed: 2, successful: 13, skipped: 1 },
      errors: [{ message: "Mailbox not found", count: 2, url: "https://learn.avepoint.com/e/1", isErrorCode: true }],
    });
    const { client } = harness({ profile: "current" });
    const jobs = await collect(client);
    expect(apiRequests()[0]).toMatchObject({
      path: "/backup/m365/cloudbackupjobs",
      query: expect.objectContaining({ StartTime: "2025-01-06T00:00:00.000Z", FinishTime: "2025-01-07T00:00:00.000Z" }),
    });
    expect(jobs).toEqual([
      {
        id: "EFB20250106000001",
        state: "FinishedException",
        rawState: "FinishedException",
        startTime: new Date("2025-01-06T07:52:25Z"),
        finishTime: new Date("2025-01-06T07:53:04Z"),
        durationMs: 39_000,
        counts: { total: 16, failed: 2, successful: 13, skipped: 1 },
        errors: [{ message: "Mailbox not found", count: 2, url: "https://learn.avepoint.com/e/1", isErrorCode: true }],
      },
    ]);
  });

  it.each(["seed", "current"] as const)("%s: reads license consumption (0 = in policy, a time when out of policy)", async (profile) => {
    const { client } = harness({ profile });
    expect(await client.getLicenseUsage()).toEqual({
      outOfPolicySince: null,
      purchasedUserSeats: 100,
      assignedUserSeats: 47,
      purchasedStorageGb: 1000,
      protectedStorageGb: 120,
    });
    sim.tenant.license = { ...sim.tenant.license, outOfPolicyTime: Date.parse("2025-01-05T10:00:00Z"), assignedUserSeats: 120 };
    expect(await client.getLicenseUsage()).toMatchObject({ outOfPolicySince: new Date("2025-01-05T10:00:00Z"), assignedUserSeats: 120 });
    expect(apiRequests().map((r) => r.path)).toEqual(
      Array(2).fill(profile === "seed" ? "/cloudbackup/licenseconsumption" : "/backup/m365/cloudbackuplicenseconsumption"),
    );
  });

  it("reads the out-of-policy time in seconds and ISO too", async () => {
    sim.tenant.license = { ...sim.tenant.license, outOfPolicyTime: Date.parse("2025-01-05T10:00:00Z") };
    const { client } = harness();
    for (const timeFormat of ["s", "iso"] as const) {
      sim.options.style = { timeFormat };
      expect((await client.getLicenseUsage()).outOfPolicySince).toEqual(new Date("2025-01-05T10:00:00Z"));
    }
  });

  it("asks the backup schedule of the AVEPOINT_LOCATION of a Multi-Geo tenant, and lists jobs of every location", async () => {
    addJobs(1);
    const { client } = harness({ profile: "current", location: "NAM" });
    await client.getBackupFrequency();
    await collect(client);
    expect(apiRequests().map((r) => [r.path, r.query["Location"]])).toEqual([
      ["/backup/m365/settings/backup/frequency", "NAM"],
      ["/backup/m365/cloudbackupjobs", undefined],
    ]);
  });

  it("builds the client from settings with createAvePointClient", async () => {
    addJobs(1);
    const client = createAvePointClient(
      {
        clientId: CLIENT_ID,
        credential: secretCredential(),
        environment: "commercial",
        region: "us",
        apiUrl: sim.url,
        tokenUrl: sim.tokenUrl,
        profile: "current",
        pageSize: 7,
        portalUrl: "https://www.avepointonlineservices.com",
      },
      { sleep: async () => {} },
    );
    expect(await collect(client)).toHaveLength(1);
    expect(apiRequests()[0]).toMatchObject({ path: "/backup/m365/cloudbackupjobs", query: expect.objectContaining({ PageSize: "7" }) });
  });
});

// --- response styles ------------------------------------------------------------------------

describe("response styles over the wire", () => {
  const START = new Date("2025-01-06T10:00:00Z");
  const states = ["InProgress", "Finished", "Failed", "FinishedException", "PartiallyFinished"] as const;

  function addOneJobPerState(): void {
    states.forEach((state, i) => {
      const startTime = new Date(START.getTime() + i * 60_000);
      sim.tenant.addJob({
        id: `JOB-${state}`,
        state,
        startTime,
        finishTime: state === "InProgress" ? null : new Date(startTime.getTime() + HOUR),
        objectType: 1,
        counts: { total: 20 + i, failed: i, successful: 20, skipped: i === 0 ? 0 : 1 },
      });
    });
  }

  const styles: Array<[string, Partial<ResponseStyle>]> = [
    ["seed defaults", {}],
    ["camelCase", { casing: "camel" }],
    ["lowercase", { casing: "lower" }],
    ["UPPERCASE", { casing: "upper" }],
    ["envelope", { envelope: true }],
    ["envelope in PascalCase", { envelope: true, casing: "pascal" }],
    ["epoch seconds", { timeFormat: "s" }],
    ["ISO times", { timeFormat: "iso" }],
    ["totalNumber/failedNumber counters", { counterNames: "number" }],
    ["spaced states", { stateSpelling: "spaced" }],
    ["long states", { stateSpelling: "long" }],
    ["lower-case states", { stateSpelling: "spaced", stateCase: "lower" }],
    ["upper-case states", { stateCase: "upper" }],
    ["numbers as strings", { numbersAsStrings: true, envelope: true }],
    ["duration in hours", { durationAs: "hours-string" }],
    ["everything at once", { casing: "upper", envelope: true, timeFormat: "s", counterNames: "number", stateSpelling: "spaced", stateCase: "lower", numbersAsStrings: true, nullWhenEmpty: true, jobErrors: true }],
  ];

  it.each(styles)("reads %s", async (_name, style) => {
    addOneJobPerState();
    sim.options.style = style;
    const { client } = harness();
    const jobs = await collect(client);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    expect(jobs).toHaveLength(5);
    states.forEach((state, i) => {
      const job = byId.get(`JOB-${state}`);
      const startTime = new Date(START.getTime() + i * 60_000);
      expect(job).toMatchObject({
        state,
        startTime,
        finishTime: state === "InProgress" ? null : new Date(startTime.getTime() + HOUR),
        counts: { total: 20 + i, failed: i, successful: 20, skipped: i === 0 ? 0 : 1 },
        errors: [],
      });
      if (state !== "InProgress") expect(job?.durationMs).toBe(HOUR);
      else expect(job?.durationMs).toBeGreaterThanOrEqual(0);
    });
  });

  it.each([
    ["an empty list", { nullWhenEmpty: false }],
    ["a null list", { nullWhenEmpty: true }],
    ["a null envelope data", { nullWhenEmpty: true, envelope: true }],
  ])("reads %s as no jobs", async (_name, style) => {
    sim.options.style = style;
    expect(await collect(harness().client)).toEqual([]);
  });

  it("keeps a job with an unknown state and a job without an id, and reports them", async () => {
    sim.tenant.addJob({ id: "JOB-NEW", state: "Suspended", startTime: START, finishTime: null, objectType: 3 });
    sim.tenant.addJob({ id: null, state: "Failed", startTime: new Date(START.getTime() + 1000), finishTime: new Date(START.getTime() + 5000), objectType: 3 });
    const jobs = await collect(harness().client, { ...WINDOW, objectType: 3 });
    expect(jobs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "JOB-NEW", state: "Unknown", rawState: "Suspended", counts: null, service: 3 }),
        expect.objectContaining({ id: null, state: "Failed", service: 3 }),
      ]),
    );
  });
});

// --- paging ---------------------------------------------------------------------------------

describe("paging", () => {
  const pageIndexes = () => apiRequests().map((r) => Number(r.query.PageIndex ?? r.query.pageIndex));

  it.each([
    ["no NextLink, with TotalCount", { nextLink: "absent" as const }, [0, 1, 2]],
    ["no NextLink, no TotalCount (stops at the short page)", { nextLink: "absent" as const, totalCount: false }, [0, 1, 2]],
    ["relative NextLink", { nextLink: "relative" as const }, [0, 1, 2]],
    ["absolute NextLink", { nextLink: "absolute" as const }, [0, 1, 2]],
  ])("reads 25 jobs in pages of 10: %s", async (_name, options, expectedPages) => {
    const ids = addJobs(25);
    Object.assign(sim.options, options);
    const { client, logs } = harness();
    const jobs = await collect(client);
    expect(jobs.map((j) => j.id).sort()).toEqual(ids.sort());
    expect(pageIndexes()).toEqual(expectedPages);
    expect(logs.filter((l) => l.startsWith("debug AvePoint jobs page read"))).toHaveLength(expectedPages.length);
  });

  it("yields pages with their TotalCount and NextLink", async () => {
    addJobs(15);
    sim.options.nextLink = "relative";
    const { client } = harness();
    const pages = [];
    for await (const page of client.listJobPages(WINDOW)) pages.push(page);
    expect(pages.map((p) => [p.jobs.length, p.totalCount, p.nextLink !== null])).toEqual([
      [10, 15, true],
      [5, 15, false],
    ]);
  });

  it("asks once more after an exactly full last page when there is no TotalCount", async () => {
    addJobs(20);
    Object.assign(sim.options, { nextLink: "absent", totalCount: false });
    const jobs = await collect(harness().client);
    expect(jobs).toHaveLength(20);
    expect(pageIndexes()).toEqual([0, 1, 2]);
  });

  it.each([
    ["with TotalCount", true, [0, 1, 2, 3, 4, 5, 6]],
    // Without TotalCount the first (capped) page sets the honoured size; the 1-job page 6 is short.
    ["without TotalCount", false, [0, 1, 2, 3, 4, 5, 6]],
  ])("reads everything when the server caps PageSize below what was asked, %s", async (_name, totalCount, expectedPages) => {
    const ids = addJobs(25);
    Object.assign(sim.options, { nextLink: "absent", pageCap: 4, totalCount });
    const jobs = await collect(harness().client);
    expect(jobs.map((j) => j.id).sort()).toEqual(ids.sort());
    expect(pageIndexes()).toEqual(expectedPages);
    expect(apiRequests().every((r) => r.query.PageSize === "10")).toBe(true);
  });

  it("reads a single short first page with one extra request when nothing says it is the last", async () => {
    addJobs(3);
    Object.assign(sim.options, { nextLink: "absent", totalCount: false });
    expect(await collect(harness().client)).toHaveLength(3);
    expect(pageIndexes()).toEqual([0, 1]);
  });

  it("honours a per-listing page size", async () => {
    addJobs(5);
    await collect(harness().client, WINDOW, { pageSize: 2 });
    expect(apiRequests().map((r) => r.query.PageSize)).toEqual(["2", "2", "2"]);
  });

  it.each(["foreign", "off-path"] as const)("ignores a NextLink %s with one warning and reads on by PageIndex on the API host", async (mode) => {
    const ids = addJobs(25);
    sim.options.nextLink = mode;
    const before = wire.urls.length;
    const { client, logs } = harness();
    expect((await collect(client)).map((j) => j.id).sort()).toEqual(ids.sort());
    expect(wire.urls.slice(before).some((u) => u.startsWith(FOREIGN_ORIGIN) || u.includes(BACKEND_JOBS_PATH))).toBe(false);
    expect(apiRequests().map((r) => r.path)).toEqual(["/cloudbackup/jobs", "/cloudbackup/jobs", "/cloudbackup/jobs"]);
    expect(pageIndexes()).toEqual([0, 1, 2]);
    await collect(client);
    expect(logs.filter((l) => l.startsWith("warn AvePoint sent a NextLink"))).toHaveLength(1);
  });

  it("reads every page of a server whose PageIndex counts from 1 (the vendor samples), and remembers it", async () => {
    // Review D3: 25 jobs, pages of 10; the old client read page 1 twice and dropped the last 5 silently.
    const ids = addJobs(25);
    sim.options.pageBase = 1;
    const { client, logs } = harness();
    expect((await collect(client)).map((j) => j.id).sort()).toEqual(ids.sort());
    expect(pageIndexes()).toEqual([0, 1, 2, 3]);
    expect(client.reading().pageBase).toBe(1);
    expect(logs.some((l) => l.includes("PageIndex counts from 1"))).toBe(true);
    sim.resetRequests();
    expect(await collect(client)).toHaveLength(25);
    expect(pageIndexes()).toEqual([1, 2, 3]);
  });

  it("learns a 0-based PageIndex from the second page at no extra cost", async () => {
    addJobs(15);
    const { client } = harness();
    expect(await collect(client)).toHaveLength(15);
    expect(pageIndexes()).toEqual([0, 1]);
    expect(client.reading().pageBase).toBe(0);
  });

  it("fails loudly when a listing ends short of TotalCount instead of dropping jobs", async () => {
    addJobs(25);
    // Every page after the first repeats it: 10 distinct jobs of 25.
    const first = JSON.stringify({ TotalCount: 25, Jobs: sim.tenant.jobs.slice(0, 10).map((j) => ({ Id: j.id, State: "Finished", StartTime: j.startTime.getTime(), FinishTime: 0 })) });
    sim.injectFault({ target: "jobs", kind: "body", body: first, times: 5 });
    const error = await failure(collect(harness().client));
    expect(error).toBeInstanceOf(IncompleteListingError);
    expect(error).toMatchObject({ distinctJobs: 10, totalCount: 25 });
  });

  it("stops at the page-count guard when the listing does not end", async () => {
    addJobs(25);
    const error = await failure(collect(harness().client, WINDOW, { maxPages: 2 }));
    expect(error).toBeInstanceOf(PageLimitExceededError);
    expect(error).toMatchObject({ name: "PageLimitExceededError", maxPages: 2, jobsRead: 20 });
    expect(apiRequests()).toHaveLength(2);
  });

  it("stops after the first repeat when the server sends the same NextLink forever, and fails short of TotalCount", async () => {
    const loop = JSON.stringify({ TotalCount: 100, Jobs: [{ Id: "A", State: "Finished", StartTime: 0, FinishTime: 0 }], NextLink: "/cloudbackup/jobs?PageIndex=1" });
    sim.injectFault({ target: "jobs", kind: "body", body: loop, times: 50 });
    const error = await failure(collect(harness().client, WINDOW, { maxPages: 5 }));
    expect(error).toBeInstanceOf(IncompleteListingError);
    expect(apiRequests()).toHaveLength(2);
  });

  it("re-reads with a time window: only jobs that started inside it", async () => {
    sim.tenant.addJob({ id: "BEFORE", state: "Finished", startTime: new Date("2025-01-05T23:00:00Z"), finishTime: new Date("2025-01-06T01:00:00Z"), objectType: 1 });
    addJobs(2);
    expect((await collect(harness().client)).map((j) => j.id)).not.toContain("BEFORE");
  });
});

// --- faults ---------------------------------------------------------------------------------------

describe("faults", () => {
  it("waits as long as a 429's Retry-After (seconds) asks and tries again", async () => {
    addJobs(2);
    sim.injectFault({ target: "jobs", kind: "status", status: 429, retryAfter: "3" });
    const { client, sleeps, logs } = harness();
    expect(await collect(client)).toHaveLength(2);
    expect(sleeps).toEqual([3000]);
    expect(apiRequests().map((r) => r.status)).toEqual([429, 200]);
    expect(logs.filter((l) => l.startsWith("warn AvePoint API request failed; retrying"))).toHaveLength(1);
    expect(logs.find((l) => l.startsWith("warn"))).toContain("HTTP 429");
  });

  it("honours a Retry-After given as an HTTP date", async () => {
    sim.injectFault({ target: "license", kind: "status", status: 429, retryAfter: new Date(Date.now() + 4_000).toUTCString() });
    const { client, sleeps } = harness();
    await client.getLicenseUsage();
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(2_000);
    expect(sleeps[0]).toBeLessThanOrEqual(4_000);
  });

  it.each([500, 502, 503, 504, 408])("retries HTTP %i with growing backoff", async (status) => {
    addJobs(1);
    sim.injectFault({ target: "jobs", kind: "status", status, times: 2 });
    const { client, sleeps } = harness({ random: () => 0.5 });
    expect(await collect(client)).toHaveLength(1);
    expect(apiRequests().map((r) => r.status)).toEqual([status, status, 200]);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]!).toBeGreaterThan(sleeps[0]!);
  });

  it("gives up after the retry budget with an AvePointApiError carrying status and request id", async () => {
    sim.injectFault({ target: "jobs", kind: "status", status: 503, times: 10, body: JSON.stringify({ statusCode: 503, message: "maintenance", requestId: "REQ-1", traceId: "TR-1" }) });
    const error = await failure(collect(harness().client));
    expect(error).toBeInstanceOf(AvePointApiError);
    expect(error).toMatchObject({ name: "AvePointApiError", status: 503, requestId: "REQ-1", traceId: "TR-1", path: "/cloudbackup/jobs" });
    expect(error.message).toContain("maintenance");
    expect(error.message).not.toContain("StartTime");
    expect(apiRequests()).toHaveLength(4);
  });

  it.each([
    [400, "AvePointApiError"],
    [403, "AvePointApiError"],
    [404, "AvePointPathNotFoundError"],
  ])("fails at once on HTTP %i", async (status, name) => {
    sim.injectFault({ target: "jobs", kind: "status", status });
    const { client, sleeps } = harness();
    const error = await failure(collect(client));
    expect(error).toMatchObject({ name, status });
    expect(apiRequests()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("fetches a new token once when the API starts refusing the current one", async () => {
    addJobs(25);
    // The token issued first stops working after 2 API calls.
    sim.injectFault({ target: "token", kind: "invalid-token-after", uses: 2 });
    const { client, logs } = harness();
    expect(await collect(client)).toHaveLength(25);
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests().map((r) => r.status)).toEqual([200, 200, 401, 200]);
    expect(logs.some((l) => l.startsWith("warn AvePoint API refused the access token"))).toBe(true);
  });

  it("gives up with a 401 AvePointApiError when a fresh token is refused too", async () => {
    sim.injectFault({ target: "license", kind: "status", status: 401, times: 2 });
    const error = await failure(harness().client.getLicenseUsage());
    expect(error).toMatchObject({ name: "AvePointApiError", status: 401 });
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests()).toHaveLength(2);
  });

  it("reports truncated JSON as a MalformedResponseError naming the page, not as no jobs", async () => {
    addJobs(15);
    sim.injectFault({ target: "jobs", kind: "truncated" });
    const error = await failure(collect(harness().client));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error).toMatchObject({ name: "MalformedResponseError", page: 0 });
    expect((error as MalformedResponseError).detail).toMatch(/truncated/);
  });

  it("names a followed NextLink as the page of a malformed response", async () => {
    addJobs(15);
    sim.options.nextLink = "relative";
    const { client } = harness();
    const pages = client.listJobPages(WINDOW);
    await pages.next();
    sim.injectFault({ target: "jobs", kind: "body", body: '{"TotalCount": 15, "Jobs": 7}' });
    const error = await failure(pages.next());
    expect(error).toMatchObject({ name: "MalformedResponseError" });
    expect((error as MalformedResponseError).page).toMatch(/^\/cloudbackup\/jobs\?.*PageIndex=1/);
    expect(error.message).toContain("Jobs is number 7");
  });

  it("reports an envelope with a non-2xx statusCode as an AvePointApiError", async () => {
    sim.injectFault({ target: "jobs", kind: "body", body: JSON.stringify({ statusCode: 422, message: "bad", data: null, requestId: "R-7" }) });
    const error = await failure(collect(harness({ profile: "current" }).client));
    expect(error).toMatchObject({ name: "AvePointApiError", status: 422, requestId: "R-7" });
    expect(apiRequests()).toHaveLength(1);
  });

  it.each([429, 503])("retries an HTTP 200 whose envelope says %i, like the HTTP status (review D8)", async (statusCode) => {
    const ids = addJobs(2);
    sim.injectFault({ target: "jobs", kind: "body", body: JSON.stringify({ statusCode, message: "busy", data: null }) });
    const { client, sleeps } = harness({ profile: "current" });
    expect((await collect(client)).map((j) => j.id).sort()).toEqual(ids.sort());
    expect(apiRequests()).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it("times out a slow response and tries again", async () => {
    addJobs(1);
    sim.injectFault({ target: "jobs", kind: "slow", delayInMs: 5_000 });
    const { client, logs } = harness({ timeoutInMs: 250 });
    expect(await collect(client)).toHaveLength(1);
    expect(apiRequests()).toHaveLength(2);
    expect(logs.find((l) => l.startsWith("warn"))).toMatch(/no response from http:\/\/127\.0\.0\.1:\d+ within 250 ms/);
  });

  it("retries after the connection is reset", async () => {
    addJobs(1);
    sim.injectFault({ target: "jobs", kind: "reset" });
    expect(await collect(harness().client)).toHaveLength(1);
    expect(apiRequests().map((r) => r.status)).toEqual([0, 200]);
  });

  it("gives up with a NetworkError when every attempt is reset", async () => {
    sim.injectFault({ target: "license", kind: "reset", times: 10 });
    const error = await failure(harness().client.getLicenseUsage());
    expect(error).toBeInstanceOf(NetworkError);
    expect(apiRequests()).toHaveLength(4);
  });

  it.each([
    ["503 with Retry-After", { kind: "status", status: 503, retryAfter: "2" } as const],
    ["a reset", { kind: "reset" } as const],
  ])("retries the token endpoint after %s", async (_name, fault) => {
    sim.injectFault({ target: "token", ...fault });
    const { client, logs } = harness();
    await client.getLicenseUsage();
    expect(tokenRequests()).toHaveLength(2);
    expect(logs.some((l) => l.startsWith("warn AvePoint token request failed; retrying"))).toBe(true);
  });

  it("stops waiting when the caller aborts", async () => {
    sim.injectFault({ target: "license", kind: "slow", delayInMs: 5_000 });
    const controller = new AbortController();
    const pending = harness().client.getLicenseUsage({ abortSignal: controller.signal });
    setTimeout(() => controller.abort(new Error("cycle cancelled")), 50);
    const error = await failure(pending);
    expect(error.message).toBe("cycle cancelled");
  });
});

// --- secrets ---------------------------------------------------------------------------------------

describe("secrets", () => {
  it("never puts the client secret, the key, an assertion or an access token in a log line or an error", async () => {
    const errors: Error[] = [];
    const logs: string[] = [];
    const keyLines = [certificate.keyPem, certificate.encryptedKeyPem]
      .flatMap((pem) => pem.split("\n"))
      .filter((line) => line.length > 40 && !line.startsWith("-----"));

    // Secret credential: retries, a refused token, a failure, a wrong secret.
    addJobs(25);
    sim.injectFault({ target: "token", kind: "invalid-token-after", uses: 1 });
    sim.injectFault({ target: "jobs", kind: "status", status: 429, retryAfter: "1" });
    sim.injectFault({ target: "jobs", kind: "reset" });
    const secretRun = harness();
    await collect(secretRun.client);
    sim.injectFault({ target: "license", kind: "status", status: 401, times: 2 });
    errors.push(await failure(secretRun.client.getLicenseUsage()));
    const wrong = harness({ credential: secretCredential(`${CLIENT_SECRET}-old`) });
    errors.push(await failure(wrong.client.getLicenseUsage()));
    sim.injectFault({ target: "jobs", kind: "truncated" });
    errors.push(await failure(collect(secretRun.client)));

    // Certificate credentials: PEM with an encrypted key, an unknown certificate, a bad password.
    const certRun = harness({
      credential: { kind: "certificate", source: "value", pem: new Secret(`${certificate.certPem}${certificate.encryptedKeyPem}`), password: new Secret(certificate.password) },
    });
    sim.injectFault({ target: "jobs", kind: "status", status: 500 });
    await collect(certRun.client);
    const unknown = createUnrelatedTestCertificate();
    errors.push(await failure(harness({ credential: { kind: "certificate", source: "value", pem: new Secret(unknown.combinedPem) } }).client.getLicenseUsage()));
    errors.push(
      await failure(
        harness({ credential: { kind: "certificate", source: "value", pem: new Secret(`${certificate.certPem}${certificate.encryptedKeyPem}`), password: new Secret("bad-pass-123") } }).client.getLicenseUsage(),
      ),
    );
    logs.push(...secretRun.logs, ...wrong.logs, ...certRun.logs);

    expect(errors.map((e) => e.name)).toEqual(["AvePointApiError", "AvePointAuthError", "MalformedResponseError", "AvePointAuthError", "AvePointCertificateError"]);
    expect(logs.some((l) => l.startsWith("warn"))).toBe(true);
    expect(wire.accessTokens.size).toBeGreaterThan(0);
    expect(wire.assertions.size).toBeGreaterThan(0);

    const forbidden = [CLIENT_SECRET, certificate.password, "bad-pass-123", ...keyLines, ...wire.accessTokens, ...wire.assertions];
    const texts = [...logs, ...errors.flatMap((e) => [e.message, String(e), JSON.stringify(e), e.stack ?? ""])];
    for (const text of texts) {
      for (const secret of forbidden) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/); // no JWT of any kind
    }
  });
});

// --- pages read a few at a time ------------------------------------------------------------------

describe("pages read a few at a time (pageConcurrency)", () => {
  const pagesAnswered = (status: number) =>
    apiRequests()
      .filter((r) => r.status === status)
      .map((r) => Number(r.query["PageIndex"]));

  it("once TotalCount is known, keeps the next pages in flight; a 429 on one of them waits its Retry-After, and jobs come in order, once each", async () => {
    addJobs(50); // 5 pages of 10
    const ids = (await collect(harness().client)).map((j) => j.id); // the order of a listing read page after page
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const sleeps: number[] = [];
    const { client } = harness({
      pageConcurrency: 3,
      sleep: async (ms) => {
        sleeps.push(ms);
        await held;
      },
    });
    expect((await collect(client)).map((j) => j.id)).toEqual(ids); // learns that pages count from 0
    sim.resetRequests();
    sim.injectFault({ target: "jobs", kind: "slow", delayInMs: 0 }); // page 0, as it is
    sim.injectFault({ target: "jobs", kind: "status", status: 429, retryAfter: "2" }); // page 1, the first one asked ahead
    const reading = collect(client);
    // While page 1 waits out its Retry-After, pages 2 and 3 were already asked for and answered.
    await vi.waitFor(() => expect(pagesAnswered(200).sort()).toEqual([0, 2, 3]));
    expect(pagesAnswered(429)).toEqual([1]);
    expect(sleeps).toEqual([2000]);
    release();
    expect((await reading).map((j) => j.id)).toEqual(ids);
    // Every page answered once, page 1 after its wait; nothing asked beyond the last page.
    expect(pagesAnswered(200).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(apiRequests()).toHaveLength(6);
  });

  it("reads one page after another by default", async () => {
    const ids = addJobs(30);
    const { client } = harness();
    expect((await collect(client)).map((j) => j.id).sort()).toEqual(ids.sort());
    expect(apiRequests().map((r) => Number(r.query["PageIndex"]))).toEqual([0, 1, 2]);
  });
});

import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { inspect } from "node:util";
import type { TableClient } from "@azure/data-tables";
import { describe, expect, inject, it } from "vitest";
import type { Alert, JobAlert, JobRecoveryAlert, LicenseAlert } from "../../shared/alerts/model.js";
import { fingerprintOf } from "../../shared/alerts/fingerprint.js";
import type { BackupJob } from "../../shared/avepoint/model.js";
import type { StorageSettings } from "../../shared/config/settings.js";
import {
  AlertLedger,
  CheckpointConflictError,
  createTableClients,
  decodeAlert,
  encodeAlert,
  LedgerDataError,
  LedgerUnavailableError,
  type AlertLedgerOptions,
  type DeliveryRecord,
  type LedgerTableClients,
} from "../../shared/ledger/index.js";
import type { Logger } from "../../shared/logging.js";
import { Secret } from "../../shared/security/secret.js";

const connectionString = inject("azuriteConnectionString");
const T0 = new Date("2026-03-02T08:00:00.000Z");
const MINUTE = 60_000;

let prefixCounter = 0;
/** A table prefix no other test (or earlier run against a long-lived Azurite) uses. */
function uniquePrefix(): string {
  return `t${Date.now().toString(36)}${process.pid.toString(36)}x${prefixCounter++}`;
}

function storage(cs = connectionString): StorageSettings {
  return { kind: "connectionString", connectionString: new Secret(cs), variable: "ALERTS_STORAGE" };
}

/** Requests the clients sent, counted by a pipeline policy (a batch is one request). */
function countRequests(client: TableClient): { readonly count: number; readonly methods: string[] } {
  const methods: string[] = [];
  client.pipeline.addPolicy({
    name: "countRequests",
    sendRequest: (request, next) => {
      methods.push(`${request.method} ${new URL(request.url).pathname}`);
      return next(request);
    },
  });
  return {
    get count() {
      return methods.length;
    },
    methods,
  };
}

/** Two "runs" of the function (separate clients and ledgers) on the same tables. */
async function tablesForRuns(options: AlertLedgerOptions = {}) {
  const prefix = uniquePrefix();
  const run = (extra: AlertLedgerOptions = {}) => {
    const clients = createTableClients(storage(), prefix);
    return { clients, ledger: new AlertLedger(clients, { ...options, ...extra }) };
  };
  const first = run();
  await first.ledger.ensureTables();
  return { prefix, run, first };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, error() {}, info() {}, debug() {}, warn: (message) => void warnings.push(message) };
}

// --- Sample alerts of every kind ----------------------------------------------------------

function job(overrides: Partial<BackupJob> = {}): BackupJob {
  return {
    id: "IB2026030201",
    state: "Failed",
    rawState: "Failed",
    startTime: new Date("2026-03-02T06:00:00.000Z"),
    finishTime: new Date("2026-03-02T06:42:13.517Z"),
    durationMs: 2_533_517,
    counts: { total: 120, failed: 3, successful: 117, skipped: 0 },
    errors: [{ message: "Mailbox not found", count: 2, url: "https://example.invalid/E1001", isErrorCode: true }],
    service: 1,
    ...overrides,
  };
}

function jobAlert(id: string, overrides: Partial<JobAlert> = {}, jobOverrides: Partial<BackupJob> = {}): JobAlert {
  const identity = `job:contoso:${id}:Failed`;
  return {
    kind: "job",
    fingerprint: fingerprintOf(identity),
    identity,
    tenant: "contoso",
    severity: "critical",
    status: "firing",
    detectedAt: T0,
    job: job({ id, ...jobOverrides }),
    service: 1,
    ...overrides,
  };
}

function recoveryAlert(): JobRecoveryAlert {
  const identity = "recovery:contoso:1";
  return {
    kind: "job-recovery",
    fingerprint: fingerprintOf(identity),
    identity,
    tenant: "contoso",
    severity: "info",
    status: "resolved",
    detectedAt: T0,
    service: 1,
    job: job({ id: "IB2026030299", state: "Finished", rawState: "Finished", errors: [], counts: { total: 5, failed: 0, successful: 5, skipped: 0 } }),
    resolvedJobIds: ["IB2026030201", "IB2026030202"],
  };
}

function licenseAlert(overrides: Partial<LicenseAlert> = {}): LicenseAlert {
  const identity = "license:contoso:seats";
  return {
    kind: "license",
    fingerprint: fingerprintOf(identity),
    identity,
    tenant: "contoso",
    severity: "warning",
    status: "firing",
    detectedAt: T0,
    metric: "seats",
    level: "warning",
    reason: "entered",
    usage: {
      outOfPolicySince: new Date("2026-02-27T00:00:00.000Z"),
      purchasedUserSeats: 500,
      assignedUserSeats: 467,
      purchasedStorageGb: 1024,
      protectedStorageGb: 880.5,
    },
    percent: 93.4,
    previousUsed: 455,
    forecast: { exhaustedAt: new Date("2026-03-20T00:00:00.000Z"), ratePerDay: 1.75 },
    ...overrides,
  };
}

const everyKind: [string, Alert][] = [
  ["job alert with every field", jobAlert("IB1")],
  ["job alert with unknown state and no dates", jobAlert("IB2", {}, { state: "Unknown", rawState: "Exploded", startTime: null, finishTime: null, durationMs: null, counts: null, errors: [] })],
  ["job alert without a service", jobAlert("IB3", { service: undefined }, { service: undefined })],
  ["job recovery", recoveryAlert()],
  ["license alert with a forecast", licenseAlert()],
  ["license alert, in policy, not rising", licenseAlert({ usage: { ...licenseAlert().usage, outOfPolicySince: null }, forecast: { exhaustedAt: null, ratePerDay: 0 } })],
  ["license policy alert without percent or forecast", licenseAlert({ metric: "policy", percent: undefined, forecast: undefined, previousUsed: undefined })],
];

// --- Tables -------------------------------------------------------------------------------

describe("tables", () => {
  it("are created when absent, idempotently, and once per process", async () => {
    const prefix = uniquePrefix();
    const first = createTableClients(storage(), prefix);
    const ledger = new AlertLedger(first);
    await ledger.ensureTables();
    await ledger.ensureTables();
    // The tables exist: a read of a missing checkpoint is "absent", not "no table".
    await expect(ledger.readCheckpoint("contoso", "jobs")).resolves.toMatchObject({ watermark: null });

    const second = createTableClients(storage(), prefix);
    const alerts = countRequests(second.alerts);
    const checkpoints = countRequests(second.checkpoints);
    await new AlertLedger(second).ensureTables();
    expect(alerts.count + checkpoints.count).toBe(0);

    // A table created by someone else (409 from the service) is fine too.
    await second.alerts.createTable();
  });

  it("a table that vanished is reported as missing, and ensureTables creates it again", async () => {
    const prefix = uniquePrefix();
    const clients = createTableClients(storage(), prefix);
    const ledger = new AlertLedger(clients);
    await ledger.ensureTables();
    await clients.checkpoints.deleteTable();

    const failure = await ledger.readCheckpoint("contoso", "jobs").catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LedgerUnavailableError);
    expect((failure as LedgerUnavailableError).kind).toBe("missing-table");

    await ledger.ensureTables();
    await expect(ledger.readCheckpoint("contoso", "jobs")).resolves.toMatchObject({ consecutiveFailures: 0 });
  });

  it("refuses a table prefix that is not a valid table name start", () => {
    expect(() => createTableClients(storage(), "1bad-prefix")).toThrow(/ALERTS_TABLE_PREFIX/);
  });
});

// --- Checkpoints ---------------------------------------------------------------------------

describe("checkpoints", () => {
  it("reads a default when absent and round-trips dates, open jobs and state", async () => {
    const { first } = await tablesForRuns();
    const absent = await first.ledger.readCheckpoint("contoso", "jobs");
    expect(absent).toEqual({
      tenant: "contoso",
      monitor: "jobs",
      watermark: null,
      openJobs: [],
      state: {},
      lastSuccessAt: null,
      lastError: null,
      consecutiveFailures: 0,
    });
    expect(absent.etag).toBeUndefined();

    const written = await first.ledger.writeCheckpoint({
      ...absent,
      watermark: new Date("2026-03-02T07:59:59.123Z"),
      openJobs: [
        { id: "IB1", startTime: new Date("2026-03-02T06:00:00.000Z") },
        { id: "IB'2 #odd", startTime: new Date("2026-03-01T23:30:00.500Z") },
      ],
      state: { failingServices: { "1": ["IB0"] }, levels: { seats: "warning" }, n: 3, flag: true, nothing: null },
      lastSuccessAt: T0,
      lastError: "HTTP 503 from AvePoint",
      consecutiveFailures: 2,
    });
    expect(written.etag).toEqual(expect.any(String));

    const read = await first.ledger.readCheckpoint("contoso", "jobs");
    expect(read).toEqual(written);
    expect(read.watermark).toBeInstanceOf(Date);
    expect(read.openJobs[1]?.startTime).toBeInstanceOf(Date);

    const updated = await first.ledger.writeCheckpoint({ ...read, watermark: T0, openJobs: [], lastError: null, consecutiveFailures: 0 });
    expect(updated.etag).not.toBe(read.etag);
    const reread = await first.ledger.readCheckpoint("contoso", "jobs");
    expect(reread).toEqual(updated);
    expect(reread.lastError).toBeNull();

    // Another monitor and another tenant are other rows.
    await expect(first.ledger.readCheckpoint("contoso", "license")).resolves.toMatchObject({ watermark: null });
    await expect(first.ledger.readCheckpoint("fabrikam", "jobs")).resolves.toMatchObject({ watermark: null });
  });

  it("splits state larger than one property across several and reads it back whole", async () => {
    const { first } = await tablesForRuns();
    // > 64 KiB of UTF-16, with an astral character right where a naive split would cut
    // the pair (JSON index 31,999). Otherwise ASCII: Azurite 3.35 garbles multi-byte text
    // that straddles its request-body chunks, which is not what this test is about.
    const big = `${"x".repeat(31_991)}🚨${"y".repeat(40_000)}🚨tail`;
    const written = await first.ledger.writeCheckpoint({ ...(await first.ledger.readCheckpoint("contoso", "jobs")), state: { big } });
    const read = await first.ledger.readCheckpoint("contoso", "jobs");
    expect(read.state.big).toBe(big);
    expect(read.etag).toBe(written.etag);
  });

  it("fails loudly, before writing, when a checkpoint would not fit in one row", async () => {
    const { first } = await tablesForRuns();
    const cp = await first.ledger.readCheckpoint("contoso", "jobs");
    await expect(first.ledger.writeCheckpoint({ ...cp, state: { huge: "y".repeat(600_000) } })).rejects.toThrow(LedgerDataError);
    expect((await first.ledger.readCheckpoint("contoso", "jobs")).etag).toBeUndefined();
  });

  it("of two writers holding the same etag, the second gets CheckpointConflictError", async () => {
    const { first, run } = await tablesForRuns();
    const second = run();
    const initial = await first.ledger.writeCheckpoint({ ...(await first.ledger.readCheckpoint("contoso", "jobs")), watermark: T0 });

    const a = await first.ledger.readCheckpoint("contoso", "jobs");
    const b = await second.ledger.readCheckpoint("contoso", "jobs");
    expect(a.etag).toBe(initial.etag);
    expect(b.etag).toBe(initial.etag);

    await first.ledger.writeCheckpoint({ ...a, watermark: new Date(T0.getTime() + MINUTE) });
    const conflict = await second.ledger.writeCheckpoint({ ...b, watermark: new Date(T0.getTime() + 2 * MINUTE) }).catch((err: unknown) => err);
    expect(conflict).toBeInstanceOf(CheckpointConflictError);
    expect((conflict as Error).name).toBe("CheckpointConflictError");
    expect((await first.ledger.readCheckpoint("contoso", "jobs")).watermark).toEqual(new Date(T0.getTime() + MINUTE));
  });

  it("of two first writes racing, exactly one inserts and the other conflicts", async () => {
    const { first, run } = await tablesForRuns();
    const second = run();
    const [a, b] = await Promise.all([first.ledger.readCheckpoint("contoso", "jobs"), second.ledger.readCheckpoint("contoso", "jobs")]);
    const outcomes = await Promise.allSettled([
      first.ledger.writeCheckpoint({ ...a, watermark: T0, lastError: "first" }),
      second.ledger.writeCheckpoint({ ...b, watermark: T0, lastError: "second" }),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(CheckpointConflictError);
  });

  it("refuses an unconditional write (etag '*') and invalid monitor names", async () => {
    const { first } = await tablesForRuns();
    const cp = await first.ledger.readCheckpoint("contoso", "jobs");
    await expect(first.ledger.writeCheckpoint({ ...cp, etag: "*" })).rejects.toThrow(LedgerDataError);
    await expect(first.ledger.readCheckpoint("contoso", "Jobs Monitor")).rejects.toThrow(LedgerDataError);
  });
});

// --- Admission --------------------------------------------------------------------------------

describe("admit", () => {
  it("records each alert × receiver once as pending; admitting again creates nothing", async () => {
    const { first } = await tablesForRuns({ now: () => T0 });
    const alerts = [jobAlert("IB1"), jobAlert("IB2"), licenseAlert()];
    const created = await first.ledger.admit(alerts, ["teams-ops", "mail-oncall"]);
    expect(created).toHaveLength(6);
    for (const record of created) {
      expect(record).toMatchObject({ state: "pending", attempts: 0, lastError: null, createdAt: T0, deliveredAt: null, leaseUntil: null, owner: null });
      expect(record.etag).not.toBe("");
    }
    expect(await first.ledger.admit(alerts, ["teams-ops", "mail-oncall"])).toEqual([]);
    // A new receiver gets its own rows for alerts already known to the others.
    expect(await first.ledger.admit(alerts, ["teams-ops", "pager"])).toHaveLength(3);

    const open = await first.ledger.openDeliveries("contoso");
    expect(open).toHaveLength(9);
    expect(new Set(open.map((r) => `${r.fingerprint}~${r.receiver}`)).size).toBe(9);
  });

  it("the same alert twice in one call is admitted once", async () => {
    const { first } = await tablesForRuns();
    const created = await first.ledger.admit([jobAlert("IB1"), jobAlert("IB1")], ["teams-ops"]);
    expect(created).toHaveLength(1);
  });

  it("concurrent admits of the same alerts by two runs create each row once, returned to exactly one run", async () => {
    const { first, run } = await tablesForRuns();
    const second = run();
    const alerts = Array.from({ length: 150 }, (_, i) => jobAlert(`IB${i}`));
    // Run one got to some of them already: run two's transactions meet existing rows.
    const early = await first.ledger.admit(alerts.slice(0, 10), ["teams-ops"]);
    const [a, b] = await Promise.all([first.ledger.admit(alerts, ["teams-ops"]), second.ledger.admit(alerts, ["teams-ops"])]);

    const keys = [...early, ...a, ...b].map((r) => r.fingerprint);
    expect(keys).toHaveLength(150);
    expect(new Set(keys).size).toBe(150);
    expect(await first.ledger.openDeliveries("contoso")).toHaveLength(150);
  });

  it("admits 250 alerts in at most ceil(250 / 50) transaction requests (each row with its open-work marker)", async () => {
    const { first } = await tablesForRuns();
    const requests = countRequests(first.clients.alerts);
    const created = await first.ledger.admit(
      Array.from({ length: 250 }, (_, i) => jobAlert(`IB${i}`)),
      ["teams-ops"],
    );
    expect(created).toHaveLength(250);
    expect(requests.count).toBeLessThanOrEqual(Math.ceil(250 / 50));
    expect(requests.methods.every((m) => m.endsWith("/$batch"))).toBe(true);
  });

  it("refuses receiver names that are not permanent ids, without a request", async () => {
    const { first } = await tablesForRuns();
    const requests = countRequests(first.clients.alerts);
    for (const bad of ["Teams Ops", "", "a".repeat(41), "ops~1", "ops/1"]) {
      await expect(first.ledger.admit([jobAlert("IB1")], [bad])).rejects.toThrow(LedgerDataError);
    }
    expect(requests.count).toBe(0);
  });

  it("keeps tenants with key-unsafe characters apart", async () => {
    const { first } = await tablesForRuns();
    await first.ledger.admit([jobAlert("IB1", { tenant: "a/b#c" })], ["teams-ops"]);
    await first.ledger.admit([jobAlert("IB1", { tenant: "a%2Fb%23c" })], ["teams-ops"]);
    const one = await first.ledger.pending("a/b#c");
    const other = await first.ledger.pending("a%2Fb%23c");
    expect(one.map((r) => r.tenant)).toEqual(["a/b#c"]);
    expect(other.map((r) => r.tenant)).toEqual(["a%2Fb%23c"]);
  });
});

// --- Claims and leases ------------------------------------------------------------------------

describe("claim", () => {
  it("of two runs claiming the same record at once, exactly one wins", async () => {
    const { first, run } = await tablesForRuns({ now: () => T0 });
    const second = run();
    await first.ledger.admit([jobAlert("IB1")], ["teams-ops"]);
    const [[seenByA], [seenByB]] = await Promise.all([first.ledger.pending("contoso"), second.ledger.pending("contoso")]);
    const [a, b] = await Promise.all([first.ledger.claim(seenByA!, "run-a"), second.ledger.claim(seenByB!, "run-b")]);

    const winners = [a, b].filter((r): r is DeliveryRecord => r !== null);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(winner).toMatchObject({ state: "sending", attempts: 1, leaseUntil: new Date(T0.getTime() + 5 * MINUTE) });
    expect(["run-a", "run-b"]).toContain(winner.owner);
    // It is held: not pending, and a stale copy cannot claim it.
    expect(await first.ledger.pending("contoso")).toEqual([]);
    expect(await second.ledger.claim(seenByB!, "run-c")).toBeNull();
  });

  it("a record whose lease expired (its run crashed) is pending again and can be re-claimed; the old run's late markDelivered does not clobber", async () => {
    let now = T0;
    const clock = () => now;
    const { run } = await tablesForRuns();
    const crashedLogger = recordingLogger();
    const laterLogger = recordingLogger();
    const crashedRun = run({ now: clock, leaseInMs: 5 * MINUTE, logger: crashedLogger }).ledger;
    const laterRun = run({ now: clock, leaseInMs: 5 * MINUTE, logger: laterLogger }).ledger;

    await crashedRun.admit([jobAlert("IB1")], ["teams-ops"]);
    const [record] = await crashedRun.pending("contoso");
    const held = await crashedRun.claim(record!, "run-crashed");
    expect(held).not.toBeNull();

    // Within the lease nobody else sees or takes it, even with the current etag.
    now = new Date(T0.getTime() + 4 * MINUTE);
    expect(await laterRun.pending("contoso")).toEqual([]);
    const [current] = await laterRun.openDeliveries("contoso");
    expect(current).toMatchObject({ state: "sending", owner: "run-crashed" });
    expect(await laterRun.claim(current!, "run-later")).toBeNull();

    // After it, the row is pending again and the next run takes it over.
    now = new Date(T0.getTime() + 6 * MINUTE);
    const [expired] = await laterRun.pending("contoso");
    expect(expired).toMatchObject({ state: "sending", owner: "run-crashed", attempts: 1 });
    const takenOver = await laterRun.claim(expired!, "run-later");
    expect(takenOver).toMatchObject({ state: "sending", owner: "run-later", attempts: 2 });

    // The crashed run comes back and reports its send: it must not overwrite the new owner's claim.
    await crashedRun.markDelivered(held!);
    expect(crashedLogger.warnings).toHaveLength(1);
    const [stillHeld] = await laterRun.openDeliveries("contoso");
    expect(stillHeld).toMatchObject({ state: "sending", owner: "run-later", attempts: 2 });

    await laterRun.markDelivered(takenOver!, { messageId: "msg-42" });
    expect(laterLogger.warnings).toEqual([]);
    expect(await laterRun.openDeliveries("contoso")).toEqual([]);
    expect(await laterRun.pending("contoso")).toEqual([]);
  });

  it("markAllDelivered: each mark a conditional write of its own, the open-work markers dropped in one transaction per partition; a lost claim is neither marked nor unmarked", async () => {
    let now = T0;
    const clock = () => now;
    const { run } = await tablesForRuns();
    const logger = recordingLogger();
    const a = run({ now: clock, leaseInMs: 5 * MINUTE, logger });
    const b = run({ now: clock, leaseInMs: 5 * MINUTE });
    await a.ledger.admit(
      Array.from({ length: 30 }, (_, i) => jobAlert(`IB${i}`)),
      ["teams-ops"],
    );
    const rows = await a.ledger.pending("contoso");
    const held = await Promise.all(rows.map(async (r) => (await a.ledger.claim(r, "run-a"))!));
    // The lease of one row lapses and another run takes it over before run A records its send.
    now = new Date(T0.getTime() + 6 * MINUTE);
    const [lapsed] = (await b.ledger.pending("contoso")).filter((r) => r.fingerprint === held[0]!.fingerprint);
    const takenOver = await b.ledger.claim(lapsed!, "run-b");
    expect(takenOver).not.toBeNull();

    const requests = countRequests(a.clients.alerts);
    const marked = await a.ledger.markAllDelivered(held, { messageId: "msg-7" });
    expect(marked).toEqual(held.map((_, i) => i !== 0));
    expect(logger.warnings).toHaveLength(1);
    // 30 conditional writes (never batched: a transaction would not keep If-Match on Azurite) + 1 transaction for 29 markers.
    expect(requests.methods.filter((m) => m.startsWith("PUT"))).toHaveLength(30);
    expect(requests.methods.filter((m) => m.startsWith("POST") && m.endsWith("/$batch"))).toHaveLength(1);
    expect(requests.count).toBe(31);

    // The row run B holds keeps its claim and its marker: it is still open work, and only it.
    const open = await b.ledger.openDeliveries("contoso");
    expect(open).toEqual([expect.objectContaining({ fingerprint: held[0]!.fingerprint, state: "sending", owner: "run-b" })]);
    const markers: string[] = [];
    for await (const e of a.clients.alerts.listEntities()) if (e.rowKey!.startsWith("!")) markers.push(e.rowKey!);
    expect(markers).toEqual([`!${held[0]!.fingerprint}~teams-ops`]);
    const delivered = await a.clients.alerts.getEntity<Record<string, unknown>>("contoso", `${held[1]!.fingerprint}~teams-ops`);
    expect(delivered).toMatchObject({ state: "delivered", messageId: "msg-7" });
  });

  it("markAllDelivered: a marker already gone (a reader dropped it) does not keep the others", async () => {
    const { first } = await tablesForRuns({ now: () => T0 });
    await first.ledger.admit([jobAlert("IB1"), jobAlert("IB2"), jobAlert("IB3")], ["teams-ops"]);
    const held = await Promise.all((await first.ledger.pending("contoso")).map(async (r) => (await first.ledger.claim(r, "run-a"))!));
    await first.clients.alerts.deleteEntity("contoso", `!${held[1]!.fingerprint}~teams-ops`);
    expect(await first.ledger.markAllDelivered(held)).toEqual([true, true, true]);
    const markers: string[] = [];
    for await (const e of first.clients.alerts.listEntities()) if (e.rowKey!.startsWith("!")) markers.push(e.rowKey!);
    expect(markers).toEqual([]);
  });

  it("markDelivered records delivery time and message id; a delivered record is never claimed again", async () => {
    let now = T0;
    const { first } = await tablesForRuns({ now: () => now });
    await first.ledger.admit([jobAlert("IB1")], ["teams-ops"]);
    const [record] = await first.ledger.pending("contoso");
    const claimed = await first.ledger.claim(record!, "run-a");
    now = new Date(T0.getTime() + 2_000);
    await first.ledger.markDelivered(claimed!, { messageId: "msg-1" });

    const entity = await first.clients.alerts.getEntity<Record<string, unknown>>("contoso", `${record!.fingerprint}~teams-ops`);
    expect(entity).toMatchObject({ state: "delivered", messageId: "msg-1", deliveredAt: now, attempts: 1 });
    expect(await first.ledger.claim({ ...claimed!, state: "delivered" }, "run-b")).toBeNull();
    // The stale pending copy cannot claim it either (etag).
    expect(await first.ledger.claim(record!, "run-b")).toBeNull();
    await expect(first.ledger.markDelivered(record!)).rejects.toThrow(LedgerDataError);
  });

  it("release puts the record back in pending with attempts and a shortened lastError", async () => {
    const { first } = await tablesForRuns({ now: () => T0 });
    await first.ledger.admit([jobAlert("IB1")], ["teams-ops"]);
    const [record] = await first.ledger.pending("contoso");
    const claimed = await first.ledger.claim(record!, "run-a");
    await first.ledger.release(claimed!, `receiver answered HTTP 502: ${"z".repeat(5_000)}`);

    const [again] = await first.ledger.pending("contoso");
    expect(again).toMatchObject({ state: "pending", attempts: 1, owner: null, leaseUntil: null });
    expect(again!.lastError).toMatch(/^receiver answered HTTP 502: z+…$/);
    expect(again!.lastError!.length).toBeLessThanOrEqual(1024);

    const reclaimed = await first.ledger.claim(again!, "run-b");
    expect(reclaimed).toMatchObject({ attempts: 2, owner: "run-b" });
    await first.ledger.markDelivered(reclaimed!);
    const entity = await first.clients.alerts.getEntity<Record<string, unknown>>("contoso", `${record!.fingerprint}~teams-ops`);
    expect(entity.state).toBe("delivered");
  });
});

// --- Reads -------------------------------------------------------------------------------------

describe("reads", () => {
  it("knownFingerprints returns the fingerprints whose event time is inside the window, any receiver, this tenant only", async () => {
    const { first } = await tablesForRuns();
    const day = 24 * 60 * MINUTE;
    const old = jobAlert("IB-old", {}, { finishTime: new Date(T0.getTime() - 10 * day) });
    const edge = jobAlert("IB-edge", {}, { finishTime: new Date(T0.getTime() - 3 * day) });
    const running = jobAlert("IB-nofinish", {}, { finishTime: null, startTime: new Date(T0.getTime() - day) });
    const nodates = jobAlert("IB-nodates", { detectedAt: new Date(T0.getTime() - 20 * day) }, { finishTime: null, startTime: null });
    const license = licenseAlert({ detectedAt: T0 });
    const otherTenant = jobAlert("IB-other", { tenant: "fabrikam" });
    await first.ledger.admit([old, edge, running, nodates, license], ["teams-ops", "mail-oncall"]);
    await first.ledger.admit([otherTenant], ["teams-ops"]);

    const requests = countRequests(first.clients.alerts);
    const known = await first.ledger.knownFingerprints("contoso", new Date(T0.getTime() - 3 * day));
    expect(known).toEqual(new Set([edge.fingerprint, running.fingerprint, license.fingerprint]));
    expect(requests.count).toBe(1);
  });

  it("knownAmong finds fingerprints with a row for any receiver, by key, this tenant only", async () => {
    const { first } = await tablesForRuns();
    const [a, b, c] = [jobAlert("IB-a"), jobAlert("IB-b"), jobAlert("IB-c")];
    await first.ledger.admit([a], ["teams-ops"]);
    await first.ledger.admit([b], ["mail-oncall"]);
    await first.ledger.admit([jobAlert("IB-c", { tenant: "fabrikam" })], ["teams-ops"]);
    expect(await first.ledger.knownAmong("contoso", [a.fingerprint, b.fingerprint, c.fingerprint])).toEqual(new Set([a.fingerprint, b.fingerprint]));
  });

  it("open work is found by key: pending costs the same requests whatever the delivered history (review L2)", async () => {
    const { first } = await tablesForRuns();
    const history = Array.from({ length: 300 }, (_, i) => jobAlert(`IB-old-${i}`));
    await first.ledger.admit(history, ["teams-ops"]);
    // Deliver the history: each row claimed and recorded.
    const rows = await first.ledger.pending("contoso");
    await Promise.all(rows.map(async (r) => first.ledger.markDelivered((await first.ledger.claim(r, "history"))!)));
    await first.ledger.admit([jobAlert("IB-new-1"), jobAlert("IB-new-2")], ["teams-ops"]);

    const requests = countRequests(first.clients.alerts);
    const filters: string[] = [];
    first.clients.alerts.pipeline.addPolicy({
      name: "recordFilters",
      sendRequest: (request, next) => {
        const filter = new URL(request.url).searchParams.get("$filter");
        if (filter !== null) filters.push(filter);
        return next(request);
      },
    });
    const pending = await first.ledger.pending("contoso");
    expect(pending.map((r) => r.alert.kind === "job" && r.alert.job.id).sort()).toEqual(["IB-new-1", "IB-new-2"]);
    // One key-range query of the markers and a point read per open row: nothing filters on a column the service would scan the history for.
    expect(requests.methods.filter((m) => m.startsWith("GET"))).toHaveLength(3);
    expect(filters).toHaveLength(1);
    expect(filters[0]!.replace(/'[^']*'/g, "''")).toBe("PartitionKey eq '' and RowKey ge '' and RowKey lt ''");
  });

  it("rows admitted before open-work markers existed are found (markers made once per tenant)", async () => {
    const { first, run } = await tablesForRuns();
    await first.ledger.admit([jobAlert("IB-legacy")], ["teams-ops"]);
    // As an earlier version left it: the row without its marker, and no index row.
    for await (const e of first.clients.alerts.listEntities()) if (e.rowKey!.startsWith("!")) await first.clients.alerts.deleteEntity(e.partitionKey!, e.rowKey!);
    for await (const e of first.clients.checkpoints.listEntities()) await first.clients.checkpoints.deleteEntity(e.partitionKey!, e.rowKey!);
    const later = run().ledger;
    expect((await later.pending("contoso")).map((r) => r.alert.kind === "job" && r.alert.job.id)).toEqual(["IB-legacy"]);
    expect((await run().ledger.pending("contoso")).map((r) => r.alert.kind === "job" && r.alert.job.id)).toEqual(["IB-legacy"]);
  });

  it("prune removes delivered rows recorded before the cutoff, never open ones, at most `limit` at a time", async () => {
    let now = T0;
    const { first } = await tablesForRuns({ now: () => now });
    const deliver = async (ids: string[]) => {
      await first.ledger.admit(ids.map((id) => jobAlert(id)), ["teams-ops"]);
      for (const r of await first.ledger.pending("contoso")) await first.ledger.markDelivered((await first.ledger.claim(r, "run"))!);
    };
    await deliver(Array.from({ length: 130 }, (_, i) => `IB-old-${i}`));
    now = new Date(T0.getTime() + 40 * 24 * 60 * MINUTE);
    await deliver(["IB-recent"]);
    await first.ledger.admit([jobAlert("IB-open")], ["teams-ops"]);
    const cutoff = new Date(T0.getTime() + 24 * 60 * MINUTE);

    expect(await first.ledger.prune("contoso", cutoff, 100)).toBe(100);
    expect(await first.ledger.prune("contoso", cutoff, 100)).toBe(30);
    expect(await first.ledger.prune("contoso", cutoff, 100)).toBe(0);
    const left = await first.ledger.knownFingerprints("contoso", new Date(0));
    expect(left).toEqual(new Set([jobAlert("IB-recent").fingerprint, jobAlert("IB-open").fingerprint]));
    expect((await first.ledger.pending("contoso")).map((r) => r.fingerprint)).toEqual([jobAlert("IB-open").fingerprint]);
  });

  it("pending lists oldest admissions first, then by event time", async () => {
    let now = T0;
    const { first } = await tablesForRuns({ now: () => now });
    const lateEvent = jobAlert("IB-a", {}, { finishTime: new Date("2026-03-02T07:00:00Z") });
    const earlyEvent = jobAlert("IB-b", {}, { finishTime: new Date("2026-03-02T05:00:00Z") });
    await first.ledger.admit([lateEvent, earlyEvent], ["teams-ops"]);
    now = new Date(T0.getTime() + MINUTE);
    const newest = jobAlert("IB-c", {}, { finishTime: new Date("2026-03-01T00:00:00Z") });
    await first.ledger.admit([newest], ["teams-ops"]);

    const order = (await first.ledger.pending("contoso")).map((r) => r.alert.kind === "job" && r.alert.job.id);
    expect(order).toEqual(["IB-b", "IB-a", "IB-c"]);
  });
});

// --- Alert codec -------------------------------------------------------------------------------

describe("alert codec", () => {
  it.each(everyKind)("round-trips a %s, dates as Dates", (_name, alert) => {
    const decoded = decodeAlert(encodeAlert(alert));
    expect(decoded).toEqual(alert);
    expect(decoded.detectedAt).toBeInstanceOf(Date);
    if (decoded.kind === "job" || decoded.kind === "job-recovery") {
      expect(decoded.job.finishTime === null || decoded.job.finishTime instanceof Date).toBe(true);
    }
    if (decoded.kind === "license" && alert.kind === "license") {
      expect(decoded.usage.outOfPolicySince?.getTime()).toBe(alert.usage.outOfPolicySince?.getTime());
      expect(decoded.forecast?.exhaustedAt?.getTime()).toBe(alert.forecast?.exhaustedAt?.getTime());
    }
  });

  it("every kind comes back equal through the ledger", async () => {
    const { first } = await tablesForRuns();
    const alerts = everyKind.map(([, a], i) => ({ ...a, fingerprint: `${a.fingerprint.slice(0, 30)}${i}` }));
    await first.ledger.admit(alerts, ["teams-ops"]);
    const stored = await first.ledger.pending("contoso");
    const byFingerprint = new Map(stored.map((r) => [r.fingerprint, r.alert]));
    for (const alert of alerts) expect(byFingerprint.get(alert.fingerprint)).toEqual(alert);
  });

  it("rejects stored text it does not understand, by name", () => {
    expect(() => decodeAlert("not json")).toThrow(LedgerDataError);
    expect(() => decodeAlert(JSON.stringify({ v: 99, alert: {} }))).toThrow(/unknown format/);
    expect(() => decodeAlert(JSON.stringify({ v: 1, alert: { ...JSON.parse(JSON.stringify(jobAlert("IB1"))), kind: "weather" } }))).toThrow(/kind/);
    expect(() => encodeAlert(jobAlert("IB1", { detectedAt: new Date(Number.NaN) }))).toThrow(LedgerDataError);
  });
});

// --- Failures ----------------------------------------------------------------------------------

describe("when storage is unreachable", () => {
  it("operations fail with LedgerUnavailableError naming the endpoint, never the account key", async () => {
    const port = await closedPort();
    const key = "U2VjcmV0S2V5VGhhdE11c3ROb3RMZWFrMTIzNDU2Nzg5MA==";
    const cs = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const clients: LedgerTableClients = createTableClients(storage(cs), uniquePrefix(), { retryOptions: { maxRetries: 0 } });
    const ledger = new AlertLedger(clients);

    const failures = await Promise.all([
      ledger.ensureTables().catch((e: unknown) => e),
      ledger.readCheckpoint("contoso", "jobs").catch((e: unknown) => e),
      ledger.admit([jobAlert("IB1")], ["teams-ops"]).catch((e: unknown) => e),
      ledger.pending("contoso").catch((e: unknown) => e),
    ]);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(LedgerUnavailableError);
      const error = failure as LedgerUnavailableError;
      expect(error.name).toBe("LedgerUnavailableError");
      expect(error.kind).toBe("network");
      expect(error.message).toContain(`127.0.0.1:${port}`);
      for (const text of [error.message, String(error), inspect(error), JSON.stringify(error)]) {
        expect(text).not.toContain(key);
        expect(text).not.toContain("AccountKey");
      }
    }
  });

  it.each([
    [503, "server", /answered HTTP 503.*next one retries/],
    [500, "server", /answered HTTP 500/],
    [403, "access", /refused access.*Storage Table Data Contributor/],
  ] as const)("an answer of HTTP %i is LedgerUnavailableError (%s) with advice", async (status, kind, advice) => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(status, { "content-type": "application/json", "x-ms-request-id": "req-123" });
      res.end(JSON.stringify({ "odata.error": { code: status === 403 ? "AuthorizationFailure" : "ServerBusy", message: { value: "nope" } } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const key = "QW5vdGhlclNlY3JldEtleVRoYXRNdXN0Tm90TGVhaw==";
      const cs = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
      const ledger = new AlertLedger(createTableClients(storage(cs), uniquePrefix(), { retryOptions: { maxRetries: 0 } }));
      const failure = await ledger.readCheckpoint("contoso", "jobs").catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(LedgerUnavailableError);
      expect(failure).toMatchObject({ kind, statusCode: status, requestId: "req-123" });
      expect((failure as Error).message).toMatch(advice);
      expect(inspect(failure)).not.toContain(key);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a managed identity that cannot get a token is LedgerUnavailableError (access)", async () => {
    const credential = {
      getToken: async () => {
        throw Object.assign(new Error("ManagedIdentityCredential: no identity endpoint"), { name: "CredentialUnavailableError" });
      },
    };
    const clients = createTableClients({ kind: "accountUrl", url: "https://acct.table.core.windows.net" }, uniquePrefix(), { credential, retryOptions: { maxRetries: 0 } });
    expect(clients.alerts.tableName).toMatch(/alerts$/);
    expect(clients.checkpoints.tableName).toMatch(/checkpoints$/);
    const failure = await new AlertLedger(clients).readCheckpoint("contoso", "jobs").catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LedgerUnavailableError);
    expect(failure).toMatchObject({ kind: "access" });
    expect((failure as Error).message).toMatch(/CredentialUnavailableError.*managed identity/);
  });

  it("refuses plain http to a host other than this machine", () => {
    const cs = "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=abc;TableEndpoint=http://acct.table.core.windows.net;";
    expect(() => createTableClients(storage(cs), "cba")).toThrow(/ALERTS_STORAGE.*https/);
  });
});

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

import { afterEach, describe, expect, inject, it } from "vitest";
import { mentions, minutes, startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";
import { validateAdaptiveCard } from "../support/validate-card.js";

const T0 = new Date("2026-11-29T08:00:00Z");
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);

let world: PipelineWorld | undefined;
async function start(options: Omit<Parameters<typeof startPipelineWorld>[0], "azuriteConnectionString" | "start"> = {}) {
  world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0, ...options });
  return world;
}
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function cards(w: PipelineWorld): object[] {
  return w.receiver.requests.map((r) => (r.body as { attachments: { content: object }[] }).attachments[0]!.content);
}

describe("jobs monitor, end to end over real HTTP and Table Storage", () => {
  it.each([
    ["seed profile, documented spellings", {}, {}],
    ["current profile, envelope, ISO times", { AVEPOINT_API_PROFILE: "current" }, {}],
    ["spaced state names in lower case", {}, { stateSpelling: "spaced", stateCase: "lower" }],
    ["long state names in upper case, camelCase, seconds", {}, { stateSpelling: "long", stateCase: "upper", casing: "camel", timeFormat: "s" }],
  ] as const)("alerts once for each alerting state (%s)", async (_name, settings, style) => {
    const w = await start({ settings, simulator: { style } });
    const tenant = w.simulator.tenant;
    const finished = (id: string, state: string) =>
      tenant.addJob({ id, state, startTime: at(-minutes(90)), finishTime: at(-minutes(60)), objectType: 1, counts: { total: 10, failed: 3, successful: 7, skipped: 0 } });
    finished("IB-FAILED", "Failed");
    finished("IB-EXCEPTION", "FinishedException");
    finished("IB-PARTIAL", "PartiallyFinished");
    finished("IB-OK", "Finished");
    tenant.addJob({ id: "IB-RUNNING", state: "InProgress", startTime: at(-minutes(10)), objectType: 2 });

    const first = await w.cycle();
    expect(first).toMatchObject({ ok: true, newAlerts: 3, delivery: { delivered: 3, messages: 3 } });
    const posted = w.posted();
    expect(posted).toHaveLength(3);
    for (const id of ["IB-FAILED", "IB-EXCEPTION", "IB-PARTIAL"]) expect(mentions(posted, id)).toBe(1);
    for (const id of ["IB-OK", "IB-RUNNING"]) expect(mentions(posted, id)).toBe(0);
    const summaries = w.receiver.requests.map((r) => (r.body as { summary: string }).summary).sort();
    expect(summaries).toEqual([
      "[CRITICAL] Backup job failed: Exchange Online (IB-FAILED) — Contoso",
      "[WARNING] Backup job finished with exceptions: Exchange Online (IB-EXCEPTION) — Contoso",
      "[WARNING] Backup job partially finished: Exchange Online (IB-PARTIAL) — Contoso",
    ]);
    for (const card of cards(w)) expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });

    w.clock.now = at(minutes(5));
    const second = await w.cycle();
    expect(second).toMatchObject({ ok: true, newAlerts: 0, delivery: { delivered: 0 } });
    expect(w.posted()).toHaveLength(3);
  });

  it("tracks a job In Progress for hours and alerts once when it fails", async () => {
    const w = await start();
    w.simulator.tenant.addJob({ id: "FB-LONG", state: "InProgress", startTime: at(-minutes(30)), objectType: 3 });
    for (let step = 0; step <= 36; step++) {
      w.clock.now = at(minutes(5 * step)); // three hours of five-minute cycles
      const s = await w.cycle();
      expect(s.ok).toBe(true);
    }
    expect(w.posted()).toHaveLength(0);
    // The window still reaches back to the job's start, three and a half hours ago.
    const lastQuery = w.simulator.requests.filter((r) => r.path === "/cloudbackup/jobs").at(-1)!;
    expect(Number(lastQuery.query["StartTime"])).toBeLessThanOrEqual(at(-minutes(30)).getTime());

    w.simulator.tenant.updateJob("FB-LONG", { state: "Failed", finishTime: at(minutes(181)) });
    w.clock.now = at(minutes(185));
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 1 });
    w.clock.now = at(minutes(190));
    await w.cycle();
    expect(mentions(w.posted(), "FB-LONG")).toBe(1);
    expect((w.receiver.requests[0]!.body as { summary: string }).summary).toContain("Backup job failed: OneDrive (FB-LONG)");
  });

  it("delivers each alert once when several cycles overlap on one store", async () => {
    const w = await start();
    for (let i = 0; i < 3; i++) {
      w.simulator.tenant.addJob({ id: `IB-OVERLAP-${i}`, state: "Failed", startTime: at(-minutes(50)), finishTime: at(-minutes(40)), objectType: 1 });
    }
    // Four "processes", each with its own client, channel and ledger objects.
    const runtimes = [w.newRuntime(), w.newRuntime(), w.newRuntime(), w.newRuntime()];
    const summaries = await Promise.all(runtimes.map((rt) => w.cycle("jobs", rt)));
    const delivered = summaries.reduce((n, s) => n + s.delivery.delivered, 0);
    expect(delivered).toBe(3);
    for (let i = 0; i < 3; i++) expect(mentions(w.posted(), `IB-OVERLAP-${i}`)).toBe(1);
    // And again later, all at once: nothing new.
    w.clock.now = at(minutes(5));
    await Promise.all(runtimes.map((rt) => w.cycle("jobs", rt)));
    for (let i = 0; i < 3; i++) expect(mentions(w.posted(), `IB-OVERLAP-${i}`)).toBe(1);
  });

  it("retries a webhook that answers 500 and 429 (Retry-After), then delivers once", async () => {
    const w = await start();
    w.simulator.tenant.addJob({ id: "IB-RETRY", state: "Failed", startTime: at(-minutes(20)), finishTime: at(-minutes(10)), objectType: 7 });
    w.receiver.respondWith({ status: 500 }, { status: 429, headers: { "Retry-After": "1" } });
    const s = await w.cycle();
    expect(s).toMatchObject({ ok: true, delivery: { delivered: 1 } });
    expect(w.receiver.requests).toHaveLength(3);
    expect(mentions(w.posted().slice(2), "IB-RETRY")).toBe(1);
  });

  it("keeps alerts when the webhook is down for a whole cycle and delivers them once when it is back", async () => {
    const w = await start();
    w.simulator.tenant.addJob({ id: "IB-DOWN-1", state: "Failed", startTime: at(-minutes(20)), finishTime: at(-minutes(10)), objectType: 1 });
    w.simulator.tenant.addJob({ id: "IB-DOWN-2", state: "PartiallyFinished", startTime: at(-minutes(20)), finishTime: at(-minutes(9)), objectType: 2 });
    w.receiver.setDefault({ status: 503 });
    const down = await w.cycle();
    expect(down.ok).toBe(false);
    expect(down.delivery).toMatchObject({ delivered: 0, failed: 2 });
    expect(down.delivery.errors[0]).toMatch(/DeliveryError/);
    // The webhook URL (a credential) appears in no log line.
    expect(w.logs.join("\n")).not.toContain(w.receiver.sig);
    const attemptsWhileDown = w.receiver.requests.length;
    expect(attemptsWhileDown).toBe(4); // one message, retried; the second was not tried against a dead receiver

    w.receiver.setDefault({ status: 202 });
    w.clock.now = at(minutes(5));
    const back = await w.cycle();
    expect(back).toMatchObject({ ok: true, newAlerts: 0, delivery: { delivered: 2 } });
    w.clock.now = at(minutes(10));
    await w.cycle();
    const delivered = w.posted().slice(attemptsWhileDown);
    expect(mentions(delivered, "IB-DOWN-1")).toBe(1);
    expect(mentions(delivered, "IB-DOWN-2")).toBe(1);
  });

  it("fails a cycle loudly on a malformed page, keeps the checkpoint, and delivers on the next cycle", async () => {
    const w = await start();
    await w.cycle(); // establishes a watermark
    const before = await w.ledger.readCheckpoint("Contoso", "jobs");
    w.simulator.tenant.addJob({ id: "IB-AFTER-GARBAGE", state: "Failed", startTime: at(minutes(1)), finishTime: at(minutes(2)), objectType: 1 });
    w.simulator.injectFault({ target: "jobs", kind: "truncated" });
    w.clock.now = at(minutes(5));
    const bad = await w.cycle();
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/MalformedResponseError/);
    const after = await w.ledger.readCheckpoint("Contoso", "jobs");
    expect(after.watermark).toEqual(before.watermark);
    expect(after.consecutiveFailures).toBe(1);
    expect(w.posted()).toHaveLength(0);

    w.clock.now = at(minutes(10));
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 1, delivery: { delivered: 1 } });
    expect(mentions(w.posted(), "IB-AFTER-GARBAGE")).toBe(1);
    expect((await w.ledger.readCheckpoint("Contoso", "jobs")).consecutiveFailures).toBe(0);
  });

  it("groups more than ALERT_GROUP_THRESHOLD alerts into a digest, and splits digests at 20 KB without dropping any", async () => {
    const w = await start({ settings: { ALERT_GROUP_THRESHOLD: "3" } });
    for (let i = 0; i < 5; i++) {
      w.simulator.tenant.addJob({ id: `IB-GROUP-${i}`, state: "Failed", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1 });
    }
    expect(await w.cycle()).toMatchObject({ ok: true, delivery: { delivered: 5, messages: 1 } });
    expect(w.posted()).toHaveLength(1);
    for (let i = 0; i < 5; i++) expect(w.posted()[0]).toContain(`IB-GROUP-${i}`);

    for (let i = 0; i < 400; i++) {
      w.simulator.tenant.addJob({ id: `IB-MANY-${String(i).padStart(3, "0")}`, state: i % 2 ? "Failed" : "PartiallyFinished", startTime: at(minutes(1)), finishTime: at(minutes(2)), objectType: 1 + (i % 12), counts: { total: 100, failed: 5, successful: 95, skipped: 0 } });
    }
    w.clock.now = at(minutes(5));
    const many = await w.cycle();
    expect(many).toMatchObject({ ok: true, newAlerts: 400, delivery: { delivered: 400 } });
    const posts = w.posted().slice(1);
    expect(posts.length).toBeGreaterThan(1);
    for (const p of posts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(20_000);
    for (let i = 0; i < 400; i++) expect(mentions(posts, `IB-MANY-${String(i).padStart(3, "0")}`)).toBe(1);
    for (const card of cards(w)) expect(validateAdaptiveCard(card).errors).toEqual([]);
  });

  it("posts one Resolved card when a failing service backs up successfully again", async () => {
    const w = await start();
    const tenant = w.simulator.tenant;
    tenant.addJob({ id: "IB-EXO-FAIL", state: "Failed", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1 });
    tenant.addJob({ id: "IB-SPO-OK", state: "Finished", startTime: at(-minutes(30)), finishTime: at(-minutes(10)), objectType: 2 });
    await w.cycle();
    expect(w.posted()).toHaveLength(1);

    w.clock.now = at(minutes(5));
    await w.cycle(); // still failing: nothing
    expect(w.posted()).toHaveLength(1);

    tenant.addJob({ id: "IB-EXO-OK", state: "Finished", startTime: at(minutes(6)), finishTime: at(minutes(8)), objectType: 1 });
    w.clock.now = at(minutes(10));
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 1 });
    const resolved = w.receiver.requests[1]!.body as { summary: string };
    expect(resolved.summary).toMatch(/^\[RESOLVED\].*Exchange Online/);
    expect(w.posted()[1]).toContain("IB-EXO-OK");

    w.clock.now = at(minutes(15));
    await w.cycle();
    expect(w.posted()).toHaveLength(2);
  });

  it("sends no Resolved card when ALERT_SEND_RESOLVED is false", async () => {
    const w = await start({ settings: { ALERT_SEND_RESOLVED: "false" } });
    w.simulator.tenant.addJob({ id: "IB-F", state: "Failed", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1 });
    await w.cycle();
    w.simulator.tenant.addJob({ id: "IB-S", state: "Finished", startTime: at(minutes(1)), finishTime: at(minutes(2)), objectType: 1 });
    w.clock.now = at(minutes(5));
    await w.cycle();
    expect(w.posted()).toHaveLength(1);
  });

  it("costs one jobs request when all is quiet and one page holds the window", async () => {
    const w = await start();
    for (let i = 0; i < 20; i++) {
      w.simulator.tenant.addJob({ id: `IB-QUIET-${i}`, state: "Finished", startTime: at(-minutes(40 + i)), finishTime: at(-minutes(30)), objectType: 1 + (i % 4) });
    }
    await w.cycle();
    w.simulator.resetRequests();
    w.clock.now = at(minutes(5));
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 0 });
    expect(w.simulator.requests.map((r) => r.path)).toEqual(["/cloudbackup/jobs"]);
  });

  it("with AVEPOINT_API_PROFILE=auto: learns the service in the first cycle, then a quiet cycle costs one jobs request", async () => {
    const w = await start({ settings: { AVEPOINT_API_PROFILE: "auto" }, simulator: { revisions: ["seed"], style: { timeFormat: "ticks", durationAs: "ticks" }, queryTimes: "ticks" } });
    for (let i = 0; i < 20; i++) {
      w.simulator.tenant.addJob({ id: `IB-QUIET-${i}`, state: "Finished", startTime: at(-minutes(40 + i)), finishTime: at(-minutes(30)), objectType: 1 + (i % 4) });
    }
    w.simulator.tenant.addJob({ id: "IB-RUNNING", state: "InProgress", startTime: at(-minutes(3)), objectType: 1 });
    expect(await w.cycle()).toMatchObject({ ok: true, read: 21 });
    // Per-service listings (ObjectType, for the backup-health rules on a first cycle) are not the reading's cost.
    const jobsPaths = () => w.simulator.requests.filter((r) => r.path !== "/connect/token" && r.query["ObjectType"] === undefined).map((r) => r.path);
    // Today's path and the three renamed ones answer 404, the seed path answers the calibration page, then the listing.
    expect(jobsPaths()).toEqual([
      "/backup/m365/cloudbackupjobs",
      "/backup/m365/jobs",
      "/backup/m365/cloudbackup/getjobs",
      "/cloudbackup/getjobs",
      "/cloudbackup/jobs",
      "/cloudbackup/jobs",
    ]);
    expect(w.simulator.requests.filter((r) => r.query["StartTime"] !== undefined).every((r) => /^6\d{17}$/.test(r.query["StartTime"]!))).toBe(true);
    const stored = (await w.ledger.readCheckpoint("Contoso", "jobs")).state["avepoint"];
    expect(stored).toEqual({ jobsRevision: "seed", queryTimes: "ticks", runningListed: true });

    // A new process (cold start) reads what was learned from the checkpoint.
    w.simulator.tenant.updateJob("IB-RUNNING", { state: "Finished", finishTime: at(minutes(2)) });
    w.simulator.resetRequests();
    w.clock.now = at(minutes(5));
    expect(await w.cycle("jobs", w.newRuntime())).toMatchObject({ ok: true, newAlerts: 0 });
    expect(jobsPaths()).toEqual(["/cloudbackup/jobs"]);
  });

  it("alerts on a state it does not understand instead of reading it as healthy", async () => {
    const w = await start();
    w.simulator.tenant.addJob({ id: "IB-ODD", state: "Quarantined", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1 });
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 1 });
    expect((w.receiver.requests[0]!.body as { summary: string }).summary).toMatch(/^\[WARNING\].*unrecognized state/i);
    expect(w.posted()[0]).toContain("Quarantined");
  });

  it("narrows alerts with ALERT_JOB_STATES and ALERT_JOB_TYPES", async () => {
    const w = await start({ settings: { ALERT_JOB_STATES: "Failed", ALERT_JOB_TYPES: "Backup" } });
    const tenant = w.simulator.tenant;
    tenant.addJob({ id: "IB-BACKUP-FAIL", state: "Failed", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1, jobType: 1 });
    tenant.addJob({ id: "RS-RESTORE-FAIL", state: "Failed", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1, jobType: 2 });
    tenant.addJob({ id: "IB-BACKUP-PARTIAL", state: "PartiallyFinished", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1, jobType: 1 });
    await w.cycle();
    expect(w.posted()).toHaveLength(1);
    expect(mentions(w.posted(), "IB-BACKUP-FAIL")).toBe(1);
    expect(w.simulator.requests.find((r) => r.path === "/cloudbackup/jobs")!.query["JobType"]).toBe("1");
  });
});

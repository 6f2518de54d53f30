import { afterEach, describe, expect, inject, it } from "vitest";
import { minutes, startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";
import { validateAdaptiveCard } from "../support/validate-card.js";
import { UNUSUAL_ACTIVITY_SCOPE } from "../simulator/index.js";

/**
 * The backup-health rules through the real pipeline: simulator, Azurite,
 * recording webhook, createRuntime with an injected clock. Each timeline:
 * fires once, stays quiet, resolves.
 */

const T0 = new Date("2026-11-29T08:00:00Z");
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);
const hours = (n: number) => minutes(60 * n);

let world: PipelineWorld | undefined;
async function start(options: Omit<Parameters<typeof startPipelineWorld>[0], "azuriteConnectionString" | "start"> = {}) {
  world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0, ...options });
  return world;
}
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function summaries(w: PipelineWorld): string[] {
  return w.receiver.requests.map((r) => (r.body as { summary: string }).summary);
}
function cards(w: PipelineWorld): object[] {
  return w.receiver.requests.map((r) => (r.body as { attachments: { content: object }[] }).attachments[0]!.content);
}
/** Runs a jobs cycle at T0 + offset and returns the AvePoint API paths it requested (token requests left out). */
async function cycleAt(w: PipelineWorld, offsetInMs: number): Promise<string[]> {
  w.simulator.resetRequests();
  w.clock.now = at(offsetInMs);
  const summary = await w.cycle();
  expect(summary.ok, summary.error).toBe(true);
  return w.simulator.requests.filter((r) => r.path !== "/connect/token").map((r) => `${r.path}${r.query["ObjectType"] ? `?ObjectType=${r.query["ObjectType"]}` : ""}`);
}

describe("missed backup (recovery-point age)", () => {
  it("alerts once when a used service stops backing up, costs nothing extra while quiet, and resolves when a backup finishes", async () => {
    const w = await start();
    const tenant = w.simulator.tenant;
    tenant.addJob({ id: "IB-EXO-1", state: "Finished", startTime: at(-hours(2)), finishTime: at(-hours(1)), objectType: 1, counts: { total: 50, failed: 0, successful: 50, skipped: 0 } });

    // First cycle: WATCH_SERVICES=auto finds the services with a successful backup (one listing each).
    const first = await cycleAt(w, 0);
    expect(first[0]).toBe("/cloudbackup/jobs");
    expect(first.filter((p) => p.includes("ObjectType"))).toHaveLength(12);

    // Quiet hours: one jobs request per cycle, no alert.
    for (let h = 1; h <= 23; h++) expect(await cycleAt(w, hours(h))).toEqual(["/cloudbackup/jobs"]);
    // Once a day, the services not yet watched are looked for again.
    const daily = await cycleAt(w, hours(24));
    expect(daily.filter((p) => p.includes("ObjectType"))).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((s) => `/cloudbackup/jobs?ObjectType=${s}`));
    expect(w.posted()).toHaveLength(0);

    // 26 h after the last success: Exchange is listed once to confirm, and alerts.
    const due = await cycleAt(w, hours(25));
    expect(due).toEqual(["/cloudbackup/jobs", "/cloudbackup/jobs?ObjectType=1"]);
    expect(summaries(w)).toEqual(["[CRITICAL] No successful backup for 26 h: Exchange Online — Contoso"]);
    for (const card of cards(w)) expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });

    // Still missing: quiet, and no per-service listing while no job finishes.
    for (let h = 26; h <= 30; h++) expect(await cycleAt(w, hours(h))).toEqual(["/cloudbackup/jobs"]);
    expect(w.posted()).toHaveLength(1);

    // A backup finishes: one listing of the service, one Resolved card.
    tenant.addJob({ id: "IB-EXO-2", state: "Finished", startTime: at(hours(30.2)), finishTime: at(hours(30.8)), objectType: 1, counts: { total: 50, failed: 0, successful: 50, skipped: 0 } });
    expect(await cycleAt(w, hours(31))).toEqual(["/cloudbackup/jobs", "/cloudbackup/jobs?ObjectType=1"]);
    expect(summaries(w)[1]).toBe("[RESOLVED] Backups succeed again: Exchange Online — Contoso");
    expect(w.posted()[1]).toContain("IB-EXO-2");
    await cycleAt(w, hours(32));
    expect(w.posted()).toHaveLength(2);
  });

  it("watches only WATCH_SERVICES, and alerts at once for one with no successful backup at all", async () => {
    const w = await start({ settings: { WATCH_SERVICES: "OneDrive" } });
    w.simulator.tenant.addJob({ id: "IB-EXO", state: "Finished", startTime: at(-hours(40)), finishTime: at(-hours(39)), objectType: 1 });
    const paths = await cycleAt(w, 0);
    expect(paths).toEqual(["/cloudbackup/jobs", "/cloudbackup/jobs?ObjectType=3"]);
    expect(summaries(w)).toEqual(["[CRITICAL] No successful backup in 26 h: OneDrive — Contoso"]);
  });
});

describe("stuck job", () => {
  it("warns once when a job runs past JOB_MAX_RUNTIME_HOURS and resolves when it ends", async () => {
    const w = await start();
    w.simulator.tenant.addJob({ id: "IB-HANG", state: "InProgress", startTime: at(-hours(1)), objectType: 2 });
    for (let h = 0; h <= 11; h++) await cycleAt(w, hours(h));
    expect(w.posted()).toHaveLength(0);
    await cycleAt(w, hours(11.5));
    expect(summaries(w)).toEqual(["[WARNING] Job still in progress after 12 h 30 min: SharePoint Online (IB-HANG) — Contoso"]);
    for (let h = 12; h <= 14; h++) await cycleAt(w, hours(h));
    expect(w.posted()).toHaveLength(1);
    w.simulator.tenant.updateJob("IB-HANG", { state: "Finished", finishTime: at(hours(14.5)) });
    await cycleAt(w, hours(15));
    expect(summaries(w)[1]).toBe("[RESOLVED] Long-running job ended: SharePoint Online (IB-HANG) — Contoso");
    await cycleAt(w, hours(16));
    expect(w.posted()).toHaveLength(2);
  });
});

describe("failure ratio", () => {
  it("warns once about a Finished job with too many failed or skipped objects (JOB_FAILED_OBJECTS_PERCENT)", async () => {
    const w = await start({ settings: { JOB_FAILED_OBJECTS_PERCENT: "25" } });
    const tenant = w.simulator.tenant;
    tenant.addJob({ id: "IB-HALF", state: "Finished", startTime: at(-minutes(50)), finishTime: at(-minutes(20)), objectType: 3, counts: { total: 200, failed: 10, successful: 100, skipped: 90 } });
    tenant.addJob({ id: "IB-FINE", state: "Finished", startTime: at(-minutes(50)), finishTime: at(-minutes(20)), objectType: 1, counts: { total: 200, failed: 10, successful: 180, skipped: 10 } });
    await cycleAt(w, 0);
    expect(summaries(w)).toEqual(["[WARNING] Job finished with 50% of objects failed or skipped: OneDrive (IB-HALF) — Contoso"]);
    await cycleAt(w, minutes(5));
    expect(w.posted()).toHaveLength(1);
  });

  it("warns when a service skips more objects in JOB_SKIPPED_GROWTH_RUNS runs in a row, and resolves when it stops", async () => {
    // With the age rule off, each watched service is still listed once a day for its runs.
    const w = await start({ settings: { BACKUP_MAX_AGE_HOURS: "0" } });
    const tenant = w.simulator.tenant;
    const daily = (day: number, skipped: number) =>
      tenant.addJob({ id: `IB-DAY-${day}`, state: "Finished", startTime: at(hours(24 * day)), finishTime: at(hours(24 * day + 1)), objectType: 7, counts: { total: 100, failed: 0, successful: 100 - skipped, skipped } });
    const series = [0, 3, 6, 9, 9, 0];
    const posted: number[] = [];
    for (const [day, skipped] of series.entries()) {
      daily(day, skipped);
      await cycleAt(w, hours(24 * day + 2));
      posted.push(w.posted().length);
    }
    expect(summaries(w)).toEqual([
      "[WARNING] Skipped objects grew in 3 runs in a row: Teams — Contoso",
      "[RESOLVED] Skipped objects no longer growing: Teams — Contoso",
    ]);
    expect(posted).toEqual([0, 0, 0, 1, 1, 2]);
  });
});

describe("current profile: schedule and unusual activity", () => {
  it("warns when a scheduled backup has not started within BACKUP_START_GRACE_MINUTES and resolves when one starts", async () => {
    const w = await start({ settings: { AVEPOINT_API_PROFILE: "current", BACKUP_MAX_AGE_HOURS: "0", JOB_SKIPPED_GROWTH_RUNS: "0", ALERT_UNUSUAL_ACTIVITY: "false" } });
    w.simulator.tenant.backupFrequency = [{ serviceType: 2, frequency: 2, backupStartTime: [at(-hours(3)), at(hours(9))] }];
    const first = await cycleAt(w, 0);
    expect(first).toEqual(["/backup/m365/cloudbackupjobs", "/backup/m365/settings/backup/frequency", "/backup/m365/cloudbackupjobs?ObjectType=3"]);
    expect(summaries(w)).toEqual(["[WARNING] Scheduled backup did not start: OneDrive — Contoso"]);
    // Quiet: the schedule is read once a day, nothing has started.
    expect(await cycleAt(w, minutes(5))).toEqual(["/backup/m365/cloudbackupjobs"]);
    w.simulator.tenant.addJob({ id: "FB-LATE", state: "InProgress", startTime: at(minutes(7)), objectType: 3 });
    expect(await cycleAt(w, minutes(10))).toEqual(["/backup/m365/cloudbackupjobs", "/backup/m365/cloudbackupjobs?ObjectType=3"]);
    expect(summaries(w)[1]).toBe("[RESOLVED] Scheduled backup started: OneDrive — Contoso");
    await cycleAt(w, minutes(15));
    expect(w.posted()).toHaveLength(2);
  });

  it("alerts (critical) when unusual activity rises, reads it at most hourly, and resolves when it is gone", async () => {
    const w = await start({ settings: { AVEPOINT_API_PROFILE: "current", BACKUP_MAX_AGE_HOURS: "0", JOB_SKIPPED_GROWTH_RUNS: "0", BACKUP_START_GRACE_MINUTES: "0" } });
    const tenant = w.simulator.tenant;
    expect(await cycleAt(w, 0)).toEqual(["/backup/m365/cloudbackupjobs", "/backup/m365/cloudbackupunusualactivitydata"]);
    tenant.unusualActivities.push({ serviceType: 1, detectedAt: at(minutes(20)), potentialRansomwareAttackCount: 3, unusualActivitiesCount: 5 });
    expect(await cycleAt(w, minutes(30))).toEqual(["/backup/m365/cloudbackupjobs"]);
    expect(await cycleAt(w, minutes(60))).toContain("/backup/m365/cloudbackupunusualactivitydata");
    expect(summaries(w)).toEqual(["[CRITICAL] Potential ransomware attack detected: SharePoint Online — Contoso"]);
    for (const card of cards(w)) expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
    await cycleAt(w, minutes(120));
    expect(w.posted()).toHaveLength(1);
    // 24 h later the detection has left the window: resolved.
    await cycleAt(w, hours(25));
    expect(summaries(w)[1]).toBe("[RESOLVED] Unusual activity no longer reported: SharePoint Online — Contoso");
  });

  it("with a service that takes dates only, reads today's unusual activity too (the finish date is the day after, as for jobs)", async () => {
    const w = await start({
      settings: { AVEPOINT_API_PROFILE: "current", BACKUP_MAX_AGE_HOURS: "0", JOB_SKIPPED_GROWTH_RUNS: "0", BACKUP_START_GRACE_MINUTES: "0" },
      simulator: { queryTimes: "dates" },
    });
    w.simulator.tenant.unusualActivities.push({ serviceType: 1, detectedAt: at(-minutes(30)), potentialRansomwareAttackCount: 3, unusualActivitiesCount: 5 });
    await cycleAt(w, 0);
    await cycleAt(w, minutes(60));
    expect(summaries(w)).toEqual(["[CRITICAL] Potential ransomware attack detected: SharePoint Online — Contoso"]);
  });

  it.each([
    ["the token endpoint refuses the scope", "refuse"],
    ["the API answers 403", "omit"],
  ] as const)("is quiet without the permission (%s): one info line, then no call for a day", async (_name, ungrantedScopes) => {
    const w = await start({
      settings: { AVEPOINT_API_PROFILE: "current", BACKUP_MAX_AGE_HOURS: "0", JOB_SKIPPED_GROWTH_RUNS: "0", BACKUP_START_GRACE_MINUTES: "0" },
      simulator: { grantedScopes: ["microsoft365backup.jobInfo.read.all", "microsoft365backup.subscriptionInfo.read.all"], ungrantedScopes },
    });
    w.simulator.tenant.addJob({ id: "IB-FAIL", state: "Failed", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1 });
    await cycleAt(w, 0);
    expect(summaries(w)).toEqual(["[CRITICAL] Backup job failed: Exchange Online (IB-FAIL) — Contoso"]);
    const lines = w.logs.filter((l) => l.includes(UNUSUAL_ACTIVITY_SCOPE));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^info unusual-activity data is not read/);
    expect(w.logs.filter((l) => l.startsWith("error"))).toEqual([]);
    for (const h of [1, 2, 12, 23]) expect(await cycleAt(w, hours(h))).not.toContain("/backup/m365/cloudbackupunusualactivitydata");
    expect(w.logs.filter((l) => l.includes(UNUSUAL_ACTIVITY_SCOPE))).toHaveLength(1);
    // A day later it is asked again (and, still not granted, said once more).
    await cycleAt(w, hours(24));
    expect(w.logs.filter((l) => l.includes(UNUSUAL_ACTIVITY_SCOPE))).toHaveLength(2);
  });
});

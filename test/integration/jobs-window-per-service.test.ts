import { afterEach, describe, expect, inject, it } from "vitest";
import { minutes, startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";

const T0 = new Date("2026-11-29T08:00:00Z");
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);

let world: PipelineWorld | undefined;
async function start(settings: Record<string, string> = {}) {
  world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0, settings: { AVEPOINT_PAGE_SIZE: "10", ...settings } });
  return world;
}
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/** Jobs listings of the window (the discovery listings ask JobType=Backup and are counted apart). */
function windowListings(w: PipelineWorld): { objectType: string | undefined }[] {
  return w.simulator.requests
    .filter((r) => r.query["StartTime"] !== undefined && r.query["JobType"] === undefined)
    .map((r) => ({ objectType: r.query["ObjectType"] }));
}

/** 30 finished jobs in services 1-3 (10 each) and 5 failures in the last service: 35 jobs, 4 pages at page size 10. */
function addWindow(w: PipelineWorld, failingService = 12): void {
  for (let i = 0; i < 30; i++) {
    w.simulator.tenant.addJob({ id: `IB-OK-${i}`, state: "Finished", startTime: at(-minutes(300 - i)), finishTime: at(-minutes(200 - i)), objectType: 1 + (i % 3) });
  }
  for (let i = 0; i < 5; i++) {
    w.simulator.tenant.addJob({ id: `IB-FAIL-${i}`, state: "Failed", startTime: at(-minutes(100 - i)), finishTime: at(-minutes(90 - i)), objectType: failingService });
  }
}

describe("a window of more than one page is read per service", () => {
  it("labels failures in the last service without reading the window twice: page 0 + one listing per service", async () => {
    const w = await start();
    addWindow(w, 12);
    const summary = await w.cycle();
    expect(summary).toMatchObject({ ok: true, read: 35 });
    // Page 0 unfiltered (its TotalCount shows 4 pages), then 12 per-service listings of one page each; no second pass.
    const listings = windowListings(w);
    expect(listings).toHaveLength(13);
    expect(listings[0]!.objectType).toBeUndefined();
    expect(listings.slice(1).map((l) => Number(l.objectType))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(w.posted().join("\n")).toContain("Power Apps");
    // Discovery asks only the services the window showed no success for (4-12), one page each.
    const discovery = w.simulator.requests.filter((r) => r.query["JobType"] === "1" && r.query["ObjectType"] !== undefined);
    expect(discovery.map((r) => Number(r.query["ObjectType"])).sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("loses no job of a service it does not know: the totals disagree, so the window is read unfiltered too", async () => {
    const w = await start();
    addWindow(w, 1);
    // A service newer than our list (ObjectType 13): only the unfiltered listing shows its jobs.
    for (let i = 0; i < 3; i++) {
      w.simulator.tenant.addJob({ id: `IB-NEW-SERVICE-${i}`, state: "Failed", startTime: at(-minutes(50 - i)), finishTime: at(-minutes(40 - i)), objectType: 13 });
    }
    const summary = await w.cycle();
    expect(summary).toMatchObject({ ok: true, read: 38 });
    const posted = w.posted().join("\n");
    for (let i = 0; i < 3; i++) expect(posted).toContain(`IB-NEW-SERVICE-${i}`);
    for (let i = 0; i < 5; i++) expect(posted).toContain(`IB-FAIL-${i}`);
    expect(w.logs.join("\n")).toMatch(/per-service totals do not add up/);
  });

  it("keeps a quiet window of one page at one request", async () => {
    const w = await start();
    for (let i = 0; i < 8; i++) w.simulator.tenant.addJob({ id: `IB-Q-${i}`, state: "Finished", startTime: at(-minutes(60)), finishTime: at(-minutes(50)), objectType: 1 });
    await w.cycle();
    w.simulator.resetRequests();
    w.clock.now = at(minutes(5));
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 0 });
    expect(w.simulator.requests.map((r) => r.path)).toEqual(["/cloudbackup/jobs"]);
  });
});

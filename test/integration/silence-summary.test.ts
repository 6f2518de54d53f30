/**
 * The silence-end summary through the real pipeline: the AvePoint simulator,
 * Azurite and a recording Teams webhook over loopback, a routing with a weekly
 * silence, and an injected clock walking through one Sunday maintenance window.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { mentions, minutes, startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";

// Sunday 29 November 2026; the window is 02:00-06:00 Berlin = 01:00-05:00 UTC.
const at = (utc: string) => new Date(`2026-11-29T${utc}:00Z`);

let world: PipelineWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function routing(): string {
  return JSON.stringify({
    receivers: { teams: { type: "teams-workflows", urlFrom: "TEAMS_WEBHOOK_URL" } },
    default: "teams",
    silences: [{ name: "sunday-maintenance", weekly: { days: "sunday", start: "02:00", end: "06:00", timeZone: "Europe/Berlin" } }],
  });
}

function summaries(w: PipelineWorld): string[] {
  return w.receiver.requests.map((r) => (r.body as { summary: string }).summary);
}

describe("silence summary", () => {
  it("holds alerts back during the window, sends one summary of them after it, and nothing more later", async () => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: at("00:30"), settings: { ALERT_ROUTES: routing() } }));
    const { tenant } = w.simulator;
    const fail = (id: string, finished: string, objectType = 1, state = "Failed") =>
      tenant.addJob({ id, state, startTime: new Date(at(finished).getTime() - minutes(30)), finishTime: at(finished), objectType, counts: { total: 10, failed: 3, successful: 7, skipped: 0 } });

    // 01:30 Berlin, before the window: sent as usual.
    fail("IB-BEFORE", "00:20");
    expect(await w.cycle()).toMatchObject({ ok: true, delivery: { delivered: 1 } });
    expect(await w.cycle("license")).toMatchObject({ ok: true });

    // Inside the window: a job failure, a partial OneDrive job, and seats running low. Nothing is sent.
    fail("IB-IN-1", "01:20");
    w.clock.now = at("01:30");
    expect(await w.cycle()).toMatchObject({ ok: true, delivery: { delivered: 0, messages: 0 } });
    fail("IB-IN-2", "02:50", 4, "PartiallyFinished");
    tenant.license.assignedUserSeats = 96;
    w.clock.now = at("03:00");
    expect(await w.cycle()).toMatchObject({ ok: true, delivery: { messages: 0 } });
    expect(await w.cycle("license")).toMatchObject({ ok: true, delivery: { messages: 0 } });
    w.clock.now = at("04:55");
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 0 });
    expect(w.receiver.requests).toHaveLength(1);
    expect(w.logs.filter((l) => l.includes('silenced by "sunday-maintenance"'))).toHaveLength(3);

    // 06:10 Berlin: the window has ended. One summary lists all three, to the receiver they would have reached.
    w.clock.now = at("05:10");
    const after = await w.cycle();
    expect(after).toMatchObject({ ok: true, newAlerts: 1, delivery: { delivered: 1, messages: 1 } });
    expect(summaries(w)).toHaveLength(2);
    expect(summaries(w)[1]).toBe("[INFO] While silenced (sunday-maintenance, Sun 29 Nov 02:00\u201306:00 Europe/Berlin): 3 alerts \u2014 Contoso");
    const summaryPost = w.posted()[1]!;
    for (const id of ["IB-IN-1", "IB-IN-2", "96 of 100 seats"]) expect(summaryPost).toContain(id);
    expect(summaryPost).not.toContain("IB-BEFORE");
    expect(w.logs.some((l) => l.includes('silence "sunday-maintenance" ended: one summary of 3 held-back alert(s) for teams'))).toBe(true);

    // Later cycles of either monitor (the license monitor also saw the window end) send nothing more;
    // a new failure after the window is sent on its own.
    w.clock.now = at("05:20");
    expect(await w.cycle("license")).toMatchObject({ ok: true, newAlerts: 0, delivery: { messages: 0 } });
    tenant.addJob({ id: "IB-AFTER", state: "Failed", startTime: at("05:12"), finishTime: at("05:15"), objectType: 2 });
    w.clock.now = at("05:25");
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 1, delivery: { delivered: 1 } });
    w.clock.now = at("05:40");
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 0, delivery: { messages: 0 } });
    expect(summaries(w)).toHaveLength(3);
    expect(mentions(w.posted(), "While silenced")).toBe(1);
    expect(mentions(w.posted(), "IB-IN-1")).toBe(1);
    expect(mentions(w.posted(), "IB-AFTER")).toBe(1);
  });

  it("a window that held nothing back sends no summary", async () => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: at("00:30"), settings: { ALERT_ROUTES: routing() } }));
    for (const time of ["00:30", "01:30", "03:00", "05:10", "05:20"]) {
      w.clock.now = at(time);
      expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 0 });
    }
    expect(w.receiver.requests).toHaveLength(0);
    expect(w.logs.some((l) => l.includes("While silenced") || l.includes("ended: one summary"))).toBe(false);
  });
});

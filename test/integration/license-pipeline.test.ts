import { afterEach, describe, expect, inject, it } from "vitest";
import { startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";
import { validateAdaptiveCard } from "../support/validate-card.js";

const T0 = new Date("2026-11-29T08:00:00Z");
const hours = (n: number) => new Date(T0.getTime() + n * 3_600_000);

let world: PipelineWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function summaries(w: PipelineWorld): string[] {
  return w.receiver.requests.map((r) => (r.body as { summary: string }).summary);
}

describe("license monitor, end to end", () => {
  it.each([
    ["seed profile", {}],
    ["current profile", { AVEPOINT_API_PROFILE: "current" }],
  ])("walks the seats timeline 40 → 95 → 96 → 104 → 50 → 50 with one notice per change (%s)", async (_name, settings) => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0, settings }));
    const license = w.simulator.tenant.license;
    Object.assign(license, { purchasedUserSeats: 100, assignedUserSeats: 40, purchasedStorageSize: 0, protectedSize: 0, outOfPolicyTime: 0 });

    const steps: [number, number][] = [
      [40, 0],
      [95, 1],
      [96, 1],
      [104, 2],
      [50, 3],
      [50, 3],
    ];
    for (const [index, [assigned, expectedPosts]] of steps.entries()) {
      license.assignedUserSeats = assigned;
      w.clock.now = hours(index);
      const s = await w.cycle("license");
      expect(s.ok, s.error).toBe(true);
      expect(w.receiver.requests, `after ${assigned} seats`).toHaveLength(expectedPosts);
    }
    const [warning, critical, resolved] = summaries(w);
    expect(warning).toMatch(/^\[WARNING\]/);
    expect(w.posted()[0]).toContain("95 of 100 seats assigned (95%)");
    expect(critical).toMatch(/^\[CRITICAL\]/);
    expect(resolved).toMatch(/^\[RESOLVED\]/);
    for (const r of w.receiver.requests) {
      const card = (r.body as { attachments: { content: object }[] }).attachments[0]!.content;
      expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
    }
  });

  it("alerts when the subscription goes out of policy, and resolves when it is back", async () => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0 }));
    const license = w.simulator.tenant.license;
    Object.assign(license, { purchasedUserSeats: 100, assignedUserSeats: 10, purchasedStorageSize: 1000, protectedSize: 100, outOfPolicyTime: 0 });
    await w.cycle("license");
    license.outOfPolicyTime = hours(0.5).getTime();
    w.clock.now = hours(1);
    await w.cycle("license");
    license.outOfPolicyTime = 0;
    w.clock.now = hours(2);
    await w.cycle("license");
    const s = summaries(w);
    expect(s).toHaveLength(2);
    expect(s[0]).toMatch(/^\[CRITICAL\].*out of policy/i);
    expect(s[1]).toMatch(/^\[RESOLVED\]/);
  });

  it("fails loudly and keeps its state when the license reading is malformed", async () => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0 }));
    Object.assign(w.simulator.tenant.license, { purchasedUserSeats: 100, assignedUserSeats: 95, purchasedStorageSize: 0, protectedSize: 0, outOfPolicyTime: 0 });
    w.simulator.injectFault({ target: "license", kind: "body", body: '{"PurchasedUserSeats":"lots"}' });
    const bad = await w.cycle("license");
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/Malformed/);
    expect(w.receiver.requests).toHaveLength(0);
    w.clock.now = hours(1);
    expect(await w.cycle("license")).toMatchObject({ ok: true, newAlerts: 1 });
  });
});

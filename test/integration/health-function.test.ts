import { HttpRequest, InvocationContext } from "@azure/functions";
import { afterEach, describe, expect, inject, it } from "vitest";
import { healthHandler } from "../../functions/health.js";
import type { StatusReport } from "../../shared/pipeline/status.js";
import { minutes, startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";

const T0 = new Date("2026-11-29T08:00:00Z");
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);

let world: PipelineWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function call(handler: ReturnType<typeof healthHandler>) {
  const context = new InvocationContext({ functionName: "health", invocationId: "test-invocation" });
  return handler(new HttpRequest({ method: "GET", url: "http://localhost/api/health" }), context);
}

describe("GET /api/health", () => {
  it("200 while both monitors succeeded within three of their runs, 503 once one has not", async () => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0 }));
    const runtime = w.newRuntime();
    const handler = healthHandler(() => runtime);

    // Before any cycle: never succeeded.
    const before = await call(handler);
    expect(before.status).toBe(503);
    expect((before.jsonBody as StatusReport).monitors.map((m) => m.problem)).toEqual(["has not run yet", "has not run yet"]);

    await w.cycle("jobs", runtime);
    await w.cycle("license", runtime);
    const ok = await call(handler);
    expect(ok.status).toBe(200);
    const report = ok.jsonBody as StatusReport;
    expect(report.healthy).toBe(true);
    expect(report.monitors.map((m) => [m.monitor, m.lastSuccessAt, m.intervalInMs])).toEqual([
      ["jobs", T0.toISOString(), minutes(5)],
      ["license", T0.toISOString(), minutes(60)],
    ]);

    // The jobs monitor (every 5 minutes) fails from now on: three runs (08:05, 08:10, 08:15) plus a 5-minute grace.
    w.simulator.injectFault({ target: "jobs", kind: "status", status: 403, times: 100 });
    for (const m of [5, 10, 15]) {
      w.clock.now = at(minutes(m));
      await w.cycle("jobs", runtime);
    }
    w.clock.now = at(minutes(20));
    expect((await call(handler)).status).toBe(200);
    w.clock.now = at(minutes(20) + 1000);
    const stale = await call(handler);
    expect(stale.status).toBe(503);
    const jobs = (stale.jsonBody as StatusReport).monitors[0]!;
    expect(jobs).toMatchObject({ healthy: false, consecutiveFailures: 3, degraded: { problem: "credential", failures: 3 } });
    expect(jobs.lastError).toContain("HTTP 403");
    expect(stale.headers).toMatchObject({ "Cache-Control": "no-store" });
  });

  it("503 with the reason when the status cannot be read, without secrets", async () => {
    const handler = healthHandler(() => ({
      status: () => Promise.reject(new Error("connect failed https://acct.table.core.windows.net/?sig=SECRETSIG123")),
    }));
    const response = await call(handler);
    expect(response.status).toBe(503);
    expect(JSON.stringify(response.jsonBody)).toContain("connect failed");
    expect(JSON.stringify(response.jsonBody)).not.toContain("SECRETSIG123");
  });

  it("is registered as GET /api/health with function-key auth", async () => {
    const source = await import("node:fs/promises").then((fs) => fs.readFile(new URL("../../functions/health.ts", import.meta.url), "utf8"));
    expect(source).toMatch(/app\.http\("health", \{ methods: \["GET"\], authLevel: "function", route: "health"/);
  });
});

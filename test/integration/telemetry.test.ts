/**
 * Telemetry of a cycle, through the real pipeline (simulator, Azurite, a
 * recording webhook): the structured line the Functions entry logs, and the
 * custom metrics recorded on an OpenTelemetry MeterProvider of the real SDK
 * with an in-memory reader.
 */
import { InvocationContext } from "@azure/functions";
import { metrics } from "@opentelemetry/api";
import { MeterProvider, MetricReader, type HistogramMetricData, type MetricData } from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, inject, it } from "vitest";
import { MonitorCycleError, runMonitorInvocation } from "../../shared/pipeline/runtime.js";
import type { CycleSummary } from "../../shared/telemetry/cycle-summary.js";
import { CYCLE_EVENT, type CycleLogRecord } from "../../shared/telemetry/cycle-line.js";
import { METRIC_NAMES, recordCycleMetrics } from "../../shared/telemetry/metrics.js";
import { minutes, startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";

const T0 = new Date("2026-11-29T08:00:00Z");
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);

let world: PipelineWorld | undefined;
async function start(settings: Record<string, string> = {}): Promise<PipelineWorld> {
  world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0, settings });
  return world;
}
afterEach(async () => {
  await world?.stop();
  world = undefined;
  metrics.disable();
});

function addFailures(w: PipelineWorld, ids: readonly string[], finishedAt: Date = at(-minutes(60))): void {
  for (const id of ids) {
    const startTime = new Date(finishedAt.getTime() - minutes(2));
    w.simulator.tenant.addJob({ id, state: "Failed", startTime, finishTime: finishedAt, objectType: 1, counts: { total: 10, failed: 3, successful: 7, skipped: 0 } });
  }
}

/** AvePoint API requests the simulator received (token requests are not API requests). */
function apiRequestsSeen(w: PipelineWorld): number {
  return w.simulator.requests.filter((r) => r.path !== "/connect/token").length;
}

/** Runs the registered entry's code path and returns its summary (or the failed one) with every line it logged. */
async function invoke(w: PipelineWorld, monitor: "jobs" | "license" = "jobs"): Promise<{ summary: CycleSummary; lines: { level: string; text: string }[] }> {
  const lines: { level: string; text: string }[] = [];
  const context = new InvocationContext({
    functionName: `${monitor}Monitor`,
    invocationId: "test-invocation",
    logHandler: (level, ...args) => lines.push({ level, text: args.map(String).join(" ") }),
  });
  try {
    return { summary: await runMonitorInvocation(monitor, context, w.newRuntime()), lines };
  } catch (err) {
    if (err instanceof MonitorCycleError) return { summary: err.summary, lines };
    throw err;
  }
}

function cycleLines(lines: readonly { level: string; text: string }[]): { level: string; record: CycleLogRecord }[] {
  return lines.filter((l) => l.text.startsWith(`{"event":"${CYCLE_EVENT}"`)).map((l) => ({ level: l.level, record: JSON.parse(l.text) as CycleLogRecord }));
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Every field of the line is a count, a duration, a flag, a time, or one of
 * the few names it may carry: nothing else (a token, a URL, a job id) can hide in it.
 */
function expectOnlyCountsAndNames(record: CycleLogRecord): void {
  for (const [key, value] of Object.entries(record)) {
    if (key === "apiLatencyInMs") {
      expect(Object.keys(value as object).sort()).toEqual(["max", "total"]);
      for (const ms of Object.values(value as object)) expect(Number.isInteger(ms) && (ms as number) >= 0, key).toBe(true);
    } else if (["event", "monitor", "tenant", "error"].includes(key)) {
      expect(typeof value).toBe("string");
    } else if (key === "windowStart" || key === "windowEnd") {
      expect(value).toMatch(ISO);
    } else if (key === "ok" || key === "checkpointWritten") {
      expect(typeof value).toBe("boolean");
    } else {
      expect(Number.isInteger(value) && (value as number) >= 0, `${key} = ${String(value)}`).toBe(true);
    }
  }
}

describe("the structured cycle line", () => {
  it("is one JSON line per cycle whose counts match the summary and the simulator's request log, with no secret", async () => {
    const w = await start();
    addFailures(w, ["TL-FAILED-1", "TL-FAILED-2"]);
    // One failed attempt before the listing succeeds: the retry is a request too.
    w.simulator.injectFault({ target: "jobs", kind: "status", status: 503 });

    const { summary, lines } = await invoke(w);
    expect(summary).toMatchObject({ ok: true, newAlerts: 2, delivery: { delivered: 2, failed: 0 } });
    const structured = cycleLines(lines);
    expect(structured).toHaveLength(1);
    const { level, record } = structured[0]!;
    expect(level).toBe("information");

    expect(record).toEqual({
      event: "cycle",
      monitor: "jobs",
      tenant: "Contoso",
      ok: true,
      durationInMs: summary.usage!.durationInMs,
      read: 2,
      newAlerts: 2,
      delivered: 2,
      messages: summary.delivery.messages,
      pending: 0,
      failed: 0,
      deferred: 0,
      skipped: 0,
      overtaken: 0,
      setAside: 0,
      apiRequests: apiRequestsSeen(w),
      apiLatencyInMs: summary.usage!.apiLatencyInMs,
      tableRoundTrips: summary.usage!.tableRoundTrips,
      checkpointWritten: true,
      windowStart: summary.window!.start.toISOString(),
      windowEnd: summary.window!.end.toISOString(),
    });
    // The 503, the listing that followed, and the service lookup to label the alerts.
    expect(record.apiRequests).toBeGreaterThanOrEqual(3);
    expect(summary.usage!.apiLatenciesInMs).toHaveLength(record.apiRequests!);
    expect(record.apiLatencyInMs!.max).toBeLessThanOrEqual(record.apiLatencyInMs!.total);
    expect(record.apiLatencyInMs!.max).toBeLessThanOrEqual(record.durationInMs!);
    // At least the checkpoint read, the known-fingerprints and pending queries, claims, records and the checkpoint write.
    expect(record.tableRoundTrips).toBeGreaterThanOrEqual(6);
    expectOnlyCountsAndNames(record);

    const all = lines.map((l) => l.text).join("\n");
    for (const secret of ["test-secret-value", w.receiver.sig, w.receiver.url]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/Bearer\s+\S/);
    for (const id of ["TL-FAILED-1", "TL-FAILED-2"]) expect(structured.map((s) => JSON.stringify(s.record)).join("")).not.toContain(id);
  });

  it("counts a quiet cycle's single request, and the license monitor's own", async () => {
    const w = await start();
    // The first cycle also learns which services are in use (WATCH_SERVICES=auto): one listing each.
    const first = await invoke(w);
    expect(cycleLines(first.lines)[0]!.record).toMatchObject({ ok: true, read: 0, newAlerts: 0, delivered: 0, apiRequests: apiRequestsSeen(w) });

    w.clock.now = at(minutes(5));
    w.simulator.resetRequests();
    const quiet = await invoke(w);
    expect(cycleLines(quiet.lines)[0]!.record).toMatchObject({ ok: true, read: 0, newAlerts: 0, apiRequests: 1 });
    expect(apiRequestsSeen(w)).toBe(1);

    w.simulator.resetRequests();
    const license = await invoke(w, "license");
    const [line] = cycleLines(license.lines);
    expect(line!.record).toMatchObject({ monitor: "license", ok: true, read: 1, apiRequests: apiRequestsSeen(w) });
    expect(line!.record.windowStart).toBeUndefined();
    expectOnlyCountsAndNames(line!.record);
  });

  it("is logged as an error with the read error when the cycle fails, still counting every attempt", async () => {
    const w = await start();
    w.simulator.injectFault({ target: "jobs", kind: "status", status: 500, times: 10 });

    const { summary, lines } = await invoke(w);
    expect(summary.ok).toBe(false);
    const structured = cycleLines(lines);
    expect(structured).toHaveLength(1);
    expect(structured[0]!.level).toBe("error");
    const record = structured[0]!.record;
    expect(record).toMatchObject({ ok: false, read: 0, apiRequests: apiRequestsSeen(w), checkpointWritten: true });
    // The harness retries 4 times.
    expect(record.apiRequests).toBe(4);
    expect(record.error).toContain("HTTP 500");
    expect(record.windowStart).toBeUndefined();
    expectOnlyCountsAndNames(record);
    expect(lines.map((l) => l.text).join("\n")).not.toContain("test-secret-value");
  });
});

/** A reader of the real SDK that hands over what was recorded when asked. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}

  async byName(): Promise<Map<string, MetricData>> {
    const { resourceMetrics, errors } = await this.collect();
    expect(errors).toEqual([]);
    return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
  }
}

function points(metric: MetricData | undefined): { attributes: Record<string, unknown>; value: unknown }[] {
  expect(metric, "metric recorded").toBeDefined();
  return metric!.dataPoints.map((p) => ({ attributes: { ...p.attributes }, value: p.value }));
}

function single(metric: MetricData | undefined): unknown {
  const all = points(metric);
  expect(all).toHaveLength(1);
  expect(all[0]!.attributes).toEqual({ monitor: "jobs", tenant: "Contoso" });
  return all[0]!.value;
}

describe("the cycle metrics", () => {
  it("are recorded by every runtime cycle on the registered MeterProvider, with bounded attributes", async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);

    const w = await start();
    addFailures(w, ["TM-FAILED-1", "TM-FAILED-2", "TM-FAILED-3"]);
    const first = await w.cycle();
    // The webhook refuses the next alert's post until the retries run out: it stays pending.
    w.clock.now = at(minutes(5));
    addFailures(w, ["TM-FAILED-4"], at(minutes(2)));
    w.receiver.setDefault({ status: 500 });
    const second = await w.cycle();
    expect(first).toMatchObject({ ok: true, newAlerts: 3, delivery: { delivered: 3 } });
    expect(second).toMatchObject({ ok: false, newAlerts: 1, delivery: { delivered: 0, failed: 1 } });
    const apiRequests = first.usage!.apiRequests + second.usage!.apiRequests;
    expect(apiRequests).toBe(apiRequestsSeen(w));

    const recorded = await reader.byName();
    expect([...recorded.keys()].sort()).toEqual(Object.values(METRIC_NAMES).sort());
    expect(single(recorded.get(METRIC_NAMES.alertsFound))).toBe(4);
    expect(single(recorded.get(METRIC_NAMES.alertsDelivered))).toBe(3);
    expect(single(recorded.get(METRIC_NAMES.deliveriesFailed))).toBe(1);
    // A gauge: what the last cycle left.
    expect(single(recorded.get(METRIC_NAMES.deliveriesPending))).toBe(1);
    expect(single(recorded.get(METRIC_NAMES.apiRequests))).toBe(apiRequests);

    const latency = recorded.get(METRIC_NAMES.apiLatency) as HistogramMetricData;
    expect(latency.descriptor.unit).toBe("ms");
    const latencyValue = single(latency) as { count: number; sum: number; max: number };
    expect(latencyValue.count).toBe(apiRequests);
    expect(latencyValue.max).toBe(Math.max(...first.usage!.apiLatenciesInMs, ...second.usage!.apiLatenciesInMs));

    const durations = points(recorded.get(METRIC_NAMES.cycleDuration));
    expect(durations.map((d) => d.attributes).sort((a, b) => String(a["ok"]).localeCompare(String(b["ok"])))).toEqual([
      { monitor: "jobs", tenant: "Contoso", ok: false },
      { monitor: "jobs", tenant: "Contoso", ok: true },
    ]);
    for (const d of durations) expect((d.value as { count: number }).count).toBe(1);
    const okDuration = durations.find((d) => d.attributes["ok"] === true)!.value as { sum: number };
    expect(okDuration.sum).toBe(first.usage!.durationInMs);

    // No job id, URL or credential in any attribute of any metric.
    const attributeText = JSON.stringify([...recorded.values()].flatMap((m) => m.dataPoints.map((p) => p.attributes)));
    for (const text of ["TM-FAILED", w.receiver.sig, "test-secret-value", "http"]) expect(attributeText).not.toContain(text);
    await provider.shutdown();
  });

  it("are no-ops without a MeterProvider, and a summary without usage records only its counts", async () => {
    const w = await start();
    await expect(w.cycle()).resolves.toMatchObject({ ok: true });

    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const summary: CycleSummary = {
      monitor: "license",
      tenant: "Fabrikam",
      ok: true,
      read: 1,
      newAlerts: 2,
      delivery: { delivered: 1, failed: 0, skipped: 1, deferred: 0, overtaken: 0, setAside: [], messages: 1, errors: [], oldestUndelivered: null },
      checkpointWritten: true,
    };
    recordCycleMetrics(summary, provider);
    const recorded = await reader.byName();
    expect([...recorded.keys()].sort()).toEqual([METRIC_NAMES.alertsDelivered, METRIC_NAMES.alertsFound, METRIC_NAMES.deliveriesFailed, METRIC_NAMES.deliveriesPending].sort());
    expect(points(recorded.get(METRIC_NAMES.deliveriesPending))).toEqual([{ attributes: { monitor: "license", tenant: "Fabrikam" }, value: 1 }]);
    await provider.shutdown();
  });
});

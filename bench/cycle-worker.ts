/**
 * Runs jobs-monitor cycles in a process of its own, so the memory it reports
 * belongs to the application: the simulator, the receiver and Azurite live in
 * other processes. Driven by bench/harness.ts over the IPC channel.
 */
import { performance } from "node:perf_hooks";
import { odata } from "@azure/data-tables";
import type { Alert } from "../shared/alerts/model.js";
import { WorkflowsWebhookChannel } from "../shared/receivers/teams-workflows.js";
import { parseSettings, type Settings, type StorageSettings } from "../shared/config/settings.js";
import { AlertLedger, createTableClients } from "../shared/ledger/index.js";
import { deliveryFromEntity } from "../shared/ledger/records.js";
import { tenantPartitionKey } from "../shared/ledger/keys.js";
import { createLogger, type Logger } from "../shared/logging.js";
import { buildWorkflowsMessages, digestOrder, digestSummary, jsonBytes, renderDigestCard, workflowsPayload } from "../shared/render/index.js";
import { createRuntime, type Runtime } from "../shared/pipeline/runtime.js";
import { DEFAULT_TEAMS_RECEIVER } from "../shared/config/routing-file.js";
import { TableRoundTrips, withMemorySampling } from "./measure.js";
import type { CycleMeasurement, DigestMeasurement, WorkerReply, WorkerRequest } from "./protocol.js";

interface Bench {
  settings: Settings;
  storage: StorageSettings;
  runtime: Runtime;
  counter: TableRoundTrips;
  logger: Logger;
  clock: { nowMs: number };
}

let bench: Bench | undefined;

function init(values: Record<string, string>): Bench {
  const settings = parseSettings(values);
  const storage = settings.storage;
  const webhookUrl = settings.teams.webhookUrl;
  if (!storage || !webhookUrl) throw new Error("the benchmark needs ALERTS_STORAGE and TEAMS_WEBHOOK_URL");
  const logger = createLogger({ error: console.error, warn: console.error, info: () => {} }, "warn");
  const clients = createTableClients(storage, settings.tablePrefix);
  const counter = new TableRoundTrips();
  counter.attach(clients.alerts, clients.checkpoints);
  const clock = { nowMs: Date.now() };
  const runtime = createRuntime(settings, {
    now: () => new Date(clock.nowMs),
    ledger: new AlertLedger(clients),
    // No pacing: a production webhook gets at most one post a second; here it would only add idle seconds.
    receivers: [{ channel: new WorkflowsWebhookChannel({ name: DEFAULT_TEAMS_RECEIVER, url: webhookUrl, minIntervalInMs: 0, logger }) }],
  });
  return { settings, storage, runtime, counter, logger, clock };
}

async function cycle(b: Bench, nowMs: number): Promise<CycleMeasurement> {
  b.clock.nowMs = nowMs;
  b.counter.reset();
  const { value, memory } = await withMemorySampling(async () => {
    const started = performance.now();
    const summary = await b.runtime.run("jobs", b.logger);
    return { summary, wallMs: performance.now() - started };
  });
  const { summary, wallMs } = value;
  return {
    wallMs,
    tableRoundTrips: b.counter.total,
    tableByKind: b.counter.snapshot(),
    memory,
    read: summary.read,
    newAlerts: summary.newAlerts,
    delivered: summary.delivery.delivered,
    messages: summary.delivery.messages,
    ok: summary.ok,
    ...(summary.error !== undefined ? { error: summary.error } : {}),
  };
}

/** Reads every alert row of the tenant (uncounted clients) and measures them as one digest. */
async function digest(b: Bench): Promise<DigestMeasurement> {
  const { settings } = b;
  const clients = createTableClients(b.storage, settings.tablePrefix);
  const partitionKey = tenantPartitionKey(settings.alerts.tenantName);
  const alerts: Alert[] = [];
  const rows = clients.alerts.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } });
  for await (const row of rows) if (!row.rowKey?.startsWith("!")) alerts.push(deliveryFromEntity(row, row.etag).alert); // `!`: the ledger's open-work markers
  const ctx = { tenantName: settings.alerts.tenantName, portalUrl: settings.avepoint.portalUrl };
  const ordered = digestOrder(alerts);
  const part = { index: 1, count: 1, firstAlert: 1, totalAlerts: ordered.length };
  const singleDigestBytes = jsonBytes(workflowsPayload(renderDigestCard(ordered, ctx, part), digestSummary(ordered, ctx, part)));
  const started = performance.now();
  const posts = buildWorkflowsMessages(alerts, ctx, { groupThreshold: settings.alerts.groupThreshold }).length;
  return { alerts: alerts.length, singleDigestBytes, posts, composeMs: performance.now() - started };
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.type) {
    case "init":
      bench = init(request.values);
      return { type: "ready" };
    case "cycle":
      if (!bench) throw new Error("cycle before init");
      return { type: "cycle", measurement: await cycle(bench, request.nowMs) };
    case "digest":
      if (!bench) throw new Error("digest before init");
      return { type: "digest", measurement: await digest(bench) };
  }
}

process.on("message", (request: WorkerRequest) => {
  handle(request).then(
    (reply) => process.send?.(reply),
    (err: unknown) => process.send?.({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerReply),
  );
});
// The parent going away ends the worker too.
process.on("disconnect", () => process.exit(0));

import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { METRIC_NAMES } from "../../shared/telemetry/metrics.js";
import { AvePointSimulator } from "../simulator/index.js";
import { createTestCertificate } from "../support/certificates.js";
import { startRecordingReceiver, type RecordingReceiver } from "../support/recording-receiver.js";
import { runPollOnce } from "../support/run-poll.js";

/**
 * The metrics leave the process the way they do in Azure: `npm run poll --
 * --once` (the compiled entry points; npm test builds first) with
 * APPLICATIONINSIGHTS_CONNECTION_STRING set loads @azure/monitor-opentelemetry,
 * records each cycle and flushes before the invocation ends. Application
 * Insights' ingestion endpoint is played by an HTTPS server on loopback (the
 * exporter only speaks HTTPS), trusted by the child process alone through
 * NODE_EXTRA_CA_CERTS.
 */
const INSTRUMENTATION_KEY = "00000000-0000-4000-8000-000000000001";

interface TelemetryItem {
  name: string;
  iKey: string;
  data: { baseType: string; baseData: { metrics?: { name: string; value: number; count?: number }[]; properties?: Record<string, string> } };
}

const poll = (env: Record<string, string>) => runPollOnce(env, ["--monitor=jobs"]);

describe("custom metrics exported to Application Insights", () => {
  let simulator: AvePointSimulator;
  let receiver: RecordingReceiver;
  let ingestion: Server;
  let caFile: string;
  const items: TelemetryItem[] = [];

  beforeAll(async () => {
    simulator = await AvePointSimulator.start({ clientId: "otel-client", clientSecret: "otel-secret-value" });
    receiver = await startRecordingReceiver();
    const certificate = createTestCertificate({ commonName: "localhost" });
    caFile = join(mkdtempSync(join(tmpdir(), "cba-ca-")), "ingestion.pem");
    writeFileSync(caFile, certificate.certPem);
    ingestion = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks);
        const text = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
        // The track endpoint takes a JSON array, or newline-delimited JSON.
        const parsed = text.trim().startsWith("[") ? (JSON.parse(text) as TelemetryItem[]) : text.trim().split("\n").map((l) => JSON.parse(l) as TelemetryItem);
        if (req.url?.startsWith("/v2.1/track")) items.push(...parsed);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ itemsReceived: parsed.length, itemsAccepted: parsed.length, errors: [] }));
      });
    });
    await new Promise<void>((resolve) => ingestion.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await simulator.stop();
    await receiver.stop();
    ingestion.closeAllConnections();
    await new Promise<void>((resolve) => ingestion.close(() => resolve()));
  });

  it("sends the cycle's metrics with monitor and tenant attributes, and logs the cycle line", async () => {
    simulator.tenant.addJob({ id: "OT-FAILED-1", state: "Failed", startTime: new Date(Date.now() - 3_600_000), finishTime: new Date(Date.now() - 1_800_000), objectType: 1 });
    const { port } = ingestion.address() as AddressInfo;
    const result = await poll({
      AVEPOINT_CLIENT_ID: "otel-client",
      AVEPOINT_CLIENT_SECRET: "otel-secret-value",
      AVEPOINT_API_URL: simulator.url,
      AVEPOINT_TOKEN_URL: simulator.tokenUrl,
      ALERTS_STORAGE: inject("azuriteConnectionString"),
      ALERTS_TABLE_PREFIX: `otel${randomBytes(4).toString("hex")}`,
      TEAMS_WEBHOOK_URL: receiver.url,
      ALERT_TENANT_NAME: "Contoso",
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${INSTRUMENTATION_KEY};IngestionEndpoint=https://localhost:${port}/`,
      NODE_EXTRA_CA_CERTS: caFile,
      // The SDK's own usage statistics go to a fixed Microsoft endpoint: not from a test.
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED: "true",
      APPLICATIONINSIGHTS_SDKSTATS_DISABLED: "true",
    });
    expect(result.code, result.stderr).toBe(0);

    const cycleLine = result.stderr.split("\n").find((l) => l.includes('{"event":"cycle"'));
    expect(cycleLine, result.stderr).toBeDefined();
    const record = JSON.parse(cycleLine!.slice(cycleLine!.indexOf("{"))) as { newAlerts: number; delivered: number; apiRequests: number };
    expect(record).toMatchObject({ newAlerts: 1, delivered: 1 });
    expect(record.apiRequests).toBe(simulator.requests.filter((r) => r.path !== "/connect/token").length);

    const metricItems = items.filter((i) => i.data.baseType === "MetricData");
    const byName = new Map(metricItems.flatMap((i) => (i.data.baseData.metrics ?? []).map((m) => [m.name, { ...m, properties: i.data.baseData.properties ?? {}, iKey: i.iKey }] as const)));
    for (const name of Object.values(METRIC_NAMES)) expect(byName.has(name), `${name} in ${[...byName.keys()].join(", ")}`).toBe(true);
    expect(byName.get(METRIC_NAMES.alertsFound)).toMatchObject({ value: 1, properties: { monitor: "jobs", tenant: "Contoso" }, iKey: INSTRUMENTATION_KEY });
    expect(byName.get(METRIC_NAMES.alertsDelivered)).toMatchObject({ value: 1 });
    expect(byName.get(METRIC_NAMES.apiRequests)).toMatchObject({ value: record.apiRequests });
    expect(byName.get(METRIC_NAMES.apiLatency)).toMatchObject({ count: record.apiRequests });
    // Metrics only: the exporter's instrumentations are off, so no request or dependency telemetry of ours.
    expect(items.filter((i) => i.data.baseType !== "MetricData").map((i) => i.data.baseType)).toEqual([]);
    const sent = JSON.stringify(items);
    for (const secret of ["otel-secret-value", receiver.sig, "OT-FAILED-1"]) expect(sent).not.toContain(secret);
  }, 60_000);
});

import { afterEach, describe, expect, inject, it } from "vitest";
import { main as sendTestAlert } from "../../cli/send-test-alert.js";
import { main as status } from "../../cli/status.js";
import type { OperatorIo } from "../../cli/operator-io.js";
import type { StatusReport } from "../../shared/pipeline/status.js";
import { minutes, startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";
import { startRecordingReceiver, type RecordingReceiver } from "../support/recording-receiver.js";
import { validateAdaptiveCard } from "../support/validate-card.js";

const T0 = new Date("2026-11-29T08:00:00Z");
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);

let world: PipelineWorld | undefined;
let receiver: RecordingReceiver | undefined;
afterEach(async () => {
  await world?.stop();
  await receiver?.stop();
  world = undefined;
  receiver = undefined;
});

function io(env: Record<string, string>, now?: () => Date): OperatorIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { env, localSettingsDir: null, stdout: (t) => out.push(t), stderr: (t) => err.push(t), out, err, ...(now ? { now } : {}) };
}

describe("npm run send-test-alert", () => {
  const env = (webhook: string): Record<string, string> => ({
    AVEPOINT_CLIENT_ID: "c",
    AVEPOINT_CLIENT_SECRET: "s3cret-value",
    ALERTS_STORAGE: inject("azuriteConnectionString"),
    TEAMS_WEBHOOK_URL: webhook,
    ALERT_TENANT_NAME: "Contoso",
  });

  it("posts a labelled test card to each receiver and reports status and latency (exit 0)", async () => {
    receiver = await startRecordingReceiver();
    const run = io(env(receiver.url));
    expect(await sendTestAlert([], run)).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    const body = receiver.requests[0]!.body as { summary: string; attachments: { content: object }[] };
    expect(body.summary).toBe("[TEST] Test alert from Cloud Backup Alerts \u2014 no action needed \u2014 Contoso");
    expect(validateAdaptiveCard(body.attachments[0]!.content)).toEqual({ errors: [], warnings: [] });
    expect(run.out.join("")).toMatch(/^OK +teams \(teams-workflows\): status 202, \d+ ms, 1 attempt\n$/);
  });

  it("sends nothing to the ledger: the next cycle has nothing pending", async () => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0 }));
    const run = io({ ...env(w.receiver.url), ALERTS_TABLE_PREFIX: w.settings.tablePrefix });
    expect(await sendTestAlert([], run)).toBe(0);
    await w.cycle("jobs");
    expect(w.receiver.requests).toHaveLength(1);
    expect(await w.ledger.openDeliveries("Contoso")).toEqual([]);
  });

  it("reports a refusing receiver with the error, never the webhook's signature (exit 1)", async () => {
    receiver = await startRecordingReceiver({ defaultResponse: { status: 403, body: "forbidden" } });
    const run = io(env(receiver.url));
    expect(await sendTestAlert(["--receiver", "teams"], run)).toBe(1);
    const out = run.out.join("") + run.err.join("");
    expect(out).toMatch(/^FAILED teams \(teams-workflows\): status 403, \d+ ms, 1 attempt: DeliveryError: /);
    expect(out).not.toContain(receiver.sig);
    expect(out).not.toContain("s3cret-value");
  });

  it("exit 2 for invalid settings or an unknown receiver", async () => {
    receiver = await startRecordingReceiver();
    const bad = io({ ...env(receiver.url), AVEPOINT_REGION: "mars" });
    expect(await sendTestAlert([], bad)).toBe(2);
    expect(bad.err.join("")).toContain("AVEPOINT_REGION");
    const unknown = io(env(receiver.url));
    expect(await sendTestAlert(["--receiver", "pager"], unknown)).toBe(2);
    expect(unknown.err.join("")).toContain('no receiver named "pager"; configured: teams');
    expect(receiver.requests).toHaveLength(0);
  });
});

describe("npm run send-test-alert with only a webhook", () => {
  it("needs neither AvePoint credentials nor ledger storage: the test never touches either (exit 0)", async () => {
    receiver = await startRecordingReceiver();
    const run = io({ TEAMS_WEBHOOK_URL: receiver.url });
    expect(await sendTestAlert([], run)).toBe(0);
    expect(run.err.join("")).toBe("");
    expect(run.out.join("")).toMatch(/^OK +teams \(teams-workflows\): status 202, \d+ ms, 1 attempt\n$/);
    expect(receiver.requests).toHaveLength(1);
  });

  it("still refuses an invalid setting it does not use, and names a missing receiver (exit 2)", async () => {
    const none = io({});
    expect(await sendTestAlert([], none)).toBe(2);
    expect(none.err.join("")).toContain("no receiver is configured");
    expect(none.err.join("")).not.toMatch(/AVEPOINT_CLIENT_ID|storage/i);
    const bad = io({ TEAMS_WEBHOOK_URL: "http://127.0.0.1:1/x", LOG_LEVEL: "chatty" });
    expect(await sendTestAlert([], bad)).toBe(2);
    expect(bad.err.join("")).toContain("LOG_LEVEL");
  });
});

describe("npm run status", () => {
  it("shows each monitor, the tracked jobs, open failures and failing deliveries (text and --json)", async () => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0 }));
    const tenant = w.simulator.tenant;
    tenant.addJob({ id: "IB-STATUS-FAILED", state: "Failed", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1 });
    tenant.addJob({ id: "IB-STATUS-RUNNING", state: "InProgress", startTime: at(-minutes(10)), objectType: 2 });
    w.receiver.setDefault({ status: 400, body: "Bad payload" });
    await w.cycle("jobs");
    w.simulator.injectFault({ target: "license", kind: "status", status: 403 });
    await w.cycle("license");

    const env = { ALERTS_STORAGE: inject("azuriteConnectionString"), ALERTS_TABLE_PREFIX: w.settings.tablePrefix, ALERT_TENANT_NAME: "Contoso" };
    const json = io(env, () => at(minutes(1)));
    expect(await status(["--json"], json)).toBe(1);
    const report = JSON.parse(json.out.join("")) as StatusReport;
    const [jobs, license] = report.monitors;
    expect(jobs).toMatchObject({ monitor: "jobs", healthy: true, consecutiveFailures: 0, lastSuccessAt: T0.toISOString(), watermark: expect.any(String) });
    expect(jobs?.openJobs.map((j) => j.id)).toEqual(["IB-STATUS-RUNNING"]);
    expect(jobs?.openFailures).toEqual([{ service: 1, serviceName: "Exchange Online", jobIds: ["IB-STATUS-FAILED"], lastFailureAt: at(-minutes(20)).toISOString() }]);
    expect(license).toMatchObject({ monitor: "license", healthy: false, lastSuccessAt: null, consecutiveFailures: 1, problem: "never succeeded (1 failed cycles)" });
    expect(license?.lastError).toContain("HTTP 403");
    expect(report.deliveries).toMatchObject({ pending: 0, failing: 1, sending: 0 });
    // Tried by the jobs cycle and again by the license cycle (a 400 does not pause the receiver).
    expect(report.deliveries.items[0]).toMatchObject({ receiver: "teams", state: "failing", attempts: 2, kind: "job" });
    expect(report.deliveries.items[0]?.lastError).toContain("400");
    expect(report.deliveries.items[0]?.summary).toContain("IB-STATUS-FAILED");
    // What the monitors learned about the service, from their checkpoints.
    expect(report.avepoint.reading).toMatchObject({ jobsRevision: "seed", runningListed: true });

    const text = io(env, () => at(minutes(1)));
    expect(await status([], text)).toBe(1);
    const out = text.out.join("");
    expect(out).toContain("Cloud Backup Alerts: tenant Contoso");
    expect(out).toContain("UNHEALTHY");
    expect(out).toMatch(/^jobs +ok +2026-11-29 08:00 UTC/m);
    expect(out).toMatch(/^license +STALE +never/m);
    expect(out).toContain("IB-STATUS-RUNNING");
    expect(out).toContain("Exchange Online: 1 failed job(s)");
    expect(out).toMatch(/^teams +failing +2 /m);
    expect(out).toContain("AvePoint (AVEPOINT_API_PROFILE=auto): jobs on the seed revision (/cloudbackup/jobs)");
    expect(out).not.toContain(w.receiver.sig);
  });

  it("exit 0 when every monitor is healthy; exit 2 without ledger storage", async () => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0 }));
    await w.cycle("jobs");
    await w.cycle("license");
    const env = { ALERTS_STORAGE: inject("azuriteConnectionString"), ALERTS_TABLE_PREFIX: w.settings.tablePrefix, ALERT_TENANT_NAME: "Contoso" };
    const ok = io(env, () => at(minutes(2)));
    expect(await status([], ok)).toBe(0);
    expect(ok.out.join("")).toContain("HEALTHY");
    const none = io({});
    expect(await status([], none)).toBe(2);
    expect(none.err.join("")).toContain("no storage for the alert ledger");
    expect(none.err.join("")).not.toContain("AVEPOINT_CLIENT_ID");
  });

  it("needs only storage, and says which storage setting it read", async () => {
    const w = (world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0 }));
    await w.cycle("jobs");
    await w.cycle("license");
    const endpoint = /TableEndpoint=([^;]+)/.exec(inject("azuriteConnectionString"))![1]!;
    const viaWebJobs = io({ AzureWebJobsStorage: inject("azuriteConnectionString"), ALERTS_TABLE_PREFIX: w.settings.tablePrefix, ALERT_TENANT_NAME: "Contoso" }, () => at(minutes(2)));
    expect(await status([], viaWebJobs)).toBe(0);
    expect(viaWebJobs.err.join("")).toBe("");
    expect(viaWebJobs.out.join("")).toContain(`Ledger: AzureWebJobsStorage (Table Storage at ${new URL(endpoint).origin}, tables ${w.settings.tablePrefix}*)\n`);
    const viaAlerts = io({ ALERTS_STORAGE: inject("azuriteConnectionString"), ALERTS_TABLE_PREFIX: w.settings.tablePrefix, ALERT_TENANT_NAME: "Contoso" }, () => at(minutes(2)));
    expect(await status([], viaAlerts)).toBe(0);
    expect(viaAlerts.out.join("")).toContain("Ledger: ALERTS_STORAGE (");
  });

  it("an unreachable ledger names the storage setting that was read, not others", async () => {
    // Port 1 on loopback: nothing listens there.
    const closed = inject("azuriteConnectionString").replace(/TableEndpoint=http:\/\/[^/;]+/, "TableEndpoint=http://127.0.0.1:1");
    const run = io({ AzureWebJobsStorage: closed, ALERT_TENANT_NAME: "Contoso" });
    const code = await status([], run);
    expect(code).toBe(1);
    const err = run.err.join("");
    expect(err).toContain("AzureWebJobsStorage");
    expect(err).not.toMatch(/ALERTS_STORAGE/);
  }, 60_000);
});

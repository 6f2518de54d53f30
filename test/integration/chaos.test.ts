/**
 * The fault-injection suite at its bounded default size (`npm run chaos` runs
 * it at full size). SEED=... reproduces a run's scenario and faults; CHAOS_RUNS
 * overrides the number of runs.
 */
import { describe, expect, inject, it } from "vitest";
import { SendPacer } from "../../shared/receivers/pacing.js";
import { WorkflowsWebhookChannel } from "../../shared/receivers/teams-workflows.js";
import { parseSettings } from "../../shared/config/index.js";
import { AlertLedger, createTableClients } from "../../shared/ledger/index.js";
import { silentLogger } from "../../shared/logging.js";
import { createRuntime } from "../../shared/pipeline/runtime.js";
import { DEFAULT_TEAMS_RECEIVER } from "../../shared/config/routing-file.js";
import { EventSequence, startFaultProxy, type RequestAction } from "../chaos/fault-proxy.js";
import { formatReport, runChaos } from "../chaos/harness.js";
import { AvePointSimulator } from "../simulator/index.js";
import { startRecordingReceiver } from "../support/recording-receiver.js";

const SEED = process.env["SEED"] ?? "default-1";
const RUNS = Number(process.env["CHAOS_RUNS"] ?? 30);

describe("chaos: faults at every boundary", () => {
  it(`loses nothing and duplicates only inside the documented windows (SEED=${SEED}, ${RUNS} runs)`, async () => {
    const report = await runChaos({ seed: SEED, runs: RUNS, crashEvery: 5 });
    const table = formatReport(report);
    console.log(table);

    expect(report.violations, table).toEqual([]);
    expect(report.lost).toBe(0);
    expect(report.duplicates.unexplained).toBe(0);
    expect(report.delivered).toBe(report.alertWorthy);
    // The suite proved something: alerts were produced and faults of every main kind injected
    // (a fixed seed makes this deterministic; tiny CHAOS_RUNS sizes may not draw every kind).
    if (RUNS < 20) return;
    expect(report.alertWorthy).toBeGreaterThan(20);
    expect(report.childrenKilled).toBeGreaterThan(0);
    for (const kind of ["avepoint-429", "avepoint-truncated", "storage-503", "storage-dropped", "receiver-5xx", "receiver-slow-accept", "overlapping-cycles"] as const) {
      expect(report.faults[kind], kind).toBeGreaterThan(0);
    }
  }, 180_000);
});

describe("chaos: the checks catch what they claim to", () => {
  it("a receiver whose 2xx answers get lost shows up as unexplained duplicates", async () => {
    const report = await runChaos({ seed: SEED, runs: 3, crashEvery: 0, sabotage: "answer-lost" });
    expect(report.duplicates.unexplained).toBeGreaterThan(0);
    expect(report.violations.some((v) => v.includes("without a crash or ledger failure"))).toBe(true);
  }, 60_000);

  it("a receiver that swallows posts shows up as lost alerts", async () => {
    const report = await runChaos({ seed: SEED, runs: 2, crashEvery: 0, sabotage: "black-hole" });
    expect(report.alertWorthy).toBeGreaterThan(0);
    expect(report.lost).toBe(report.alertWorthy);
    expect(report.violations.some((v) => v.includes("was never delivered"))).toBe(true);
  }, 60_000);
});

describe("found by the chaos suite", () => {
  /*
   * Fixed in shared/pipeline/checkpoint.ts (holdWatermarkAfterConflict): overlapping cycles can move the checkpoint past an alert that is still undelivered.
   * Cycle A claims a new alert and starts sending it. Cycle B, overlapping, admits nothing new
   * and its pending() query does not list rows another run holds with a live lease ('sending'),
   * so B neither sends nor counts the alert as undelivered ("skipped"), and writes the watermark
   * at its own start time. A's send then fails; A releases the alert to 'pending' and holds its
   * watermark back to it, but A's checkpoint write loses (412) and is dropped. Result: the
   * checkpoint is ahead of undelivered work. Nothing is lost (delivery reads the ledger, not the
   * window), but the "checkpoint never ahead of undelivered work" invariant does not hold.
   * The chaos table counts it as "known issue: overlap drops the watermark hold".
   * Possible fixes: count rows held by another run (state 'sending', live lease) as undelivered
   * when computing the hold, or have the losing run re-read and re-write the checkpoint with the
   * older of the two watermarks instead of keeping the winner's.
   */
  it("an overlapping cycle that fails to deliver keeps the checkpoint behind the alert", async () => {
    const now = new Date("2030-01-01T01:00:00Z");
    const simulator = await AvePointSimulator.start({ now: () => now.getTime() });
    const receiver = await startRecordingReceiver();
    let sending!: () => void;
    const aIsSending = new Promise<void>((resolve) => (sending = resolve));
    let answerA!: (action: RequestAction) => void;
    const gate = await startFaultProxy({
      upstream: receiver.origin,
      events: new EventSequence(),
      hooks: {
        request: () =>
          new Promise<RequestAction>((resolve) => {
            answerA = resolve;
            sending();
          }),
      },
    });
    try {
      simulator.tenant.addJob({ id: "IB20300101005000000001", state: "Failed", startTime: new Date(now.getTime() - 600_000), finishTime: new Date(now.getTime() - 300_000), objectType: 1 });
      const tenant = "overlap-repro";
      const settings = parseSettings({
        AVEPOINT_CLIENT_ID: "sim-client",
        AVEPOINT_CLIENT_SECRET: "sim-secret",
        AVEPOINT_API_URL: simulator.url,
        AVEPOINT_TOKEN_URL: simulator.tokenUrl,
        ALERTS_STORAGE: inject("azuriteConnectionString"),
        ALERTS_TABLE_PREFIX: `repro${Date.now().toString(36)}`,
        TEAMS_WEBHOOK_URL: receiver.url.replace(receiver.origin, gate.origin),
        ALERT_TENANT_NAME: tenant,
      });
      const instance = () => {
        const ledger = new AlertLedger(createTableClients(settings.storage!, settings.tablePrefix), { now: () => now });
        const channel = new WorkflowsWebhookChannel({ name: DEFAULT_TEAMS_RECEIVER, url: settings.teams.webhookUrl!, retryPolicy: { maxAttempts: 1 }, minIntervalInMs: 0, pacer: new SendPacer() });
        return { ledger, runtime: createRuntime(settings, { now: () => now, ledger, receivers: [{ channel }] }) };
      };
      const a = instance();
      const b = instance();

      const cycleA = a.runtime.run("jobs", silentLogger);
      await aIsSending; // A has admitted and claimed the alert and is posting it
      const summaryB = await b.runtime.run("jobs", silentLogger);
      expect(summaryB.checkpointWritten).toBe(true);
      answerA({ kind: "respond", status: 503 }); // A's post fails: the alert goes back to pending
      const summaryA = await cycleA;
      expect(summaryA.delivery.failed).toBe(1);
      expect(summaryA.checkpointWritten).toBe(false);

      const [pending] = await a.ledger.pending(tenant);
      const checkpoint = await a.ledger.readCheckpoint(tenant, "jobs");
      expect(pending).toBeDefined();
      // Without the fix the watermark was B's start time, after the undelivered alert's event time.
      expect(checkpoint.watermark!.getTime()).toBeLessThanOrEqual(pending!.eventTime.getTime());
    } finally {
      await Promise.all([gate.stop(), receiver.stop(), simulator.stop()]);
    }
  });
});

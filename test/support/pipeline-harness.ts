/**
 * A real, local world for pipeline tests: the AvePoint simulator, Azurite (the
 * suite's shared instance, isolated by a fresh table prefix) and a recording
 * Teams webhook, all over HTTP on loopback, wired through the same
 * composition root production uses. Only waits and the clock are injected.
 */
import { randomBytes } from "node:crypto";
import { createAvePointClient } from "../../shared/avepoint/index.js";
import { WorkflowsWebhookChannel } from "../../shared/receivers/teams-workflows.js";
import { SendPacer } from "../../shared/receivers/pacing.js";
import { parseSettings, type Settings } from "../../shared/config/index.js";
import { AlertLedger, createTableClients } from "../../shared/ledger/index.js";
import type { CycleSummary } from "../../shared/telemetry/cycle-summary.js";
import { createRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import { observeApiRequest } from "../../shared/telemetry/cycle-usage.js";
import { AvePointSimulator, type SimulatorOptions } from "../simulator/index.js";
import { startRecordingReceiver, type RecordingReceiver } from "./recording-receiver.js";
import { capturingLogger } from "./capturing-logger.js";
import { webhookUrl } from "./webhook-url.js";

export interface PipelineWorld {
  simulator: AvePointSimulator;
  receiver: RecordingReceiver;
  settings: Settings;
  ledger: AlertLedger;
  clock: { now: Date };
  logs: string[];
  /** A runtime as a separate process would have it (its own client, channel and ledger objects). */
  newRuntime(): Runtime;
  /** One jobs (or license) cycle at the current clock. */
  cycle(monitor?: "jobs" | "license", runtime?: Runtime): Promise<CycleSummary>;
  /** Text of every card posted so far. */
  posted(): string[];
  stop(): Promise<void>;
}

export async function startPipelineWorld(options: {
  azuriteConnectionString: string;
  start: Date;
  settings?: Record<string, string>;
  simulator?: SimulatorOptions;
}): Promise<PipelineWorld> {
  const simulator = await AvePointSimulator.start({ clientId: "test-client", clientSecret: "test-secret-value", ...options.simulator });
  const receiver = await startRecordingReceiver();
  const settings = parseSettings({
    AVEPOINT_CLIENT_ID: "test-client",
    AVEPOINT_CLIENT_SECRET: "test-secret-value",
    AVEPOINT_API_URL: simulator.url,
    AVEPOINT_TOKEN_URL: simulator.tokenUrl,
    ALERTS_STORAGE: options.azuriteConnectionString,
    ALERTS_TABLE_PREFIX: `t${randomBytes(5).toString("hex")}`,
    TEAMS_WEBHOOK_URL: receiver.url,
    ALERT_TENANT_NAME: "Contoso",
    // The tests written for the seed revision keep it pinned; the reading matrix runs `auto`.
    AVEPOINT_API_PROFILE: "seed",
    ...options.settings,
  });
  const clock = { now: options.start };
  const logs: string[] = [];
  const logger = capturingLogger(logs);
  // Waits are skipped (retries and Retry-After still happen, just without sleeping).
  const noWait = async () => {};
  const fastRetry = { maxAttempts: 4, baseDelayInMs: 1, maxDelayInMs: 5, maxTotalInMs: 600_000 };
  const pacer = new SendPacer();
  const newRuntime = (): Runtime =>
    createRuntime(settings, {
      now: () => clock.now,
      // Counted against the cycle like the runtime's own client (CycleSummary.usage).
      reader: createAvePointClient(settings.avepoint, { retryPolicy: fastRetry, sleep: noWait, logger, timeoutInMs: 2_000, onRequest: observeApiRequest }),
      receivers: [
        {
          channel: new WorkflowsWebhookChannel({
            name: "teams",
            url: webhookUrl(receiver.url),
            retryPolicy: fastRetry,
            sleep: noWait,
            minIntervalInMs: 0,
            pacer,
            timeoutInMs: 2_000,
            logger,
          }),
        },
      ],
    });
  const runtime = newRuntime();
  return {
    simulator,
    receiver,
    settings,
    ledger: new AlertLedger(createTableClients(settings.storage!, settings.tablePrefix)),
    clock,
    logs,
    newRuntime,
    cycle: (monitor = "jobs", rt = runtime) => rt.run(monitor, logger),
    posted: () => receiver.requests.map((r) => r.rawBody),
    async stop() {
      await simulator.stop();
      await receiver.stop();
    },
  };
}

/** How many posted payloads mention this text (job ids appear verbatim in cards). */
export function mentions(posted: readonly string[], text: string): number {
  return posted.filter((p) => p.includes(text)).length;
}

export function minutes(n: number): number {
  return n * 60_000;
}

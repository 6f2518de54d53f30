/**
 * How long the first button press after idle takes to answer, locally
 * (Teams waits about 5 s for an invoke's answer):
 *
 *   npm run build --silent && node dist/bench/first-press.js [runs]
 *
 * The parent plays the timer function: Azurite, the fake Bot Connector, the
 * app installed in a channel and one alert card posted. Each run then starts
 * a fresh Node process, the HTTP function's cold instance: from process start
 * it imports the bot service (the Teams SDK), builds it and answers a press
 * on that card (tables are checked on first use, the card is replaced for
 * everyone with a PUT to the fake connector), then answers a second press,
 * warm. Not measured here, because there is no Azure locally: the Flex
 * Consumption instance start and Functions host start, the Bot Framework
 * OpenID metadata fetch (token validation) and the bot's first Entra token
 * for the PUT.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import functions from "@azure/functions";
import { parseSettings, type Settings } from "../shared/config/settings.js";
import { buildTeamsBotMessages, BOT_VERBS } from "../shared/render/bot-card.js";
import { startAzurite } from "../test/support/azurite.js";
import { failedExchangeJob, RENDER_CONTEXT, TENANT } from "../test/support/alert-fixtures.js";
import { startFakeBotConnector } from "../test/support/fake-bot-connector.js";
import { median } from "./measure.js";

const CHANNEL = "19:oncall-channel@thread.tacv2";
const OUR_TENANT = "8a6f3b2e-4c1d-4e5f-9a7b-0c1d2e3f4a5b";

function settingsFor(connection: string, prefix: string): Settings {
  return parseSettings(
    {
      ALERTS_STORAGE: connection,
      ALERTS_TABLE_PREFIX: prefix,
      ALERT_TENANT_NAME: TENANT,
      TEAMS_BOT_APP_ID: "11111111-2222-3333-4444-555555555555",
      TEAMS_BOT_APP_PASSWORD: "not-used-unauthenticated",
      TEAMS_BOT_TENANT_ID: OUR_TENANT,
    },
    { requireAvePoint: false },
  );
}

function activity(serviceUrl: string, conversationId: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    id: `in-${randomBytes(4).toString("hex")}`,
    channelId: "msteams",
    serviceUrl,
    from: { id: "29:ada", name: "Ada Lovelace" },
    recipient: { id: "28:bot", name: "Cloud Backup Alerts" },
    conversation: { id: conversationId, conversationType: "channel", isGroup: true, tenantId: OUR_TENANT },
    channelData: { tenant: { id: OUR_TENANT }, channel: { id: CHANNEL } },
    ...extra,
  };
}

function request(body: Record<string, unknown>) {
  return new functions.HttpRequest({ method: "POST", url: "https://func.example/api/messages", headers: { "content-type": "application/json" }, body: { string: JSON.stringify(body) } });
}

/** The cold instance: everything from process start to the first answer. */
async function child(connection: string, prefix: string, serviceUrl: string, activityId: string): Promise<void> {
  const started = performance.now();
  const { createBotService } = await import("../shared/bot/service.js");
  const imported = performance.now();
  const service = createBotService({ settings: settingsFor(connection, prefix), authentication: { kind: "unauthenticated" } });
  const press = (verb: string) =>
    service.handle(
      request(
        activity(serviceUrl, `${CHANNEL};messageid=${activityId}`, {
          type: "invoke",
          name: "adaptiveCard/action",
          replyToId: activityId,
          value: { action: { type: "Action.Execute", verb, data: { tenant: TENANT, fingerprint: failedExchangeJob.fingerprint } } },
        }),
      ),
    );
  const first = await press(BOT_VERBS.acknowledge);
  const answered = performance.now();
  await service.settled();
  const warmStart = performance.now();
  const second = await press(BOT_VERBS.snooze4h);
  const warm = performance.now() - warmStart;
  if (first.status !== 200 || second.status !== 200) throw new Error(`press answered ${first.status}/${second.status}`);
  process.stdout.write(
    `${JSON.stringify({ sinceProcessStart: Math.round(answered), import: Math.round(imported - started), firstPress: Math.round(answered - imported), warmPress: Math.round(warm), body: JSON.stringify(first.jsonBody).slice(0, 60) })}\n`,
  );
}

async function parent(runs: number): Promise<void> {
  const azurite = await startAzurite();
  const connector = await startFakeBotConnector();
  const results: Record<string, number>[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const prefix = `fp${randomBytes(4).toString("hex")}`;
      const { createBotService } = await import("../shared/bot/service.js");
      const timer = createBotService({ settings: settingsFor(azurite.connectionString, prefix), authentication: { kind: "unauthenticated" } });
      await timer.handle(request(activity(connector.serviceUrl, CHANNEL, { type: "installationUpdate", action: "add" })));
      const [message] = buildTeamsBotMessages([failedExchangeJob], RENDER_CONTEXT, { groupThreshold: 3 });
      const posted = await timer.channel({ error() {}, warn() {}, info() {}, debug() {} }).send(message!.payload);
      const output = await new Promise<string>((resolve, reject) => {
        const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", azurite.connectionString, prefix, connector.serviceUrl, posted.messageId ?? ""], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        proc.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
        proc.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
      });
      const result = JSON.parse(output) as Record<string, number>;
      results.push(result);
      process.stdout.write(`run ${run + 1}: ${output}`);
    }
  } finally {
    await connector.stop();
    await azurite.stop();
  }
  const medianOf = (key: string) => median(results.map((r) => r[key]!));
  process.stdout.write(
    `median of ${runs}: cold answer ${medianOf("sinceProcessStart")} ms after process start (SDK import ${medianOf("import")} ms, first press ${medianOf("firstPress")} ms); warm press ${medianOf("warmPress")} ms\n`,
  );
}

if (process.argv[2] === "--child") await child(process.argv[3]!, process.argv[4]!, process.argv[5]!, process.argv[6]!);
else await parent(Number(process.argv[2] ?? 5));

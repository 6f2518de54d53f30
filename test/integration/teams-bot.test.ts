import { randomBytes } from "node:crypto";
import functions from "@azure/functions";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { Alert } from "../../shared/alerts/model.js";
import { DeliveryError } from "../../shared/channels/delivery.js";
import { deliverPending } from "../../shared/delivery/outbox.js";
import { AlertLedger, createTableClients } from "../../shared/ledger/index.js";
import { tenantPartitionKey } from "../../shared/ledger/keys.js";
import { SendPacer } from "../../shared/channels/pacing.js";
import { parseSettings, type Settings } from "../../shared/config/settings.js";
import { createBotService, TEAMS_BOT_RECEIVER, type BotService } from "../../shared/bot/service.js";
import type { Logger } from "../../shared/logging.js";
import { BOT_VERBS, buildTeamsBotMessages, type BotVerb } from "../../shared/render/bot-card.js";
import { incidentKeyOf } from "../../shared/bot/incident.js";
import { fingerprintOf } from "../../shared/alerts/fingerprint.js";
import { ALERT_FIXTURES, exchangeRecovery, failedExchangeJob, makeLicenseAlert, manyJobAlerts, RENDER_CONTEXT, seatsCritical, TENANT } from "../support/alert-fixtures.js";
import { certificateExpiring7, certificateRenewed, degradedCredential, degradedResolved, testMessage } from "../support/monitoring-fixtures.js";
import { cardIn, startFakeBotConnector, type FakeBotConnector } from "../support/fake-bot-connector.js";
import { validateAdaptiveCard } from "../support/validate-card.js";

/**
 * The Teams bot end to end, without Teams: activities are posted to the bot's
 * HTTP handler in-process (authentication off, which only tests can ask for),
 * the Bot Connector is a fake HTTP server on 127.0.0.1 (the conversations'
 * serviceUrl) that records proactive sends and PUT updates, and Table
 * Storage is Azurite.
 */

const { HttpRequest } = functions;

const CHANNEL = "19:oncall-channel@thread.tacv2";
const PERSONAL = "a:1personal-chat-with-ada";
const BOT = { id: "28:cloud-backup-alerts-bot", name: "Cloud Backup Alerts" };
const ADA = { id: "29:ada", name: "Ada Lovelace", aadObjectId: "00000000-0000-0000-0000-00000000ada0" };
const BOT_PASSWORD = `pw-${randomBytes(8).toString("hex")}`;

let connector: FakeBotConnector;
let clock: Date;
let service: BotService;
let settings: Settings;
let logs: string[];

function recordingLogger(): Logger {
  const push = (level: string) => (message: string, data?: Record<string, unknown>) => logs.push(`${level} ${message} ${data ? JSON.stringify(data) : ""}`);
  return { error: push("error"), warn: push("warn"), info: push("info"), debug: push("debug") };
}

beforeAll(async () => {
  connector = await startFakeBotConnector();
});
afterAll(async () => {
  await connector.stop();
});

beforeEach(() => {
  connector.reset();
  logs = [];
  clock = new Date("2026-11-29T08:20:00Z");
  settings = parseSettings(
    {
      ALERTS_STORAGE_CONNECTION: inject("azuriteConnectionString"),
      ALERTS_TABLE_PREFIX: `bot${randomBytes(4).toString("hex")}`,
      ALERT_TENANT_NAME: TENANT,
      TEAMS_BOT_APP_ID: "11111111-2222-3333-4444-555555555555",
      TEAMS_BOT_APP_PASSWORD: BOT_PASSWORD,
    },
    { requireAvePoint: false },
  );
  service = createBotService({
    settings,
    authentication: { kind: "unauthenticated" },
    tableOptions: { retryOptions: { maxRetries: 0 } },
    now: () => clock,
    channelOptions: { now: () => clock.getTime(), sleep: async (ms) => void waits.push(ms), random: () => 0, pacer: new SendPacer() },
  });
});

let waits: number[] = [];
afterEach(() => {
  waits = [];
});

function conversationOf(id: string) {
  return id === CHANNEL
    ? { id, conversationType: "channel", isGroup: true, tenantId: "tenant-1", name: "On-call" }
    : { id, conversationType: "personal", tenantId: "tenant-1" };
}

/** Posts one activity to the bot's HTTP handler as a Functions v4 request. */
async function post(activity: Record<string, unknown>) {
  const request = new HttpRequest({
    method: "POST",
    url: "https://func.example/api/messages",
    headers: { "content-type": "application/json" },
    body: { string: JSON.stringify(activity) },
  });
  return service.handle(request, recordingLogger());
}

function baseActivity(conversationId: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    id: `in-${randomBytes(4).toString("hex")}`,
    channelId: "msteams",
    serviceUrl: connector.serviceUrl,
    from: ADA,
    recipient: BOT,
    conversation: conversationOf(conversationId),
    channelData: { tenant: { id: "tenant-1" }, ...(conversationId === CHANNEL ? { team: { id: "19:team@thread.tacv2" } } : {}) },
    timestamp: clock.toISOString(),
    ...extra,
  };
}

const install = (conversationId: string) => post(baseActivity(conversationId, { type: "installationUpdate", action: "add" }));
const uninstall = (conversationId: string) => post(baseActivity(conversationId, { type: "installationUpdate", action: "remove" }));

function press(conversationId: string, activityId: string, verb: BotVerb, alert: Alert) {
  return post(
    baseActivity(conversationId, {
      type: "invoke",
      name: "adaptiveCard/action",
      replyToId: activityId,
      value: { action: { type: "Action.Execute", verb, data: { tenant: alert.tenant, fingerprint: alert.fingerprint } }, trigger: "manual" },
    }),
  );
}

async function deliver(alerts: Alert[]) {
  const [message, ...rest] = buildTeamsBotMessages(alerts, RENDER_CONTEXT, { groupThreshold: 3 });
  expect(rest).toHaveLength(0);
  return service.channel(recordingLogger()).send(message!.payload);
}

const minutes = (n: number) => new Date(clock.getTime() + n * 60_000);

describe("installations", () => {
  it("remembers a team channel and a personal chat on install, with their serviceUrl, and forgets them on uninstall", async () => {
    expect((await install(CHANNEL)).status).toBe(200);
    expect((await install(PERSONAL)).status).toBe(200);
    const installed = await service.installations.list(TENANT);
    expect(installed.map((i) => [i.conversationId, i.conversationType, i.reference.serviceUrl])).toEqual([
      [CHANNEL, "channel", connector.serviceUrl],
      [PERSONAL, "personal", connector.serviceUrl],
    ]);
    await uninstall(PERSONAL);
    expect((await service.installations.list(TENANT)).map((i) => i.conversationId)).toEqual([CHANNEL]);
  });

  it("remembers a conversation on its first message and answers it", async () => {
    const response = await post(baseActivity(PERSONAL, { type: "message", text: "hello" }));
    expect(response.status).toBe(200);
    expect((await service.installations.list(TENANT)).map((i) => i.conversationId)).toEqual([PERSONAL]);
    expect(connector.posts()).toHaveLength(1);
    expect(connector.posts()[0]?.body["text"]).toMatch(/acknowledge, snooze or resolve/);
  });

  it("refuses a body that is not an activity", async () => {
    const request = new HttpRequest({ method: "POST", url: "https://func.example/api/messages", body: { string: "not json" } });
    const response = await service.handle(request);
    expect(response.status).toBe(400);
  });
});

describe("timeline: install → alert → acknowledge → resolved in place", () => {
  it("posts one card, records Ada's acknowledgement for everyone, then turns the same card green", async () => {
    await install(CHANNEL);

    // t0: the jobs monitor delivers a failed Exchange backup.
    const sent = await deliver([failedExchangeJob]);
    const [posted] = connector.posts();
    expect(connector.posts()).toHaveLength(1);
    expect(posted?.conversationId).toBe(CHANNEL);
    expect(sent.messageId).toBe("activity-1");
    const card = cardIn(posted);
    expect(card["version"]).toBe("1.5");
    expect(validateAdaptiveCard(card, { targetVersion: "1.5" }).errors).toEqual([]);
    expect((card["actions"] as { verb?: string }[]).map((a) => a.verb).filter(Boolean)).toEqual([
      BOT_VERBS.acknowledge,
      BOT_VERBS.snooze4h,
      BOT_VERBS.snooze24h,
      BOT_VERBS.resolve,
    ]);

    // t0+5 min: Ada presses Acknowledge.
    clock = minutes(5);
    const answer = await press(CHANNEL, "activity-1", BOT_VERBS.acknowledge, failedExchangeJob);
    expect(answer.status).toBe(200);
    const invokeBody = answer.jsonBody as { statusCode: number; type: string; value: Record<string, unknown> };
    expect(invokeBody.statusCode).toBe(200);
    expect(invokeBody.type).toBe("application/vnd.microsoft.card.adaptive");
    expect(JSON.stringify(invokeBody.value)).toContain("Acknowledged by Ada Lovelace at 2026-11-29 08:25 UTC");
    // Replaced for everyone: the bot updated the posted activity itself.
    expect(connector.puts().map((p) => p.activityId)).toEqual(["activity-1"]);
    expect(JSON.stringify(cardIn(connector.puts()[0]))).toContain("Acknowledged by Ada Lovelace");
    const row = await service.cards.get(TENANT, failedExchangeJob.fingerprint, CHANNEL);
    expect(row?.state).toBe("acknowledged");
    expect(row?.status.acknowledged).toEqual({ by: "Ada Lovelace", at: new Date("2026-11-29T08:25:00Z") });

    // t0+90 min: Exchange backs up again; the recovery updates the original card instead of posting.
    clock = minutes(85);
    const resolved = await deliver([exchangeRecovery]);
    expect(connector.posts()).toHaveLength(1);
    expect(connector.puts().map((p) => p.activityId)).toEqual(["activity-1", "activity-1"]);
    expect(resolved.messageId).toBe("activity-1");
    const green = cardIn(connector.puts()[1]);
    expect(green["body"]).toEqual(expect.arrayContaining([expect.objectContaining({ type: "Container", style: "good" })]));
    expect(JSON.stringify(green)).toContain("Acknowledged by Ada Lovelace");
    expect(JSON.stringify(green)).toContain("Resolved at 2026-11-29 09:50 UTC");
    expect((green["actions"] as { type: string }[]).every((a) => a.type === "Action.OpenUrl")).toBe(true);
    expect((await service.cards.get(TENANT, failedExchangeJob.fingerprint, CHANNEL))?.state).toBe("resolved");

    // A second recovery for the same service has nothing open left: it is posted as a new (green) card.
    await deliver([{ ...exchangeRecovery, fingerprint: "f".repeat(32) }]);
    expect(connector.posts()).toHaveLength(2);
  });

  it("Resolve by hand turns the card green for everyone and records who", async () => {
    await install(CHANNEL);
    await deliver([seatsCritical]);
    const answer = await press(CHANNEL, "activity-1", BOT_VERBS.resolve, seatsCritical);
    expect(JSON.stringify(answer.jsonBody)).toContain("Resolved by Ada Lovelace");
    expect((await service.cards.get(TENANT, seatsCritical.fingerprint, CHANNEL))?.state).toBe("resolved");
  });

  it("answers a press on a card it does not know with a message, not an error", async () => {
    await install(CHANNEL);
    const answer = await press(CHANNEL, "activity-9", BOT_VERBS.acknowledge, failedExchangeJob);
    expect(answer.status).toBe(200);
    expect(answer.jsonBody).toMatchObject({ statusCode: 200, type: "application/vnd.microsoft.activity.message" });
  });
});

/** The resolved notice of a firing alert, as the health rules make it: same facts, its own identity. */
function resolutionOf<A extends Alert>(alert: A, extra: Partial<A> = {}): A {
  const identity = alert.identity.replace(/:firing$/, "") + ":resolved";
  return { ...alert, identity, fingerprint: fingerprintOf(identity), severity: "info", status: "resolved", ...extra };
}

const HEALTH = ALERT_FIXTURES;
const INCIDENTS: [string, Alert, Alert][] = [
  ["missed backup (age)", HEALTH["missed-backup-exchange"], HEALTH["missed-backup-resolved"]],
  ["missed backup (schedule)", HEALTH["missed-backup-schedule-onedrive"], resolutionOf(HEALTH["missed-backup-schedule-onedrive"])],
  ["stuck job", HEALTH["stuck-job-sharepoint"], resolutionOf(HEALTH["stuck-job-sharepoint"], { outcome: "ended" })],
  ["skipped objects growing", HEALTH["failure-ratio-skipped-growth-teams"], resolutionOf(HEALTH["failure-ratio-skipped-growth-teams"])],
  ["unusual activity", HEALTH["unusual-activity-sharepoint"], resolutionOf(HEALTH["unusual-activity-sharepoint"])],
  ["monitoring degraded", degradedCredential, degradedResolved],
  ["credential expiry", certificateExpiring7, certificateRenewed],
  ["job failure", failedExchangeJob, exchangeRecovery],
];

describe("every alert kind: its resolution updates its card in place", () => {
  it("gives each firing alert and its resolution one incident, distinct from every other kind's", () => {
    const keys = INCIDENTS.map(([, firing, resolved]) => {
      expect(incidentKeyOf(resolved)).toBe(incidentKeyOf(firing));
      expect(incidentKeyOf(firing)).not.toBe(`alert:${firing.fingerprint}`);
      return incidentKeyOf(firing);
    });
    expect(new Set(keys).size).toBe(keys.length);
    // Alerts with nothing to resolve them stand alone.
    expect(incidentKeyOf(testMessage)).toBe(`alert:${testMessage.fingerprint}`);
    expect(incidentKeyOf(HEALTH["failure-ratio-onedrive"])).toBe("failure-ratio:objects:3");
  });

  it.each(INCIDENTS.slice(0, 6))("%s: the resolved notice turns the posted card green instead of posting", async (_name, firing, resolved) => {
    await install(CHANNEL);
    await deliver([firing]);
    expect(connector.posts()).toHaveLength(1);
    clock = minutes(45);
    const sent = await deliver([resolved]);
    expect(sent.messageId).toBe("activity-1");
    expect(connector.posts()).toHaveLength(1);
    expect(connector.puts().map((p) => p.activityId)).toEqual(["activity-1"]);
    const green = cardIn(connector.puts()[0]);
    expect(green["body"]).toEqual(expect.arrayContaining([expect.objectContaining({ type: "Container", style: "good" })]));
    expect(JSON.stringify(green)).toContain("Resolved at 2026-11-29 09:05 UTC");
    expect(validateAdaptiveCard(green, { targetVersion: "1.5" }).errors).toEqual([]);
    expect((await service.cards.get(TENANT, firing.fingerprint, CHANNEL))?.state).toBe("resolved");
  });
});

describe("snooze", () => {
  it("suppresses the incident's next alerts until it expires", async () => {
    await install(CHANNEL);
    await deliver([seatsCritical]);
    clock = minutes(1);
    const answer = await press(CHANNEL, "activity-1", BOT_VERBS.snooze4h, seatsCritical);
    expect(JSON.stringify(answer.jsonBody)).toContain("Snoozed by Ada Lovelace until 2026-11-29 12:21 UTC");
    expect(await service.snoozes.isSnoozed(TENANT, seatsCritical.fingerprint, clock)).toBe(true);

    // A reminder for the same metric two hours later: silenced (delivered as far as the ledger is concerned).
    clock = minutes(120);
    const reminder: Alert = { ...makeLicenseAlert({ ...seatsCritical, reason: "reminder" }), fingerprint: "1".repeat(32) };
    expect(reminder.fingerprint).not.toBe(seatsCritical.fingerprint);
    const silenced = await deliver([reminder]);
    expect(silenced).toMatchObject({ status: 204, messageId: "snoozed" });
    expect(connector.posts()).toHaveLength(1);

    // After 4 hours the snooze has expired: the next reminder is posted.
    clock = minutes(121);
    expect(await service.snoozes.isSnoozed(TENANT, seatsCritical.fingerprint, clock)).toBe(false);
    await deliver([{ ...makeLicenseAlert({ ...seatsCritical, reason: "reminder" }), fingerprint: "2".repeat(32) }]);
    expect(connector.posts()).toHaveLength(2);
  });
});

describe("through the outbox", () => {
  it("delivers admitted alerts as teams-bot messages and the ledger keeps the activity id", async () => {
    await install(CHANNEL);
    const clients = createTableClients(settings.storage!, settings.tablePrefix, { retryOptions: { maxRetries: 0 } });
    const ledger = new AlertLedger(clients, { now: () => clock });
    await ledger.ensureTables();
    await ledger.admit([failedExchangeJob], [TEAMS_BOT_RECEIVER]);
    const result = await deliverPending({
      ledger,
      receivers: [{ channel: service.channel(recordingLogger()) }],
      tenant: TENANT,
      render: RENDER_CONTEXT,
      groupThreshold: 3,
      owner: "test-run",
      now: () => clock,
      unavailableSince: new Map(),
      logger: recordingLogger(),
    });
    expect(result).toMatchObject({ delivered: 1, failed: 0, messages: 1 });
    const row = await clients.alerts.getEntity<{ state: string; messageId: string }>(tenantPartitionKey(TENANT), `${failedExchangeJob.fingerprint}~${TEAMS_BOT_RECEIVER}`);
    expect(row.state).toBe("delivered");
    expect(row.messageId).toBe("activity-1");
    expect((await service.cards.get(TENANT, failedExchangeJob.fingerprint, CHANNEL))?.activityId).toBe("activity-1");
  });
});

describe("a digest to several conversations (review D2)", () => {
  it("goes to 3 conversations where one fails twice: each conversation gets it exactly once", async () => {
    const GROUP = "19:group-chat-with-ops@unq.gbl.spaces";
    for (const id of [CHANNEL, PERSONAL, GROUP]) await install(id);
    const clients = createTableClients(settings.storage!, settings.tablePrefix, { retryOptions: { maxRetries: 0 } });
    const ledger = new AlertLedger(clients, { now: () => clock });
    await ledger.ensureTables();
    await ledger.admit(manyJobAlerts(3), [TEAMS_BOT_RECEIVER]);
    // Two deliveries' worth of 504s (each delivery retries its budget) for the group chat only.
    connector.script(GROUP, ...Array.from({ length: 10 }, () => ({ status: 504 })));
    const results = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      clock = minutes(5);
      results.push(
        await deliverPending({
          ledger,
          receivers: [{ channel: service.channel(recordingLogger()) }],
          tenant: TENANT,
          render: RENDER_CONTEXT,
          groupThreshold: 2, // 3 alerts: one digest
          owner: `run-${cycle}`,
          now: () => clock,
          unavailableSince: new Map(),
          logger: recordingLogger(),
        }),
      );
    }
    expect(results.map((r) => [r.messages, r.delivered])).toEqual([[0, 0], [0, 0], [1, 3]]);
    const posts = (id: string) => connector.posts().filter((p) => p.conversationId === id);
    expect(posts(CHANNEL)).toHaveLength(1);
    expect(posts(PERSONAL)).toHaveLength(1);
    // 10 refused attempts, then the one that arrived.
    expect(posts(GROUP)).toHaveLength(11);
    expect(JSON.stringify(posts(CHANNEL)[0]!.body)).toContain(manyJobAlerts(3)[2]!.job.id);
    expect(await ledger.pending(TENANT)).toEqual([]);
  });
});

describe("delivery to the Bot Connector", () => {
  it("prunes a conversation the connector answers 403 for, and still delivers to the others", async () => {
    await install(CHANNEL);
    await install(PERSONAL);
    connector.script(PERSONAL, { status: 403 });
    const sent = await deliver([failedExchangeJob]);
    expect(sent.messageId).toBeDefined();
    expect(connector.posts().map((p) => p.conversationId).sort()).toEqual([CHANNEL, PERSONAL].sort());
    expect((await service.installations.list(TENANT)).map((i) => i.conversationId)).toEqual([CHANNEL]);
    expect(logs.some((l) => l.includes("HTTP 403") && l.includes("forgotten"))).toBe(true);
  });

  it("retries 429 honouring Retry-After, once per attempt (the SDK's own retries are off)", async () => {
    await install(CHANNEL);
    connector.script(CHANNEL, { status: 429, headers: { "retry-after": "7" } }, { status: 502 });
    const sent = await deliver([failedExchangeJob]);
    expect(sent.attempts).toBe(3);
    expect(connector.posts()).toHaveLength(3);
    expect(waits[0]).toBeGreaterThanOrEqual(7000);
  });

  it("gives up after the retry budget with a retryable DeliveryError, and a later try skips conversations that already have the card", async () => {
    await install(CHANNEL);
    await install(PERSONAL);
    connector.script(PERSONAL, ...Array.from({ length: 5 }, () => ({ status: 504 })));
    const error = await deliver([failedExchangeJob]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(true);
    expect((error as DeliveryError).message).toContain("1 of 2 conversations");
    expect((error as DeliveryError).message).not.toContain(BOT_PASSWORD);
    const before = connector.posts().filter((p) => p.conversationId === CHANNEL).length;
    await deliver([failedExchangeJob]);
    expect(connector.posts().filter((p) => p.conversationId === CHANNEL)).toHaveLength(before);
    expect(connector.posts().filter((p) => p.conversationId === PERSONAL)).toHaveLength(6);
  });

  it("keeps alerts pending while the app is installed nowhere", async () => {
    const error = await deliver([failedExchangeJob]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toMatch(/not installed/);
  });

  it("paces sends to one conversation (about 7 per second)", async () => {
    await install(CHANNEL);
    const channel = service.channel(recordingLogger());
    for (const message of buildTeamsBotMessages([failedExchangeJob, seatsCritical], RENDER_CONTEXT, { groupThreshold: 3 })) await channel.send(message.payload);
    expect(waits).toEqual([150]);
  });

  it("is the receiver named teams-bot and never shows the bot's password", async () => {
    const channel = service.channel(recordingLogger());
    expect(channel.name).toBe(TEAMS_BOT_RECEIVER);
    expect(channel.kind).toBe("teams-bot");
    expect(JSON.stringify(settings.bot)).not.toContain(BOT_PASSWORD);
    expect(logs.join("\n")).not.toContain(BOT_PASSWORD);
  });
});

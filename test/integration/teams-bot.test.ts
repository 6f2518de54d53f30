import { randomBytes } from "node:crypto";
import functions from "@azure/functions";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { Alert } from "../../shared/alerts/model.js";
import { AuthenticationError } from "@azure/identity";
import { ServerError } from "@azure/msal-node";
import { DeliveryError } from "../../shared/receivers/channel.js";
import { TeamsBotChannel } from "../../shared/receivers/teams-bot.js";
import { toConnectorError } from "../../shared/bot/teams-app.js";
import { deliverPending } from "../../shared/receivers/outbox.js";
import { AlertLedger, createTableClients } from "../../shared/ledger/index.js";
import { tenantPartitionKey } from "../../shared/ledger/keys.js";
import { TeamsBotRateLimiter } from "../../shared/receivers/teams-rate-limit.js";
import { parseSettings, type Settings } from "../../shared/config/settings.js";
import { createBotService, type BotService } from "../../shared/bot/service.js";
import { DEFAULT_TEAMS_BOT_RECEIVER } from "../../shared/config/routing-file.js";
import type { Logger } from "../../shared/logging.js";
import { BOT_VERBS, buildTeamsBotMessages, type BotVerb } from "../../shared/render/bot-card.js";
import { incidentKeyOf } from "../../shared/alerts/incident.js";
import { fingerprintOf } from "../../shared/alerts/fingerprint.js";
import { ALERT_FIXTURES, exchangeRecovery, failedExchangeJob, makeLicenseAlert, manyJobAlerts, RENDER_CONTEXT, seatsCritical, TENANT } from "../support/alert-fixtures.js";
import { certificateExpiring7, certificateRenewed, degradedCredential, degradedResolved, testMessage } from "../support/monitoring-fixtures.js";
import { APP_REMOVED, cardIn, MESSAGE_DELETED, startFakeBotConnector, type FakeBotConnector } from "../support/fake-bot-connector.js";
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
/** How Teams names a post's thread in a channel: every message and card action there carries it as conversation.id. */
const THREAD = (rootId: string) => `${CHANNEL};messageid=${rootId}`;
const OUR_TENANT = "8a6f3b2e-4c1d-4e5f-9a7b-0c1d2e3f4a5b";
const OTHER_TENANT = "f00dfeed-0000-4000-8000-00000000beef";
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
      ALERTS_STORAGE: inject("azuriteConnectionString"),
      ALERTS_TABLE_PREFIX: `bot${randomBytes(4).toString("hex")}`,
      ALERT_TENANT_NAME: TENANT,
      TEAMS_BOT_APP_ID: "11111111-2222-3333-4444-555555555555",
      TEAMS_BOT_APP_PASSWORD: BOT_PASSWORD,
      TEAMS_BOT_TENANT_ID: OUR_TENANT,
    },
    { requireAvePoint: false },
  );
  service = createBotService({
    settings,
    authentication: { kind: "unauthenticated" },
    tableOptions: { retryOptions: { maxRetries: 0 } },
    now: () => clock,
    channelOptions: { now: () => clock.getTime(), sleep: async (ms) => void waits.push(ms), random: () => 0 },
    limiter: new TeamsBotRateLimiter(),
  });
});

let waits: number[] = [];
afterEach(() => {
  waits = [];
});

function conversationOf(id: string, tenantId: string) {
  return id.startsWith(CHANNEL)
    ? { id, conversationType: "channel", isGroup: true, tenantId, ...(id === CHANNEL ? { name: "On-call" } : {}) }
    : { id, conversationType: "personal", tenantId };
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

/** An activity as Teams sends it: tenant in channelData and conversation, channel and team ids for a channel. */
function baseActivity(conversationId: string, extra: Record<string, unknown>, tenantId = OUR_TENANT): Record<string, unknown> {
  return {
    id: `in-${randomBytes(4).toString("hex")}`,
    channelId: "msteams",
    serviceUrl: connector.serviceUrl,
    from: ADA,
    recipient: BOT,
    conversation: conversationOf(conversationId, tenantId),
    channelData: { tenant: { id: tenantId }, ...(conversationId.startsWith(CHANNEL) ? { team: { id: "19:team@thread.tacv2" }, channel: { id: CHANNEL } } : {}) },
    timestamp: clock.toISOString(),
    ...extra,
  };
}

const install = (conversationId: string) => post(baseActivity(conversationId, { type: "installationUpdate", action: "add" }));
const uninstall = (conversationId: string) => post(baseActivity(conversationId, { type: "installationUpdate", action: "remove" }));

/** A button press on a posted card; in a channel Teams names the card's thread (`;messageid=<card>`), not the channel. */
function press(conversationId: string, activityId: string, verb: BotVerb, alert: Alert, tenantId = OUR_TENANT) {
  return post(
    baseActivity(conversationId === CHANNEL ? THREAD(activityId) : conversationId, {
      type: "invoke",
      name: "adaptiveCard/action",
      replyToId: activityId,
      value: { action: { type: "Action.Execute", verb, data: { tenant: alert.tenant, fingerprint: alert.fingerprint } }, trigger: "manual" },
    }, tenantId),
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

describe("in a team channel, as Teams names its threads (conversation.id ending ;messageid=…)", () => {
  it("a button pressed on a channel card records the press and updates that card", async () => {
    await install(CHANNEL);
    await deliver([failedExchangeJob]);
    const answer = await press(CHANNEL, "activity-1", BOT_VERBS.acknowledge, failedExchangeJob);
    expect(JSON.stringify(answer.jsonBody)).toContain("Acknowledged by Ada Lovelace");
    expect((await service.cards.get(TENANT, failedExchangeJob.fingerprint, CHANNEL))?.state).toBe("acknowledged");
    expect(connector.puts().map((p) => [p.conversationId, p.activityId])).toEqual([[THREAD("activity-1"), "activity-1"]]);
  });

  it("an @mention in a thread of the channel adds no installation: the next alert is posted once, to the channel", async () => {
    await install(CHANNEL);
    await post(baseActivity(THREAD("9999"), { type: "message", text: "<at>Cloud Backup Alerts</at> hi", replyToId: "9999" }));
    expect((await service.installations.list(TENANT)).map((i) => i.conversationId)).toEqual([CHANNEL]);
    connector.reset();
    await deliver([seatsCritical]);
    expect(connector.posts().map((p) => p.conversationId)).toEqual([CHANNEL]);
  });

  it("drops a thread an older release stored as an installation, so the channel gets each alert once", async () => {
    await install(CHANNEL);
    const installed = (await service.installations.list(TENANT))[0]!;
    await service.installations.remember(TENANT, { ...installed.reference, conversation: { ...installed.reference.conversation, id: THREAD("9999") } }, clock);
    expect((await service.installations.list(TENANT)).map((i) => i.conversationId)).toEqual([CHANNEL]);
    await deliver([seatsCritical]);
    expect(connector.posts().map((p) => p.conversationId)).toEqual([CHANNEL]);
    expect(await service.installations.get(TENANT, THREAD("9999"))).toBeUndefined();
  });

  it("an @mention in a channel the app was not installed in registers nothing there", async () => {
    const other = "19:general@thread.tacv2";
    await post({ ...baseActivity(THREAD("77"), { type: "message", text: "<at>Cloud Backup Alerts</at> hi" }), conversation: { id: `${other};messageid=77`, conversationType: "channel", isGroup: true, tenantId: OUR_TENANT } });
    expect(await service.installations.list(TENANT)).toEqual([]);
  });
});

describe("only the bot's own tenant (TEAMS_BOT_ALLOWED_TENANTS, default TEAMS_BOT_TENANT_ID)", () => {
  it("refuses installs, messages and button presses from another tenant: nothing stored, nothing sent there", async () => {
    await install(CHANNEL);
    await deliver([failedExchangeJob]);
    connector.reset();
    const outsider = "a:1outsider-personal-chat";
    await post(baseActivity(outsider, { type: "installationUpdate", action: "add" }, OTHER_TENANT));
    await post(baseActivity(outsider, { type: "message", text: "hi" }, OTHER_TENANT));
    const pressed = await press(CHANNEL, "activity-1", BOT_VERBS.snooze24h, failedExchangeJob, OTHER_TENANT);
    expect(pressed.status).not.toBe(200);
    expect((await service.installations.list(TENANT)).map((i) => i.conversationId)).toEqual([CHANNEL]);
    expect(await service.snoozes.isSnoozed(TENANT, failedExchangeJob.fingerprint, clock)).toBe(false);
    expect((await service.cards.get(TENANT, failedExchangeJob.fingerprint, CHANNEL))?.state).toBe("open");
    expect(connector.calls).toEqual([]);
    await deliver([seatsCritical]);
    expect(connector.posts().map((p) => p.conversationId)).toEqual([CHANNEL]);
    expect(logs.filter((l) => l.includes("refused"))).toEqual([
      expect.stringContaining(`refused a installationUpdate activity from Teams tenant "${OTHER_TENANT}"`),
      expect.stringContaining(`refused a message activity from Teams tenant "${OTHER_TENANT}"`),
      expect.stringContaining(`refused a invoke activity from Teams tenant "${OTHER_TENANT}"`),
    ]);
  });

  it("refuses an activity that names no tenant", async () => {
    const activity = baseActivity(PERSONAL, { type: "installationUpdate", action: "add" });
    await post({ ...activity, channelData: {}, conversation: { id: PERSONAL, conversationType: "personal" } });
    expect(await service.installations.list(TENANT)).toEqual([]);
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
    await ledger.admit([failedExchangeJob], [DEFAULT_TEAMS_BOT_RECEIVER]);
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
    const row = await clients.alerts.getEntity<{ state: string; messageId: string }>(tenantPartitionKey(TENANT), `${failedExchangeJob.fingerprint}~${DEFAULT_TEAMS_BOT_RECEIVER}`);
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
    await ledger.admit(manyJobAlerts(3), [DEFAULT_TEAMS_BOT_RECEIVER]);
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
  it("prunes a conversation the connector answers 403 BotNotInConversationRoster for, and still delivers to the others", async () => {
    await install(CHANNEL);
    await install(PERSONAL);
    connector.script(PERSONAL, APP_REMOVED);
    const sent = await deliver([failedExchangeJob]);
    expect(sent.messageId).toBeDefined();
    expect(connector.posts().map((p) => p.conversationId).sort()).toEqual([CHANNEL, PERSONAL].sort());
    expect((await service.installations.list(TENANT)).map((i) => i.conversationId)).toEqual([CHANNEL]);
    expect(logs.some((l) => l.includes("HTTP 403 (BotNotInConversationRoster)") && l.includes("forgotten"))).toBe(true);
  });

  it("keeps a conversation whose POST is refused for another reason (403 without an uninstall code), and fails the send", async () => {
    await install(CHANNEL);
    connector.script(CHANNEL, { status: 403, code: "Forbidden" });
    const error = await deliver([failedExchangeJob]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(false);
    expect((error as DeliveryError).message).toContain("HTTP 403 (Forbidden)");
    expect((await service.installations.list(TENANT)).map((i) => i.conversationId)).toEqual([CHANNEL]);
  });

  it("keeps the channel when one of its cards was deleted (PUT answered 403): the recovery is posted as a new card, later alerts arrive", async () => {
    await install(CHANNEL);
    await deliver([failedExchangeJob]);
    connector.script(CHANNEL, MESSAGE_DELETED);
    clock = minutes(30);
    const recovery = await deliver([exchangeRecovery]);
    expect(connector.puts().map((p) => p.activityId)).toEqual(["activity-1"]);
    expect(connector.posts().map((p) => p.conversationId)).toEqual([CHANNEL, CHANNEL]);
    expect(recovery.messageId).toBe("activity-2");
    expect((await service.installations.list(TENANT)).map((i) => i.conversationId)).toEqual([CHANNEL]);
    expect((await service.cards.get(TENANT, failedExchangeJob.fingerprint, CHANNEL))?.state).toBe("resolved");
    await deliver([seatsCritical]);
    expect(connector.posts()).toHaveLength(3);
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

  it("keeps to Teams' limits per conversation: 7 in 1 s, 8 in 2 s, 60 in 30 s", async () => {
    await install(CHANNEL);
    const channel = service.channel(recordingLogger());
    const alerts = Array.from({ length: 70 }, (_, i) => ({ ...seatsCritical, fingerprint: i.toString(16).padStart(32, "0") }));
    let elapsed = 0;
    const at: number[] = [];
    for (const alert of alerts) {
      const [message] = buildTeamsBotMessages([alert], RENDER_CONTEXT, { groupThreshold: 3 });
      const before = waits.length;
      await channel.send(message!.payload);
      elapsed += waits.slice(before).reduce((a, b) => a + b, 0);
      clock = new Date(clock.getTime() + waits.slice(before).reduce((a, b) => a + b, 0));
      at.push(elapsed);
    }
    expect(connector.posts()).toHaveLength(70);
    const inWindow = (ms: number) => Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + ms).length));
    expect(inWindow(1_000)).toBe(7);
    expect(inWindow(2_000)).toBe(8);
    expect(inWindow(30_000)).toBe(60);
    // No slower than the limits require: the 61st post waits for the 30 s window, not longer.
    expect(at[60]).toBe(30_000);
  });

  it("treats a token Entra refuses as final, naming the settings to check (MSAL and @azure/identity errors)", async () => {
    const refusals = [
      new ServerError("invalid_client", "AADSTS700016: Application with identifier '1111' was not found in the directory 'botframework.com'."),
      new AuthenticationError(400, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." }),
    ];
    for (const refusal of refusals) {
      const error = toConnectorError(refusal);
      expect(error.signIn).toBe(true);
      expect(error.message).toMatch(/could not get its token from Microsoft Entra.*TEAMS_BOT_APP_TYPE.*TEAMS_BOT_TENANT_ID/);
    }
    // Entra unreachable is worth another try.
    expect(toConnectorError(new ServerError("network_error", "Network request failed")).signIn).toBe(false);

    await install(CHANNEL);
    let calls = 0;
    const refusing = { ...service.connector, send: async () => { calls++; throw toConnectorError(refusals[0]); } };
    const channel = new TeamsBotChannel({ name: DEFAULT_TEAMS_BOT_RECEIVER, connector: refusing, installations: service.installations, cards: service.cards, snoozes: service.snoozes, tenant: TENANT, now: () => clock.getTime(), sleep: async () => {}, limiter: new TeamsBotRateLimiter() });
    const [message] = buildTeamsBotMessages([failedExchangeJob], RENDER_CONTEXT, { groupThreshold: 3 });
    const error = await channel.send(message!.payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(false);
    expect((error as DeliveryError).message).toMatch(/TEAMS_BOT_APP_TYPE/);
    expect((error as DeliveryError).message).not.toMatch(/throttling or unavailable/);
    expect(calls).toBe(1);
  });

  it("is the receiver named teams-bot and never shows the bot's password", async () => {
    const channel = service.channel(recordingLogger());
    expect(channel.name).toBe(DEFAULT_TEAMS_BOT_RECEIVER);
    expect(channel.kind).toBe("teams-bot");
    expect(JSON.stringify(settings.bot)).not.toContain(BOT_PASSWORD);
    expect(logs.join("\n")).not.toContain(BOT_PASSWORD);
  });
});

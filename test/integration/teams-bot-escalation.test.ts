/**
 * Escalation end to end: jobs cycles through the composition root
 * (createRuntime) against the AvePoint simulator and Azurite; the Teams bot
 * posts through a fake Bot Connector on 127.0.0.1 and takes button presses
 * in-process; the escalation receivers are a recording Workflows webhook and
 * a real SMTP server, both on port 0. Only the clock is injected (and waits).
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import functions from "@azure/functions";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterEach, describe, expect, inject, it } from "vitest";
import { settingProblemLines } from "../support/setting-problems.js";
import { createAvePointClient } from "../../shared/avepoint/index.js";
import { ESCALATION_FINGERPRINT_PREFIX, escalationStep } from "../../shared/bot/escalation.js";
import { createBotService, type BotService } from "../../shared/bot/service.js";
import { SendPacer } from "../../shared/receivers/pacing.js";
import { TeamsBotRateLimiter } from "../../shared/receivers/teams-rate-limit.js";
import { parseSettings, type Settings } from "../../shared/config/settings.js";
import { AlertLedger, createTableClients } from "../../shared/ledger/index.js";
import { BOT_VERBS } from "../../shared/render/bot-card.js";
import { buildReceiver } from "../../shared/receivers/registry.js";
import { createRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import { AvePointSimulator } from "../simulator/index.js";
import { cardIn, startFakeBotConnector, type FakeBotConnector } from "../support/fake-bot-connector.js";
import { startRecordingReceiver, type RecordingReceiver } from "../support/recording-receiver.js";
import { validateAdaptiveCard } from "../support/validate-card.js";
import { capturingLogger } from "../support/capturing-logger.js";

const { HttpRequest } = functions;

const T0 = new Date("2026-11-29T08:00:00Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const CHANNEL = "19:oncall-channel@thread.tacv2";
const OUR_TENANT = "8a6f3b2e-4c1d-4e5f-9a7b-0c1d2e3f4a5b";
const ONCALL = "ada.lovelace@contoso.com";
const BOT_PASSWORD = `pw-${randomBytes(8).toString("hex")}`;

interface World {
  settings: Settings;
  runtime: Runtime;
  bot: BotService;
  connector: FakeBotConnector;
  hook: RecordingReceiver;
  mail: ParsedMail[];
  ledger: AlertLedger;
  clock: { now: Date };
  logs: string[];
  simulator: AvePointSimulator;
  cycle(): ReturnType<Runtime["run"]>;
  /** Every ledger row as `receiver:state`, escalations marked. */
  rows(): Promise<string[]>;
  press(activityId: string, verb: string, fingerprint: string): Promise<unknown>;
  stop(): Promise<void>;
}

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/** A world with a failed Exchange backup waiting in the simulator and the bot installed in one channel. */
async function startWorld(overrides: Record<string, string> = {}): Promise<World> {
  const simulator = await AvePointSimulator.start({ clientId: "test-client", clientSecret: "test-secret-value" });
  const connector = await startFakeBotConnector();
  const hook = await startRecordingReceiver();
  const mail: ParsedMail[] = [];
  const smtp = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          mail.push(parsed);
          callback();
        },
        (error: unknown) => callback(error as Error),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
  const settings = parseSettings({
    AVEPOINT_CLIENT_ID: "test-client",
    AVEPOINT_CLIENT_SECRET: "test-secret-value",
    AVEPOINT_API_URL: simulator.url,
    AVEPOINT_TOKEN_URL: simulator.tokenUrl,
    ALERTS_STORAGE: inject("azuriteConnectionString"),
    ALERTS_TABLE_PREFIX: `e${randomBytes(5).toString("hex")}`,
    ALERT_TENANT_NAME: "Contoso",
    TEAMS_BOT_APP_ID: "11111111-2222-3333-4444-555555555555",
    TEAMS_BOT_APP_PASSWORD: BOT_PASSWORD,
    TEAMS_BOT_TENANT_ID: OUR_TENANT,
    EMAIL_FROM: "backup-alerts@contoso.com",
    EMAIL_TO: "oncall@contoso.com",
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String((smtp.server.address() as AddressInfo).port),
    SMTP_REQUIRE_TLS: "false",
    HOOK_ONCALL: hook.url,
    ALERT_ROUTES: JSON.stringify({
      receivers: {
        "teams-bot": { type: "teams-bot" },
        "oncall-hook": { type: "teams-workflows", urlFrom: "HOOK_ONCALL" },
        "oncall-mail": { type: "email", to: ["oncall@contoso.com"] },
      },
      default: "teams-bot",
    }),
    ...overrides,
  });
  const clock = { now: T0 };
  const logs: string[] = [];
  const logger = capturingLogger(logs, { debug: false });
  const noWait = async () => {};
  const fastRetry = { maxAttempts: 2, baseDelayInMs: 1, maxDelayInMs: 5, maxTotalInMs: 60_000 };
  const bot = createBotService({
    settings,
    authentication: { kind: "unauthenticated" },
    tableOptions: { retryOptions: { maxRetries: 0 } },
    now: () => clock.now,
    channelOptions: { now: () => clock.now.getTime(), sleep: noWait, random: () => 0 },
    limiter: new TeamsBotRateLimiter(),
  });
  const receivers = settings.routing.receivers.map((spec) =>
    spec.type === "teams-bot"
      ? { channel: bot.channel(logger, spec.name) }
      : buildReceiver(spec, { settings, logger, workflows: { retryPolicy: fastRetry, sleep: noWait, minIntervalInMs: 0, pacer: new SendPacer(), timeoutInMs: 2_000 } }),
  );
  const runtime = createRuntime(settings, {
    now: () => clock.now,
    reader: createAvePointClient(settings.avepoint, { retryPolicy: fastRetry, sleep: noWait, logger, timeoutInMs: 2_000 }),
    receivers,
  });
  const tables = createTableClients(settings.storage!, settings.tablePrefix);
  const ledger = new AlertLedger(tables, { now: () => clock.now });

  const activity = (extra: Record<string, unknown>) => ({
    id: `in-${randomBytes(4).toString("hex")}`,
    channelId: "msteams",
    serviceUrl: connector.serviceUrl,
    from: { id: "29:grace", name: "Grace Hopper", aadObjectId: "00000000-0000-0000-0000-0000000g7ace" },
    recipient: { id: "28:cloud-backup-alerts-bot", name: "Cloud Backup Alerts" },
    conversation: { id: CHANNEL, conversationType: "channel", isGroup: true, tenantId: OUR_TENANT },
    channelData: { tenant: { id: OUR_TENANT }, team: { id: "19:team@thread.tacv2" }, channel: { id: CHANNEL } },
    timestamp: clock.now.toISOString(),
    ...extra,
  });
  const post = (body: Record<string, unknown>) =>
    bot.handle(new HttpRequest({ method: "POST", url: "https://func.example/api/messages", headers: { "content-type": "application/json" }, body: { string: JSON.stringify(body) } }), logger);
  await post(activity({ type: "installationUpdate", action: "add" }));
  simulator.tenant.addJob({ id: "IB-ESC-1", state: "Failed", startTime: at(-50), finishTime: at(-20), objectType: 1, counts: { total: 10, failed: 3, successful: 7, skipped: 0 } });

  return {
    settings,
    runtime,
    bot,
    connector,
    hook,
    mail,
    ledger,
    clock,
    logs,
    simulator,
    cycle: () => runtime.run("jobs", logger),
    async rows() {
      const rows: string[] = [];
      for await (const e of tables.alerts.listEntities<{ receiver: string; state: string; fingerprint: string }>()) {
        if (e.rowKey?.startsWith("!")) continue; // the ledger's open-work markers
        rows.push(`${e.fingerprint.startsWith(ESCALATION_FINGERPRINT_PREFIX) ? "escalation" : "alert"}→${e.receiver}:${e.state}`);
      }
      return rows.sort();
    },
    press: (activityId, verb, fingerprint) =>
      post({
        ...activity({ type: "invoke", name: "adaptiveCard/action", replyToId: activityId, value: { action: { type: "Action.Execute", verb, data: { tenant: "Contoso", fingerprint } }, trigger: "manual" } }),
        // In a channel Teams names the pressed card's thread, not the channel.
        conversation: { id: `${CHANNEL};messageid=${activityId}`, conversationType: "channel", isGroup: true, tenantId: OUR_TENANT },
      }),
    async stop() {
      await simulator.stop();
      await connector.stop();
      await hook.stop();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}

/** The first cycle posts the failed job's card (activity-1); returns the alert's fingerprint. */
async function firstCycle(w: World): Promise<string> {
  const first = await w.cycle();
  expect(first).toMatchObject({ ok: true, delivery: { delivered: 1 } });
  expect(w.connector.posts()).toHaveLength(1);
  const cards = await w.bot.cards.overdue("Contoso", w.clock.now);
  expect(cards.map((c) => [c.activityId, c.receiver, c.alert.kind])).toEqual([["activity-1", "teams-bot", "job"]]);
  return cards[0]!.fingerprint;
}

type MentionCard = { body: unknown[]; msteams: { entities?: { type: string; text: string; mentioned: { id: string; name: string } }[] }; actions: { verb?: string; data?: { fingerprint: string } }[] };

describe("escalation of unacknowledged critical bot alerts (ESCALATE_AFTER_MINUTES, default 30)", () => {
  it("re-posts through the bot after the timeout, once, @mentioning ONCALL_UPN; its buttons act on the original alert", async () => {
    const w = (world = await startWorld({ ONCALL_UPN: ONCALL }));
    expect(w.settings.bot?.escalation).toEqual({ afterMinutes: 30, oncallUpn: ONCALL });
    const fingerprint = await firstCycle(w);

    w.clock.now = at(29);
    await w.cycle();
    expect(w.connector.posts()).toHaveLength(1);

    w.clock.now = at(31);
    const escalating = await w.cycle();
    expect(escalating.delivery).toMatchObject({ delivered: 1, failed: 0 });
    const posts = w.connector.posts();
    expect(posts).toHaveLength(2);
    const escalation = posts[1]!;
    expect(escalation.conversationId).toBe(CHANNEL);
    expect(escalation.body["summary"]).toMatch(/^Escalated: \[CRITICAL\] Backup job failed/);
    const card = cardIn(escalation) as unknown as MentionCard;
    expect(validateAdaptiveCard(card, { targetVersion: "1.5" }).errors).toEqual([]);
    expect(card.msteams.entities).toEqual([{ type: "mention", text: `<at>${ONCALL}</at>`, mentioned: { id: ONCALL, name: ONCALL } }]);
    const texts = JSON.stringify(card.body);
    expect(texts).toContain(`On call: <at>${ONCALL}</at>`);
    expect(texts).toContain("Escalated: not acknowledged within 30 minutes");
    expect(card.actions.filter((a) => a.verb).map((a) => a.data?.fingerprint)).toEqual([fingerprint, fingerprint, fingerprint, fingerprint]);
    expect(await w.rows()).toEqual(["alert→teams-bot:delivered", "escalation→teams-bot:delivered"]);
    expect(w.logs.filter((l) => l.includes("escalat"))).toEqual([expect.stringMatching(/^warn Teams bot: 1 critical alert\(s\) not acknowledged within 30 minutes escalated/)]);

    // Acknowledging on the escalated card acknowledges the alert; nothing is escalated again.
    const answer = (await w.press("activity-2", BOT_VERBS.acknowledge, fingerprint)) as { jsonBody: { value: unknown } };
    expect((await w.bot.cards.get("Contoso", fingerprint, CHANNEL))?.state).toBe("acknowledged");
    // The pressed escalation keeps its own content (banner, @mention) with the new status…
    const pressed = JSON.stringify(answer.jsonBody.value);
    expect(pressed).toContain("Escalated: not acknowledged within 30 minutes");
    expect(pressed).toContain(`<at>${ONCALL}</at>`);
    expect(pressed).toContain("Acknowledged by Grace Hopper");
    // …and the original alert's card is updated too: acknowledged, no Acknowledge button left.
    await w.bot.settled();
    expect(w.connector.puts().map((p) => p.activityId)).toEqual(["activity-2", "activity-1"]);
    const original = cardIn(w.connector.puts()[1]) as unknown as MentionCard;
    expect(JSON.stringify(original.body)).toContain("Acknowledged by Grace Hopper");
    expect(JSON.stringify(original.body)).not.toContain("Escalated");
    expect(original.actions.map((a) => a.verb).filter(Boolean)).not.toContain(BOT_VERBS.acknowledge);
    expect(JSON.stringify(cardIn(w.connector.puts()[0]))).toContain("Escalated: not acknowledged within 30 minutes");
    w.clock.now = at(90);
    await w.cycle();
    expect(w.connector.posts()).toHaveLength(2);
    expect(w.logs.join("\n")).not.toContain(BOT_PASSWORD);
  });

  it("goes to a Workflows receiver (ESCALATION_RECEIVER) as a 1.4 card carrying the mention entity", async () => {
    const w = (world = await startWorld({ ONCALL_UPN: ONCALL, ESCALATION_RECEIVER: "oncall-hook" }));
    await firstCycle(w);
    w.clock.now = at(31);
    await w.cycle();
    expect(w.connector.posts()).toHaveLength(1);
    expect(w.hook.requests).toHaveLength(1);
    const body = w.hook.requests[0]!.body as { summary: string; attachments: { content: MentionCard }[] };
    expect(body.summary).toMatch(/^Escalated: \[CRITICAL\] Backup job failed/);
    const card = body.attachments[0]!.content;
    expect(validateAdaptiveCard(card).errors).toEqual([]);
    expect(card.msteams.entities).toEqual([{ type: "mention", text: `<at>${ONCALL}</at>`, mentioned: { id: ONCALL, name: ONCALL } }]);
    expect(JSON.stringify(card.body)).toContain(`<at>${ONCALL}</at>`);
    expect(await w.rows()).toEqual(["alert→teams-bot:delivered", "escalation→oncall-hook:delivered"]);
    expect(w.logs.join("\n")).not.toContain(w.hook.sig);
  });

  it("goes to an email receiver with Escalated in the subject and the on-call user named", async () => {
    const w = (world = await startWorld({ ONCALL_UPN: ONCALL, ESCALATION_RECEIVER: "oncall-mail" }));
    await firstCycle(w);
    w.clock.now = at(31);
    await w.cycle();
    expect(w.mail).toHaveLength(1);
    expect(w.mail[0]!.subject).toMatch(/^Escalated: /);
    expect(w.mail[0]!.text).toContain("Escalated: not acknowledged within 30 minutes in Teams. On call: ada.lovelace@contoso.com.");
    expect(await w.rows()).toEqual(["alert→teams-bot:delivered", "escalation→oncall-mail:delivered"]);
  });

  it("does not escalate an acknowledged or a snoozed alert", async () => {
    const w = (world = await startWorld({ ESCALATION_RECEIVER: "oncall-hook" }));
    const fingerprint = await firstCycle(w);
    w.clock.now = at(5);
    await w.press("activity-1", BOT_VERBS.snooze4h, fingerprint);
    w.clock.now = at(31);
    await w.cycle();
    expect(w.hook.requests).toHaveLength(0);
    await w.press("activity-1", BOT_VERBS.acknowledge, fingerprint);
    w.clock.now = at(5 * 60);
    await w.cycle();
    expect(w.hook.requests).toHaveLength(0);
    expect(await w.rows()).toEqual(["alert→teams-bot:delivered"]);
  });

  it("escalates once when two cycles overlap", async () => {
    const w = (world = await startWorld({ ESCALATION_RECEIVER: "oncall-hook" }));
    await firstCycle(w);
    w.clock.now = at(31);
    const [a, b] = await Promise.all([w.cycle(), w.cycle()]);
    expect(a.delivery.delivered + b.delivery.delivered).toBe(1);
    expect(w.hook.requests).toHaveLength(1);
    w.clock.now = at(36);
    await w.cycle();
    expect(w.hook.requests).toHaveLength(1);
    expect(await w.rows()).toEqual(["alert→teams-bot:delivered", "escalation→oncall-hook:delivered"]);
  });

  it("survives a crash after admission and a receiver that is down: the ledger delivers it later, once", async () => {
    const w = (world = await startWorld({ ESCALATION_RECEIVER: "oncall-hook" }));
    await firstCycle(w);
    // A run that admitted the escalation and died before delivering it.
    w.clock.now = at(31);
    await escalationStep(w.settings)!(w.ledger, w.clock.now, { error() {}, warn() {}, info() {}, debug() {} });
    expect(await w.rows()).toEqual(["alert→teams-bot:delivered", "escalation→oncall-hook:pending"]);
    // The next cycle finds the receiver down: the escalation stays pending.
    w.hook.setDefault({ status: 503, headers: { "Retry-After": "0" } });
    w.clock.now = at(35);
    const down = await w.cycle();
    expect(down.delivery).toMatchObject({ delivered: 0, failed: 1 });
    // Back up: delivered once.
    w.hook.setDefault({ status: 202 });
    w.clock.now = at(40);
    await w.cycle();
    // Two refused attempts (the channel's retries), then the one that arrived.
    expect(w.hook.requests.map((r) => (r.body as { summary: string }).summary.startsWith("Escalated: "))).toEqual([true, true, true]);
    expect(await w.rows()).toEqual(["alert→teams-bot:delivered", "escalation→oncall-hook:delivered"]);
  });

  it("is off with ESCALATE_AFTER_MINUTES=0", async () => {
    const w = (world = await startWorld({ ESCALATE_AFTER_MINUTES: "0", ESCALATION_RECEIVER: "oncall-hook" }));
    expect(escalationStep(w.settings)).toBeUndefined();
    await firstCycle(w);
    w.clock.now = at(6 * 60);
    await w.cycle();
    expect(w.hook.requests).toHaveLength(0);
    expect(w.connector.posts()).toHaveLength(1);
  });
});

describe("escalation settings", () => {
  const bot = { TEAMS_BOT_APP_ID: "app", TEAMS_BOT_APP_PASSWORD: "pw", TEAMS_BOT_TENANT_ID: OUR_TENANT };
  const problemsOf = (values: Record<string, string>) => settingProblemLines(values, { requireAvePoint: false });

  it("defaults to 30 minutes, re-posting through the bot, without a mention", () => {
    expect(parseSettings(bot, { requireAvePoint: false }).bot?.escalation).toEqual({ afterMinutes: 30 });
  });

  it("accepts a default receiver name and a UPN", () => {
    const settings = parseSettings({ ...bot, TEAMS_WEBHOOK_URL: "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x", ESCALATION_RECEIVER: "teams", ONCALL_UPN: "o'neil_2@contoso.co.uk" }, { requireAvePoint: false });
    expect(settings.bot?.escalation).toEqual({ afterMinutes: 30, receiver: "teams", oncallUpn: "o'neil_2@contoso.co.uk" });
  });

  it.each([
    [{ ...bot, ESCALATION_RECEIVER: "pager" }, /^ESCALATION_RECEIVER: "pager" is not a receiver; the receivers are teams-bot/],
    [{ ...bot, ONCALL_UPN: "Ada Lovelace" }, /^ONCALL_UPN: must be a user principal name/],
    [{ ...bot, ONCALL_UPN: "<at>x</at>@contoso.com" }, /^ONCALL_UPN: must be a user principal name/],
    [{ ...bot, ESCALATE_AFTER_MINUTES: "-5" }, /^ESCALATE_AFTER_MINUTES: /],
    [{ ESCALATION_RECEIVER: "teams" }, /^ESCALATION_RECEIVER: is set but TEAMS_BOT_APP_ID is not/],
    [{ ONCALL_UPN: ONCALL }, /^ONCALL_UPN: is set but TEAMS_BOT_APP_ID is not/],
  ])("refuses %j", (values, problem) => {
    expect(problemsOf(values)).toEqual([expect.stringMatching(problem)]);
  });
});

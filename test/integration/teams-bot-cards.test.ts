import { describe, expect, it } from "vitest";
import type { Alert } from "../../shared/alerts/model.js";
import type { BotCardStatus } from "../../shared/alerts/incident.js";
import { BOT_VERBS, buildTeamsBotMessages, renderBotAlertCard, type BotAdaptiveCard } from "../../shared/render/bot-card.js";
import { buildWorkflowsMessages, renderAlertCard } from "../../shared/render/index.js";
import {
  exchangeRecovery,
  failedExchangeJob,
  hostileTextJob,
  manyJobAlerts,
  RENDER_CONTEXT,
  seatsCritical,
  storageResolved,
} from "../support/alert-fixtures.js";
import { golden, goldenJsonText } from "../support/golden.js";
import { validateAdaptiveCard } from "../support/validate-card.js";
import { escalationOf } from "../../shared/bot/escalation.js";

function expectGolden(name: string, value: unknown): void {
  const actual = goldenJsonText(value);
  expect(actual).toBe(golden(`cards-bot/${name}.json`, actual));
}

const AT = new Date("2026-11-29T08:30:00Z");
const escalatedExchangeJob = escalationOf(failedExchangeJob, { afterMinutes: 30, oncallUpn: "oncall@contoso.com" });

const STATES: [string, Alert, BotCardStatus][] = [
  ["job-failed-open", failedExchangeJob, {}],
  ["job-failed-acknowledged", failedExchangeJob, { acknowledged: { by: "Ada Lovelace", at: AT } }],
  ["job-failed-snoozed", failedExchangeJob, { snoozed: { by: "Ada Lovelace", until: new Date("2026-11-29T12:30:00Z") } }],
  ["job-failed-escalated", failedExchangeJob, { escalatedAfterMinutes: 30 }],
  ["job-failed-escalation-mentioning-oncall", escalatedExchangeJob, {}],
  ["job-failed-escalation-acknowledged", escalatedExchangeJob, { acknowledged: { by: "Ada Lovelace", at: AT } }],
  [
    "job-failed-resolved-by-monitor",
    failedExchangeJob,
    { acknowledged: { by: "Ada Lovelace", at: AT }, resolved: { at: new Date("2026-11-29T09:45:00Z"), summary: "[RESOLVED] Backups succeed again: Exchange Online" } },
  ],
  ["license-seats-critical-resolved-by-hand", seatsCritical, { resolved: { at: AT, by: "Grace Hopper" } }],
  ["job-hostile-acknowledged-by-hostile-name", hostileTextJob, { acknowledged: { by: "[Mallory](https://evil.example) **bold**", at: AT } }],
];

function card(alert: Alert, status: BotCardStatus): BotAdaptiveCard {
  return renderBotAlertCard(alert, RENDER_CONTEXT, status).attachments[0].content;
}

describe("Teams bot cards (Adaptive Card 1.5)", () => {
  it.each(STATES)("%s matches its golden file and validates as 1.5", (name, alert, status) => {
    const c = card(alert, status);
    expectGolden(name, c);
    const { errors } = validateAdaptiveCard(c, { targetVersion: "1.5" });
    expect(errors).toEqual([]);
  });

  it("is the Workflows card of the same alert, raised to 1.5 with buttons (the builders are shared)", () => {
    const workflows = renderAlertCard(failedExchangeJob, RENDER_CONTEXT);
    const bot = card(failedExchangeJob, {});
    expect(bot.version).toBe("1.5");
    expect(bot.body).toEqual(workflows.body);
    expect(bot.fallbackText).toBe(workflows.fallbackText);
    expect(bot.actions.map((a) => a.title)).toEqual(["Acknowledge", "Snooze 4 h", "Snooze 24 h", "Resolve", "Open AvePoint Online Services"]);
    for (const action of bot.actions) {
      if (action.type === "Action.Execute") expect(action.data).toEqual({ tenant: failedExchangeJob.tenant, fingerprint: failedExchangeJob.fingerprint });
    }
  });

  it("drops Acknowledge once acknowledged, and every button once resolved", () => {
    expect(card(failedExchangeJob, { acknowledged: { by: "A", at: AT } }).actions.map((a) => a.type === "Action.Execute" && a.verb)).toEqual([
      BOT_VERBS.snooze4h,
      BOT_VERBS.snooze24h,
      BOT_VERBS.resolve,
      false,
    ]);
    expect(card(failedExchangeJob, { resolved: { at: AT } }).actions.every((a) => a.type === "Action.OpenUrl")).toBe(true);
  });

  it("turns the header green when resolved", () => {
    const header = card(failedExchangeJob, { resolved: { at: AT } }).body[0];
    expect(header).toMatchObject({ type: "Container", style: "good" });
    expect(JSON.stringify(header)).toContain("Resolved: Backup job failed: Exchange Online");
  });

  it("shows display names as text, never as links or markdown", () => {
    const text = JSON.stringify(card(hostileTextJob, { acknowledged: { by: "[Mallory](https://evil.example) **bold**", at: AT } }));
    expect(text).not.toContain("[Mallory](https://evil.example)");
    expect(text).not.toContain("**bold**");
  });

  it("gives resolved notices and digests no buttons, and groups like the Workflows path", () => {
    const resolved = buildTeamsBotMessages([exchangeRecovery, storageResolved], RENDER_CONTEXT, { groupThreshold: 3 });
    expect(resolved).toHaveLength(2);
    for (const m of resolved) {
      expect(m.payload.single).toBe(true);
      expect(m.payload.activity.attachments[0].content.actions.every((a) => a.type === "Action.OpenUrl")).toBe(true);
    }
    const digest = buildTeamsBotMessages(manyJobAlerts(5), RENDER_CONTEXT, { groupThreshold: 3 });
    expect(digest).toHaveLength(1);
    expect(digest[0]?.payload.single).toBe(false);
    expect(digest[0]?.fingerprints).toHaveLength(5);
    const content = digest[0]!.payload.activity.attachments[0].content;
    expectGolden("digest-5", content);
    expect(validateAdaptiveCard(content, { targetVersion: "1.5" }).errors).toEqual([]);
    expect(content.actions.every((a) => a.type === "Action.OpenUrl")).toBe(true);
  });

  it("posts an escalation on its own card, even past the digest threshold, with the mention and buttons acting on the original alert", () => {
    const messages = buildTeamsBotMessages([...manyJobAlerts(4), escalatedExchangeJob], RENDER_CONTEXT, { groupThreshold: 3 });
    expect(messages.map((m) => [m.payload.single, m.fingerprints.length])).toEqual([
      [true, 1],
      [false, 4],
    ]);
    const escalation = messages[0]!.payload.activity;
    expect(escalation.summary).toMatch(/^Escalated: \[CRITICAL\] Backup job failed: Exchange Online/);
    const content = escalation.attachments[0].content;
    expect(content.msteams.entities).toEqual([{ type: "mention", text: "<at>oncall@contoso.com</at>", mentioned: { id: "oncall@contoso.com", name: "oncall@contoso.com" } }]);
    for (const action of content.actions) if (action.type === "Action.Execute") expect(action.data.fingerprint).toBe(failedExchangeJob.fingerprint);
    // The Workflows card of the escalation (1.4) carries the same mention.
    const workflows = buildWorkflowsMessages([escalatedExchangeJob], RENDER_CONTEXT, { groupThreshold: 3 })[0]!.payload.attachments[0].content;
    expect(workflows.msteams.entities).toEqual(content.msteams.entities);
    expect(validateAdaptiveCard(workflows).errors).toEqual([]);
    // Once acknowledged, the escalation keeps its own content (an edit notifies nobody again) and shows who took it.
    const taken = card(escalatedExchangeJob, { acknowledged: { by: "Ada Lovelace", at: AT } });
    expect(JSON.stringify(taken.body)).toContain("Escalated: not acknowledged within 30 minutes");
    expect(JSON.stringify(taken.body)).toContain("Acknowledged by Ada Lovelace");
    expect(taken.msteams.entities).toEqual(content.msteams.entities);
    expect(taken.actions.some((a) => a.type === "Action.Execute" && a.verb === "alert.acknowledge")).toBe(false);
  });

  it("carries the activity summary Teams shows in notifications", () => {
    const [message] = buildTeamsBotMessages([failedExchangeJob], RENDER_CONTEXT, { groupThreshold: 3 });
    expect(message?.payload.activity.summary).toMatch(/^\[CRITICAL\] Backup job failed: Exchange Online/);
    expect(message?.payload.activity.attachments[0].contentType).toBe("application/vnd.microsoft.card.adaptive");
  });
});

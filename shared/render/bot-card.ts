import type { BotCardStatus } from "../alerts/incident.js";
import type { Alert, RenderContext } from "../alerts/model.js";
import { headerBand, textBlock, type AdaptiveCard, type CardElement, type Container, type OpenUrlAction } from "./adaptive-card.js";
import { escapeMarkdown, truncateText } from "./escape.js";
import { formatUtc } from "./format.js";
import { ADAPTIVE_CARD_CONTENT_TYPE, buildAlertMessage, buildWorkflowsMessages, WORKFLOWS_MAX_BYTES } from "./workflows.js";

/**
 * The Teams bot's variant of the alert cards: the same cards the Workflows
 * path posts (built by the same builders, shrunk by the same size budget),
 * raised to Adaptive Card 1.5 for Universal Actions (`Action.Execute`), with
 * Acknowledge / Snooze / Resolve buttons and a status line that the bot
 * rewrites in place when someone presses one or the monitor sees the problem
 * resolve. Pure: sending and state live in shared/bot and shared/receivers.
 */

const BOT_CARD_VERSION = "1.5";

/** The verbs the bot's `Action.Execute` buttons send; handled in shared/bot/actions.ts. */
export const BOT_VERBS = {
  acknowledge: "alert.acknowledge",
  snooze4h: "alert.snooze.4h",
  snooze24h: "alert.snooze.24h",
  resolve: "alert.resolve",
} as const;
export type BotVerb = (typeof BOT_VERBS)[keyof typeof BOT_VERBS];

/** What a button carries back: enough to find the alert's card row, nothing secret. */
export interface BotActionData {
  tenant: string;
  fingerprint: string;
}

interface ExecuteAction {
  type: "Action.Execute";
  title: string;
  verb: BotVerb;
  data: BotActionData;
  style?: "default" | "positive" | "destructive";
}

export interface BotAdaptiveCard extends Omit<AdaptiveCard, "version" | "actions"> {
  version: typeof BOT_CARD_VERSION;
  actions: (OpenUrlAction | ExecuteAction)[];
}

export interface BotActivity {
  type: "message";
  summary: string;
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; content: BotAdaptiveCard }];
}

/** Display names come from Teams users: shown as text, never as markdown or links. */
const MAX_NAME_CHARS = 80;

function person(name: string): string {
  return escapeMarkdown(truncateText(name.replace(/\s+/g, " ").trim() || "someone", MAX_NAME_CHARS));
}

function statusLines(status: BotCardStatus): CardElement[] {
  const lines: CardElement[] = [];
  if (status.escalatedAfterMinutes !== undefined && !status.acknowledged && !status.resolved) {
    lines.push(textBlock(`Escalated: not acknowledged within ${status.escalatedAfterMinutes} minutes`, { weight: "bolder", color: "attention" }));
  }
  if (status.acknowledged) {
    lines.push(textBlock(`Acknowledged by ${person(status.acknowledged.by)} at ${formatUtc(status.acknowledged.at)}`, { weight: "bolder" }));
  }
  if (status.snoozed && !status.resolved) {
    lines.push(textBlock(`Snoozed by ${person(status.snoozed.by)} until ${formatUtc(status.snoozed.until)}`, { isSubtle: true }));
  }
  if (status.resolved) {
    const how = status.resolved.by ? `Resolved by ${person(status.resolved.by)}` : "Resolved";
    lines.push(textBlock(`${how} at ${formatUtc(status.resolved.at)}`, { weight: "bolder", color: "good" }));
    // The summary is the resolving notice's plain preview line, which can quote API text: shown as text only.
    if (status.resolved.summary) lines.push(textBlock(escapeMarkdown(status.resolved.summary), { isSubtle: true, spacing: "none" }));
  }
  if (lines.length === 0) return [];
  return [{ type: "Container", separator: true, spacing: "medium", items: lines }];
}

function buttons(target: BotActionData, status: BotCardStatus): ExecuteAction[] {
  if (status.resolved) return [];
  const action = (title: string, verb: BotVerb, style?: ExecuteAction["style"]): ExecuteAction => ({
    type: "Action.Execute",
    title,
    verb,
    data: { tenant: target.tenant, fingerprint: target.fingerprint },
    ...(style ? { style } : {}),
  });
  const list: ExecuteAction[] = [];
  if (!status.acknowledged) list.push(action("Acknowledge", BOT_VERBS.acknowledge, "positive"));
  list.push(action("Snooze 4 h", BOT_VERBS.snooze4h), action("Snooze 24 h", BOT_VERBS.snooze24h), action("Resolve", BOT_VERBS.resolve));
  return list;
}

/** The header band turned green: a resolved incident reads as resolved before anything else. */
function resolvedHeader(band: Container): Container {
  const [title, subtitle] = band.items;
  const titleText = title?.type === "TextBlock" ? title.text : "Alert";
  const subtitleText = subtitle?.type === "TextBlock" ? subtitle.text : "";
  const text = titleText.startsWith("Resolved") ? titleText : `Resolved: ${titleText}`;
  return headerBand("good", text, subtitleText || "RESOLVED");
}

/**
 * Raises a card built for Workflows to the bot's 1.5 variant. `target` is the
 * alert the buttons act on; null (a digest) gets no buttons.
 */
export function toBotCard(card: AdaptiveCard, target: BotActionData | null, status: BotCardStatus = {}): BotAdaptiveCard {
  const [first, ...rest] = card.body;
  const header = status.resolved && first?.type === "Container" && first.bleed ? resolvedHeader(first) : first;
  const body = [...(header ? [header] : []), ...rest, ...statusLines(status)];
  return {
    ...card,
    version: BOT_CARD_VERSION,
    body,
    actions: [...(target ? buttons(target, status) : []), ...card.actions],
  };
}

function botActivity(card: BotAdaptiveCard, summary: string): BotActivity {
  return { type: "message", summary, attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }] };
}

/**
 * What the buttons of an alert's card act on: the alert itself, or for an
 * escalation the alert escalated (acknowledging either card acknowledges it).
 * A resolved notice is news, not an incident to act on: it gets no buttons.
 */
function buttonTarget(alert: Alert): BotActionData | null {
  if (alert.status === "resolved") return null;
  return { tenant: alert.tenant, fingerprint: alert.escalation?.of ?? alert.fingerprint };
}

/** One alert's bot card in its current status, shrunk like the Workflows card to stay within Teams' size limit. */
export function renderBotAlertCard(alert: Alert, ctx: RenderContext, status: BotCardStatus = {}, maxBytes: number = WORKFLOWS_MAX_BYTES): BotActivity {
  // An escalation keeps its own content (banner, @mention) in every status: updating a message does not notify again.
  const built = buildAlertMessage(alert, ctx, maxBytes);
  const card = toBotCard(built.payload.attachments[0].content, buttonTarget(alert), status);
  return botActivity(card, built.payload.summary);
}

/** What the outbox hands the `teams-bot` channel: the activity to post plus what the bot must remember about it. */
export interface TeamsBotMessage {
  kind: "teams-bot";
  activity: BotActivity;
  /** The alerts this post carries (one, or a digest's). */
  alerts: Alert[];
  /** True for one alert's own card: its activity id is kept, so buttons and resolutions update it in place. */
  single: boolean;
  render: RenderContext;
}

export function isTeamsBotMessage(payload: object): payload is TeamsBotMessage {
  const p = payload as Partial<TeamsBotMessage>;
  return p.kind === "teams-bot" && typeof p.activity === "object" && Array.isArray(p.alerts) && typeof p.single === "boolean";
}

/**
 * The bot's posts for one batch of alerts: one card per alert (with buttons),
 * or digest posts above `groupThreshold`, exactly as the Workflows path groups them.
 */
export function buildTeamsBotMessages(
  alerts: readonly Alert[],
  ctx: RenderContext,
  options: { groupThreshold: number; maxBytes?: number },
): { payload: TeamsBotMessage; fingerprints: string[] }[] {
  const byFingerprint = new Map(alerts.map((a) => [a.fingerprint, a]));
  return buildWorkflowsMessages(alerts, ctx, options).map((message) => {
    const carried = message.fingerprints.map((f) => byFingerprint.get(f)).filter((a): a is Alert => a !== undefined);
    // One alert's own card (escalations always get one), not a digest that happens to list one alert.
    const single = carried.length === 1 && (alerts.length <= options.groupThreshold || carried[0]?.escalation !== undefined);
    const alert = carried[0];
    const target = single && alert ? buttonTarget(alert) : null;
    const card = toBotCard(message.payload.attachments[0].content, target);
    return {
      payload: { kind: "teams-bot", activity: botActivity(card, message.payload.summary), alerts: carried, single, render: ctx },
      fingerprints: message.fingerprints,
    };
  });
}

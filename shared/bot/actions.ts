import type { RenderContext } from "../alerts/model.js";
import type { Logger } from "../logging.js";
import { BOT_VERBS, renderBotAlertCard, type BotAdaptiveCard, type BotCardStatus, type BotVerb } from "../render/bot-card.js";
import type { CardStore, CardState, PostedCard } from "./cards.js";
import type { CardActionRequest } from "./contracts.js";
import type { SnoozeStore } from "./snoozes.js";

/**
 * What the card buttons do. Each press is recorded in Table Storage (who,
 * when), and the card is drawn again from the stored alert in its new status;
 * the SDK layer replaces the card for everyone in the conversation.
 *
 *   Acknowledge   "Acknowledged by <name> at <time>"; stops escalation
 *   Snooze 4/24 h a silence on the alert's fingerprint and incident until then
 *   Resolve       marked resolved by hand; the card turns green, buttons go
 *
 * Teams waits about 5 seconds for the answer: past `answerBudgetInMs` the
 * press is answered with a short message instead of hanging.
 */

export const SNOOZE_HOURS: Partial<Record<BotVerb, number>> = { [BOT_VERBS.snooze4h]: 4, [BOT_VERBS.snooze24h]: 24 };

export interface CardActionDeps {
  cards: CardStore;
  snoozes: SnoozeStore;
  render: RenderContext;
  now: () => Date;
  logger: Logger;
  /** Default 4 000 ms: inside Teams' 5 s, leaving time for the answer to travel. */
  answerBudgetInMs?: number;
}

export const DEFAULT_ANSWER_BUDGET_IN_MS = 4_000;

/** Tries the conditional write again when a concurrent press changed the row first. */
const MAX_CONFLICT_RETRIES = 3;

export async function handleCardAction(request: CardActionRequest, deps: CardActionDeps): Promise<BotAdaptiveCard | string> {
  const budget = deps.answerBudgetInMs ?? DEFAULT_ANSWER_BUDGET_IN_MS;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("That took too long to record; please press the button again."), budget);
  });
  try {
    return await Promise.race([apply(request, deps), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function apply(request: CardActionRequest, deps: CardActionDeps): Promise<BotAdaptiveCard | string> {
  const { data, actor, verb } = request;
  if (typeof data?.tenant !== "string" || typeof data?.fingerprint !== "string") return "This button does not belong to an alert card of this app.";
  const conversationId = request.reference.conversation.id;
  for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
    const card = await deps.cards.get(data.tenant, data.fingerprint, conversationId);
    if (!card) return "This alert is no longer tracked here (it may come from an earlier installation of the app).";
    const now = deps.now();
    const change = changeFor(verb, card, actor.name, now);
    if (!change) return `Unknown action "${verb}".`;
    if (change.snoozeUntil) await deps.snoozes.snooze(card.alert, change.snoozeUntil, actor.name, now);
    const updated = await deps.cards.update(card, { state: change.state, status: change.status });
    if (!updated) continue; // Someone pressed a button on the same card at the same moment: decide again on the new row.
    deps.logger.info(`Teams bot: ${verb} on alert ${card.fingerprint}`, { fingerprint: card.fingerprint, verb });
    return renderBotAlertCard(card.alert, deps.render, updated.status).attachments[0].content;
  }
  return "Others are updating this alert right now; please try again.";
}

function changeFor(verb: BotVerb, card: PostedCard, who: string, now: Date): { state: CardState; status: BotCardStatus; snoozeUntil?: Date } | undefined {
  const status = card.status;
  switch (verb) {
    case BOT_VERBS.acknowledge:
      // The first acknowledgement stands; pressing again (an old card on another device) changes nothing.
      return { state: card.state === "resolved" ? "resolved" : "acknowledged", status: status.acknowledged ? status : { ...status, acknowledged: { by: who, at: now } } };
    case BOT_VERBS.snooze4h:
    case BOT_VERBS.snooze24h: {
      const until = new Date(now.getTime() + (SNOOZE_HOURS[verb] ?? 4) * 3_600_000);
      return { state: card.state, status: { ...status, snoozed: { by: who, until } }, snoozeUntil: until };
    }
    case BOT_VERBS.resolve:
      return { state: "resolved", status: status.resolved ? status : { ...status, resolved: { at: now, by: who } } };
    default:
      return undefined;
  }
}

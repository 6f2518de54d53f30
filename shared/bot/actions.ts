import type { RenderContext } from "../alerts/model.js";
import type { Logger } from "../logging.js";
import type { BotCardStatus } from "../alerts/incident.js";
import { BOT_VERBS, renderBotAlertCard, type BotAdaptiveCard, type BotVerb } from "../render/bot-card.js";
import type { CardStore, CardState, PostedCard } from "../ledger/bot-cards.js";
import type { CardActionRequest } from "./contracts.js";
import { ESCALATION_FINGERPRINT_PREFIX } from "./escalation.js";
import type { SnoozeStore } from "../ledger/snoozes.js";

/**
 * What the card buttons do. Each press is recorded in Table Storage (who,
 * when), and the card is drawn again from the stored alert in its new status;
 * the SDK layer replaces the pressed card for everyone in the conversation.
 *
 *   Acknowledge   "Acknowledged by <name> at <time>"; stops escalation
 *   Snooze 4/24 h a silence on the alert's fingerprint and incident until then
 *   Resolve       marked resolved by hand; the card turns green, buttons go
 *
 * The buttons of an escalation act on the alert it escalated: the pressed
 * escalation keeps its own content (with the new status), and the original
 * alert's card, here and in every other conversation that shows it, is
 * updated too. Those other updates run after the answer (`followUp`): Teams
 * waits about 5 seconds for it, and past ANSWER_BUDGET_IN_MS the press is
 * answered with a short message instead of hanging.
 */

const SNOOZE_HOURS: Partial<Record<BotVerb, number>> = { [BOT_VERBS.snooze4h]: 4, [BOT_VERBS.snooze24h]: 24 };

interface CardActionDeps {
  cards: CardStore;
  snoozes: SnoozeStore;
  render: RenderContext;
  now: () => Date;
  logger: Logger;
  /**
   * Redraws another message that shows the alert (the original card, other
   * conversations' cards). Runs after the answer was sent.
   */
  redraw?: (card: PostedCard) => Promise<void>;
  /** Runs work after the answer; failures are the callee's to log. Default: not awaited. */
  followUp?: (work: () => Promise<void>) => void;
}

/**
 * Teams waits about 5 s, and after this handler the SDK still replaces the
 * pressed card for everyone (a token and a PUT to the Bot Connector) before the answer leaves.
 */
const ANSWER_BUDGET_IN_MS = 2_500;

/** Tries the conditional write again when a concurrent press changed the row first. */
const MAX_CONFLICT_RETRIES = 3;

export async function handleCardAction(request: CardActionRequest, deps: CardActionDeps): Promise<BotAdaptiveCard | string> {
  const budget = ANSWER_BUDGET_IN_MS;
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
  const card = await deps.cards.get(data.tenant, data.fingerprint, conversationId);
  if (!card) return "This alert is no longer tracked here (it may come from an earlier installation of the app).";
  if (!changeFor(verb, card, actor.name, deps.now())) return `Unknown action "${verb}".`;
  const updated = await applyTo(card, request, deps, true);
  if (!updated) return "Others are updating this alert right now; please try again.";
  deps.logger.info(`Teams bot: ${verb} on alert ${card.fingerprint}`, { fingerprint: card.fingerprint, verb });

  // The pressed message: the alert's own card, or its escalation in this conversation.
  let pressed = updated;
  if (request.activityId && request.activityId !== card.activityId) {
    const escalation = await deps.cards.get(data.tenant, `${ESCALATION_FINGERPRINT_PREFIX}${data.fingerprint}`, conversationId);
    if (escalation?.activityId === request.activityId) pressed = (await applyTo(escalation, request, deps)) ?? escalation;
  }
  const followUp = deps.followUp ?? ((work) => void work());
  if (deps.redraw) followUp(() => redrawOthers(pressed, request, deps));
  return renderBotAlertCard(pressed.alert, deps.render, pressed.status).attachments[0].content;
}

/** Records the press on one card row; undefined when concurrent presses kept winning. */
async function applyTo(card: PostedCard, request: CardActionRequest, deps: CardActionDeps, writeSnooze = false): Promise<PostedCard | undefined> {
  let current: PostedCard | undefined = card;
  for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES && current; attempt++) {
    const now = deps.now();
    const change = changeFor(request.verb, current, request.actor.name, now);
    if (!change) return undefined;
    // One snooze for the alert, written with the card the user pressed.
    if (change.snoozeUntil && writeSnooze && attempt === 0) await deps.snoozes.snooze(card.alert, change.snoozeUntil, request.actor.name, now);
    const updated = await deps.cards.update(current, { state: change.state, status: change.status });
    if (updated) return updated;
    // Someone pressed a button on the same card at the same moment: decide again on the new row.
    current = await deps.cards.get(current.tenant, current.fingerprint, current.conversationId);
  }
  return undefined;
}

/** Every other message showing the alert (its card and escalations, in every conversation): same press recorded, redrawn. */
async function redrawOthers(pressed: PostedCard, request: CardActionRequest, deps: CardActionDeps): Promise<void> {
  const { tenant, fingerprint } = request.data;
  const shown = [...(await deps.cards.forAlert(tenant, fingerprint)), ...(await deps.cards.forAlert(tenant, `${ESCALATION_FINGERPRINT_PREFIX}${fingerprint}`))];
  for (const other of shown) {
    if (other.conversationId === pressed.conversationId && other.activityId === pressed.activityId) continue;
    const updated = await applyTo(other, request, deps);
    if (!updated) continue;
    try {
      await deps.redraw!(updated);
    } catch (error) {
      deps.logger.warn(`Teams bot: could not redraw a card of alert ${fingerprint} after a button press: ${error instanceof Error ? error.message : String(error)}`, {
        fingerprint,
      });
    }
  }
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

import type { Alert } from "../alerts/model.js";
import type { EscalationSettings, Settings } from "../config/settings.js";
import type { AlertLedger } from "../ledger/index.js";
import type { Logger } from "../logging.js";
import { CardStore, type PostedCard } from "../ledger/bot-cards.js";
import { createBotTables, type BotTables } from "../ledger/bot-tables.js";
import { SnoozeStore } from "../ledger/snoozes.js";

/**
 * Escalation (ESCALATE_AFTER_MINUTES, default 30; 0 = off): a critical alert
 * the Teams bot posted that nobody acknowledged, resolved or snoozed within
 * the timeout is escalated once. Only bot cards are looked at: only they can
 * be acknowledged, so a deployment without the bot never escalates.
 *
 * An escalation is an alert like any other: the original again, with
 * `escalation` set and the fingerprint `escalate:<original fingerprint>`,
 * admitted to the ledger for the escalation receiver (ESCALATION_RECEIVER,
 * else the bot receiver that posted the card, which posts it again in its
 * conversations). The cycle's outbox then claims, sends and records it, so it
 * is retried when the receiver is down, handed to the receiver's fallback,
 * and sent once however many runs overlap (admission is insert-if-absent).
 *
 * Per alert, over the conversations its card went to:
 *   a card acknowledged or resolved       not escalated (the cards are marked, so they are not looked at again)
 *   snoozed (its card, or its incident)   not escalated while the snooze lasts
 *   otherwise, posted ≥ timeout ago       escalated
 *
 * Order: admit, then mark the cards `escalated`. A crash in between finds the
 * cards again next cycle, and the admission is then a no-op.
 */

export const ESCALATION_FINGERPRINT_PREFIX = "escalate:";

interface EscalationOptions {
  tenant: string;
  settings: EscalationSettings;
  cards: Pick<CardStore, "overdue" | "forAlert" | "update">;
  snoozes: Pick<SnoozeStore, "active">;
  ledger: Pick<AlertLedger, "admit">;
  /** The cycle's pinned time. */
  now: Date;
  logger: Logger;
}

/** The escalation of an alert: same content (detected when it was), its own identity. */
export function escalationOf(alert: Alert, settings: EscalationSettings): Alert {
  return {
    ...alert,
    fingerprint: `${ESCALATION_FINGERPRINT_PREFIX}${alert.fingerprint}`,
    identity: `${ESCALATION_FINGERPRINT_PREFIX}${alert.identity}`,
    escalation: { of: alert.fingerprint, afterMinutes: settings.afterMinutes, ...(settings.oncallUpn ? { oncallUpn: settings.oncallUpn } : {}) },
  };
}

async function admitEscalations(options: EscalationOptions): Promise<void> {
  const { tenant, settings, cards, now, logger } = options;
  const overdue = await cards.overdue(tenant, new Date(now.getTime() - settings.afterMinutes * 60_000));
  // An escalation card is never escalated itself (record() marks it; this guards older rows).
  const candidates = new Map<string, PostedCard>();
  for (const card of overdue) if (!card.alert.escalation && !candidates.has(card.fingerprint)) candidates.set(card.fingerprint, card);
  if (candidates.size === 0) return;

  const snoozed = await options.snoozes.active(tenant, now);
  const due: { alert: Alert; receiver: string; cards: PostedCard[] }[] = [];
  const settled: PostedCard[] = [];
  for (const [fingerprint, card] of candidates) {
    const all = await cards.forAlert(tenant, fingerprint);
    const open = all.filter((c) => c.state === "open" && !c.escalated);
    // Acknowledged or resolved on some card: settle the rest. Snoozed: leave it alone.
    if (all.some((c) => c.state !== "open")) settled.push(...open);
    else if (!snoozed.covers(card.alert) && !all.some((c) => c.status.snoozed && c.status.snoozed.until > now)) {
      due.push({ alert: card.alert, receiver: settings.receiver ?? card.receiver, cards: open });
    }
  }

  const byReceiver = new Map<string, Alert[]>();
  for (const d of due) byReceiver.set(d.receiver, [...(byReceiver.get(d.receiver) ?? []), escalationOf(d.alert, settings)]);
  let admitted = 0;
  for (const [receiver, alerts] of byReceiver) admitted += (await options.ledger.admit(alerts, [receiver])).length;

  // Marking is bookkeeping for the overdue query; a button pressed meanwhile wins the row, which is fine.
  for (const d of due) for (const card of d.cards) await cards.update(card, { escalated: true, status: { ...card.status, escalatedAfterMinutes: settings.afterMinutes } });
  for (const card of settled) await cards.update(card, { escalated: true });
  if (admitted > 0) {
    logger.warn(`Teams bot: ${admitted} critical alert(s) not acknowledged within ${settings.afterMinutes} minutes escalated`, {
      receivers: [...byReceiver.keys()],
    });
  }
}

/**
 * The pipeline's escalation step when the bot is configured and
 * ESCALATE_AFTER_MINUTES is not 0 (else undefined): admits escalations of
 * overdue bot alerts (admitEscalations) before the cycle delivers. It reads the
 * bot's tables only; the Teams SDK is not loaded. A failure is logged, not
 * thrown: the cycle still delivers, and the next cycle looks again.
 */
export function escalationStep(settings: Settings, options: { tables?: BotTables } = {}): ((ledger: Pick<AlertLedger, "admit">, now: Date, logger: Logger) => Promise<void>) | undefined {
  const escalation = settings.bot?.escalation;
  if (!escalation || escalation.afterMinutes <= 0) return undefined;
  let stores: { cards: CardStore; snoozes: SnoozeStore } | undefined;
  return async (ledger, now, logger) => {
    try {
      if (!stores) {
        const tables = options.tables ?? (settings.storage ? createBotTables(settings.storage, settings.tablePrefix) : undefined);
        if (!tables) return;
        stores = { cards: new CardStore(tables.cards), snoozes: new SnoozeStore(tables.snoozes) };
      }
      await admitEscalations({ tenant: settings.alerts.tenantName, settings: escalation, ...stores, ledger, now, logger });
    } catch (error) {
      logger.warn(`Teams bot: escalation check failed; it runs again next cycle: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  };
}

import type { RenderContext } from "../alerts/model.js";
import type { Logger } from "../logging.js";
import { renderBotAlertCard } from "../render/bot-card.js";
import type { CardStore } from "./cards.js";
import type { BotConnector } from "./contracts.js";
import type { InstallationStore } from "./installations.js";

/**
 * Escalation (TEAMS_BOT_ESCALATE_MINUTES, 0 = off): a critical alert card
 * nobody acknowledged (or resolved) within the timeout is posted once more in
 * its conversation, marked "Escalated", so it surfaces again in the channel's
 * activity feed. Runs after each monitor cycle. The card row is marked
 * escalated with a conditional write before the post, so of two overlapping
 * runs only one re-posts; a failed post is not retried (the original card is
 * still there), it is logged.
 */
export interface EscalationDeps {
  tenant: string;
  escalateMinutes: number;
  cards: CardStore;
  installations: InstallationStore;
  connector: BotConnector;
  render: RenderContext;
  now: () => Date;
  logger: Logger;
}

export interface EscalationResult {
  escalated: number;
  failed: number;
}

export async function escalateOverdue(deps: EscalationDeps): Promise<EscalationResult> {
  const result: EscalationResult = { escalated: 0, failed: 0 };
  if (deps.escalateMinutes <= 0) return result;
  const now = deps.now();
  const overdue = await deps.cards.overdue(deps.tenant, new Date(now.getTime() - deps.escalateMinutes * 60_000));
  if (overdue.length === 0) return result;
  const installations = new Map((await deps.installations.list(deps.tenant)).map((i) => [i.conversationId, i]));
  for (const card of overdue) {
    const installation = installations.get(card.conversationId);
    const status = { ...card.status, escalatedAfterMinutes: deps.escalateMinutes };
    const claimed = await deps.cards.update(card, { escalated: true, status });
    if (!claimed || !installation) continue;
    try {
      const activity = renderBotAlertCard(card.alert, deps.render, status);
      await deps.connector.send(installation.reference, { ...activity, summary: `Escalated: ${activity.summary}` });
      result.escalated++;
    } catch (error) {
      result.failed++;
      deps.logger.warn(`Teams bot: could not escalate alert ${card.fingerprint}: ${error instanceof Error ? error.message : String(error)}`, { fingerprint: card.fingerprint });
    }
  }
  if (result.escalated > 0) deps.logger.info(`Teams bot: escalated ${result.escalated} unacknowledged critical alert(s)`);
  return result;
}

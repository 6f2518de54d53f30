import type { AlertEscalation } from "../alerts/model.js";
import { textBlock, type AdaptiveCard, type CardElement, type MentionEntity } from "./adaptive-card.js";
import type { EmailDocument } from "./email-document.js";

/**
 * An escalation (shared/bot/escalation.ts) is the original alert drawn again,
 * marked as escalated and, with ONCALL_UPN, @mentioning the on-call user.
 * Pure: the card and email builders call these for alerts with `escalation`.
 *
 * The mention follows Teams' card mentions: the `<at>…</at>` text inside a
 * TextBlock plus an `msteams.entities` mention whose `mentioned.id` is the
 * user principal name (Teams documents UPN and Entra object id mentions for
 * bot and webhook cards; a Workflows flow posts the card as the flow bot).
 * Where a host does not resolve the mention, the same text still shows the UPN.
 */

export const ESCALATED_PREFIX = "Escalated: ";

function escalationHeadline(escalation: AlertEscalation): string {
  const minutes = escalation.afterMinutes;
  return `Escalated: not acknowledged within ${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** The card mention of a user principal name (validated by the settings parser: no markdown or angle brackets). */
function upnMention(upn: string): MentionEntity {
  return { type: "mention", text: `<at>${upn}</at>`, mentioned: { id: upn, name: upn } };
}

/** The card with an "Escalated" band under its header and, with a UPN, the mention line and entity. */
export function withEscalationBanner(card: AdaptiveCard, escalation: AlertEscalation): AdaptiveCard {
  const mention = escalation.oncallUpn ? upnMention(escalation.oncallUpn) : undefined;
  const lines: CardElement[] = [textBlock(escalationHeadline(escalation), { weight: "bolder", color: "attention" })];
  if (mention) lines.push(textBlock(`On call: ${mention.text}`, { spacing: "none" }));
  const banner: CardElement = { type: "Container", spacing: "medium", items: lines };
  const [header, ...rest] = card.body;
  return {
    ...card,
    fallbackText: `${ESCALATED_PREFIX}${card.fallbackText}`,
    body: header ? [header, banner, ...rest] : [banner],
    msteams: mention ? { ...card.msteams, entities: [...(card.msteams.entities ?? []), mention] } : card.msteams,
  };
}

/** The email with "Escalated:" in its subject and a first paragraph naming the wait and the on-call user. */
export function withEscalationNotice(doc: EmailDocument, escalation: AlertEscalation): EmailDocument {
  const oncall = escalation.oncallUpn ? ` On call: ${escalation.oncallUpn}.` : "";
  return {
    ...doc,
    subject: `${ESCALATED_PREFIX}${doc.subject}`,
    preview: `${ESCALATED_PREFIX}${doc.preview}`,
    blocks: [{ type: "paragraph", text: `${escalationHeadline(escalation)} in Teams.${oncall}`, emphasis: true }, ...doc.blocks],
  };
}

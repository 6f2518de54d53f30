import type { Alert, RenderContext } from "../alerts/model.js";
import { jsonBytes, SHRINK_STEPS, type AdaptiveCard } from "./adaptive-card.js";
import { digestSummary, renderDigestCard, type DigestPart } from "./digest-card.js";
import { digestOrder } from "./digest-layout.js";
import { ESCALATED_PREFIX, withEscalationBanner } from "./escalation.js";
import { alertSummary, renderAlertCard } from "./kinds/index.js";

/**
 * Teams Workflows ("When a Teams webhook request is received" → "Post card in
 * a chat or channel") payloads. Building them is pure; sending lives in
 * shared/receivers.
 *
 * `summary`: the Bot Framework activity property that Teams shows in
 * notifications and the chat list instead of "Sent a card" (desktop, web,
 * iOS). The Workflows post-card action currently ignores it and previews
 * "Card" (a long-standing open request), so the same line is also the card's
 * `fallbackText` and the card's first text is the title; the property costs
 * nothing and is right for a bot channel posting the same payload.
 */

/** Teams rejects larger posts; measured as the UTF-8 bytes of the whole JSON body. */
export const WORKFLOWS_MAX_BYTES = 20_000;

export const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";

interface WorkflowsPayload {
  type: "message";
  summary: string;
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

export interface WorkflowsMessage {
  payload: WorkflowsPayload;
  /** Fingerprints of the alerts this post carries (the ledger marks them delivered on 2xx). */
  fingerprints: string[];
  /** UTF-8 bytes of `JSON.stringify(payload)`, the body as sent. */
  bytes: number;
}

interface WorkflowsMessagesOptions {
  /** More alerts than this in one batch become digest posts instead of one card each. */
  groupThreshold: number;
  /** Size budget of one post in bytes. Default `WORKFLOWS_MAX_BYTES` (20,000). */
  maxBytes?: number;
}

/** A card that cannot be made small enough for the budget even at its most compact. */
export class CardTooLargeError extends Error {
  override readonly name = "CardTooLargeError";
  constructor(
    readonly fingerprints: readonly string[],
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `The Teams card for ${fingerprints.length === 1 ? `alert ${fingerprints[0]}` : `${fingerprints.length} alerts`} needs ${bytes} bytes even at its most compact, over the ${maxBytes}-byte budget; raise maxBytes (Teams accepts up to about 28 KB).`,
    );
  }
}

export function workflowsPayload(card: AdaptiveCard, summary: string): WorkflowsPayload {
  return {
    type: "message",
    summary,
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }],
  };
}

function message(payload: WorkflowsPayload, fingerprints: string[]): WorkflowsMessage {
  return { payload, fingerprints, bytes: jsonBytes(payload) };
}

/**
 * One alert's post, shrunk step by step (fewer errors listed, long texts cut
 * with "…") until it fits the budget. Never drops the alert: if even the most
 * compact card is too large, that is a `CardTooLargeError`.
 */
export function buildAlertMessage(alert: Alert, ctx: RenderContext, maxBytes: number = WORKFLOWS_MAX_BYTES): WorkflowsMessage {
  const { escalation } = alert;
  const summary = `${escalation ? ESCALATED_PREFIX : ""}${alertSummary(alert, ctx)}`;
  let smallest = Number.POSITIVE_INFINITY;
  for (const detail of SHRINK_STEPS) {
    const card = renderAlertCard(alert, ctx, detail);
    const candidate = message(workflowsPayload(escalation ? withEscalationBanner(card, escalation) : card, summary), [alert.fingerprint]);
    if (candidate.bytes <= maxBytes) return candidate;
    smallest = Math.min(smallest, candidate.bytes);
  }
  throw new CardTooLargeError([alert.fingerprint], smallest, maxBytes);
}

function digestMessage(alerts: Alert[], ctx: RenderContext, part: DigestPart): WorkflowsMessage {
  return message(
    workflowsPayload(renderDigestCard(alerts, ctx, part), digestSummary(alerts, ctx, part)),
    alerts.map((a) => a.fingerprint),
  );
}

/**
 * While packing, parts are measured as "part 999 of 999": the real numbers
 * are never longer, so a part that fit while packing still fits.
 */
const PACKING_PART_COUNT = 999;

/** Splits the digest into posts that each fit the budget, in display order. */
function packDigest(ordered: Alert[], ctx: RenderContext, maxBytes: number): Alert[][] {
  const parts: Alert[][] = [];
  let current: Alert[] = [];
  let firstAlert = 1;
  const fits = (candidate: Alert[], first: number): { ok: boolean; bytes: number } => {
    const { bytes } = digestMessage(candidate, ctx, {
      index: PACKING_PART_COUNT,
      count: PACKING_PART_COUNT,
      firstAlert: first,
      totalAlerts: ordered.length,
    });
    return { ok: bytes <= maxBytes, bytes };
  };
  for (const alert of ordered) {
    const candidate = [...current, alert];
    if (fits(candidate, firstAlert).ok) {
      current = candidate;
      continue;
    }
    if (current.length > 0) {
      parts.push(current);
      firstAlert += current.length;
    }
    current = [alert];
    const alone = fits(current, firstAlert);
    if (!alone.ok) throw new CardTooLargeError([alert.fingerprint], alone.bytes, maxBytes);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/**
 * The posts for one batch of alerts: one card per alert, or, when there are
 * more than `groupThreshold`, digest posts that list every alert. Every
 * alert's fingerprint appears in exactly one message; none is dropped.
 */
export function buildWorkflowsMessages(alerts: readonly Alert[], ctx: RenderContext, options: WorkflowsMessagesOptions): WorkflowsMessage[] {
  const maxBytes = options.maxBytes ?? WORKFLOWS_MAX_BYTES;
  // An escalation always gets its own card: a digest line would lose its @mention.
  if (alerts.some((a) => a.escalation)) {
    const rest = alerts.filter((a) => !a.escalation);
    return [...alerts.filter((a) => a.escalation).map((a) => buildAlertMessage(a, ctx, maxBytes)), ...buildWorkflowsMessages(rest, ctx, options)];
  }
  if (alerts.length === 0) return [];
  if (alerts.length <= options.groupThreshold) return alerts.map((alert) => buildAlertMessage(alert, ctx, maxBytes));

  const ordered = digestOrder(alerts);
  const parts = packDigest(ordered, ctx, maxBytes);
  let firstAlert = 1;
  return parts.map((partAlerts, i) => {
    const built = digestMessage(partAlerts, ctx, { index: i + 1, count: parts.length, firstAlert, totalAlerts: ordered.length });
    firstAlert += partAlerts.length;
    if (built.bytes > maxBytes) throw new CardTooLargeError(built.fingerprints, built.bytes, maxBytes);
    return built;
  });
}

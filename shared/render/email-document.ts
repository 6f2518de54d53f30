import type { AlertBase, RenderContext } from "../alerts/model.js";
import type { CardDetail } from "./adaptive-card.js";
import { plainApiText } from "./escape.js";
import { alertLabel, TENANT_CHARS, tenantLabel, whenText } from "./format.js";

/**
 * What one email says, independent of its format: the HTML body and the
 * plain-text alternative are two drawings of the same document, so they can
 * never disagree. Built from the alert model (never from card JSON).
 *
 * Every string here is plain text that is already safe to show: API text went
 * through `plainApiText` (one line, cut to a budget, links defanged so no mail
 * client auto-links it). The HTML drawing still escapes every string, because
 * a defanged text can hold `<`, `&` or quotes.
 */

/** Colour of the severity band and label. */
export type EmailTone = "critical" | "warning" | "info" | "good";

export interface EmailFact {
  label: string;
  value: string;
}

export interface EmailListItem {
  text: string;
  /** A second, quieter line (an error's reference). */
  detail?: string;
}

/** One alert in a digest. */
export interface EmailDigestEntry {
  tone: EmailTone;
  /** "CRITICAL", "RESOLVED". */
  label: string;
  headline: string;
  details: string;
}

export type EmailBlock =
  /** A labelled identifier shown in monospace, easy to select and search for. */
  | { type: "id"; label: string; value: string | null }
  | { type: "facts"; facts: EmailFact[] }
  | { type: "list"; heading: string; items: EmailListItem[]; monospace?: boolean; more?: string }
  | { type: "paragraph"; text: string; emphasis?: boolean }
  | { type: "entries"; entries: EmailDigestEntry[] };

export interface EmailDocument {
  subject: string;
  /** Inbox preview text (the one-line summary). */
  preview: string;
  tone: EmailTone;
  /** "CRITICAL", "WARNING", "RESOLVED". */
  label: string;
  title: string;
  subtitle: string;
  blocks: EmailBlock[];
  /** Tenant label for the footer. */
  tenant: string;
  portalUrl: string;
}

/**
 * How much untrusted detail an email carries (the budget a card has, CardDetail).
 * Mail has room the Teams size budget does not give, so more errors and longer
 * texts are shown; what is left out is still counted.
 */
export const EMAIL_DETAIL: CardDetail = { maxErrors: 10, maxTextChars: 1000, maxIdChars: 200, maxListedIds: 50 };
/** Digest entries stay short, as on the digest card. */
export const EMAIL_DIGEST_DETAIL: CardDetail = { maxErrors: 1, maxTextChars: 160, maxIdChars: 120, maxListedIds: 5 };

/** Subject ids are cut like summary ids (format.ts): real ids are about 23 characters. */
export const SUBJECT_ID_CHARS = 64;

/** Colour of an alert's band: its severity, green once resolved. */
export function emailTone(alert: AlertBase): EmailTone {
  return alert.status === "resolved" ? "good" : alert.severity;
}

export function tenantText(alert: AlertBase, ctx: RenderContext): string {
  return plainApiText(tenantLabel(alert, ctx), TENANT_CHARS);
}

function subtitleOf(alert: AlertBase, ctx: RenderContext): string {
  return `${tenantText(alert, ctx)} \u00B7 ${alertLabel(alert)} \u00B7 ${whenText(alert)}`;
}

/**
 * One alert's email document: the parts every kind draws the same way (the
 * preview is the subject with the tenant, as the cards' summary line has it;
 * tone, label and subtitle follow the alert's status) around the kind's own.
 * The subject is one header line: `plainApiText` has already removed every
 * line break and control character from API text, so nothing can inject a header.
 */
export function alertEmail(
  alert: AlertBase,
  ctx: RenderContext,
  parts: { subject: string; title: string; blocks: EmailBlock[]; tone?: EmailTone; label?: string; subtitle?: string },
): EmailDocument {
  return {
    subject: parts.subject,
    preview: `${parts.subject} \u2014 ${tenantText(alert, ctx)}`,
    tone: parts.tone ?? emailTone(alert),
    label: parts.label ?? alertLabel(alert),
    title: parts.title,
    subtitle: parts.subtitle ?? subtitleOf(alert, ctx),
    blocks: parts.blocks,
    tenant: tenantText(alert, ctx),
    portalUrl: ctx.portalUrl,
  };
}

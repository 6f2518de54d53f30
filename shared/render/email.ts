import type { Alert, RenderContext } from "../alerts/model.js";
import { digestOrder, digestTone } from "./digest-layout.js";
import { EMAIL_DIGEST_DETAIL, type EmailDocument } from "./email-document.js";
import { plainApiText } from "./escape.js";
import { withEscalationNotice } from "./escalation.js";
import { digestWhenText, plural, TENANT_CHARS } from "./format.js";
import { alertDocument, digestBreakdown, emailDigestEntry } from "./kinds/index.js";
import { renderEmailHtml } from "./email-html.js";
import { renderEmailText } from "./email-text.js";

/**
 * Email rendering: alerts → one message with a subject, an HTML body and a
 * plain-text alternative. Pure; sending lives in shared/receivers (Graph or
 * SMTP). This is also the payload the outbox hands to an email channel.
 */
export interface EmailMessage {
  subject: string;
  html: string;
  text: string;
}

interface EmailMessagesOptions {
  /** More alerts than this in one batch become one digest email instead of one email each. */
  groupThreshold: number;
}

function message(doc: EmailDocument): EmailMessage {
  return { subject: doc.subject, html: renderEmailHtml(doc), text: renderEmailText(doc) };
}

export function renderAlertEmail(alert: Alert, ctx: RenderContext): EmailMessage {
  const doc = alertDocument(alert, ctx);
  return message(alert.escalation ? withEscalationNotice(doc, alert.escalation) : doc);
}

/**
 * One email for a whole cycle: every alert listed, firing before resolved and
 * most severe first. Unlike a Teams post, an email has no size budget that
 * would force a split, so there is exactly one.
 */
function digestDocument(alerts: readonly Alert[], ctx: RenderContext): EmailDocument {
  const ordered = digestOrder(alerts);
  const { tag } = digestTone(ordered);
  const firing = ordered.filter((a) => a.status !== "resolved");
  const worst = firing.length === 0 ? null : (firing.find((a) => a.severity === "critical") ?? firing.find((a) => a.severity === "warning") ?? firing[0]);
  const tenant = plainApiText(ctx.tenantName, TENANT_CHARS);
  const subject = `${tag} ${plural(ordered.length, "backup alert")} \u2014 ${tenant}`;
  return {
    subject,
    preview: `${subject}: ${digestBreakdown(ordered)}`,
    tone: worst ? worst.severity : "good",
    label: tag.slice(1, -1),
    title: plural(ordered.length, "backup alert"),
    subtitle: `${tenant} \u00B7 ${digestBreakdown(ordered)} \u00B7 ${digestWhenText(ordered)}`,
    blocks: [{ type: "entries", entries: ordered.map((a) => emailDigestEntry(a, EMAIL_DIGEST_DETAIL)) }],
    tenant,
    portalUrl: ctx.portalUrl,
  };
}

/** One email listing every alert of a cycle, most severe first. */
export function renderDigestEmail(alerts: readonly Alert[], ctx: RenderContext): EmailMessage {
  if (alerts.length === 0) throw new RangeError("a digest email needs at least one alert");
  return message(digestDocument(alerts, ctx));
}

/**
 * The emails for one batch of alerts: one per alert, or, when there are more
 * than `groupThreshold`, a single digest. Every alert's fingerprint appears in
 * exactly one message; none is dropped.
 */
export function buildEmailMessages(
  alerts: readonly Alert[],
  ctx: RenderContext,
  options: EmailMessagesOptions,
): { message: EmailMessage; fingerprints: string[] }[] {
  // An escalation always gets its own email, so its subject says so.
  if (alerts.some((a) => a.escalation)) {
    const escalations = alerts.filter((a) => a.escalation).map((alert) => ({ message: renderAlertEmail(alert, ctx), fingerprints: [alert.fingerprint] }));
    return [...escalations, ...buildEmailMessages(alerts.filter((a) => !a.escalation), ctx, options)];
  }
  if (alerts.length === 0) return [];
  if (alerts.length <= options.groupThreshold) {
    return alerts.map((alert) => ({ message: renderAlertEmail(alert, ctx), fingerprints: [alert.fingerprint] }));
  }
  return [{ message: renderDigestEmail(alerts, ctx), fingerprints: alerts.map((a) => a.fingerprint) }];
}

/** Narrows an outbox payload to an email message (channels receive `object`). */
export function isEmailMessage(payload: object): payload is EmailMessage {
  const p = payload as Partial<Record<keyof EmailMessage, unknown>>;
  return typeof p.subject === "string" && typeof p.html === "string" && typeof p.text === "string";
}

import type { HealthAlert } from "../alerts/health-model.js";
import type { RenderContext } from "../alerts/model.js";
import { adaptiveCard, factSet, headerBand, textBlock, type CardDetail, type CardElement, type Fact } from "./adaptive-card.js";
import type { AlertKindView, EntryLines } from "./alert-kind.js";
import { cardSubtitle, severityTone } from "./card-parts.js";
import { DIGEST_DETAIL } from "./digest-layout.js";
import { alertEmail, SUBJECT_ID_CHARS, tenantText, type EmailBlock } from "./email-document.js";
import { escapeApiText, plainApiText, type Encode } from "./escape.js";
import { alertLabel, alertTag, summaryLine, tenantLabel, TENANT_CHARS } from "./format.js";

/**
 * The backup-health kinds (missed backup, stuck job, failure ratio, unusual
 * activity) are drawn alike: a headline, a sentence of advice while firing,
 * and facts. Each kind module gives its own parts; `healthKind` makes the
 * card, summary, digest entries and email from them.
 */
interface HealthParts<A extends HealthAlert> {
  /** What happened, where: "No successful backup for 30 h: Exchange Online". Project text only (no API text). */
  headline(alert: A): string;
  /** The facts in display order; the tenant is added by the caller. */
  facts(alert: A, encode: Encode, detail: Pick<CardDetail, "maxIdChars">): Fact[];
  /** A sentence on what to do, or why it matters, while firing; null when the facts say it all. */
  advice(alert: A): string | null;
  /** The job id a summary line or subject carries, if any (untrusted: encoded by the caller). */
  jobId?(alert: A): string | null;
}

/** Facts name a service this way when the job was read without a service filter. */
export const SERVICE_NOT_KNOWN = "not known (job read without a service filter)";

/** "Backups succeed again: Exchange Online". */
export function withService(what: string, service: string | undefined): string {
  return service ? `${what}: ${service}` : what;
}

/** An id fact's value: the encoded id, or that the API did not report it. */
export function idFact(id: string | null, encode: Encode, detail: Pick<CardDetail, "maxIdChars">): string {
  return id ? encode(id, detail.maxIdChars) : "not reported by the API";
}

export function healthKind<A extends HealthAlert>(parts: HealthParts<A>): AlertKindView<A> {
  const jobId = (alert: A): string | null => parts.jobId?.(alert) ?? null;
  const advice = (alert: A): string | null => (alert.status === "resolved" ? null : parts.advice(alert));
  const summary = (alert: A, ctx: RenderContext): string =>
    summaryLine({ tag: alertTag(alert), headline: parts.headline(alert), id: jobId(alert), tenant: tenantLabel(alert, ctx) });
  /** One line of details for a digest entry: the first three facts but the service. */
  const entryDetails = (alert: A, encode: Encode, detail: Pick<CardDetail, "maxIdChars">): string =>
    parts
      .facts(alert, encode, detail)
      .filter((f) => f.title !== "Service")
      .slice(0, 3)
      .map((f) => `${f.title} ${f.value}`)
      .join(" \u00B7 ");

  return {
    noun: ["backup health notice", "backup health notices"],
    summary,

    card(alert, ctx, detail) {
      const tenant = tenantLabel(alert, ctx);
      const resolved = alert.status === "resolved";
      const title = resolved ? `Resolved: ${parts.headline(alert)}` : parts.headline(alert);
      const body: CardElement[] = [headerBand(resolved ? "good" : severityTone(alert.severity), title, cardSubtitle(alert, tenant, alertLabel(alert)))];
      const text = advice(alert);
      if (text) body.push(textBlock(text, { spacing: "medium" }));
      body.push(factSet([...parts.facts(alert, escapeApiText, detail), { title: "Tenant", value: escapeApiText(tenant, TENANT_CHARS) }], { spacing: "medium" }));
      return adaptiveCard({ fallbackText: summary(alert, ctx), body, portalUrl: ctx.portalUrl });
    },

    digestEntry: (alert): EntryLines => [`${alert.status === "resolved" ? "Resolved: " : ""}${parts.headline(alert)}`, entryDetails(alert, escapeApiText, DIGEST_DETAIL)],

    email(alert, ctx, detail) {
      const facts = parts.facts(alert, plainApiText, detail).map((f) => ({ label: f.title, value: f.value }));
      facts.push({ label: "Tenant", value: tenantText(alert, ctx) });
      const text = advice(alert);
      const blocks: EmailBlock[] = [...(text ? [{ type: "paragraph" as const, text }] : []), { type: "facts", facts }];
      const id = jobId(alert);
      const subject = `${alertTag(alert)} ${parts.headline(alert)}${id ? ` (${plainApiText(id, SUBJECT_ID_CHARS)})` : ""}`;
      // The label already says RESOLVED.
      return alertEmail(alert, ctx, { subject, title: parts.headline(alert), blocks });
    },

    emailDigestEntry: (alert, detail): EntryLines => [parts.headline(alert), entryDetails(alert, plainApiText, detail)],
  };
}

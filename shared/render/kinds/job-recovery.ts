import type { JobRecoveryAlert } from "../../alerts/model.js";
import { adaptiveCard, factSet, headerBand, textBlock, type CardDetail, type CardElement, type Fact } from "../adaptive-card.js";
import type { AlertKindView, EntryLines } from "../alert-kind.js";
import { cardSubtitle, idBlock } from "../card-parts.js";
import { DIGEST_DETAIL } from "../digest-layout.js";
import { alertEmail, tenantText, type EmailBlock, type EmailFact } from "../email-document.js";
import { escapeApiText, plainApiText, type Encode } from "../escape.js";
import { alertTag, formatNumber, formatUtc, jobObjectsText, plural, serviceName, summaryLine, tenantLabel, TENANT_CHARS } from "../format.js";

/** A service with an open failure alert finished a job successfully again. */

/** "Exchange Online backups succeed again". */
function recoveryHeadline(alert: JobRecoveryAlert): string {
  return `${serviceName(alert.service) ?? "Service"} backups succeed again`;
}

/** "A, B, C and 4 more" with each id encoded. */
function listedIds(ids: readonly string[], encode: Encode, detail: CardDetail): string {
  const shown = ids.slice(0, detail.maxListedIds).map((id) => encode(id, detail.maxIdChars));
  const hidden = ids.length - shown.length;
  return hidden > 0 ? `${shown.join(", ")} and ${formatNumber(hidden)} more` : shown.join(", ");
}

/** Service, finish time and objects; the tenant is added by the caller. */
function recoveryFacts(alert: JobRecoveryAlert): Fact[] {
  const facts: Fact[] = [
    { title: "Service", value: serviceName(alert.service) ?? "not known" },
    { title: "Finished", value: formatUtc(alert.job.finishTime) },
  ];
  if (alert.job.counts) facts.push({ title: "Objects", value: jobObjectsText(alert.job.counts) });
  return facts;
}

function entryLines(alert: JobRecoveryAlert, encode: Encode, detail: CardDetail): EntryLines {
  const details = [`Job ID ${alert.job.id ? encode(alert.job.id, detail.maxIdChars) : "not reported"}`, `finished ${formatUtc(alert.job.finishTime)}`];
  if (alert.resolvedJobIds.length > 0) details.push(`resolves ${listedIds(alert.resolvedJobIds, encode, detail)}`);
  return [recoveryHeadline(alert), details.join(" \u00B7 ")];
}

export const jobRecovery: AlertKindView<JobRecoveryAlert> = {
  noun: ["recovery", "recoveries"],

  summary: (alert, ctx) => summaryLine({ tag: alertTag(alert), headline: recoveryHeadline(alert), id: alert.job.id, tenant: tenantLabel(alert, ctx) }),

  card(alert, ctx, detail, held) {
    const tenant = tenantLabel(alert, ctx);
    const body: CardElement[] = [
      headerBand("good", `Resolved: ${recoveryHeadline(alert)}`, cardSubtitle(alert, tenant, "RESOLVED")),
      ...idBlock("Successful job ID", alert.job.id, detail),
      factSet([...recoveryFacts(alert), { title: "Tenant", value: escapeApiText(tenant, TENANT_CHARS) }], { spacing: "medium" }),
    ];
    if (alert.resolvedJobIds.length > 0) {
      body.push(
        textBlock(`Resolves ${plural(alert.resolvedJobIds.length, "failed job")}`, { weight: "bolder", spacing: "medium", separator: true }),
        textBlock(listedIds(alert.resolvedJobIds, escapeApiText, detail), { fontType: "monospace", spacing: "small" }),
      );
    }
    return adaptiveCard({ fallbackText: jobRecovery.summary(alert, ctx, held), body, portalUrl: ctx.portalUrl });
  },

  digestEntry: (alert) => entryLines(alert, escapeApiText, DIGEST_DETAIL),

  email(alert, ctx, detail) {
    const facts: EmailFact[] = recoveryFacts(alert).map((f) => ({ label: f.title, value: f.value }));
    facts.push({ label: "Tenant", value: tenantText(alert, ctx) });
    const blocks: EmailBlock[] = [
      { type: "id", label: "Successful job ID", value: alert.job.id ? plainApiText(alert.job.id, detail.maxIdChars) : null },
      { type: "facts", facts },
    ];
    if (alert.resolvedJobIds.length > 0) {
      const shown = alert.resolvedJobIds.slice(0, detail.maxListedIds);
      const hidden = alert.resolvedJobIds.length - shown.length;
      blocks.push({
        type: "list",
        heading: `Resolves ${plural(alert.resolvedJobIds.length, "failed job")}`,
        monospace: true,
        items: shown.map((id) => ({ text: plainApiText(id, detail.maxIdChars) })),
        ...(hidden > 0 ? { more: `and ${formatNumber(hidden)} more` } : {}),
      });
    }
    // The label already says RESOLVED.
    return alertEmail(alert, ctx, { subject: `${alertTag(alert)} ${recoveryHeadline(alert)}`, title: recoveryHeadline(alert), blocks, tone: "good", label: "RESOLVED" });
  },

  emailDigestEntry: (alert, detail) => entryLines(alert, plainApiText, detail),
};

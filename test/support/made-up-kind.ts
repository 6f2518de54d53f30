import type { ServiceId } from "../../shared/avepoint/model.js";
import type { AlertBase, RenderContext } from "../../shared/alerts/model.js";
import { adaptiveCard, factSet, headerBand, type Fact } from "../../shared/render/adaptive-card.js";
import type { AlertKindView, EntryLines } from "../../shared/render/alert-kind.js";
import { cardSubtitle, severityTone } from "../../shared/render/card-parts.js";
import { alertEmail, tenantText } from "../../shared/render/email-document.js";
import { escapeApiText, plainApiText, type Encode } from "../../shared/render/escape.js";
import { alertLabel, alertTag, formatDate, serviceName, summaryLine, tenantLabel } from "../../shared/render/format.js";

/**
 * A made-up alert kind, written as a real one would be: one module with
 * everything render/ needs, drawn from the shared pieces (header band, facts,
 * subtitle, email document, summary line). alert-kind-extension.test.ts
 * registers it and renders it every way an alert goes out.
 *
 * A real kind would put `RetentionEndingAlert` in alerts/ (a member of the
 * Alert union, found by its rule) and this object in
 * shared/render/kinds/retention-ending.ts, with one line in kinds/index.ts.
 */
export interface RetentionEndingAlert extends AlertBase {
  kind: "retention-ending";
  service: ServiceId;
  /** The policy's name, as the API reports it (untrusted). */
  policy: string;
  endsAt: Date;
}

function headline(alert: RetentionEndingAlert): string {
  return `Retention ends on ${formatDate(alert.endsAt)}: ${serviceName(alert.service) ?? "a service"}`;
}

function facts(alert: RetentionEndingAlert, encode: Encode): Fact[] {
  return [
    { title: "Policy", value: encode(alert.policy, 100) },
    { title: "Ends", value: formatDate(alert.endsAt) },
  ];
}

function summary(alert: RetentionEndingAlert, ctx: RenderContext): string {
  return summaryLine({ tag: alertTag(alert), headline: headline(alert), tenant: tenantLabel(alert, ctx) });
}

export const retentionEnding: AlertKindView<RetentionEndingAlert> = {
  noun: ["retention notice", "retention notices"],
  summary,
  card: (alert, ctx) =>
    adaptiveCard({
      fallbackText: summary(alert, ctx),
      body: [
        headerBand(severityTone(alert.severity), headline(alert), cardSubtitle(alert, tenantLabel(alert, ctx), alertLabel(alert))),
        factSet(facts(alert, escapeApiText), { spacing: "medium" }),
      ],
      portalUrl: ctx.portalUrl,
    }),
  digestEntry: (alert): EntryLines => [headline(alert), `Policy ${escapeApiText(alert.policy, 60)}`],
  email: (alert, ctx) =>
    alertEmail(alert, ctx, {
      subject: `${alertTag(alert)} ${headline(alert)}`,
      title: headline(alert),
      blocks: [{ type: "facts", facts: [...facts(alert, plainApiText).map((f) => ({ label: f.title, value: f.value })), { label: "Tenant", value: tenantText(alert, ctx) }] }],
    }),
  emailDigestEntry: (alert): EntryLines => [headline(alert), `Policy ${plainApiText(alert.policy, 60)}`],
};

export const retentionEndingExchange: RetentionEndingAlert = {
  kind: "retention-ending",
  fingerprint: "retention-ending:contoso:1",
  identity: "retention-ending:contoso:1",
  tenant: "Contoso",
  severity: "warning",
  status: "firing",
  detectedAt: new Date("2026-11-29T08:15:00Z"),
  service: 1,
  // Hostile text from the API: must arrive escaped on cards and defanged in email.
  policy: "Keep *7 years* [click](https://evil.example)",
  endsAt: new Date("2026-12-31T00:00:00Z"),
};

import type { LicenseAlert } from "../../alerts/model.js";
import { adaptiveCard, factSet, headerBand, textBlock, type CardElement, type CardTone } from "../adaptive-card.js";
import type { AlertKindView, EntryLines } from "../alert-kind.js";
import { cardSubtitle } from "../card-parts.js";
import { alertEmail, tenantText, type EmailBlock } from "../email-document.js";
import { escapeApiText } from "../escape.js";
import { alertLabel, alertTag, formatDate, formatNumber, formatPercent, summaryLine, tenantLabel, TENANT_CHARS } from "../format.js";

/**
 * License notices: seats and storage show numbers and percent, the change
 * since the last notice and a forecast; policy shows since when the
 * subscription is out of policy. `reason` says why this notice is sent now.
 */

interface MetricWords {
  /** "seats", "storage" as the subject of a sentence. */
  subject: string;
  /** "assigned", "used". */
  usedVerb: string;
  used: number;
  purchased: number;
  /** Formats an amount with its unit: "5 seats", "100 GB". */
  amount: (value: number) => string;
}

function metricWords(alert: LicenseAlert): MetricWords | null {
  const { usage } = alert;
  switch (alert.metric) {
    case "seats":
      return {
        subject: "seats",
        usedVerb: "assigned",
        used: usage.assignedUserSeats,
        purchased: usage.purchasedUserSeats,
        amount: (v) => `${formatNumber(v)} ${Math.abs(v) === 1 ? "seat" : "seats"}`,
      };
    case "storage":
      return {
        subject: "storage",
        usedVerb: "used",
        used: usage.protectedStorageGb,
        purchased: usage.purchasedStorageGb,
        amount: (v) => `${formatNumber(v)} GB`,
      };
    case "policy":
      return null;
  }
}

function percentOf(alert: LicenseAlert, words: MetricWords): number | null {
  if (alert.percent !== undefined && Number.isFinite(alert.percent)) return alert.percent;
  return words.purchased > 0 ? (words.used / words.purchased) * 100 : null;
}

/** "95 of 100 seats assigned (95%)", "1,900 of 2,000 GB protected (95%)". */
function licenseUsageText(alert: LicenseAlert): string {
  const words = metricWords(alert);
  if (!words) {
    const since = alert.usage.outOfPolicySince;
    return since ? `Subscription out of policy since ${formatDate(since)}` : "Subscription in policy";
  }
  if (words.purchased <= 0) {
    // license-rules: nothing purchased means the metric does not apply (no percent).
    return alert.metric === "storage"
      ? `${formatNumber(words.used)} GB protected, no storage purchased`
      : `${formatNumber(words.used)} seats assigned, none purchased`;
  }
  const percent = percentOf(alert, words);
  const pct = percent === null ? "" : ` (${formatPercent(percent)})`;
  if (alert.metric === "storage") {
    return `${formatNumber(words.used)} of ${formatNumber(words.purchased)} GB protected${pct}`;
  }
  return `${formatNumber(words.used)} of ${formatNumber(words.purchased)} seats assigned${pct}`;
}

/**
 * The headline without the "Resolved:"/"Reminder:" prefix:
 * "Backup seats running low (95% assigned)".
 */
function licenseHeadline(alert: LicenseAlert): string {
  const words = metricWords(alert);
  if (!words) {
    return alert.status === "resolved" || alert.level === "ok" ? "Subscription back in policy" : "Subscription out of policy";
  }
  const percent = percentOf(alert, words);
  const pct = percent === null ? "" : ` (${formatPercent(percent)} ${words.usedVerb})`;
  const what = `Backup ${words.subject}`;
  if (alert.status === "resolved" || alert.level === "ok") return `${what} back to normal${pct}`;
  const still = alert.reason === "reminder" ? "still " : "";
  if (alert.level === "warning") return `${what} ${still}running low${pct}`;
  return percent !== null && percent >= 100 ? `${what} ${still}used up${pct}` : `${what} ${still}almost used up${pct}`;
}

function licenseTitle(alert: LicenseAlert): string {
  if (alert.status === "resolved" || alert.reason === "resolved") return `Resolved: ${licenseHeadline(alert)}`;
  if (alert.reason === "reminder") return `Reminder: ${licenseHeadline(alert)}`;
  return licenseHeadline(alert);
}

/**
 * What changed, in words: "Now at warning: 91% of seats assigned",
 * "Back to normal: 75% of storage used".
 */
function noticeText(alert: LicenseAlert): string {
  if (alert.metric === "policy") return alert.reason === "resolved" ? "Back in policy" : alert.reason === "reminder" ? "Still out of policy" : "Now out of policy";
  const words = metricWords(alert);
  const percent = words ? percentOf(alert, words) : null;
  const where = words && percent !== null ? `: ${formatPercent(percent)} of ${words.subject} ${words.usedVerb}` : "";
  switch (alert.reason) {
    case "entered":
      return `Now at ${alert.level}${where}`;
    case "escalated":
      return `Up to ${alert.level}${where}`;
    case "de-escalated":
      return `Down to ${alert.level}${where}, still above normal`;
    case "resolved":
      return `Back to normal${where}`;
    case "reminder":
      return `Still at ${alert.level}${where}`;
  }
}

function licenseTone(alert: LicenseAlert): CardTone {
  if (alert.status === "resolved" || alert.level === "ok") return "good";
  return alert.level === "critical" ? "attention" : "warning";
}

/** "+5 seats since the last notice"; "No change since the last notice". */
function licenseChangeText(alert: LicenseAlert): string | null {
  const words = metricWords(alert);
  if (!words || alert.previousUsed === undefined) return null;
  const delta = words.used - alert.previousUsed;
  if (delta === 0) return "No change since the last notice";
  // U+2212 minus: a hyphen at the start of a fact could read as a list marker.
  return `${delta > 0 ? "+" : "\u2212"}${words.amount(Math.abs(delta))} since the last notice`;
}

/**
 * "At the recent rate, seats run out on 2026-12-14 (0.3 seats per day)";
 * "Not rising"; "Rising by 2 GB per day" when rising without an end date
 * (for example already at or past 100%).
 */
function licenseForecastText(alert: LicenseAlert): string | null {
  const words = metricWords(alert);
  if (!words || !alert.forecast) return null;
  const { exhaustedAt, ratePerDay } = alert.forecast;
  if (!(ratePerDay > 0)) return "Not rising";
  const rate = `${words.amount(Math.round(ratePerDay * 10) / 10)} per day`;
  if (!exhaustedAt) return `Rising by ${rate}`;
  const verb = alert.metric === "seats" ? "run out" : "runs out";
  return `At the recent rate, ${words.subject} ${verb} on ${formatDate(exhaustedAt)} (${rate})`;
}

/** The facts, in display order, with the tenant (already encoded) last. */
function licenseFacts(alert: LicenseAlert, tenant: string): { label: string; value: string }[] {
  const facts = [{ label: alert.metric === "policy" ? "Policy" : "Usage", value: licenseUsageText(alert) }];
  const change = licenseChangeText(alert);
  if (change) facts.push({ label: "Change", value: change });
  const forecast = licenseForecastText(alert);
  if (forecast) facts.push({ label: "Forecast", value: forecast });
  if (alert.metric !== "policy" && alert.usage.outOfPolicySince) {
    facts.push({ label: "Policy", value: `Subscription out of policy since ${formatDate(alert.usage.outOfPolicySince)}` });
  }
  facts.push({ label: "Notice", value: noticeText(alert) }, { label: "Tenant", value: tenant });
  return facts;
}

/** A policy notice that still fires says what it means for backups. */
function policyWarning(alert: LicenseAlert): string | null {
  return alert.metric === "policy" && alert.status !== "resolved" && alert.level !== "ok"
    ? "Backups may stop or be restricted while the subscription is out of policy. Review the subscription in AvePoint Online Services."
    : null;
}

/** Usage, change and forecast on one line. */
function entryDetails(alert: LicenseAlert): string {
  return [licenseUsageText(alert), licenseChangeText(alert), licenseForecastText(alert)].filter((d): d is string => d !== null).join(" \u00B7 ");
}

/** "[RESOLVED] Resolved: ..." would say it twice: a resolved notice's plain texts use the bare headline. */
function plainTitle(alert: LicenseAlert): string {
  return alert.status === "resolved" ? licenseHeadline(alert) : licenseTitle(alert);
}

export const license: AlertKindView<LicenseAlert> = {
  noun: ["license notice", "license notices"],

  summary: (alert, ctx) => summaryLine({ tag: alertTag(alert), headline: plainTitle(alert), tenant: tenantLabel(alert, ctx) }),

  card(alert, ctx, _detail, held) {
    const tenant = tenantLabel(alert, ctx);
    const facts = licenseFacts(alert, escapeApiText(tenant, TENANT_CHARS)).map((f) => ({ title: f.label, value: f.value }));
    const body: CardElement[] = [headerBand(licenseTone(alert), licenseTitle(alert), cardSubtitle(alert, tenant, alertLabel(alert))), factSet(facts, { spacing: "medium" })];
    const warning = policyWarning(alert);
    if (warning) body.push(textBlock(warning, { spacing: "medium" }));
    return adaptiveCard({ fallbackText: license.summary(alert, ctx, held), body, portalUrl: ctx.portalUrl });
  },

  digestEntry: (alert): EntryLines => [licenseTitle(alert), entryDetails(alert)],

  email(alert, ctx) {
    const blocks: EmailBlock[] = [{ type: "facts", facts: licenseFacts(alert, tenantText(alert, ctx)) }];
    const warning = policyWarning(alert);
    if (warning) blocks.push({ type: "paragraph", text: warning });
    const firing = alert.status !== "resolved" && alert.level !== "ok";
    return alertEmail(alert, ctx, {
      subject: `${alertTag(alert)} ${plainTitle(alert)}`,
      title: plainTitle(alert),
      blocks,
      tone: firing ? (alert.level === "critical" ? "critical" : "warning") : "good",
    });
  },

  emailDigestEntry: (alert): EntryLines => [plainTitle(alert), entryDetails(alert)],
};

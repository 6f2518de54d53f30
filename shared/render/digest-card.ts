import type { Alert, JobAlert, JobRecoveryAlert, LicenseAlert, RenderContext, Severity } from "../alerts/model.js";
import { adaptiveCard, headerBand, textBlock, type AdaptiveCard, type CardDetail, type CardElement, type CardTone } from "./adaptive-card.js";
import { escapeApiText, escapeMarkdown } from "./escape.js";
import { digestWhenText, formatNumber, formatUtc, jobStateLabel, plural, serviceName, severityLabel, summaryLine } from "./format.js";
import { jobHeadline, listedIds, recoveryHeadline, severityTone } from "./job-card.js";
import { licenseChangeText, licenseForecastText, licenseTitle, licenseUsageText } from "./license-card.js";
import { monitoringDigestEntry } from "./monitoring-card.js";
import { healthDigestDetails, healthHeadline } from "./health-card.js";
import { alertSummary } from "./alert-summary.js";
import { silenceSummaryDigestDetails, silenceSummaryTitle } from "./silence-summary-text.js";

/**
 * When one cycle finds many alerts, a digest lists every one of them in a
 * compact two-line entry instead of posting one card each (a channel flooded
 * with fifty cards is read by nobody). Large digests continue in further
 * posts, "part 2 of 3"; see `buildWorkflowsMessages`.
 */

/** Digest entries are short: untrusted texts are cut harder than on single cards. */
export const DIGEST_DETAIL: CardDetail = { maxErrors: 1, maxTextChars: 100, maxIdChars: 120, maxListedIds: 5 };

/** Position of one digest post among all posts of the same digest (1-based). */
export interface DigestPart {
  index: number;
  count: number;
  /** 1-based position of this part's first alert in the whole digest. */
  firstAlert: number;
  /** Number of alerts in the whole digest. */
  totalAlerts: number;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Firing before resolved, then critical → warning → info; otherwise input order. */
export function digestOrder(alerts: readonly Alert[]): Alert[] {
  const rank = (a: Alert): number => (a.status === "resolved" ? 10 : 0) + SEVERITY_RANK[a.severity];
  return alerts
    .map((alert, index) => ({ alert, index }))
    .sort((a, b) => rank(a.alert) - rank(b.alert) || a.index - b.index)
    .map(({ alert }) => alert);
}

function entryLabel(alert: Alert): string {
  return alert.status === "resolved" ? "RESOLVED" : severityLabel(alert.severity);
}

function jobEntry(alert: JobAlert): [string, string] {
  const { job } = alert;
  const details = [
    `Job ID ${job.id ? escapeApiText(job.id, DIGEST_DETAIL.maxIdChars) : "not reported"}`,
    job.state === "Unknown" ? `unrecognized state "${escapeApiText(job.rawState ?? "", 40)}"` : jobStateLabel(job.state),
  ];
  if (!serviceName(alert.service ?? job.service)) details.push("service not known");
  if (job.counts) details.push(`${formatNumber(job.counts.failed)} of ${formatNumber(job.counts.total)} objects failed`);
  details.push(`finished ${formatUtc(job.finishTime)}`);
  const [topError] = [...job.errors].sort((a, b) => (b.count ?? 0) - (a.count ?? 0));
  if (topError) details.push(`top error: ${escapeApiText(topError.message, DIGEST_DETAIL.maxTextChars)}`);
  return [jobHeadline(alert, escapeApiText), details.join(" \u00B7 ")];
}

function recoveryEntry(alert: JobRecoveryAlert): [string, string] {
  const details = [
    `Job ID ${alert.job.id ? escapeApiText(alert.job.id, DIGEST_DETAIL.maxIdChars) : "not reported"}`,
    `finished ${formatUtc(alert.job.finishTime)}`,
  ];
  if (alert.resolvedJobIds.length > 0) details.push(`resolves ${listedIds(alert.resolvedJobIds, DIGEST_DETAIL)}`);
  return [recoveryHeadline(alert), details.join(" \u00B7 ")];
}

function licenseEntry(alert: LicenseAlert): [string, string] {
  const details = [licenseUsageText(alert), licenseChangeText(alert), licenseForecastText(alert)].filter((d): d is string => d !== null);
  return [licenseTitle(alert), details.join(" \u00B7 ")];
}

/** The two lines that stand for one alert in a digest. */
export function digestEntry(alert: Alert): CardElement[] {
  const [headline, details] =
    alert.kind === "job"
      ? jobEntry(alert)
      : alert.kind === "job-recovery"
        ? recoveryEntry(alert)
        : alert.kind === "monitoring"
          ? monitoringDigestEntry(alert, escapeApiText)
          : alert.kind === "license"
            ? licenseEntry(alert)
            : alert.kind === "silence-summary"
              ? [escapeMarkdown(silenceSummaryTitle(alert)), silenceSummaryDigestDetails(alert, (a) => escapeMarkdown(alertSummary(a, { tenantName: a.tenant, portalUrl: "" })))]
              : [`${alert.status === "resolved" ? "Resolved: " : ""}${healthHeadline(alert)}`, healthDigestDetails(alert, escapeApiText, DIGEST_DETAIL)];
  const tone = alert.status === "resolved" ? "good" : severityTone(alert.severity);
  return [
    textBlock(`${entryLabel(alert)} \u00B7 ${headline}`, {
      weight: "bolder",
      separator: true,
      spacing: "small",
      ...(tone === "default" ? {} : { color: tone }),
    }),
    textBlock(details, { isSubtle: true, spacing: "none" }),
  ];
}

/** "57 job alerts, 2 recoveries, 1 license notice". */
export function digestBreakdown(alerts: readonly Alert[]): string {
  const count = (kind: Alert["kind"]) => alerts.filter((a) => a.kind === kind).length;
  const parts = [
    [count("job"), "job alert", "job alerts"],
    [count("job-recovery"), "recovery", "recoveries"],
    [count("license"), "license notice", "license notices"],
    [count("monitoring"), "monitoring notice", "monitoring notices"],
    [count("missed-backup") + count("stuck-job") + count("failure-ratio") + count("unusual-activity"), "backup health notice", "backup health notices"],
    [count("silence-summary"), "silence summary", "silence summaries"],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, one, many]) => plural(n, one, many))
    .join(", ");
}

export function digestTone(alerts: readonly Alert[]): { tone: CardTone; tag: string } {
  const firing = alerts.filter((a) => a.status !== "resolved");
  if (firing.length === 0) return { tone: "good", tag: "[RESOLVED]" };
  const worst = firing.reduce((w, a) => (SEVERITY_RANK[a.severity] < SEVERITY_RANK[w] ? a.severity : w), "info" as Severity);
  return { tone: severityTone(worst), tag: `[${severityLabel(worst)}]` };
}

function digestTitle(part: DigestPart): string {
  const title = plural(part.totalAlerts, "backup alert");
  return part.count > 1 ? `${title} (part ${part.index} of ${part.count})` : title;
}

/** "57 job alerts, 2 recoveries", or "this post: 43 job alerts" when the digest is split. */
function partBreakdown(alerts: readonly Alert[], part: DigestPart): string {
  return part.count > 1 ? `this post: ${digestBreakdown(alerts)}` : digestBreakdown(alerts);
}

export function digestSummary(alerts: readonly Alert[], ctx: RenderContext, part: DigestPart): string {
  return summaryLine({ tag: digestTone(alerts).tag, headline: `${digestTitle(part)}: ${partBreakdown(alerts, part)}`, tenant: ctx.tenantName });
}

/**
 * One digest post. `alerts` are this part's alerts in display order (see
 * `digestOrder`); the tenant is the deployment's label (a digest may mix
 * alerts of one deployment only).
 */
export function renderDigestCard(alerts: readonly Alert[], ctx: RenderContext, part: DigestPart): AdaptiveCard {
  const { tone } = digestTone(alerts);
  const subtitle = `${escapeApiText(ctx.tenantName, 80)} \u00B7 ${partBreakdown(alerts, part)} \u00B7 ${digestWhenText(alerts)}`;
  const body: CardElement[] = [headerBand(tone, digestTitle(part), subtitle)];
  if (part.count > 1) {
    const last = part.firstAlert + alerts.length - 1;
    body.push(
      textBlock(`This post lists alerts ${formatNumber(part.firstAlert)}\u2013${formatNumber(last)} of ${formatNumber(part.totalAlerts)}.`, {
        isSubtle: true,
        spacing: "small",
      }),
    );
  }
  for (const alert of alerts) body.push(...digestEntry(alert));
  return adaptiveCard({ fallbackText: digestSummary(alerts, ctx, part), body, portalUrl: ctx.portalUrl });
}

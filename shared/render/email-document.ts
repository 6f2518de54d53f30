import type { JobError } from "../avepoint/model.js";
import type { Alert, JobAlert, JobRecoveryAlert, LicenseAlert, MonitoringAlert, RenderContext, SilenceSummaryAlert } from "../alerts/model.js";
import { digestBreakdown, digestOrder, digestTone } from "./digest-card.js";
import { plainApiText, plainErrorText } from "./escape.js";
import { alertTag, digestWhenText, formatDate, formatDuration, formatNumber, formatUtc, jobStateLabel, plural, serviceName, severityLabel, tenantLabel, whenText } from "./format.js";
import { jobHeadline, jobObjectsText, rankErrors, recoveryHeadline } from "./job-card.js";
import { licenseChangeText, licenseForecastText, licenseHeadline, licenseTitle, licenseUsageText, noticeText } from "./license-card.js";
import type { HealthAlert } from "../alerts/health-model.js";
import { healthAdvice, healthDigestDetails, healthFacts, healthHeadline, healthJobId } from "./health-card.js";
import { AVEPOINT_ORIGINS, monitoringDigestEntry, monitoringHeadline, monitoringTitle, monitoringView } from "./monitoring-card.js";
import { silenceSummaryBreakdown } from "./silence-summary-card.js";
import { SILENCE_SUMMARY_LEAD, silenceSummaryDigestDetails, silenceSummaryTitle, silenceWindowText } from "./silence-summary-text.js";

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
 * How much untrusted detail an email carries. Mail has room the Teams size
 * budget does not give, so more errors and longer texts are shown; what is
 * left out is still counted.
 */
export interface EmailDetail {
  maxErrors: number;
  maxTextChars: number;
  maxIdChars: number;
  maxListedIds: number;
}

export const EMAIL_DETAIL: EmailDetail = { maxErrors: 10, maxTextChars: 1000, maxIdChars: 200, maxListedIds: 50 };
/** Digest entries stay short, as on the digest card. */
export const EMAIL_DIGEST_DETAIL: EmailDetail = { maxErrors: 1, maxTextChars: 160, maxIdChars: 120, maxListedIds: 5 };

const TENANT_CHARS = 80;
/** Subject ids are cut like summary ids (format.ts): real ids are about 23 characters. */
const SUBJECT_ID_CHARS = 64;

function alertTone(alert: Alert): EmailTone {
  return alert.status === "resolved" ? "good" : alert.severity;
}

function alertLabel(alert: Alert): string {
  return alert.status === "resolved" ? "RESOLVED" : severityLabel(alert.severity);
}

function tenantText(alert: Alert, ctx: RenderContext): string {
  return plainApiText(tenantLabel(alert, ctx), TENANT_CHARS);
}

function subtitleOf(alert: Alert, ctx: RenderContext): string {
  return `${tenantText(alert, ctx)} \u00B7 ${alertLabel(alert)} \u00B7 ${whenText(alert)}`;
}

/** The one-line preview, as the cards' summary line has it (tenant included). */
function previewOf(subject: string, alert: Alert, ctx: RenderContext): string {
  return `${subject} \u2014 ${tenantText(alert, ctx)}`;
}

// ------------------------------------------------------------------ subjects

/**
 * Subject lines. A subject is one header line: `plainApiText` has already
 * removed every line break and control character from API text, so nothing
 * can inject a header.
 *
 *   job        [CRITICAL] Backup job failed: Exchange Online (IB2026112906480012345)
 *   recovery   [RESOLVED] Exchange Online backups succeed again
 *   license    [WARNING] Backup seats running low (95% assigned)
 *              [CRITICAL] Reminder: Backup seats still almost used up (99% assigned)
 *              [RESOLVED] Backup storage back to normal (75% used)
 *   digest     [CRITICAL] 6 backup alerts — Contoso
 */
export function emailSubject(alert: Alert): string {
  switch (alert.kind) {
    case "job": {
      const id = alert.job.id ? ` (${plainApiText(alert.job.id, SUBJECT_ID_CHARS)})` : "";
      return `${alertTag(alert)} ${jobHeadline(alert, plainApiText)}${id}`;
    }
    case "job-recovery":
      return `${alertTag(alert)} ${recoveryHeadline(alert)}`;
    case "license":
      // "[RESOLVED] Resolved: ..." would say it twice.
      return `${alertTag(alert)} ${alert.status === "resolved" ? licenseHeadline(alert) : licenseTitle(alert)}`;
    case "monitoring":
      return `${alert.subject === "test" ? "[TEST]" : alertTag(alert)} ${monitoringHeadline(alert)}`;
    case "missed-backup":
    case "stuck-job":
    case "failure-ratio":
    case "unusual-activity":
      {
        const id = healthJobId(alert);
        return `${alertTag(alert)} ${healthHeadline(alert)}${id ? ` (${plainApiText(id, SUBJECT_ID_CHARS)})` : ""}`;
      }
    case "silence-summary":
      return `[INFO] ${plainApiText(silenceSummaryTitle(alert))}`;
  }
}

export function digestSubject(alerts: readonly Alert[], ctx: RenderContext): string {
  return `${digestTone(alerts).tag} ${plural(alerts.length, "backup alert")} \u2014 ${plainApiText(ctx.tenantName, TENANT_CHARS)}`;
}

// ------------------------------------------------------------------ single alerts

function errorItems(errors: readonly JobError[], detail: EmailDetail): { items: EmailListItem[]; more?: string } {
  const ranked = rankErrors(errors);
  const shown = ranked.slice(0, detail.maxErrors);
  const hidden = ranked.slice(shown.length);
  const items = shown.map((error): EmailListItem => {
    const count = error.count !== undefined ? `${formatNumber(error.count)} \u00D7 ` : "";
    const item: EmailListItem = { text: `${count}${plainApiText(error.message, detail.maxTextChars)}` };
    if (error.url) item.detail = `Reference: ${plainApiText(error.url, detail.maxTextChars)}`;
    return item;
  });
  if (hidden.length === 0) return { items };
  const occurrences = hidden.reduce((sum, e) => sum + (e.count ?? 0), 0);
  const withCounts = occurrences > 0 ? ` (${plural(occurrences, "occurrence")})` : "";
  return { items, more: `and ${formatNumber(hidden.length)} more${withCounts}; see AvePoint Online Services for the full list` };
}

function jobDocument(alert: JobAlert, ctx: RenderContext, detail: EmailDetail): EmailDocument {
  const { job } = alert;
  const state =
    job.state !== "Unknown"
      ? jobStateLabel(job.state)
      : job.rawState
        ? `Unrecognized: "${plainApiText(job.rawState, detail.maxTextChars)}"`
        : "Unrecognized: the API sent no state";
  const facts: EmailFact[] = [
    { label: "Service", value: serviceName(alert.service ?? job.service) ?? "not known (job read without a service filter)" },
    { label: "State", value: state },
    { label: "Started", value: formatUtc(job.startTime) },
    { label: "Finished", value: formatUtc(job.finishTime) },
    { label: "Duration", value: formatDuration(job.durationMs) },
  ];
  if (job.counts) facts.push({ label: "Objects", value: jobObjectsText(job.counts) });
  facts.push({ label: "Tenant", value: tenantText(alert, ctx) });

  const blocks: EmailBlock[] = [];
  if (job.state === "Unknown") {
    blocks.push({
      type: "paragraph",
      emphasis: true,
      text: "The API reported a job state this monitor does not recognize. It is raised as an alert rather than ignored: check the job in AvePoint Online Services.",
    });
  }
  blocks.push(
    { type: "id", label: "Job ID", value: job.id ? plainApiText(job.id, detail.maxIdChars) : null },
    { type: "facts", facts },
  );
  if (job.errors.length > 0) {
    const { items, more } = errorItems(job.errors, detail);
    blocks.push({ type: "list", heading: items.length > 0 ? "Top errors" : "Errors", items, ...(more ? { more } : {}) });
  }
  const subject = emailSubject(alert);
  return {
    subject,
    preview: previewOf(subject, alert, ctx),
    tone: alertTone(alert),
    label: alertLabel(alert),
    title: jobHeadline(alert, plainApiText),
    subtitle: subtitleOf(alert, ctx),
    blocks,
    tenant: tenantText(alert, ctx),
    portalUrl: ctx.portalUrl,
  };
}

function recoveryDocument(alert: JobRecoveryAlert, ctx: RenderContext, detail: EmailDetail): EmailDocument {
  const facts: EmailFact[] = [
    { label: "Service", value: serviceName(alert.service) ?? "not known" },
    { label: "Finished", value: formatUtc(alert.job.finishTime) },
  ];
  if (alert.job.counts) facts.push({ label: "Objects", value: jobObjectsText(alert.job.counts) });
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
  const subject = emailSubject(alert);
  return {
    subject,
    preview: previewOf(subject, alert, ctx),
    tone: "good",
    label: "RESOLVED",
    // The label already says RESOLVED.
    title: recoveryHeadline(alert),
    subtitle: subtitleOf(alert, ctx),
    blocks,
    tenant: tenantText(alert, ctx),
    portalUrl: ctx.portalUrl,
  };
}

function licenseDocument(alert: LicenseAlert, ctx: RenderContext): EmailDocument {
  const facts: EmailFact[] = [{ label: alert.metric === "policy" ? "Policy" : "Usage", value: licenseUsageText(alert) }];
  const change = licenseChangeText(alert);
  if (change) facts.push({ label: "Change", value: change });
  const forecast = licenseForecastText(alert);
  if (forecast) facts.push({ label: "Forecast", value: forecast });
  if (alert.metric !== "policy" && alert.usage.outOfPolicySince) {
    facts.push({ label: "Policy", value: `Subscription out of policy since ${formatDate(alert.usage.outOfPolicySince)}` });
  }
  facts.push({ label: "Notice", value: noticeText(alert) }, { label: "Tenant", value: tenantText(alert, ctx) });

  const blocks: EmailBlock[] = [{ type: "facts", facts }];
  const firing = alert.status !== "resolved" && alert.level !== "ok";
  if (alert.metric === "policy" && firing) {
    blocks.push({
      type: "paragraph",
      text: "Backups may stop or be restricted while the subscription is out of policy. Review the subscription in AvePoint Online Services.",
    });
  }
  const subject = emailSubject(alert);
  return {
    subject,
    preview: previewOf(subject, alert, ctx),
    tone: firing ? (alert.level === "critical" ? "critical" : "warning") : "good",
    label: alertLabel(alert),
    title: alert.status === "resolved" ? licenseHeadline(alert) : licenseTitle(alert),
    subtitle: subtitleOf(alert, ctx),
    blocks,
    tenant: tenantText(alert, ctx),
    portalUrl: ctx.portalUrl,
  };
}

function monitoringDocument(alert: MonitoringAlert, ctx: RenderContext): EmailDocument {
  const view = monitoringView(alert, ctx, plainApiText, (raw, max) => plainErrorText(raw, AVEPOINT_ORIGINS, max));
  const blocks: EmailBlock[] = [{ type: "facts", facts: view.facts }];
  if (view.lead) blocks.push({ type: "paragraph", text: view.lead });
  if (view.checks.length > 0) blocks.push({ type: "list", heading: "What to check", items: view.checks.map((text) => ({ text })) });
  const subject = emailSubject(alert);
  const test = alert.subject === "test";
  return {
    subject,
    preview: previewOf(subject, alert, ctx),
    tone: test ? "info" : alertTone(alert),
    label: test ? "TEST" : alertLabel(alert),
    title: alert.status === "resolved" ? monitoringHeadline(alert) : monitoringTitle(alert),
    subtitle: subtitleOf(alert, ctx).replace(/ \u00B7 [A-Z]+ \u00B7 /, test ? " \u00B7 TEST \u00B7 " : "$&"),
    blocks,
    tenant: tenantText(alert, ctx),
    portalUrl: ctx.portalUrl,
  };
}

export function alertDocument(alert: Alert, ctx: RenderContext, detail: EmailDetail = EMAIL_DETAIL): EmailDocument {
  switch (alert.kind) {
    case "job":
      return jobDocument(alert, ctx, detail);
    case "job-recovery":
      return recoveryDocument(alert, ctx, detail);
    case "license":
      return licenseDocument(alert, ctx);
    case "monitoring":
      return monitoringDocument(alert, ctx);
    case "missed-backup":
    case "stuck-job":
    case "failure-ratio":
    case "unusual-activity":
      return healthDocument(alert, ctx, detail);
    case "silence-summary":
      return silenceSummaryDocument(alert, ctx);
  }
}

/** After a silence: every listed held-back alert as a digest entry (an email has room for all of them). */
function silenceSummaryDocument(alert: SilenceSummaryAlert, ctx: RenderContext): EmailDocument {
  const facts: EmailFact[] = [
    { label: "Silence", value: plainApiText(alert.silence.name, 100) },
    { label: "Window", value: silenceWindowText(alert.silence) },
    { label: "Held back", value: silenceSummaryBreakdown(alert) },
    { label: "Tenant", value: tenantText(alert, ctx) },
  ];
  const more = alert.total - alert.alerts.length;
  const blocks: EmailBlock[] = [
    { type: "paragraph", text: SILENCE_SUMMARY_LEAD },
    { type: "facts", facts },
    { type: "entries", entries: alert.alerts.map((a) => digestEntry(a)) },
  ];
  if (more > 0) blocks.push({ type: "paragraph", text: `\u2026and ${plural(more, "more alert")} not listed here.` });
  const subject = emailSubject(alert);
  return {
    subject,
    preview: previewOf(subject, alert, ctx),
    tone: "info",
    label: "INFO",
    title: plainApiText(silenceSummaryTitle(alert)),
    subtitle: subtitleOf(alert, ctx),
    blocks,
    tenant: tenantText(alert, ctx),
    portalUrl: ctx.portalUrl,
  };
}

function healthDocument(alert: HealthAlert, ctx: RenderContext, detail: EmailDetail): EmailDocument {
  const facts = healthFacts(alert, plainApiText, detail).map((f) => ({ label: f.title, value: f.value }));
  facts.push({ label: "Tenant", value: tenantText(alert, ctx) });
  const advice = healthAdvice(alert);
  const subject = emailSubject(alert);
  return {
    subject,
    preview: previewOf(subject, alert, ctx),
    tone: alertTone(alert),
    label: alertLabel(alert),
    // The label already says RESOLVED.
    title: healthHeadline(alert),
    subtitle: subtitleOf(alert, ctx),
    blocks: [...(advice ? [{ type: "paragraph" as const, text: advice }] : []), { type: "facts", facts }],
    tenant: tenantText(alert, ctx),
    portalUrl: ctx.portalUrl,
  };
}

// ------------------------------------------------------------------ digest

function jobEntryDetails(alert: JobAlert, detail: EmailDetail): string {
  const { job } = alert;
  const parts = [
    `Job ID ${job.id ? plainApiText(job.id, detail.maxIdChars) : "not reported"}`,
    job.state === "Unknown" ? `unrecognized state "${plainApiText(job.rawState ?? "", 40)}"` : jobStateLabel(job.state),
  ];
  if (!serviceName(alert.service ?? job.service)) parts.push("service not known");
  if (job.counts) parts.push(`${formatNumber(job.counts.failed)} of ${formatNumber(job.counts.total)} objects failed`);
  parts.push(`finished ${formatUtc(job.finishTime)}`);
  const [topError] = rankErrors(job.errors);
  if (topError) parts.push(`top error: ${plainApiText(topError.message, detail.maxTextChars)}`);
  return parts.join(" \u00B7 ");
}

function recoveryEntryDetails(alert: JobRecoveryAlert, detail: EmailDetail): string {
  const parts = [
    `Job ID ${alert.job.id ? plainApiText(alert.job.id, detail.maxIdChars) : "not reported"}`,
    `finished ${formatUtc(alert.job.finishTime)}`,
  ];
  if (alert.resolvedJobIds.length > 0) {
    const shown = alert.resolvedJobIds.slice(0, detail.maxListedIds).map((id) => plainApiText(id, detail.maxIdChars));
    const hidden = alert.resolvedJobIds.length - shown.length;
    parts.push(`resolves ${shown.join(", ")}${hidden > 0 ? ` and ${formatNumber(hidden)} more` : ""}`);
  }
  return parts.join(" \u00B7 ");
}

export function digestEntry(alert: Alert, detail: EmailDetail = EMAIL_DIGEST_DETAIL): EmailDigestEntry {
  const base = { tone: alertTone(alert), label: alertLabel(alert) };
  switch (alert.kind) {
    case "job":
      return { ...base, headline: jobHeadline(alert, plainApiText), details: jobEntryDetails(alert, detail) };
    case "job-recovery":
      return { ...base, headline: recoveryHeadline(alert), details: recoveryEntryDetails(alert, detail) };
    case "license": {
      const details = [licenseUsageText(alert), licenseChangeText(alert), licenseForecastText(alert)].filter((d): d is string => d !== null);
      const headline = alert.status === "resolved" ? licenseHeadline(alert) : licenseTitle(alert);
      return { ...base, headline, details: details.join(" \u00B7 ") };
    }
    case "monitoring": {
      const [headline, details] = monitoringDigestEntry(alert, plainApiText);
      return { ...base, headline, details };
    }
    case "missed-backup":
    case "stuck-job":
    case "failure-ratio":
    case "unusual-activity":
      return { ...base, headline: healthHeadline(alert), details: healthDigestDetails(alert, plainApiText, detail) };
    case "silence-summary":
      return { ...base, headline: plainApiText(silenceSummaryTitle(alert)), details: silenceSummaryDigestDetails(alert, (a) => digestEntry(a, detail).headline) };
  }
}

/**
 * One email for a whole cycle: every alert listed, firing before resolved and
 * most severe first. Unlike a Teams post, an email has no size budget that
 * would force a split, so there is exactly one.
 */
export function digestDocument(alerts: readonly Alert[], ctx: RenderContext): EmailDocument {
  const ordered = digestOrder(alerts);
  const { tag } = digestTone(ordered);
  const firing = ordered.filter((a) => a.status !== "resolved");
  const worst = firing.length === 0 ? null : (firing.find((a) => a.severity === "critical") ?? firing.find((a) => a.severity === "warning") ?? firing[0]);
  const tenant = plainApiText(ctx.tenantName, TENANT_CHARS);
  const subject = digestSubject(ordered, ctx);
  return {
    subject,
    preview: `${subject}: ${digestBreakdown(ordered)}`,
    tone: worst ? worst.severity : "good",
    label: tag.slice(1, -1),
    title: plural(ordered.length, "backup alert"),
    subtitle: `${tenant} \u00B7 ${digestBreakdown(ordered)} \u00B7 ${digestWhenText(ordered)}`,
    blocks: [{ type: "entries", entries: ordered.map((a) => digestEntry(a)) }],
    tenant,
    portalUrl: ctx.portalUrl,
  };
}

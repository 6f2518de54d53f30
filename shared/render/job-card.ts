import type { JobCounts, JobError } from "../avepoint/model.js";
import type { JobAlert, JobRecoveryAlert, RenderContext, Severity } from "../alerts/model.js";
import {
  adaptiveCard,
  factSet,
  FULL_DETAIL,
  headerBand,
  textBlock,
  type AdaptiveCard,
  type CardDetail,
  type CardElement,
  type CardTone,
  type Fact,
} from "./adaptive-card.js";
import { escapeApiText, plainApiText } from "./escape.js";
import {
  alertTag,
  formatDuration,
  formatNumber,
  formatUtc,
  jobStateLabel,
  plural,
  serviceName,
  severityLabel,
  summaryLine,
  tenantLabel,
  whenText,
} from "./format.js";

/** Encodes one untrusted API text for its destination (card markdown or plain preview). */
type Encode = (raw: string, maxChars: number) => string;

/** Raw state texts are short words; a longer one is cut in titles. */
const RAW_STATE_TITLE_CHARS = 40;

export function severityTone(severity: Severity): CardTone {
  switch (severity) {
    case "critical":
      return "attention";
    case "warning":
      return "warning";
    case "info":
      return "default";
  }
}

/**
 * What happened and where: "Backup job failed: Exchange Online". An unknown
 * state names the raw text, because a response we do not understand is itself
 * the alert.
 */
export function jobHeadline(alert: JobAlert, encode: Encode): string {
  const { job } = alert;
  let what: string;
  switch (job.state) {
    case "Failed":
      // "Failed to start" (AvePoint's other job APIs) reads as Failed; the headline keeps the difference.
      what = /^failed\W*to\W*start$/i.test(job.rawState?.trim() ?? "") ? "Backup job failed to start" : "Backup job failed";
      break;
    case "FinishedException":
      what = "Backup job finished with exceptions";
      break;
    case "PartiallyFinished":
      what = "Backup job partially finished";
      break;
    case "InProgress":
      what = "Backup job still in progress";
      break;
    case "Finished":
      what = "Backup job finished";
      break;
    case "Canceled":
    case "Stopped":
    case "Rejected":
    case "Skipped":
      what = `Backup job ${job.state.toLowerCase()}`;
      break;
    case "Unknown":
      what = job.rawState
        ? `Backup job in an unrecognized state "${encode(job.rawState, RAW_STATE_TITLE_CHARS)}"`
        : "Backup job in an unrecognized state";
      break;
  }
  const service = serviceName(alert.service ?? job.service);
  return service ? `${what}: ${service}` : what;
}

export function jobAlertSummary(alert: JobAlert, ctx: RenderContext): string {
  return summaryLine({ tag: alertTag(alert), headline: jobHeadline(alert, plainApiText), id: alert.job.id, tenant: tenantLabel(alert, ctx) });
}

/** "1,234 total, 12 failed, 1,200 successful, 22 skipped"; a counter the API left out is named as not reported. */
export function jobObjectsText(counts: JobCounts): string {
  const missing = counts.missing ?? [];
  const shown = (["total", "failed", "successful", "skipped"] as const).filter((c) => !missing.includes(c)).map((c) => `${formatNumber(counts[c])} ${c}`);
  return missing.length === 0 ? shown.join(", ") : [...shown, `${missing.join(" and ")} not reported`].join(", ");
}

function stateFact(alert: JobAlert, detail: CardDetail): string {
  const { job } = alert;
  if (job.state !== "Unknown") return jobStateLabel(job.state);
  return job.rawState
    ? `Unrecognized: "${escapeApiText(job.rawState, detail.maxTextChars)}"`
    : "Unrecognized: the API sent no state";
}

function subtitle(alert: { severity: Severity; status: "firing" | "resolved"; detectedAt: Date }, tenant: string, label = severityLabel(alert.severity)): string {
  return `${escapeApiText(tenant, 80)} \u00B7 ${label} \u00B7 ${whenText(alert)}`;
}

/** A labelled monospace line: easy to select and copy, and to search for. */
function idBlock(label: string, id: string | null, detail: CardDetail): CardElement[] {
  return [
    textBlock(label, { isSubtle: true, size: "small", spacing: "medium" }),
    id
      ? textBlock(escapeApiText(id, detail.maxIdChars), { fontType: "monospace", weight: "bolder", spacing: "none" })
      : textBlock("not reported by the API", { spacing: "none" }),
  ];
}

/** Most frequent first; equal counts keep the API's order. */
export function rankErrors(errors: readonly JobError[]): JobError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => (b.error.count ?? 0) - (a.error.count ?? 0) || a.index - b.index)
    .map(({ error }) => error);
}

function errorSection(errors: readonly JobError[], detail: CardDetail): CardElement[] {
  if (errors.length === 0) return [];
  const ranked = rankErrors(errors);
  const shown = ranked.slice(0, detail.maxErrors);
  const hidden = ranked.slice(shown.length);
  const items: CardElement[] = [
    textBlock(shown.length > 0 ? "Top errors" : "Errors", { weight: "bolder", spacing: "medium", separator: true }),
  ];
  for (const error of shown) {
    const count = error.count !== undefined ? `${formatNumber(error.count)} \u00D7 ` : "";
    items.push(textBlock(`${count}${escapeApiText(error.message, detail.maxTextChars)}`, { spacing: "small" }));
    if (error.url) {
      items.push(textBlock(`Reference: ${escapeApiText(error.url, detail.maxTextChars)}`, { isSubtle: true, size: "small", spacing: "none" }));
    }
  }
  if (hidden.length > 0) {
    const occurrences = hidden.reduce((sum, e) => sum + (e.count ?? 0), 0);
    const more = shown.length > 0 ? `and ${formatNumber(hidden.length)} more` : plural(hidden.length, "error type");
    const withCounts = occurrences > 0 ? ` (${plural(occurrences, "occurrence")})` : "";
    items.push(textBlock(`${more}${withCounts}; see AvePoint Online Services for the full list`, { isSubtle: true, spacing: "small" }));
  }
  return items;
}

export function renderJobAlertCard(alert: JobAlert, ctx: RenderContext, detail: CardDetail = FULL_DETAIL): AdaptiveCard {
  const { job } = alert;
  const tenant = tenantLabel(alert, ctx);
  const tone = alert.status === "resolved" ? "good" : severityTone(alert.severity);
  const service = serviceName(alert.service ?? job.service);

  const facts: Fact[] = [
    { title: "Service", value: service ?? "not known (job read without a service filter)" },
    { title: "State", value: stateFact(alert, detail) },
    { title: "Started", value: formatUtc(job.startTime) },
    { title: "Finished", value: formatUtc(job.finishTime) },
    { title: "Duration", value: formatDuration(job.durationMs) },
  ];
  if (job.counts) facts.push({ title: "Objects", value: jobObjectsText(job.counts) });
  facts.push({ title: "Tenant", value: escapeApiText(tenant, 80) });

  const body: CardElement[] = [headerBand(tone, jobHeadline(alert, escapeApiText), subtitle(alert, tenant))];
  if (job.state === "Unknown") {
    body.push(
      textBlock(
        "The API reported a job state this monitor does not recognize. It is raised as an alert rather than ignored: check the job in AvePoint Online Services.",
        { color: "warning", spacing: "medium" },
      ),
    );
  }
  body.push(...idBlock("Job ID", job.id, detail), factSet(facts, { spacing: "medium" }), ...errorSection(job.errors, detail));

  return adaptiveCard({ fallbackText: jobAlertSummary(alert, ctx), body, portalUrl: ctx.portalUrl });
}

/** "Exchange Online backups succeed again". */
export function recoveryHeadline(alert: JobRecoveryAlert): string {
  return `${serviceName(alert.service) ?? "Service"} backups succeed again`;
}

export function jobRecoverySummary(alert: JobRecoveryAlert, ctx: RenderContext): string {
  return summaryLine({ tag: alertTag(alert), headline: recoveryHeadline(alert), id: alert.job.id, tenant: tenantLabel(alert, ctx) });
}

/** "A, B, C and 4 more" with each id escaped. */
export function listedIds(ids: readonly string[], detail: CardDetail): string {
  const shown = ids.slice(0, detail.maxListedIds).map((id) => escapeApiText(id, detail.maxIdChars));
  const hidden = ids.length - shown.length;
  return hidden > 0 ? `${shown.join(", ")} and ${formatNumber(hidden)} more` : shown.join(", ");
}

export function renderJobRecoveryCard(alert: JobRecoveryAlert, ctx: RenderContext, detail: CardDetail = FULL_DETAIL): AdaptiveCard {
  const tenant = tenantLabel(alert, ctx);
  const facts: Fact[] = [
    { title: "Service", value: serviceName(alert.service) ?? "not known" },
    { title: "Finished", value: formatUtc(alert.job.finishTime) },
  ];
  if (alert.job.counts) facts.push({ title: "Objects", value: jobObjectsText(alert.job.counts) });
  facts.push({ title: "Tenant", value: escapeApiText(tenant, 80) });

  const body: CardElement[] = [
    headerBand("good", `Resolved: ${recoveryHeadline(alert)}`, subtitle(alert, tenant, "RESOLVED")),
    ...idBlock("Successful job ID", alert.job.id, detail),
    factSet(facts, { spacing: "medium" }),
  ];
  if (alert.resolvedJobIds.length > 0) {
    body.push(
      textBlock(`Resolves ${plural(alert.resolvedJobIds.length, "failed job")}`, { weight: "bolder", spacing: "medium", separator: true }),
      textBlock(listedIds(alert.resolvedJobIds, detail), { fontType: "monospace", spacing: "small" }),
    );
  }
  return adaptiveCard({ fallbackText: jobRecoverySummary(alert, ctx), body, portalUrl: ctx.portalUrl });
}

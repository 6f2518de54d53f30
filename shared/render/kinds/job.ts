import type { JobError } from "../../avepoint/model.js";
import type { JobAlert } from "../../alerts/model.js";
import { adaptiveCard, factSet, headerBand, textBlock, type CardDetail, type CardElement, type Fact } from "../adaptive-card.js";
import type { AlertKindView, EntryLines } from "../alert-kind.js";
import { cardSubtitle, idBlock, severityTone } from "../card-parts.js";
import { DIGEST_DETAIL } from "../digest-layout.js";
import { alertEmail, SUBJECT_ID_CHARS, tenantText, type EmailBlock, type EmailFact, type EmailListItem } from "../email-document.js";
import { escapeApiText, plainApiText, type Encode } from "../escape.js";
import {
  alertTag,
  formatDuration,
  formatNumber,
  formatUtc,
  jobObjectsText,
  jobStateLabel,
  plural,
  serviceName,
  severityLabel,
  summaryLine,
  tenantLabel,
  TENANT_CHARS,
} from "../format.js";

/** A backup job reached a final state that alerts, or a state we do not understand. */

/** Raw state texts are short words; a longer one is cut in titles. */
const RAW_STATE_TITLE_CHARS = 40;

const UNKNOWN_STATE_NOTE =
  "The API reported a job state this monitor does not recognize. It is raised as an alert rather than ignored: check the job in AvePoint Online Services.";

/**
 * What happened and where: "Backup job failed: Exchange Online". An unknown
 * state names the raw text, because a response we do not understand is itself
 * the alert.
 */
function jobHeadline(alert: JobAlert, encode: Encode): string {
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

function stateText(alert: JobAlert, encode: Encode, detail: CardDetail): string {
  const { job } = alert;
  if (job.state !== "Unknown") return jobStateLabel(job.state);
  return job.rawState ? `Unrecognized: "${encode(job.rawState, detail.maxTextChars)}"` : "Unrecognized: the API sent no state";
}

/** Service, state, times and objects, in display order; the tenant is added by the caller. */
function jobFacts(alert: JobAlert, encode: Encode, detail: CardDetail): Fact[] {
  const { job } = alert;
  const facts: Fact[] = [
    { title: "Service", value: serviceName(alert.service ?? job.service) ?? "not known (job read without a service filter)" },
    { title: "State", value: stateText(alert, encode, detail) },
    { title: "Started", value: formatUtc(job.startTime) },
    { title: "Finished", value: formatUtc(job.finishTime) },
    { title: "Duration", value: formatDuration(job.durationMs) },
  ];
  if (job.counts) facts.push({ title: "Objects", value: jobObjectsText(job.counts) });
  return facts;
}

/** Most frequent first; equal counts keep the API's order. */
function rankErrors(errors: readonly JobError[]): JobError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => (b.error.count ?? 0) - (a.error.count ?? 0) || a.index - b.index)
    .map(({ error }) => error);
}

/** The errors shown at this detail, each "12 × message", and what is left out (counted). */
function listedErrors(errors: readonly JobError[], encode: Encode, detail: CardDetail): { shown: { text: string; reference?: string }[]; hidden: number; occurrences: number } {
  const ranked = rankErrors(errors);
  const shown = ranked.slice(0, detail.maxErrors).map((error) => {
    const count = error.count !== undefined ? `${formatNumber(error.count)} \u00D7 ` : "";
    const text = `${count}${encode(error.message, detail.maxTextChars)}`;
    return error.url ? { text, reference: `Reference: ${encode(error.url, detail.maxTextChars)}` } : { text };
  });
  const hidden = ranked.slice(shown.length);
  return { shown, hidden: hidden.length, occurrences: hidden.reduce((sum, e) => sum + (e.count ?? 0), 0) };
}

function errorSection(errors: readonly JobError[], detail: CardDetail): CardElement[] {
  if (errors.length === 0) return [];
  const { shown, hidden, occurrences } = listedErrors(errors, escapeApiText, detail);
  const items: CardElement[] = [textBlock(shown.length > 0 ? "Top errors" : "Errors", { weight: "bolder", spacing: "medium", separator: true })];
  for (const error of shown) {
    items.push(textBlock(error.text, { spacing: "small" }));
    if (error.reference) items.push(textBlock(error.reference, { isSubtle: true, size: "small", spacing: "none" }));
  }
  if (hidden > 0) {
    const more = shown.length > 0 ? `and ${formatNumber(hidden)} more` : plural(hidden, "error type");
    const withCounts = occurrences > 0 ? ` (${plural(occurrences, "occurrence")})` : "";
    items.push(textBlock(`${more}${withCounts}; see AvePoint Online Services for the full list`, { isSubtle: true, spacing: "small" }));
  }
  return items;
}

function errorBlock(errors: readonly JobError[], detail: CardDetail): EmailBlock[] {
  if (errors.length === 0) return [];
  const { shown, hidden, occurrences } = listedErrors(errors, plainApiText, detail);
  const items = shown.map((error): EmailListItem => (error.reference ? { text: error.text, detail: error.reference } : { text: error.text }));
  const withCounts = occurrences > 0 ? ` (${plural(occurrences, "occurrence")})` : "";
  const more = hidden > 0 ? `and ${formatNumber(hidden)} more${withCounts}; see AvePoint Online Services for the full list` : undefined;
  return [{ type: "list", heading: items.length > 0 ? "Top errors" : "Errors", items, ...(more ? { more } : {}) }];
}

/** "Job ID IB… · Failed · 12 of 1,234 objects failed · finished … · top error: …" */
function entryLines(alert: JobAlert, encode: Encode, detail: CardDetail): EntryLines {
  const { job } = alert;
  const details = [
    `Job ID ${job.id ? encode(job.id, detail.maxIdChars) : "not reported"}`,
    job.state === "Unknown" ? `unrecognized state "${encode(job.rawState ?? "", 40)}"` : jobStateLabel(job.state),
  ];
  if (!serviceName(alert.service ?? job.service)) details.push("service not known");
  if (job.counts) details.push(`${formatNumber(job.counts.failed)} of ${formatNumber(job.counts.total)} objects failed`);
  details.push(`finished ${formatUtc(job.finishTime)}`);
  const [topError] = rankErrors(job.errors);
  if (topError) details.push(`top error: ${encode(topError.message, detail.maxTextChars)}`);
  return [jobHeadline(alert, encode), details.join(" \u00B7 ")];
}

export const job: AlertKindView<JobAlert> = {
  noun: ["job alert", "job alerts"],

  summary: (alert, ctx) => summaryLine({ tag: alertTag(alert), headline: jobHeadline(alert, plainApiText), id: alert.job.id, tenant: tenantLabel(alert, ctx) }),

  card(alert, ctx, detail, held) {
    const tenant = tenantLabel(alert, ctx);
    const tone = alert.status === "resolved" ? "good" : severityTone(alert.severity);
    const facts = [...jobFacts(alert, escapeApiText, detail), { title: "Tenant", value: escapeApiText(tenant, TENANT_CHARS) }];
    const body: CardElement[] = [headerBand(tone, jobHeadline(alert, escapeApiText), cardSubtitle(alert, tenant, severityLabel(alert.severity)))];
    if (alert.job.state === "Unknown") body.push(textBlock(UNKNOWN_STATE_NOTE, { color: "warning", spacing: "medium" }));
    body.push(...idBlock("Job ID", alert.job.id, detail), factSet(facts, { spacing: "medium" }), ...errorSection(alert.job.errors, detail));
    return adaptiveCard({ fallbackText: job.summary(alert, ctx, held), body, portalUrl: ctx.portalUrl });
  },

  digestEntry: (alert) => entryLines(alert, escapeApiText, DIGEST_DETAIL),

  email(alert, ctx, detail) {
    const facts: EmailFact[] = jobFacts(alert, plainApiText, detail).map((f) => ({ label: f.title, value: f.value }));
    facts.push({ label: "Tenant", value: tenantText(alert, ctx) });
    const blocks: EmailBlock[] = alert.job.state === "Unknown" ? [{ type: "paragraph", emphasis: true, text: UNKNOWN_STATE_NOTE }] : [];
    blocks.push(
      { type: "id", label: "Job ID", value: alert.job.id ? plainApiText(alert.job.id, detail.maxIdChars) : null },
      { type: "facts", facts },
      ...errorBlock(alert.job.errors, detail),
    );
    const id = alert.job.id ? ` (${plainApiText(alert.job.id, SUBJECT_ID_CHARS)})` : "";
    return alertEmail(alert, ctx, { subject: `${alertTag(alert)} ${jobHeadline(alert, plainApiText)}${id}`, title: jobHeadline(alert, plainApiText), blocks });
  },

  emailDigestEntry: (alert, detail) => entryLines(alert, plainApiText, detail),
};

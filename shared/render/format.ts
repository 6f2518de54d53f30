import { SERVICES, type BackupJob, type JobCounts, type ServiceId } from "../avepoint/model.js";
import type { Alert, AlertBase, RenderContext, Severity } from "../alerts/model.js";
import { plainApiText } from "./escape.js";

/**
 * Formatting shared by cards, digests and (later) e-mail. Always UTC and
 * en-US grouping: on-call admins across time zones compare these strings with
 * the portal and with each other, so they must not depend on the host locale.
 */

/** A tenant name is cut to this many characters wherever it is shown (cards, summaries, emails). */
export const TENANT_CHARS = 80;

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** "2026-11-29" (UTC). */
export function formatDate(date: Date): string {
  return `${date.getUTCFullYear()}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
}

/** "2026-11-29 08:15 UTC"; "not reported" when the API gave no time. */
export function formatUtc(date: Date | null | undefined): string {
  if (!date || Number.isNaN(date.getTime())) return "not reported";
  return `${formatDate(date)} ${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())} UTC`;
}

/**
 * The time in a card's subtitle: "detected 2026-11-29 08:15 UTC", or for a
 * resolved alert "resolved at …" (its time is when the recovery was seen).
 */
export function whenText(alert: { status: "firing" | "resolved"; detectedAt: Date | null }): string {
  return `${alert.status === "resolved" ? "resolved at" : "detected"} ${formatUtc(alert.detectedAt)}`;
}

/** A digest's subtitle time: its latest alert, "resolved at" when every alert in it is a recovery. */
export function digestWhenText(alerts: readonly Alert[]): string {
  const latest = alerts.reduce<Date | null>((max, a) => (max === null || a.detectedAt > max ? a.detectedAt : max), null);
  return whenText({ status: alerts.length > 0 && alerts.every((a) => a.status === "resolved") ? "resolved" : "firing", detectedAt: latest });
}

const MINUTE_IN_MS = 60_000;

/** "1 h 12 min", "45 min", "38 s", "2 d 3 h"; "not reported" when unknown. */
export function formatDuration(durationInMs: number | null | undefined): string {
  if (durationInMs === null || durationInMs === undefined || !Number.isFinite(durationInMs) || durationInMs < 0) {
    return "not reported";
  }
  if (durationInMs < MINUTE_IN_MS) return `${Math.round(durationInMs / 1000)} s`;
  const totalMinutes = Math.floor(durationInMs / MINUTE_IN_MS);
  const days = Math.floor(totalMinutes / (24 * 60));
  const hours = Math.floor((totalMinutes % (24 * 60)) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  return `${minutes} min`;
}

const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** "1,900"; at most one decimal ("12.5"). */
export function formatNumber(value: number): string {
  return NUMBER.format(value);
}

/**
 * Whole percent. Never rounds up to 100% while something is still left: "100%"
 * must mean exhausted, so 99.6 shows as 99%.
 */
export function formatPercent(percent: number): string {
  const rounded = Math.round(percent);
  return `${percent < 100 && rounded >= 100 ? 99 : rounded}%`;
}

export function serviceName(service: ServiceId | undefined): string | undefined {
  return service === undefined ? undefined : SERVICES[service];
}

/** Readable job state; unknown states are shown by the caller with the raw text. */
export function jobStateLabel(state: BackupJob["state"]): string {
  switch (state) {
    case "Failed":
      return "Failed";
    case "FinishedException":
      return "Finished with exceptions";
    case "PartiallyFinished":
      return "Partially finished";
    case "InProgress":
      return "In progress";
    case "Finished":
      return "Finished";
    case "Canceled":
      return "Canceled";
    case "Stopped":
      return "Stopped";
    case "Rejected":
      return "Rejected";
    case "Skipped":
      return "Skipped";
    case "Unknown":
      return "Unrecognized state";
  }
}

export function severityLabel(severity: Severity): string {
  return severity.toUpperCase();
}

/** "CRITICAL", or "RESOLVED" once resolved. */
export function alertLabel(alert: AlertBase): string {
  return alert.status === "resolved" ? "RESOLVED" : severityLabel(alert.severity);
}

/** The bracketed tag that starts every summary line: "[CRITICAL]", "[RESOLVED]". */
export function alertTag(alert: AlertBase): string {
  return `[${alertLabel(alert)}]`;
}

/** "1,234 total, 12 failed, 1,200 successful, 22 skipped"; a counter the API left out is named as not reported. */
export function jobObjectsText(counts: JobCounts): string {
  const missing = counts.missing ?? [];
  const shown = (["total", "failed", "successful", "skipped"] as const).filter((c) => !missing.includes(c)).map((c) => `${formatNumber(counts[c])} ${c}`);
  return missing.length === 0 ? shown.join(", ") : [...shown, `${missing.join(" and ")} not reported`].join(", ");
}

/** "1 alert", "3 alerts". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatNumber(count)} ${count === 1 ? singular : pluralForm}`;
}

/** The tenant label shown on cards: the alert's own, else the deployment's. */
export function tenantLabel(alert: AlertBase, ctx: RenderContext): string {
  return alert.tenant.trim() !== "" ? alert.tenant : ctx.tenantName;
}

/** Longest job id a summary line carries; real ids are about 23 characters. */
const SUMMARY_ID_CHARS = 64;

/**
 * The one-line preview: "[CRITICAL] Backup job failed: Exchange Online
 * (IB2026...) — Contoso". Plain text (no markdown escapes), links defanged.
 * `headline` is text this project wrote; `id` and `tenant` are untrusted.
 */
export function summaryLine(parts: { tag: string; headline: string; id?: string | null; tenant: string }): string {
  const id = parts.id ? ` (${plainApiText(parts.id, SUMMARY_ID_CHARS)})` : "";
  return `${parts.tag} ${parts.headline}${id} \u2014 ${plainApiText(parts.tenant, TENANT_CHARS)}`;
}

import { SERVICE_TYPES } from "../avepoint/model.js";
import type { HealthAlert } from "../alerts/health-model.js";
import type { RenderContext } from "../alerts/model.js";
import { adaptiveCard, factSet, FULL_DETAIL, headerBand, textBlock, type AdaptiveCard, type CardDetail, type CardElement, type Fact } from "./adaptive-card.js";
import { escapeApiText } from "./escape.js";
import { alertTag, formatDuration, formatNumber, formatPercent, formatUtc, jobStateLabel, serviceName, severityLabel, summaryLine, tenantLabel, whenText } from "./format.js";
import { severityTone } from "./job-card.js";

/**
 * Cards for the backup-health alerts (missed backup, stuck job, failure
 * ratio, unusual activity). Facts and headlines are shared with the email
 * rendering (`encode` says how untrusted API text is made safe for each).
 */

/** Encodes one untrusted API text for its destination (card markdown or plain text). */
export type Encode = (raw: string, maxChars: number) => string;

const HOUR_IN_MS = 3_600_000;

/** "Exchange Online"; for unusual activity the API's own service name ("Private Channel"). */
export function healthServiceName(alert: HealthAlert): string | undefined {
  if (alert.kind === "unusual-activity") return SERVICE_TYPES[alert.serviceType] ?? serviceName(alert.service) ?? `service type ${alert.serviceType}`;
  return serviceName(alert.service);
}

function withService(what: string, alert: HealthAlert): string {
  const service = healthServiceName(alert);
  return service ? `${what}: ${service}` : what;
}

/** Whole hours from `from` to the alert's detection. */
function hoursSince(from: Date | null, alert: HealthAlert): number | null {
  if (!from) return null;
  return Math.floor((alert.detectedAt.getTime() - from.getTime()) / HOUR_IN_MS);
}

/** What happened, where: "No successful backup for 30 h: Exchange Online". Project text only (no API text). */
export function healthHeadline(alert: HealthAlert): string {
  const resolved = alert.status === "resolved";
  switch (alert.kind) {
    case "missed-backup": {
      if (alert.cause === "schedule") return withService(resolved ? "Scheduled backup started" : "Scheduled backup did not start", alert);
      if (resolved) return withService("Backups succeed again", alert);
      const hours = hoursSince(alert.lastSuccessAt, alert);
      return withService(hours === null ? `No successful backup in ${formatNumber(alert.maxAgeHours)} h` : `No successful backup for ${formatNumber(hours)} h`, alert);
    }
    case "stuck-job": {
      if (resolved) return withService(alert.outcome === "vanished" ? "Long-running job no longer listed" : "Long-running job ended", alert);
      const ms = alert.job.startTime ? alert.detectedAt.getTime() - alert.job.startTime.getTime() : null;
      return withService(`Job still in progress after ${formatDuration(ms)}`, alert);
    }
    case "failure-ratio": {
      if (alert.cause === "skipped-growth") {
        return withService(resolved ? "Skipped objects no longer growing" : `Skipped objects grew in ${formatNumber((alert.runs?.length ?? 1) - 1)} runs in a row`, alert);
      }
      return withService(`Job finished with ${formatPercent(alert.percent ?? 0)} of objects failed or skipped`, alert);
    }
    case "unusual-activity": {
      if (resolved) return withService("Unusual activity no longer reported", alert);
      return withService(alert.ransomwareCount > alert.previousRansomwareCount ? "Potential ransomware attack detected" : "Unusual activity detected", alert);
    }
  }
}

/** The job id a summary line or subject carries, if any (untrusted: encode it). */
export function healthJobId(alert: HealthAlert): string | null {
  if (alert.kind === "stuck-job" || (alert.kind === "failure-ratio" && alert.cause === "objects")) return alert.job.id;
  return null;
}

export function healthAlertSummary(alert: HealthAlert, ctx: RenderContext): string {
  return summaryLine({ tag: alertTag(alert), headline: healthHeadline(alert), id: healthJobId(alert), tenant: tenantLabel(alert, ctx) });
}

/** "7 sites (was 2)". */
function countChange(now: number, before: number): string {
  const sites = `${formatNumber(now)} ${now === 1 ? "site" : "sites"}`;
  return now === before ? sites : `${sites} (was ${formatNumber(before)})`;
}

/** The facts of a health alert, in display order; the tenant is added by the caller. */
export function healthFacts(alert: HealthAlert, encode: Encode, detail: Pick<CardDetail, "maxIdChars">): Fact[] {
  const id = (value: string | null) => (value ? encode(value, detail.maxIdChars) : "not reported by the API");
  const service = healthServiceName(alert) ?? "not known (job read without a service filter)";
  switch (alert.kind) {
    case "missed-backup": {
      const facts: Fact[] = [{ title: "Service", value: service }];
      if (alert.cause === "schedule" && alert.scheduledAt) {
        facts.push({ title: "Scheduled start", value: formatUtc(alert.scheduledAt) }, { title: "Grace period", value: `${formatNumber(alert.graceMinutes ?? 0)} min` });
      }
      facts.push({
        title: "Last successful backup",
        value: alert.lastSuccessAt ? `${formatUtc(alert.lastSuccessAt)} (${formatDuration(alert.detectedAt.getTime() - alert.lastSuccessAt.getTime())} before detection)` : `none found in the last ${formatNumber(alert.maxAgeHours)} h`,
      });
      if (alert.lastSuccessJobId) facts.push({ title: "Last successful job", value: id(alert.lastSuccessJobId) });
      if (alert.cause === "age") facts.push({ title: "Allowed age", value: `${formatNumber(alert.maxAgeHours)} h (BACKUP_MAX_AGE_HOURS)` });
      if (alert.resolvedBy) {
        const by = alert.resolvedBy;
        facts.push({ title: alert.cause === "schedule" ? "Started job" : "Successful job", value: `${id(by.id)} (${alert.cause === "schedule" ? `started ${formatUtc(by.startTime)}` : `finished ${formatUtc(by.finishTime)}`})` });
      }
      return facts;
    }
    case "stuck-job": {
      const { job } = alert;
      const facts: Fact[] = [
        { title: "Job ID", value: id(job.id) },
        { title: "Service", value: service },
        { title: "Started", value: formatUtc(job.startTime) },
      ];
      if (alert.status === "resolved") {
        facts.push({ title: "Outcome", value: alert.outcome === "vanished" ? "no longer listed by the API" : `${job.state === "Unknown" ? "Unrecognized state" : jobStateLabel(job.state)}, finished ${formatUtc(job.finishTime)}` });
      } else {
        facts.push({ title: "Running for", value: formatDuration(job.startTime ? alert.detectedAt.getTime() - job.startTime.getTime() : null) });
      }
      facts.push({ title: "Allowed run time", value: `${formatNumber(alert.maxRuntimeHours)} h (JOB_MAX_RUNTIME_HOURS)` });
      if (job.counts) facts.push({ title: "Objects so far", value: `${formatNumber(job.counts.total)} total, ${formatNumber(job.counts.failed)} failed, ${formatNumber(job.counts.skipped)} skipped` });
      return facts;
    }
    case "failure-ratio": {
      const { job } = alert;
      if (alert.cause === "skipped-growth") {
        const runs = (alert.runs ?? []).map((r) => `${formatNumber(r.skipped)}`).join(" \u2192 ");
        return [
          { title: "Service", value: service },
          { title: "Skipped per run", value: runs || "not reported" },
          { title: "Newest run", value: `${id(job.id)} (finished ${formatUtc(job.finishTime)})` },
        ];
      }
      const facts: Fact[] = [
        { title: "Job ID", value: id(job.id) },
        { title: "Service", value: service },
        { title: "State", value: job.state === "Unknown" ? "Unrecognized state" : jobStateLabel(job.state) },
        { title: "Finished", value: formatUtc(job.finishTime) },
      ];
      if (job.counts) {
        facts.push({ title: "Objects", value: `${formatNumber(job.counts.total)} total, ${formatNumber(job.counts.failed)} failed, ${formatNumber(job.counts.skipped)} skipped, ${formatNumber(job.counts.successful)} successful` });
      }
      facts.push({ title: "Threshold", value: `${formatNumber(alert.thresholdPercent ?? 0)}% failed or skipped (JOB_FAILED_OBJECTS_PERCENT)` });
      return facts;
    }
    case "unusual-activity":
      return [
        { title: "Service", value: service },
        { title: "Potential ransomware", value: countChange(alert.ransomwareCount, alert.previousRansomwareCount) },
        { title: "Unusual activity", value: countChange(alert.unusualCount, alert.previousUnusualCount) },
        { title: "Window", value: `detected in the last ${formatNumber(alert.windowHours)} h` },
      ];
  }
}

/** A sentence on what to do, or why it matters; null when the facts say it all. */
export function healthAdvice(alert: HealthAlert): string | null {
  if (alert.status === "resolved") return null;
  switch (alert.kind) {
    case "missed-backup":
      return alert.cause === "schedule"
        ? "The backup the schedule announced has not started. Check the service's backup scope and the Cloud Backup status in AvePoint Online Services."
        : "Data changed since the last successful backup is not protected. Check the service's jobs in AvePoint Online Services.";
    case "stuck-job":
      return "A job that runs this long may be hung and can delay the next backups. Check it in AvePoint Online Services.";
    case "failure-ratio":
      return alert.cause === "skipped-growth"
        ? "Each run skips more objects than the one before: objects are silently falling out of protection."
        : "The job finished, but a large part of its objects were not backed up.";
    case "unusual-activity":
      return "Cloud Backup detected activity that can mean ransomware or mass changes. Review the affected sites in AvePoint Online Services before restoring or deleting anything.";
  }
}

/** One line of details for a digest entry. */
export function healthDigestDetails(alert: HealthAlert, encode: Encode, detail: Pick<CardDetail, "maxIdChars">): string {
  return healthFacts(alert, encode, detail)
    .filter((f) => f.title !== "Service")
    .slice(0, 3)
    .map((f) => `${f.title} ${f.value}`)
    .join(" \u00B7 ");
}

export function renderHealthCard(alert: HealthAlert, ctx: RenderContext, detail: CardDetail = FULL_DETAIL): AdaptiveCard {
  const tenant = tenantLabel(alert, ctx);
  const resolved = alert.status === "resolved";
  const label = resolved ? "RESOLVED" : severityLabel(alert.severity);
  const title = resolved ? `Resolved: ${healthHeadline(alert)}` : healthHeadline(alert);
  const body: CardElement[] = [headerBand(resolved ? "good" : severityTone(alert.severity), title, `${escapeApiText(tenant, 80)} \u00B7 ${label} \u00B7 ${whenText(alert)}`)];
  const advice = healthAdvice(alert);
  if (advice) body.push(textBlock(advice, { spacing: "medium" }));
  body.push(factSet([...healthFacts(alert, escapeApiText, detail), { title: "Tenant", value: escapeApiText(tenant, 80) }], { spacing: "medium" }));
  return adaptiveCard({ fallbackText: healthAlertSummary(alert, ctx), body, portalUrl: ctx.portalUrl });
}



import type { Alert, RenderContext } from "../alerts/model.js";
import { FULL_DETAIL, type AdaptiveCard, type CardDetail } from "./adaptive-card.js";
import { jobAlertSummary, jobRecoverySummary, renderJobAlertCard, renderJobRecoveryCard } from "./job-card.js";
import { licenseAlertSummary, renderLicenseCard } from "./license-card.js";
import { monitoringAlertSummary, renderMonitoringCard } from "./monitoring-card.js";
import { healthAlertSummary, renderHealthCard } from "./health-card.js";
import { renderSilenceSummaryCard, silenceSummaryAlertSummary } from "./silence-summary-card.js";

/** The card for one alert, whatever its kind. */
export function renderAlertCard(alert: Alert, ctx: RenderContext, detail: CardDetail = FULL_DETAIL): AdaptiveCard {
  switch (alert.kind) {
    case "job":
      return renderJobAlertCard(alert, ctx, detail);
    case "job-recovery":
      return renderJobRecoveryCard(alert, ctx, detail);
    case "license":
      return renderLicenseCard(alert, ctx);
    case "monitoring":
      return renderMonitoringCard(alert, ctx);
    case "missed-backup":
    case "stuck-job":
    case "failure-ratio":
    case "unusual-activity":
      return renderHealthCard(alert, ctx, detail);
    case "silence-summary":
      return renderSilenceSummaryCard(alert, ctx, detail);
  }
}

/** The one-line preview of one alert: "[CRITICAL] Backup job failed: Exchange Online (IB…) — Contoso". */
export function alertSummary(alert: Alert, ctx: RenderContext): string {
  switch (alert.kind) {
    case "job":
      return jobAlertSummary(alert, ctx);
    case "job-recovery":
      return jobRecoverySummary(alert, ctx);
    case "license":
      return licenseAlertSummary(alert, ctx);
    case "monitoring":
      return monitoringAlertSummary(alert, ctx);
    case "missed-backup":
    case "stuck-job":
    case "failure-ratio":
    case "unusual-activity":
      return healthAlertSummary(alert, ctx);
    case "silence-summary":
      return silenceSummaryAlertSummary(alert, ctx);
  }
}

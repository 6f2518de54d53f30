import type { Alert, RenderContext } from "../alerts/model.js";
import { jobAlertSummary, jobRecoverySummary } from "./job-card.js";
import { licenseAlertSummary } from "./license-card.js";
import { monitoringAlertSummary } from "./monitoring-card.js";
import { healthAlertSummary } from "./health-card.js";
import { silenceSummaryAlertSummary } from "./silence-summary-text.js";

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

import type { Alert, RenderContext } from "../alerts/model.js";
import { FULL_DETAIL, type AdaptiveCard, type CardDetail } from "./adaptive-card.js";
import { renderJobAlertCard, renderJobRecoveryCard } from "./job-card.js";
import { renderLicenseCard } from "./license-card.js";
import { renderMonitoringCard } from "./monitoring-card.js";
import { renderHealthCard } from "./health-card.js";
import { renderSilenceSummaryCard } from "./silence-summary-card.js";

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

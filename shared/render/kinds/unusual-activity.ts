import { SERVICE_TYPES } from "../../avepoint/model.js";
import type { UnusualActivityAlert } from "../../alerts/health-model.js";
import { formatNumber, serviceName } from "../format.js";
import { healthKind, withService } from "../health-kind.js";

/** Cloud Backup's unusual-activity counts rose for a service, or fell back to zero. */

/** The API's own service name ("Private Channel"), else ours. */
function activityServiceName(alert: UnusualActivityAlert): string {
  return SERVICE_TYPES[alert.serviceType] ?? serviceName(alert.service) ?? `service type ${alert.serviceType}`;
}

/** "7 sites (was 2)". */
function countChange(now: number, before: number): string {
  const sites = `${formatNumber(now)} ${now === 1 ? "site" : "sites"}`;
  return now === before ? sites : `${sites} (was ${formatNumber(before)})`;
}

export const unusualActivity = healthKind<UnusualActivityAlert>({
  headline(alert) {
    if (alert.status === "resolved") return withService("Unusual activity no longer reported", activityServiceName(alert));
    return withService(alert.ransomwareCount > alert.previousRansomwareCount ? "Potential ransomware attack detected" : "Unusual activity detected", activityServiceName(alert));
  },

  facts: (alert) => [
    { title: "Service", value: activityServiceName(alert) },
    { title: "Potential ransomware", value: countChange(alert.ransomwareCount, alert.previousRansomwareCount) },
    { title: "Unusual activity", value: countChange(alert.unusualCount, alert.previousUnusualCount) },
    { title: "Window", value: `detected in the last ${formatNumber(alert.windowHours)} h` },
  ],

  advice: () =>
    "Cloud Backup detected activity that can mean ransomware or mass changes. Review the affected sites in AvePoint Online Services before restoring or deleting anything.",
});

import type { MissedBackupAlert } from "../../alerts/health-model.js";
import type { Fact } from "../adaptive-card.js";
import { formatDuration, formatNumber, formatUtc, serviceName } from "../format.js";
import { healthKind, idFact, SERVICE_NOT_KNOWN, withService } from "../health-kind.js";

/**
 * A watched service has no recovery point: no successful backup within
 * BACKUP_MAX_AGE_HOURS (`cause: "age"`), or a scheduled backup did not start
 * (`cause: "schedule"`); resolved when a backup finishes or starts.
 */

const HOUR_IN_MS = 3_600_000;

function headline(alert: MissedBackupAlert): string {
  const service = serviceName(alert.service);
  if (alert.cause === "schedule") return withService(alert.status === "resolved" ? "Scheduled backup started" : "Scheduled backup did not start", service);
  if (alert.status === "resolved") return withService("Backups succeed again", service);
  if (!alert.lastSuccessAt) return withService(`No successful backup in ${formatNumber(alert.maxAgeHours)} h`, service);
  const hours = Math.floor((alert.detectedAt.getTime() - alert.lastSuccessAt.getTime()) / HOUR_IN_MS);
  return withService(`No successful backup for ${formatNumber(hours)} h`, service);
}

export const missedBackup = healthKind<MissedBackupAlert>({
  headline,

  facts(alert, encode, detail) {
    const facts: Fact[] = [{ title: "Service", value: serviceName(alert.service) ?? SERVICE_NOT_KNOWN }];
    if (alert.cause === "schedule" && alert.scheduledAt) {
      facts.push({ title: "Scheduled start", value: formatUtc(alert.scheduledAt) }, { title: "Grace period", value: `${formatNumber(alert.graceMinutes ?? 0)} min` });
    }
    facts.push({
      title: "Last successful backup",
      value: alert.lastSuccessAt
        ? `${formatUtc(alert.lastSuccessAt)} (${formatDuration(alert.detectedAt.getTime() - alert.lastSuccessAt.getTime())} before detection)`
        : `none found in the last ${formatNumber(alert.maxAgeHours)} h`,
    });
    if (alert.lastSuccessJobId) facts.push({ title: "Last successful job", value: idFact(alert.lastSuccessJobId, encode, detail) });
    if (alert.cause === "age") facts.push({ title: "Allowed age", value: `${formatNumber(alert.maxAgeHours)} h (BACKUP_MAX_AGE_HOURS)` });
    if (alert.resolvedBy) {
      const by = alert.resolvedBy;
      const schedule = alert.cause === "schedule";
      facts.push({
        title: schedule ? "Started job" : "Successful job",
        value: `${idFact(by.id, encode, detail)} (${schedule ? `started ${formatUtc(by.startTime)}` : `finished ${formatUtc(by.finishTime)}`})`,
      });
    }
    return facts;
  },

  advice: (alert) =>
    alert.cause === "schedule"
      ? "The backup the schedule announced has not started. Check the service's backup scope and the Cloud Backup status in AvePoint Online Services."
      : "Data changed since the last successful backup is not protected. Check the service's jobs in AvePoint Online Services.",
});

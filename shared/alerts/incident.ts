import type { Alert } from "./model.js";

/**
 * An incident: what a resolved notice resolves and what a snooze silences,
 * across the alerts that keep arriving for it (a new failed job each night has
 * a new fingerprint; a license reminder every day too). A resolved notice of
 * the same incident updates the incident's open cards in place (green).
 *
 *   job alert / job recovery       job:<service>                         (a recovery resolves its service's open failures)
 *   license alert                  license:<metric>                      (a 'resolved' notice resolves that metric)
 *   monitor degraded               monitoring:degraded:<monitor>         (the monitor works again)
 *   credential expiry              monitoring:credential-expiry          (the credential was renewed)
 *   missed backup                  missed-backup:<service>:<cause>       (a backup finished / started again)
 *   stuck job                      stuck-job:<job id>                    (the job ended or vanished)
 *   failure ratio                  failure-ratio:<cause>:<service>       (skipped-growth ends; "objects" never resolves, but a snooze covers the service)
 *   unusual activity               unusual-activity:<serviceType>        (the counts are back to 0)
 *   anything else                  alert:<fingerprint>                   (test alerts, silence summaries, kinds added later)
 *
 * An alert whose service (or job id) is unknown has no incident beyond
 * itself: only its own card can be resolved, by hand. Incident keys are stored
 * with the cards, so changing one leaves the cards already posted unresolvable.
 */
export function incidentKeyOf(alert: Alert): string {
  const own = `alert:${alert.fingerprint}`;
  const per = (prefix: string, id: string | number | null | undefined): string => (id !== undefined && id !== null ? `${prefix}:${id}` : own);
  switch (alert.kind) {
    case "job":
      return per("job", alert.service ?? alert.job.service);
    case "job-recovery":
      return per("job", alert.service);
    case "license":
      return `license:${alert.metric}`;
    case "monitoring":
      if (alert.subject === "degraded") return `monitoring:degraded:${alert.monitor}`;
      if (alert.subject === "credential-expiry") return "monitoring:credential-expiry";
      return own;
    case "missed-backup":
      return `missed-backup:${alert.service}:${alert.cause}`;
    case "stuck-job":
      return per("stuck-job", alert.job.id);
    case "failure-ratio":
      return per(`failure-ratio:${alert.cause}`, alert.service ?? alert.job.service);
    case "unusual-activity":
      return `unusual-activity:${alert.serviceType}`;
    default:
      return own;
  }
}

/** The keys a snooze is stored under and checked against: the alert itself and its incident. */
export function snoozeKeysOf(alert: Alert): string[] {
  const incident = incidentKeyOf(alert);
  return incident === `alert:${alert.fingerprint}` ? [alert.fingerprint] : [alert.fingerprint, incident];
}

/**
 * Where an alert card stands in Teams, by what people did with it (the bot's
 * buttons) and what the monitor saw; kept with the card (ledger/bot-cards.ts)
 * and drawn on it (render/bot-card.ts). Every field is optional: an empty
 * status is a fresh alert.
 */
export interface BotCardStatus {
  acknowledged?: { by: string; at: Date };
  snoozed?: { by: string; until: Date };
  /** `by` absent: the monitor saw it resolve (`summary` says how). */
  resolved?: { at: Date; by?: string; summary?: string };
  /** Re-posted because nobody acknowledged it in time. */
  escalatedAfterMinutes?: number;
}

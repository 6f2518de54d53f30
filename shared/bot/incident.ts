import type { Alert } from "../alerts/model.js";

/**
 * An incident: what a resolved notice resolves and what a snooze silences,
 * across the alerts that keep arriving for it (a new failed job each night has
 * a new fingerprint; a license reminder every day too).
 *
 *   job alert / job recovery   job:<service>     (a recovery resolves its service's open failures)
 *   license alert              license:<metric>  (a 'resolved' notice resolves that metric)
 *   monitor degraded           monitoring:degraded:<monitor>
 *   credential expiry          monitoring:credential-expiry
 *
 * A job alert whose service is unknown has no incident beyond itself: only its
 * own card can be resolved, by hand.
 */
export function incidentKeyOf(alert: Alert): string {
  switch (alert.kind) {
    case "job": {
      const service = alert.service ?? alert.job.service;
      return service !== undefined && service !== null ? `job:${service}` : `alert:${alert.fingerprint}`;
    }
    case "job-recovery":
      return `job:${alert.service}`;
    case "license":
      return `license:${alert.metric}`;
    default: {
      // Monitoring notices: a "monitor works again" notice resolves that monitor's "degraded" card.
      const other = alert as { kind: string; fingerprint: string; subject?: unknown; monitor?: unknown };
      if (other.kind === "monitoring" && other.subject === "degraded" && typeof other.monitor === "string") return `monitoring:degraded:${other.monitor}`;
      if (other.kind === "monitoring" && other.subject === "credential-expiry") return "monitoring:credential-expiry";
      return `alert:${other.fingerprint}`;
    }
  }
}

/** The keys a snooze is stored under and checked against: the alert itself and its incident. */
export function snoozeKeysOf(alert: Alert): string[] {
  const incident = incidentKeyOf(alert);
  return incident === `alert:${alert.fingerprint}` ? [alert.fingerprint] : [alert.fingerprint, incident];
}

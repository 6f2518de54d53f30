import { fingerprintOf } from "../../shared/alerts/fingerprint.js";
import type { CredentialExpiryAlert, MonitoringDegradedAlert, SetAsideAlert, TestAlert } from "../../shared/alerts/model.js";
import { setAsideAlerts } from "../../shared/alerts/monitoring-rules.js";
import { DETECTED_AT, TENANT } from "./alert-fixtures.js";

/**
 * Named monitoring alerts (kind `monitoring`) for the card and email golden
 * files and the preview gallery. Deterministic: fixed times, tenant "Contoso".
 */

const DAY_IN_MS = 86_400_000;

function degraded(problem: MonitoringDegradedAlert["problem"], error: string, status: "firing" | "resolved" = "firing"): MonitoringDegradedAlert {
  const identity = `monitoring:${TENANT}:jobs:1764403200000-1:${status === "firing" ? "degraded" : "resolved"}:${problem}`;
  return {
    kind: "monitoring",
    subject: "degraded",
    fingerprint: fingerprintOf(identity),
    identity,
    tenant: TENANT,
    severity: status === "firing" ? "critical" : "info",
    status,
    detectedAt: DETECTED_AT,
    monitor: "jobs",
    problem,
    failures: 3,
    error: status === "firing" ? error : "",
    lastSuccessAt: new Date(DETECTED_AT.getTime() - 15 * 60_000),
  };
}

export const degradedCredential = degraded(
  "credential",
  "AvePointAuthError: AvePoint token endpoint https://identity.avepointonlineservices.com refused the request with HTTP 401 (invalid_client: AADSTS7000222: The provided client secret keys are expired).",
);
export const degradedUnreachable = degraded("unreachable", "NetworkError: request to https://graph-us.avepointonlineservices.com failed: connect ECONNREFUSED");
export const degradedMalformed = degraded("malformed", "AvePointApiError: AvePoint API /cloudbackup/jobs answered HTTP 404");
export const degradedRenamed = degraded(
  "renamed",
  "AvePointPathNotFoundError: AvePoint API /cloudbackup/jobs answered HTTP 404: the jobs endpoint answered 404 on every known path (/backup/m365/cloudbackupjobs, /backup/m365/jobs, /backup/m365/cloudbackup/getjobs, /cloudbackup/getjobs, /cloudbackup/jobs); the vendor may have renamed it. Check AvePoint's API change log and AVEPOINT_API_PROFILE",
);
export const degradedResolved = degraded("credential", "", "resolved");
/** One cause (a refused credential) on both monitors: one alert naming both. */
export const degradedBoth: MonitoringDegradedAlert = { ...degradedCredential, monitors: ["jobs", "license"] };
export const degradedBothResolved: MonitoringDegradedAlert = { ...degradedResolved, monitors: ["jobs", "license"] };

function credential(thresholdDays: number, daysLeft: number, status: "firing" | "resolved" = "firing"): CredentialExpiryAlert {
  const expiresAt = new Date(DETECTED_AT.getTime() + daysLeft * DAY_IN_MS);
  const identity = `credential:${TENANT}:certificate:${expiresAt.toISOString()}:${status === "firing" ? thresholdDays : "renewed"}`;
  return {
    kind: "monitoring",
    subject: "credential-expiry",
    fingerprint: fingerprintOf(identity),
    identity,
    tenant: TENANT,
    severity: status === "resolved" ? "info" : thresholdDays > 7 ? "warning" : "critical",
    status,
    detectedAt: DETECTED_AT,
    credential: "certificate",
    expiresAt,
    thresholdDays,
  };
}

export const certificateExpiring30 = credential(30, 29.5);
export const certificateExpiring7 = credential(7, 6.2);
export const certificateExpired = credential(0, -1);
export const certificateRenewed = credential(0, 365, "resolved");

export const testMessage: TestAlert = {
  kind: "monitoring",
  subject: "test",
  fingerprint: fingerprintOf(`test:${TENANT}:fixture`),
  identity: `test:${TENANT}:fixture`,
  tenant: TENANT,
  severity: "info",
  status: "firing",
  detectedAt: DETECTED_AT,
};

export const setAsideUnreadable: SetAsideAlert = setAsideAlerts(
  TENANT,
  [{ receiver: "teams-ops", row: "4f1c9a0e7b2d3c5a~teams-ops", reason: 'could not be read: A stored alert has an unknown format (expected {"v":1,"alert":{...}}); it was written by another version.' }],
  DETECTED_AT,
)[0]!;

export const MONITORING_FIXTURES = {
  "monitoring-degraded-credential": degradedCredential,
  "monitoring-degraded-unreachable": degradedUnreachable,
  "monitoring-degraded-malformed": degradedMalformed,
  "monitoring-degraded-renamed": degradedRenamed,
  "monitoring-resolved": degradedResolved,
  "monitoring-degraded-both-monitors": degradedBoth,
  "monitoring-resolved-both-monitors": degradedBothResolved,
  "monitoring-credential-expiring-30": certificateExpiring30,
  "monitoring-credential-expiring-7": certificateExpiring7,
  "monitoring-credential-expired": certificateExpired,
  "monitoring-credential-renewed": certificateRenewed,
  "monitoring-test": testMessage,
  "monitoring-set-aside": setAsideUnreadable,
} as const;

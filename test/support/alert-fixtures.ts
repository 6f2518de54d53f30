import type { BackupJob, JobError, LicenseUsage, ServiceId } from "../../shared/avepoint/model.js";
import { fingerprintOf } from "../../shared/alerts/fingerprint.js";
import { jobIdentity } from "../../shared/alerts/job-rules.js";
import type {
  Alert,
  FailureRatioAlert,
  JobAlert,
  JobRecoveryAlert,
  LicenseAlert,
  MissedBackupAlert,
  RenderContext,
  StuckJobAlert,
  UnusualActivityAlert,
} from "../../shared/alerts/model.js";

/**
 * Named alerts for renderer tests, golden files, e-mail rendering and the
 * preview gallery. Deterministic: fixed times, tenant "Contoso".
 */

export const DETECTED_AT = new Date("2026-11-29T08:15:00Z");
export const TENANT = "Contoso";

export const RENDER_CONTEXT: RenderContext = {
  tenantName: TENANT,
  portalUrl: "https://www.avepointonlineservices.com",
};

const MINUTE_IN_MS = 60_000;

export function makeJob(overrides: Partial<BackupJob> = {}): BackupJob {
  const startTime = new Date("2026-11-29T06:48:00Z");
  const finishTime = new Date("2026-11-29T08:00:00Z");
  return {
    id: "IB2026112906480012345",
    state: "Failed",
    rawState: "Failed",
    startTime,
    finishTime,
    durationMs: 72 * MINUTE_IN_MS,
    counts: { total: 1234, failed: 12, successful: 1200, skipped: 22 },
    errors: [],
    ...overrides,
  };
}

export function makeJobAlert(job: BackupJob, options: { service?: ServiceId; severity?: JobAlert["severity"]; tenant?: string } = {}): JobAlert {
  const tenant = options.tenant ?? TENANT;
  const identity = jobIdentity(tenant, job);
  const severity = options.severity ?? (job.state === "Failed" ? "critical" : "warning");
  return {
    kind: "job",
    fingerprint: fingerprintOf(identity),
    identity,
    tenant,
    severity,
    status: "firing",
    detectedAt: DETECTED_AT,
    job: options.service !== undefined ? { ...job, service: options.service } : job,
    ...(options.service !== undefined ? { service: options.service } : {}),
  };
}

const EXCHANGE_ERRORS: JobError[] = [
  { message: "The mailbox could not be accessed because the account is disabled.", count: 7, isErrorCode: false },
  { message: "Request was throttled by Exchange Online; the item will be retried in the next job.", count: 41 },
  { message: "The item exceeds the maximum supported size.", count: 3 },
  { message: "Access to the archive mailbox was denied.", count: 2 },
  { message: "The connection to the Exchange server timed out.", count: 9 },
  { message: "An unexpected error occurred while reading calendar items.", count: 1 },
  { message: "The folder was deleted during the backup.", count: 1 },
];

export const failedExchangeJob: JobAlert = makeJobAlert(makeJob({ errors: EXCHANGE_ERRORS }), { service: 1 });

export const finishedExceptionSharePointJob: JobAlert = makeJobAlert(
  makeJob({
    id: "SP2026112905000054321",
    state: "FinishedException",
    rawState: "FinishedException",
    startTime: new Date("2026-11-29T05:00:00Z"),
    finishTime: new Date("2026-11-29T05:45:30Z"),
    durationMs: 45 * MINUTE_IN_MS + 30_000,
    counts: { total: 5820, failed: 4, successful: 5810, skipped: 6 },
    errors: [
      { message: "The list item version history could not be read.", count: 3 },
      { message: "The site collection is locked.", count: 1 },
    ],
  }),
  { service: 2 },
);

export const partiallyFinishedOneDriveJob: JobAlert = makeJobAlert(
  makeJob({
    id: "OD2026112904000011111",
    state: "PartiallyFinished",
    rawState: "PartiallyFinished",
    startTime: new Date("2026-11-29T04:00:00Z"),
    finishTime: new Date("2026-11-29T06:31:00Z"),
    durationMs: 151 * MINUTE_IN_MS,
    counts: { total: 310, failed: 0, successful: 288, skipped: 22 },
    errors: [{ message: "Some OneDrive accounts were skipped because they are not provisioned." }],
  }),
  { service: 3 },
);

export const failedUnknownServiceJob: JobAlert = makeJobAlert(
  makeJob({ id: "XX2026112907000099999", counts: null, errors: [], durationMs: null, startTime: null }),
);

export const unknownStateJob: JobAlert = makeJobAlert(
  makeJob({ id: "TM2026112907300077777", state: "Unknown", rawState: "Suspended_ByPolicy", counts: null }),
  { service: 7, severity: "warning" },
);

/** "Failed to start" reads as Failed (critical); the API left out the skipped counter, so the card says so instead of 0. */
export const failedToStartExchangeJob: JobAlert = makeJobAlert(
  makeJob({ id: "IB2026112907000012345", rawState: "Failed to start", counts: { total: 40, failed: 40, successful: 0, skipped: 0, missing: ["skipped"] }, errors: [] }),
  { service: 1 },
);

/** A named state from AvePoint's other job APIs: a warning that names it, never "unrecognized". */
export const canceledTeamsJob: JobAlert = makeJobAlert(
  makeJob({ id: "TM2026112907300054321", state: "Canceled", rawState: "Cancelled", counts: null, errors: [] }),
  { service: 7, severity: "warning" },
);

/** Error texts an attacker (or an unlucky API) could send: markdown, links, HTML, templating. */
export const HOSTILE_TEXTS = [
  "[Reset your password](https://evil.example/login) now",
  "**URGENT**: visit www.evil-example.com or http://10.0.0.1/reset",
  '<a href="https://evil.example">click</a> <img src=x onerror=alert(1)>',
  "![pixel](https://evil.example/p.png) _italic_ `code` ~~strike~~",
  "Contact admin@contoso-support.com or go to contoso-support.com/reset",
  "{{DATE(2017-02-14T06:08:39Z, SHORT)}} &#104;ttps://evil.example",
  "- injected list item\n# injected heading\n1. numbered\r\n> quote",
  "Zero\u200Bwidth ht\u200Btps://evil\u3002example and hxxp://ok",
] as const;

export const hostileTextJob: JobAlert = makeJobAlert(
  makeJob({
    id: "HX2026112907450055555",
    state: "Unknown",
    rawState: "[Suspended](https://evil.example/state)",
    errors: HOSTILE_TEXTS.map((message, i) => ({ message, count: 10 - i, ...(i === 0 ? { url: "https://evil.example/docs?code=42" } : {}) })),
  }),
  { service: 2, severity: "warning" },
);

export const exchangeRecovery: JobRecoveryAlert = (() => {
  const job = makeJob({
    id: "IB2026112909000067890",
    state: "Finished",
    rawState: "Finished",
    startTime: new Date("2026-11-29T09:00:00Z"),
    finishTime: new Date("2026-11-29T09:41:00Z"),
    durationMs: 41 * MINUTE_IN_MS,
    counts: { total: 1240, failed: 0, successful: 1240, skipped: 0 },
    service: 1,
  });
  const identity = `recovery:${TENANT}:1:${job.id}`;
  return {
    kind: "job-recovery",
    fingerprint: fingerprintOf(identity),
    identity,
    tenant: TENANT,
    severity: "info",
    status: "resolved",
    detectedAt: new Date("2026-11-29T09:45:00Z"),
    service: 1,
    job,
    resolvedJobIds: ["IB2026112906480012345", "IB2026112902480012222"],
  };
})();

export function makeUsage(overrides: Partial<LicenseUsage> = {}): LicenseUsage {
  return {
    outOfPolicySince: null,
    purchasedUserSeats: 100,
    assignedUserSeats: 95,
    purchasedStorageGb: 2000,
    protectedStorageGb: 1900,
    ...overrides,
  };
}

export function makeLicenseAlert(
  fields: Pick<LicenseAlert, "metric" | "level" | "reason" | "usage"> & Partial<Pick<LicenseAlert, "percent" | "previousUsed" | "forecast" | "severity" | "status">>,
): LicenseAlert {
  // Shaped like license-rules' identities: metric, episode, reason, level, notice number.
  const identity = `license:${TENANT}:${fields.metric}:0-1:${fields.reason}:${fields.level}:1`;
  const severity = fields.severity ?? (fields.level === "critical" ? "critical" : fields.level === "warning" ? "warning" : "info");
  const status = fields.status ?? (fields.reason === "resolved" ? "resolved" : "firing");
  return { kind: "license", fingerprint: fingerprintOf(identity), identity, tenant: TENANT, detectedAt: DETECTED_AT, ...fields, severity, status };
}

export const seatsWarning: LicenseAlert = makeLicenseAlert({
  metric: "seats",
  level: "warning",
  reason: "entered",
  usage: makeUsage(),
  percent: 95,
  previousUsed: 90,
  forecast: { exhaustedAt: new Date("2026-12-14T00:00:00Z"), ratePerDay: 0.33 },
});

export const seatsCritical: LicenseAlert = makeLicenseAlert({
  metric: "seats",
  level: "critical",
  reason: "escalated",
  usage: makeUsage({ assignedUserSeats: 99 }),
  percent: 99,
  previousUsed: 95,
  forecast: { exhaustedAt: new Date("2026-12-02T00:00:00Z"), ratePerDay: 0.5 },
});

export const storageWarning: LicenseAlert = makeLicenseAlert({
  metric: "storage",
  level: "warning",
  reason: "entered",
  usage: makeUsage(),
  percent: 95,
  previousUsed: 1850,
  forecast: { exhaustedAt: null, ratePerDay: 0 },
});

export const storageResolved: LicenseAlert = makeLicenseAlert({
  metric: "storage",
  level: "ok",
  reason: "resolved",
  usage: makeUsage({ protectedStorageGb: 1500 }),
  percent: 75,
  previousUsed: 1900,
});

export const outOfPolicyCritical: LicenseAlert = makeLicenseAlert({
  metric: "policy",
  level: "critical",
  reason: "entered",
  usage: makeUsage({ outOfPolicySince: new Date("2026-11-20T00:00:00Z") }),
});

/** Reminders repeat a critical level (license-rules: critical → critical after remindHours). */
export const seatsReminder: LicenseAlert = makeLicenseAlert({
  metric: "seats",
  level: "critical",
  reason: "reminder",
  usage: makeUsage({ assignedUserSeats: 99 }),
  percent: 99,
  previousUsed: 99,
  forecast: { exhaustedAt: new Date("2026-12-02T00:00:00Z"), ratePerDay: 0.5 },
});

// --- Backup health ---------------------------------------------------------------

function healthBase(identity: string, severity: Alert["severity"], status: Alert["status"]) {
  return { fingerprint: fingerprintOf(identity), identity, tenant: TENANT, severity, status, detectedAt: DETECTED_AT };
}

const missedBackupExchange: MissedBackupAlert = {
  kind: "missed-backup",
  ...healthBase("missed-backup:Contoso:1:age:1795939200000-1:firing", "critical", "firing"),
  cause: "age",
  service: 1,
  lastSuccessAt: new Date("2026-11-28T03:40:00Z"),
  lastSuccessJobId: "IB2026112803000011111",
  maxAgeHours: 26,
};

const missedBackupResolved: MissedBackupAlert = {
  ...missedBackupExchange,
  ...healthBase("missed-backup:Contoso:1:age:1795939200000-1:resolved", "info", "resolved"),
  lastSuccessAt: new Date("2026-11-29T07:55:00Z"),
  lastSuccessJobId: "IB2026112907100022222",
  resolvedBy: makeJob({ id: "IB2026112907100022222", state: "Finished", rawState: "Finished", startTime: new Date("2026-11-29T07:10:00Z"), finishTime: new Date("2026-11-29T07:55:00Z"), service: 1 }),
};

const missedScheduleOneDrive: MissedBackupAlert = {
  kind: "missed-backup",
  ...healthBase("missed-backup:Contoso:3:schedule:1795939200000-1:firing", "warning", "firing"),
  cause: "schedule",
  service: 3,
  lastSuccessAt: new Date("2026-11-28T22:30:00Z"),
  lastSuccessJobId: "FB2026112821000033333",
  maxAgeHours: 26,
  scheduledAt: new Date("2026-11-29T05:54:00Z"),
  graceMinutes: 120,
};

const stuckJobSharePoint: StuckJobAlert = {
  kind: "stuck-job",
  ...healthBase("stuck-job:Contoso:IB2026112819300044444:2026-11-28T19:30:00.000Z:firing", "warning", "firing"),
  job: makeJob({ id: "IB2026112819300044444", state: "InProgress", rawState: "InProgress", startTime: new Date("2026-11-28T19:30:00Z"), finishTime: null, durationMs: null, counts: { total: 5200, failed: 3, successful: 3100, skipped: 0 } }),
  service: 2,
  maxRuntimeHours: 12,
};

const failureRatioOneDrive: FailureRatioAlert = {
  kind: "failure-ratio",
  ...healthBase("failure-ratio:Contoso:FB2026112906000055555:objects", "warning", "firing"),
  cause: "objects",
  job: makeJob({ id: "FB2026112906000055555", state: "Finished", rawState: "Finished", counts: { total: 800, failed: 40, successful: 400, skipped: 360 } }),
  service: 3,
  percent: 50,
  thresholdPercent: 25,
};

const skippedGrowthTeams: FailureRatioAlert = {
  kind: "failure-ratio",
  ...healthBase("failure-ratio:Contoso:7:skipped-growth:1795939200000-1:firing", "warning", "firing"),
  cause: "skipped-growth",
  job: makeJob({ id: "TB2026112906000066666", state: "Finished", rawState: "Finished", counts: { total: 900, failed: 0, successful: 870, skipped: 30 } }),
  service: 7,
  runs: [
    { jobId: "TB2026112606000066663", finishTime: new Date("2026-11-26T07:00:00Z"), skipped: 4 },
    { jobId: "TB2026112706000066664", finishTime: new Date("2026-11-27T07:00:00Z"), skipped: 11 },
    { jobId: "TB2026112806000066665", finishTime: new Date("2026-11-28T07:00:00Z"), skipped: 19 },
    { jobId: "TB2026112906000066666", finishTime: new Date("2026-11-29T07:00:00Z"), skipped: 30 },
  ],
};

const unusualActivitySharePoint: UnusualActivityAlert = {
  kind: "unusual-activity",
  ...healthBase("unusual-activity:Contoso:1:1795939200000-1:1", "critical", "firing"),
  serviceType: 1,
  service: 2,
  ransomwareCount: 3,
  unusualCount: 7,
  previousRansomwareCount: 0,
  previousUnusualCount: 2,
  windowHours: 24,
};

/** Every named fixture, by the name its golden file uses. */
export const ALERT_FIXTURES = {
  "job-failed-exchange": failedExchangeJob,
  "job-finished-exception-sharepoint": finishedExceptionSharePointJob,
  "job-partially-finished-onedrive": partiallyFinishedOneDriveJob,
  "job-failed-unknown-service": failedUnknownServiceJob,
  "job-unknown-state": unknownStateJob,
  "job-failed-to-start-exchange": failedToStartExchangeJob,
  "job-canceled-teams": canceledTeamsJob,
  "job-hostile-text": hostileTextJob,
  "job-recovery-exchange": exchangeRecovery,
  "license-seats-warning": seatsWarning,
  "license-seats-critical": seatsCritical,
  "license-storage-warning": storageWarning,
  "license-storage-resolved": storageResolved,
  "license-policy-critical": outOfPolicyCritical,
  "license-seats-reminder": seatsReminder,
  "missed-backup-exchange": missedBackupExchange,
  "missed-backup-resolved": missedBackupResolved,
  "missed-backup-schedule-onedrive": missedScheduleOneDrive,
  "stuck-job-sharepoint": stuckJobSharePoint,
  "failure-ratio-onedrive": failureRatioOneDrive,
  "failure-ratio-skipped-growth-teams": skippedGrowthTeams,
  "unusual-activity-sharepoint": unusualActivitySharePoint,
} as const satisfies Record<string, Alert>;

export type AlertFixtureName = keyof typeof ALERT_FIXTURES;

/**
 * `count` distinct job alerts for digest tests: services, states and error
 * texts cycle; ids and fingerprints are unique and stable.
 */
export function manyJobAlerts(count: number): JobAlert[] {
  const states = ["Failed", "FinishedException", "PartiallyFinished"] as const;
  return Array.from({ length: count }, (_unused, i) => {
    const state = states[i % states.length] ?? "Failed";
    const service = ((i % 12) + 1) as ServiceId;
    const failed = (i * 7) % 50;
    return makeJobAlert(
      makeJob({
        id: `DG20261129${String(i).padStart(11, "0")}`,
        state,
        rawState: state,
        counts: { total: 500 + i, failed, successful: 500 + i - failed, skipped: 0 },
        errors: [{ message: `The object could not be backed up because the source returned error ${1000 + i}.`, count: failed }],
      }),
      { service },
    );
  });
}

/**
 * The typed model the rest of the application sees. Raw JSON from either API
 * profile, in any casing and spelling, is normalized into these shapes by
 * `normalize.ts`; nothing else reads vendor JSON.
 */

/**
 * The five documented states, and the named states AvePoint's other job APIs
 * report for the same product (Canceled/Cancelled, Stopped, Rejected, Skipped):
 * final, alerting as warnings. "Failed to start" reads as Failed; Pending,
 * Waiting, Not started, Queued and Not finished read as InProgress (normalize.ts).
 */
export const JOB_STATES = ["InProgress", "Finished", "Failed", "FinishedException", "PartiallyFinished", "Canceled", "Stopped", "Rejected", "Skipped"] as const;
export type KnownJobState = (typeof JOB_STATES)[number];

/** Service (the API's ObjectType query parameter). */
export const SERVICES = {
  1: "Exchange Online",
  2: "SharePoint Online",
  3: "OneDrive",
  4: "Microsoft 365 Groups",
  5: "Project Online",
  6: "Public Folder",
  7: "Teams",
  8: "Viva Engage",
  9: "Teams Chat",
  10: "Power BI",
  11: "Power Automate",
  12: "Power Apps",
} as const;
export type ServiceId = keyof typeof SERVICES;
export const SERVICE_IDS = Object.keys(SERVICES).map(Number) as ServiceId[];

export type JobCounter = "total" | "failed" | "successful" | "skipped";

export interface JobCounts extends Record<JobCounter, number> {
  /** Counters the API left out (read as 0 but shown as not reported); absent when all four came. */
  missing?: JobCounter[];
}

export interface JobError {
  message: string;
  /** Occurrences of this error in the job. */
  count?: number;
  /** Error-code documentation link, as the API gave it (shown as text, never as a link). */
  url?: string;
  isErrorCode?: boolean;
}

export interface BackupJob {
  /** Job id verbatim (people search for it). Null when the API gave none. */
  id: string | null;
  /** The normalized state, or "Unknown" when the API sent a state we do not know. */
  state: KnownJobState | "Unknown";
  /** The state text exactly as the API sent it (for reports of unknown states). */
  rawState: string | null;
  startTime: Date | null;
  finishTime: Date | null;
  /** Duration in milliseconds, as given by the API or derived from start/finish. */
  durationMs: number | null;
  counts: JobCounts | null;
  /** `jobErrors` (current profile); empty when none were given. */
  errors: JobError[];
  /** Set when the job was read through a per-service (ObjectType) query. */
  service?: ServiceId;
}

export interface JobPage {
  jobs: BackupJob[];
  /** TotalCount / metadata.totalCount when the API gave it. */
  totalCount: number | null;
  /** NextLink / metadata.nextLink when the API gave a non-empty one. */
  nextLink: string | null;
  requestId: string | null;
}

export interface LicenseUsage {
  /** Null when the subscription is in policy (the API sends 0). */
  outOfPolicySince: Date | null;
  purchasedUserSeats: number;
  assignedUserSeats: number;
  /** GB. */
  purchasedStorageGb: number;
  /** GB. */
  protectedStorageGb: number;
}

export interface JobQuery {
  /** Inclusive start of the window (by job time, as the API filters). */
  startTime: Date;
  /** End of the window, pinned at the cycle's start. */
  finishTime: Date;
  jobType?: number;
  objectType?: ServiceId;
  jobState?: number;
}

/**
 * The `serviceType` numbering of the current profile's settings and
 * unusual-activity endpoints (current-api/overview.md), which is not the jobs
 * listing's ObjectType numbering.
 */
export const SERVICE_TYPES: Readonly<Record<number, string>> = {
  0: "Exchange Online",
  1: "SharePoint Online",
  2: "OneDrive",
  3: "Microsoft 365 Groups",
  4: "Project Online",
  5: "Public Folder",
  6: "Teams",
  7: "Public Folder Metadata",
  8: "Private Channel",
  9: "Yammer Group",
  10: "Personal Chat",
  11: "Power BI",
  12: "Power Automate",
  13: "Shared Channel",
  14: "Power Apps",
};

/**
 * The ObjectType service whose backup jobs carry a serviceType. Public folder
 * metadata is backed up with the public folders, private and shared channels
 * with Teams (the jobs listing has no ObjectType of their own).
 */
const SERVICE_OF_SERVICE_TYPE: Readonly<Record<number, ServiceId>> = {
  0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 7: 6, 8: 7, 9: 8, 10: 9, 11: 10, 12: 11, 13: 7, 14: 12,
};

export function serviceOfServiceType(serviceType: number): ServiceId | undefined {
  return Object.hasOwn(SERVICE_OF_SERVICE_TYPE, serviceType) ? SERVICE_OF_SERVICE_TYPE[serviceType] : undefined;
}

/** One service's backup schedule for the current UTC day (GET /backup/m365/settings/backup/frequency). */
export interface BackupFrequency {
  serviceType: number;
  /** Backups scheduled per day. */
  frequency: number | null;
  /** When today's backups start or started (UTC). */
  startTimes: Date[];
}

/** One service's unusual-activity counts over the queried range (GET /backup/m365/cloudbackupunusualactivitydata). */
export interface UnusualActivityCounts {
  serviceType: number;
  /** Sites under potential ransomware attack. */
  ransomwareCount: number;
  /** Sites with unusual activity. */
  unusualCount: number;
}

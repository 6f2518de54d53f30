/**
 * The simulated AvePoint tenant: the jobs and the subscription the simulator serves.
 * Tests script it directly; the demo drives it with `createDemoTenant`.
 */

/** Canonical job states as the vendor's OpenAPI enum spells them. Any other text simulates an unknown state. */
export const CANONICAL_JOB_STATES = ["InProgress", "Finished", "Failed", "FinishedException", "PartiallyFinished"] as const;
export type CanonicalJobState = (typeof CANONICAL_JOB_STATES)[number];

export interface SimJobCounts {
  total: number;
  failed: number;
  successful: number;
  skipped: number;
}

export interface SimJobError {
  message: string;
  /** Occurrences in the job; served as 1 when absent. */
  count?: number;
  url?: string;
  isErrorCode?: boolean;
}

export interface SimJob {
  /** Generated (`IB` + yyyyMMddHHmmss + 6 digits) when undefined; `null` simulates a job the API sends without an id. */
  id?: string | null;
  /** Canonical: InProgress | Finished | Failed | FinishedException | PartiallyFinished; any other text simulates an unknown state. */
  state: string;
  startTime: Date;
  finishTime?: Date | null;
  /** ServiceId 1..12 (the API's ObjectType). */
  objectType: number;
  /** 1 Backup (default), 2 Restore, 3 Export, 4 Delete, 5 Retention. */
  jobType?: number;
  /** Served as `backupDetails: null` when absent. */
  counts?: SimJobCounts;
  errors?: SimJobError[];
}

export interface SimLicense {
  /** Epoch ms when the subscription went out of policy; 0 = in policy. */
  outOfPolicyTime: number;
  purchasedUserSeats: number;
  assignedUserSeats: number;
  /** GB. */
  purchasedStorageSize: number;
  /** GB. */
  protectedSize: number;
}

/** One service's backup schedule for today, as GET /backup/m365/settings/backup/frequency serves it. */
export interface SimBackupFrequency {
  /** The API's serviceType (0 = Exchange Online, 1 = SharePoint Online, 2 = OneDrive, 6 = Teams, ...). */
  serviceType: number;
  frequency: number;
  backupStartTime: Date[];
}

/** One unusual-activity detection: served summed per serviceType over the queried window. */
export interface SimUnusualActivity {
  serviceType: number;
  /** When Cloud Backup detected it (the query's StartTime/FinishTime filter on this). */
  detectedAt: Date;
  potentialRansomwareAttackCount: number;
  unusualActivitiesCount: number;
}

/** Thrown when a test addresses a job the tenant does not hold. */
export class SimulatedJobNotFoundError extends Error {
  override readonly name = "SimulatedJobNotFoundError";
  constructor(readonly jobId: string) {
    super(`the simulated tenant has no job with id '${jobId}'; add it with tenant.addJob() first`);
  }
}

/** Formats a job id the way AvePoint does: prefix + UTC yyyyMMddHHmmss + 6 digits. */
export function formatJobId(prefix: string, startTime: Date, sixDigits: number): string {
  const iso = startTime.toISOString(); // 2024-12-02T07:52:25.000Z
  const stamp = iso.slice(0, 19).replace(/[-:T]/g, "");
  return `${prefix}${stamp}${String(Math.abs(Math.trunc(sixDigits)) % 1_000_000).padStart(6, "0")}`;
}

export class SimulatedTenant {
  license: SimLicense = {
    outOfPolicyTime: 0,
    purchasedUserSeats: 100,
    assignedUserSeats: 47,
    purchasedStorageSize: 1000,
    protectedSize: 120,
  };

  /** Served by the backup frequency endpoint (current profile). */
  backupFrequency: SimBackupFrequency[] = [];
  /** Served by the unusual-activity endpoint (current profile), summed per service over the window. */
  unusualActivities: SimUnusualActivity[] = [];

  private readonly stored: SimJob[] = [];
  private idCounter = 0;

  get jobs(): readonly SimJob[] {
    return this.stored;
  }

  /** Stores a copy of the job (generating an id when `id` is undefined) and returns the stored job. */
  addJob(job: SimJob): SimJob {
    if (job.id !== undefined && job.id !== null && this.stored.some((j) => j.id === job.id)) {
      throw new Error(`the simulated tenant already has a job with id '${job.id}'; use updateJob() to change it`);
    }
    this.idCounter += 1;
    const stored: SimJob = {
      ...job,
      id: job.id === undefined ? formatJobId("IB", job.startTime, this.idCounter) : job.id,
      counts: job.counts ? { ...job.counts } : undefined,
      errors: job.errors ? job.errors.map((e) => ({ ...e })) : undefined,
    };
    if (stored.counts === undefined) delete stored.counts;
    if (stored.errors === undefined) delete stored.errors;
    this.stored.push(stored);
    return stored;
  }

  updateJob(id: string, patch: Partial<SimJob>): void {
    const job = this.stored.find((j) => j.id === id);
    if (!job) throw new SimulatedJobNotFoundError(id);
    Object.assign(job, patch);
  }

  removeJob(id: string): void {
    const index = this.stored.findIndex((j) => j.id === id);
    if (index < 0) throw new SimulatedJobNotFoundError(id);
    this.stored.splice(index, 1);
  }

  clearJobs(): void {
    this.stored.length = 0;
  }
}

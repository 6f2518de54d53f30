/**
 * A living demo tenant for `npm start`: every service backs up on its own rhythm,
 * jobs stay In Progress for a few steps and then finish; now and then one fails,
 * finishes with exceptions or partially finishes (with plausible job errors), and the
 * next run of that service succeeds. License seats and storage creep upward.
 *
 * Deterministic: the same seed and the same clock readings give the same tenant.
 */
import { formatJobId } from "./tenant.js";
import type { SimJob, SimJobCounts, SimJobError, SimulatedTenant } from "./tenant.js";

export interface DemoTenantOptions {
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Clock (epoch ms); job times are taken from it, never ahead of it. */
  now: () => number;
  /** Simulation steps per advance() (fractions accumulate). Default 1. */
  speed?: number;
}

export interface DemoTenant {
  /** One tick of the demo world; the demo calls it every few seconds. */
  advance(): void;
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG; returns [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ServicePlan {
  objectType: number;
  /** Objects protected (mailboxes, sites, ...). */
  objects: number;
  /** Steps between backups while the demo runs. */
  everySteps: number;
  /** Hours between backups in the backfilled history. */
  historyEveryHours: number;
  errors: readonly SimJobError[];
}

// Error texts are written for the demo; the URL host is deliberately not a real one.
const CODE_URL = "https://help.avepoint.example/cloud-backup/error-codes/";

const PLANS: readonly ServicePlan[] = [
  {
    objectType: 1, // Exchange Online
    objects: 428,
    everySteps: 6,
    historyEveryHours: 4,
    errors: [
      { message: "Exchange Online throttled the request (HTTP 429); the items will be retried in the next backup.", isErrorCode: false },
      { message: "The mailbox could not be opened: access is denied. Re-authorize the app profile.", isErrorCode: true, url: `${CODE_URL}EXO-1003` },
      { message: "The item exceeds the maximum supported size (150 MB) and was skipped.", isErrorCode: false },
    ],
  },
  {
    objectType: 2, // SharePoint Online
    objects: 176,
    everySteps: 8,
    historyEveryHours: 6,
    errors: [
      { message: "The site collection is locked (no access) and could not be backed up.", isErrorCode: true, url: `${CODE_URL}SPO-2011` },
      { message: "The list view threshold was exceeded while enumerating the document library.", isErrorCode: false },
    ],
  },
  {
    objectType: 3, // OneDrive
    objects: 415,
    everySteps: 7,
    historyEveryHours: 6,
    errors: [
      { message: "The user's OneDrive has not been provisioned.", isErrorCode: true, url: `${CODE_URL}ODB-3002` },
      { message: "The file is checked out and its latest version could not be read.", isErrorCode: false },
    ],
  },
  {
    objectType: 4, // Microsoft 365 Groups
    objects: 64,
    everySteps: 10,
    historyEveryHours: 8,
    errors: [{ message: "The group mailbox could not be found; the group may have been deleted.", isErrorCode: false }],
  },
  {
    objectType: 6, // Public Folder
    objects: 12,
    everySteps: 14,
    historyEveryHours: 12,
    errors: [{ message: "The public folder mailbox is temporarily unavailable.", isErrorCode: false }],
  },
  {
    objectType: 7, // Teams
    objects: 93,
    everySteps: 9,
    historyEveryHours: 6,
    errors: [
      { message: "The channel's files folder could not be resolved.", isErrorCode: false },
      { message: "Microsoft Graph returned 403 Forbidden for the team.", isErrorCode: true, url: `${CODE_URL}TMS-4031` },
    ],
  },
  {
    objectType: 9, // Teams Chat
    objects: 402,
    everySteps: 12,
    historyEveryHours: 12,
    errors: [{ message: "The Teams export API quota for the tenant was exceeded; chats will be retried.", isErrorCode: true, url: `${CODE_URL}TCH-5029` }],
  },
  {
    objectType: 10, // Power BI
    objects: 24,
    everySteps: 16,
    historyEveryHours: 24,
    errors: [{ message: "The workspace is not assigned to a capacity that allows export.", isErrorCode: false }],
  },
];

type Outcome = "Finished" | "Failed" | "FinishedException" | "PartiallyFinished";

interface ServiceState {
  plan: ServicePlan;
  nextStartStep: number;
  runs: number;
  running: { id: string; finishStep: number; startStep: number; outcome: Outcome; objects: number } | undefined;
  /** After a bad run the next one succeeds, so the demo shows recoveries. */
  recovering: boolean;
}

const MINUTE_IN_MS = 60_000;
const HOUR_IN_MS = 60 * MINUTE_IN_MS;

export function createDemoTenant(tenant: SimulatedTenant, options: DemoTenantOptions): DemoTenant {
  const random = mulberry32(options.seed ?? 1);
  const speed = options.speed ?? 1;
  const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

  function pickOutcome(state: ServiceState): Outcome {
    if (state.recovering) return "Finished";
    const r = random();
    if (r < 0.78) return "Finished";
    if (r < 0.88) return "FinishedException";
    if (r < 0.94) return "PartiallyFinished";
    return "Failed";
  }

  function countsFor(outcome: Outcome, objects: number): SimJobCounts {
    const skipped = outcome === "Failed" ? 0 : between(0, 2);
    const failed =
      outcome === "Finished" ? 0
      : outcome === "FinishedException" ? between(1, 3)
      : outcome === "PartiallyFinished" ? Math.max(1, Math.round(objects * (0.05 + random() * 0.15)))
      : objects;
    return { total: objects, failed, successful: Math.max(0, objects - failed - skipped), skipped };
  }

  function errorsFor(plan: ServicePlan, counts: SimJobCounts): SimJobError[] {
    if (counts.failed === 0) return [];
    const first = plan.errors[between(0, plan.errors.length - 1)]!;
    const second = plan.errors.length > 1 && counts.failed > 1 && random() < 0.4 ? plan.errors.find((e) => e !== first) : undefined;
    if (!second) return [{ ...first, count: counts.failed }];
    const firstCount = Math.ceil(counts.failed / 2);
    return [
      { ...first, count: firstCount },
      { ...second, count: counts.failed - firstCount },
    ];
  }

  function jobId(state: ServiceState, startTime: Date): string {
    // The first backup of a service and every tenth one after it are full backups.
    const prefix = state.runs % 10 === 0 ? "FB" : "IB";
    state.runs += 1;
    return formatJobId(prefix, startTime, between(0, 999_999));
  }

  function uniqueId(state: ServiceState, startTime: Date): string {
    let id = jobId(state, startTime);
    while (tenant.jobs.some((j) => j.id === id)) id = formatJobId(id.slice(0, 2), startTime, between(0, 999_999));
    return id;
  }

  function finishedJob(state: ServiceState, startTime: Date, finishTime: Date, outcome: Outcome, objects: number, id: string): SimJob {
    return { id, state: outcome, startTime, finishTime, objectType: state.plan.objectType, jobType: 1, ...resultOf(state.plan, outcome, objects) };
  }

  function resultOf(plan: ServicePlan, outcome: Outcome, objects: number): { counts: SimJobCounts; errors: SimJobError[] } {
    const counts = countsFor(outcome, objects);
    return { counts, errors: errorsFor(plan, counts) };
  }

  const services: ServiceState[] = PLANS.map((plan) => ({ plan, nextStartStep: 0, runs: 0, running: undefined, recovering: false }));

  // Backfill a day of history so the demo has something to show at once: all
  // successful but the newest Exchange Online backup, which failed. The first
  // cycle then shows one "Backup job failed" card (not a digest of old news),
  // and the recoveries and new failures follow while the demo runs.
  const createdAt = options.now();
  for (const state of services) {
    const every = state.plan.historyEveryHours * HOUR_IN_MS;
    const starts: number[] = [];
    for (let start = createdAt - 24 * HOUR_IN_MS + between(0, 60) * MINUTE_IN_MS; start < createdAt - HOUR_IN_MS; start += every) starts.push(start);
    for (const [index, start] of starts.entries()) {
      const startTime = new Date(start);
      const outcome: Outcome = state === services[0] && index === starts.length - 1 ? "Failed" : "Finished";
      state.recovering = outcome !== "Finished";
      const objects = state.plan.objects + between(-2, 2);
      tenant.addJob(finishedJob(state, startTime, new Date(start + between(2, 40) * MINUTE_IN_MS), outcome, objects, uniqueId(state, startTime)));
    }
    state.nextStartStep = between(0, state.plan.everySteps - 1);
  }

  tenant.license = {
    outOfPolicyTime: 0,
    purchasedUserSeats: 500,
    assignedUserSeats: 452,
    purchasedStorageSize: 2048,
    protectedSize: 1710,
  };
  let protectedSizeExact = tenant.license.protectedSize;

  let step = 0;
  let pendingSteps = 0;

  function runStep(): void {
    const nowMs = options.now();
    for (const state of services) {
      const running = state.running;
      if (running && step >= running.finishStep) {
        tenant.updateJob(running.id, { state: running.outcome, finishTime: new Date(nowMs), ...resultOf(state.plan, running.outcome, running.objects) });
        state.recovering = running.outcome !== "Finished";
        state.running = undefined;
        state.nextStartStep = step + state.plan.everySteps + between(-1, 1);
      } else if (running) {
        // Progress: objects done so far, nothing failed yet.
        const done = Math.floor((running.objects * (step - running.startStep)) / (running.finishStep - running.startStep + 1));
        tenant.updateJob(running.id, { counts: { total: running.objects, failed: 0, successful: done, skipped: 0 } });
      } else if (step >= state.nextStartStep) {
        const startTime = new Date(nowMs);
        const objects = state.plan.objects + between(-2, 2);
        const id = uniqueId(state, startTime);
        state.running = { id, startStep: step, finishStep: step + between(1, 4), outcome: pickOutcome(state), objects };
        tenant.addJob({ id, state: "InProgress", startTime, finishTime: null, objectType: state.plan.objectType, jobType: 1, counts: { total: objects, failed: 0, successful: 0, skipped: 0 } });
      }
    }

    const license = tenant.license;
    if (random() < 0.3) license.assignedUserSeats = Math.min(license.assignedUserSeats + 1, Math.round(license.purchasedUserSeats * 1.1));
    protectedSizeExact = Math.min(protectedSizeExact + random() * 0.8, license.purchasedStorageSize * 1.1);
    license.protectedSize = Math.round(protectedSizeExact);
    const overLimit = license.assignedUserSeats > license.purchasedUserSeats || license.protectedSize > license.purchasedStorageSize;
    if (overLimit && license.outOfPolicyTime === 0) license.outOfPolicyTime = nowMs;
    if (!overLimit) license.outOfPolicyTime = 0;
    step += 1;
  }

  return {
    advance(): void {
      pendingSteps += speed;
      while (pendingSteps >= 1) {
        pendingSteps -= 1;
        runStep();
      }
    },
  };
}

/** Jobs the benchmark puts in the simulated tenant: evenly spread over a time range, deterministic. */
import type { SimJob, SimulatedTenant } from "../test/simulator/index.js";

export interface JobSpread {
  count: number;
  /** Start times are spread evenly over [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Services (ObjectType) taken in turn. */
  services: readonly number[];
  /** States taken in turn. */
  states: readonly string[];
}

export const ALL_SERVICES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

const ERRORS = [
  { message: "The mailbox could not be opened: access is denied. Re-authorize the app profile.", count: 3, isErrorCode: true },
  { message: "The site collection is locked (read-only); its items were skipped until the lock is lifted.", count: 12, isErrorCode: false },
];

/** Adds the jobs and returns how many landed in each service. */
export function addJobs(tenant: SimulatedTenant, spread: JobSpread): Map<number, number> {
  const perService = new Map<number, number>();
  const step = (spread.toMs - spread.fromMs) / spread.count;
  for (let i = 0; i < spread.count; i++) {
    const startMs = Math.floor(spread.fromMs + i * step);
    const state = spread.states[i % spread.states.length] as string;
    const objectType = spread.services[i % spread.services.length] as number;
    const failed = state === "Finished" ? 0 : 1 + (i % 7);
    const job: SimJob = {
      state,
      startTime: new Date(startMs),
      finishTime: new Date(startMs + 45_000),
      objectType,
      counts: { total: 120, failed, successful: 120 - failed - 2, skipped: 2 },
      ...(state === "Finished" ? {} : { errors: ERRORS }),
    };
    tenant.addJob(job);
    perService.set(objectType, (perService.get(objectType) ?? 0) + 1);
  }
  return perService;
}

/** Merges per-service counts. */
export function addCounts(...maps: Map<number, number>[]): Map<number, number> {
  const sum = new Map<number, number>();
  for (const map of maps) for (const [k, v] of map) sum.set(k, (sum.get(k) ?? 0) + v);
  return sum;
}

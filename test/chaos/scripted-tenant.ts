/**
 * A tenant whose backups the chaos runs script: jobs appear (at their start,
 * as the API lists them), run for a while and finish Finished, Failed,
 * FinishedException or PartiallyFinished. It remembers which jobs reached an
 * alert-worthy state and when, which is what the invariants are checked against.
 */
import { formatJobId, type SimulatedTenant } from "../simulator/index.js";
import type { SeededRandom } from "./random.js";

export const ALERT_WORTHY_STATES = ["Failed", "FinishedException", "PartiallyFinished"] as const;
export type AlertWorthyState = (typeof ALERT_WORTHY_STATES)[number];
type FinalState = AlertWorthyState | "Finished";

export interface ScriptedJob {
  id: string;
  service: number;
  outcome: FinalState;
  startMs: number;
  finishMs: number;
  /** Set once the job shows its final state in the simulator. */
  final: boolean;
}

const MINUTE = 60_000;

export class ScriptedTenant {
  readonly jobs: ScriptedJob[] = [];

  constructor(
    private readonly tenant: SimulatedTenant,
    private readonly random: SeededRandom,
  ) {
    tenant.clearJobs();
  }

  /**
   * Moves the tenant to `nowMs`: jobs due finish, and up to `maxNew` jobs
   * start in (`sinceMs`, `nowMs`], some of them already finished (short jobs).
   */
  step(nowMs: number, sinceMs: number, maxNew = 3): void {
    for (const job of this.jobs) if (!job.final && job.finishMs <= nowMs) this.finish(job);
    const count = this.random.int(0, maxNew);
    for (let i = 0; i < count; i++) {
      const startMs = this.random.int(Math.max(sinceMs + 1, nowMs - 10 * MINUTE), nowMs);
      const quick = this.random.chance(0.5);
      const finishMs = quick ? this.random.int(startMs, nowMs) : nowMs + this.random.int(1, 20) * MINUTE;
      this.add(startMs, finishMs, nowMs);
    }
  }

  /** Adds a job started at `startMs` that finishes at `finishMs` (already final when that is not after `nowMs`). */
  add(startMs: number, finishMs: number, nowMs: number): ScriptedJob {
    const outcome = this.random.weighted<FinalState>([
      ["Finished", 5],
      ["Failed", 2],
      ["FinishedException", 1.5],
      ["PartiallyFinished", 1.5],
    ]);
    const service = this.random.int(1, 12);
    // Ids from this tenant's own counter, so a run draws the same ids whatever ran before it.
    const id = formatJobId("IB", new Date(startMs), this.jobs.length + 1);
    this.tenant.addJob({ id, state: "InProgress", startTime: new Date(startMs), objectType: service, finishTime: null });
    const job: ScriptedJob = { id, service, outcome, startMs, finishMs, final: false };
    this.jobs.push(job);
    if (finishMs <= nowMs) this.finish(job);
    return job;
  }

  /** Finishes every job still running, at `nowMs` at the latest. */
  finishAll(nowMs: number): void {
    for (const job of this.jobs) {
      if (job.final) continue;
      job.finishMs = Math.min(job.finishMs, nowMs);
      this.finish(job);
    }
  }

  private finish(job: ScriptedJob): void {
    const failedObjects = job.outcome === "Finished" ? 0 : this.random.int(1, 40);
    const total = failedObjects + this.random.int(0, 500);
    this.tenant.updateJob(job.id, {
      state: job.outcome,
      finishTime: new Date(job.finishMs),
      counts: { total, failed: failedObjects, successful: total - failedObjects, skipped: 0 },
      ...(failedObjects > 0 ? { errors: [{ message: "The mailbox could not be reached (simulated)", count: failedObjects }] } : {}),
    });
    job.final = true;
  }

  /** Jobs that reached an alert-worthy state, final at `atMs` or earlier. */
  alertWorthy(atMs = Number.POSITIVE_INFINITY): ScriptedJob[] {
    return this.jobs.filter((j) => j.final && j.outcome !== "Finished" && j.finishMs <= atMs);
  }
}

/** Messages between the benchmark (parent) and the process that runs the cycles (bench/cycle-worker.ts). */
import type { MemoryPeak } from "./measure.js";

export type WorkerRequest =
  /** Settings as environment-style values; the worker builds the runtime from them. */
  | { type: "init"; values: Record<string, string> }
  /** One jobs-monitor cycle whose clock reads `nowMs`. */
  | { type: "cycle"; nowMs: number }
  /** Size of all the tenant's alerts as one unsplit digest, and the time to compose their posts. */
  | { type: "digest" };

export interface CycleMeasurement {
  wallMs: number;
  tableRoundTrips: number;
  tableByKind: Record<string, number>;
  memory: MemoryPeak;
  read: number;
  newAlerts: number;
  delivered: number;
  messages: number;
  ok: boolean;
  error?: string;
}

export interface DigestMeasurement {
  alerts: number;
  /** UTF-8 bytes of one Workflows payload listing every alert (no budget). */
  singleDigestBytes: number;
  /** Posts buildWorkflowsMessages composes for them under the 20 KB budget. */
  posts: number;
  composeMs: number;
}

export type WorkerReply =
  | { type: "ready" }
  | { type: "cycle"; measurement: CycleMeasurement }
  | { type: "digest"; measurement: DigestMeasurement }
  | { type: "error"; message: string };

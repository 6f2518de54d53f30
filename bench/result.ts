/** What a scenario reports: rows of measured values, some with the minimum they are held against. */

export type Unit = "requests" | "round trips" | "posts" | "bytes" | "ms" | "MiB" | "bytes/job" | "jobs" | "alerts";

export interface Row {
  metric: string;
  measured: number;
  unit: Unit;
  /** The least the work needs (bench/minimum.ts); absent for times and memory. */
  minimum?: number;
  /** How the minimum is made up, e.g. "1 token + 100 pages". */
  derivation?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** What the scenario does and how its minimums are derived (Markdown, for docs/PERFORMANCE.md). */
  about: string;
  rows: Row[];
  /** Observations worth reading next to the numbers (Markdown). */
  notes: string[];
}

export const MiB = 1024 * 1024;

export function mib(bytes: number): number {
  return bytes / MiB;
}

/** "insert 1, query 2" from counts by kind. */
export function formatKinds(byKind: Record<string, number>): string {
  const entries = Object.entries(byKind);
  return entries.length === 0 ? "none" : entries.map(([k, n]) => `${k} ${n}`).join(", ");
}

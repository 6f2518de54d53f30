/** Measuring instruments of the benchmark: Table Storage round trips, memory, machine. */
import type { TableClient } from "@azure/data-tables";
import { cpus, loadavg, totalmem } from "node:os";

/** Table Storage requests by kind, as sent on the wire (SDK retries count as requests). */
export class TableRoundTrips {
  readonly byKind = new Map<string, number>();

  get total(): number {
    let sum = 0;
    for (const n of this.byKind.values()) sum += n;
    return sum;
  }

  /** Counts every request these clients send, after the SDK's retry policy (so each attempt counts). */
  attach(...clients: TableClient[]): void {
    for (const client of clients) {
      client.pipeline.addPolicy(
        {
          name: "benchRoundTripCounter",
          sendRequest: (request, next) => {
            const kind = tableRequestKind(request.method, new URL(request.url).pathname);
            this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
            return next(request);
          },
        },
        { afterPhase: "Retry" },
      );
    }
  }

  reset(): void {
    this.byKind.clear();
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.byKind.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** What a Table Storage request does, from its method and path. */
export function tableRequestKind(method: string, pathname: string): string {
  const path = decodeURIComponent(pathname);
  if (path.endsWith("/$batch")) return "transaction";
  if (/\/Tables(\(|$)/i.test(path)) return "create table";
  const pointed = /\(PartitionKey='.*',RowKey='.*'\)$/.test(path);
  switch (method.toUpperCase()) {
    case "GET":
      return pointed ? "point read" : "query";
    case "POST":
      return "insert";
    case "PUT":
    case "MERGE":
    case "PATCH":
      return "conditional update";
    case "DELETE":
      return "delete";
    default:
      return method.toUpperCase();
  }
}

export interface MemoryPeak {
  /** RSS just before the measured work (after a full GC when --expose-gc is on). */
  rssBeforeBytes: number;
  /** Highest RSS sampled during the work. */
  peakRssBytes: number;
  heapBeforeBytes: number;
  /** Highest heapUsed sampled during the work. */
  peakHeapBytes: number;
  /** The process's lifetime maximum RSS (getrusage), a cross-check the sampler cannot miss. */
  maxRssBytes: number;
}

/**
 * Samples process memory every `intervalInMs` while `work` runs. Samples are
 * taken whenever the event loop turns, which a cycle does at every request.
 */
export async function withMemorySampling<T>(work: () => Promise<T>, intervalInMs = 5): Promise<{ value: T; memory: MemoryPeak }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  };
  const timer = setInterval(sample, intervalInMs);
  try {
    const value = await work();
    sample();
    return {
      value,
      memory: {
        rssBeforeBytes: before.rss,
        peakRssBytes: peakRss,
        heapBeforeBytes: before.heapUsed,
        peakHeapBytes: peakHeap,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      },
    };
  } finally {
    clearInterval(timer);
  }
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  platform: string;
  date: string;
  /** 1-minute load average when the run started: other work on the machine makes times noisy. */
  loadAverage: number;
}

export function describeMachine(now: Date = new Date()): Machine {
  const all = cpus();
  return {
    cpu: all[0]?.model.trim() ?? "unknown",
    cores: all.length,
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: now.toISOString().slice(0, 10),
    loadAverage: loadavg()[0] ?? 0,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}



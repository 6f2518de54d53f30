/**
 * What one monitor cycle cost: wall time, AvePoint API requests and their
 * latency, Table Storage round trips. The AvePoint client and the ledger's
 * table clients live as long as the process and serve every cycle, so their
 * requests are attributed to the cycle running through async context rather
 * than by threading counters through the pipeline; requests made outside a
 * measured cycle are not counted anywhere.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { TableClient } from "@azure/data-tables";

export interface CycleUsage {
  /** Wall time of the cycle (read, detect, deliver, checkpoint). */
  durationInMs: number;
  /** AvePoint API requests sent (retries and re-sends count; token requests do not). */
  apiRequests: number;
  apiLatencyInMs: { total: number; max: number };
  /** The latency of each API request, in the order sent (for the latency histogram). */
  apiLatenciesInMs: readonly number[];
  /** Table Storage requests sent by the ledger (each SDK retry counts). */
  tableRoundTrips: number;
}

class UsageCollector {
  readonly apiLatenciesInMs: number[] = [];
  tableRoundTrips = 0;

  usage(durationInMs: number): CycleUsage {
    const latencies = this.apiLatenciesInMs;
    return {
      durationInMs: Math.round(durationInMs),
      apiRequests: latencies.length,
      apiLatencyInMs: { total: Math.round(latencies.reduce((sum, ms) => sum + ms, 0)), max: Math.round(Math.max(0, ...latencies)) },
      apiLatenciesInMs: latencies.map((ms) => Math.round(ms * 10) / 10),
      tableRoundTrips: this.tableRoundTrips,
    };
  }
}

const current = new AsyncLocalStorage<UsageCollector>();

/** Runs one cycle and returns what it cost, beside its result. Nested calls measure separately. */
export async function measureCycle<T>(run: () => Promise<T>): Promise<{ result: T; usage: CycleUsage }> {
  const collector = new UsageCollector();
  const started = performance.now();
  const result = await current.run(collector, run);
  return { result, usage: collector.usage(performance.now() - started) };
}

/** An AvePoint client `onRequest` observer: counts the request against the cycle running, if any. */
export function observeApiRequest(info: { elapsedInMs: number }): void {
  current.getStore()?.apiLatenciesInMs.push(info.elapsedInMs);
}

/**
 * Counts every request these table clients send against the cycle running,
 * placed after the SDK's retry policy so that each attempt counts.
 */
export function countTableRoundTrips(...clients: readonly TableClient[]): void {
  for (const client of clients) {
    client.pipeline.addPolicy(
      {
        name: "cycleRoundTripCounter",
        sendRequest: (request, next) => {
          const collector = current.getStore();
          if (collector) collector.tableRoundTrips++;
          return next(request);
        },
      },
      { afterPhase: "Retry" },
    );
  }
}

/**
 * Injectable faults. Faults wait in one FIFO queue; each request takes the first
 * fault whose target matches it (at most one per request), and a fault leaves the
 * queue when its `times` are used up.
 */

export type FaultTarget = "token" | "jobs" | "license" | "frequency" | "unusual-activity" | "any";

/** What a request is, for fault matching. */
export type EndpointKind = "token" | "jobs" | "license" | "frequency" | "unusual-activity" | "other";

export type Fault = { target: FaultTarget; times?: number /* default 1 */ } & (
  /** Answer with this status (e.g. 429 with Retry-After '1' or an HTTP date; 500; 503) instead of the real response. */
  | { kind: "status"; status: number; retryAfter?: string; body?: string }
  /** The real response with its JSON body cut in half. */
  | { kind: "truncated" }
  /** The real response after a delay. */
  | { kind: "slow"; delayInMs: number }
  /** Destroy the socket without a response. */
  | { kind: "reset" }
  /**
   * On a token request: the issued token becomes invalid (401) after `uses` API calls.
   * On a jobs/license request: the bearer token presented becomes invalid after `uses`
   * more API calls, counting this one (so `uses: 0` fails this very request).
   */
  | { kind: "invalid-token-after"; uses: number }
  /** Serve exactly this body (default status 200), for malformed responses. */
  | { kind: "body"; body: string; status?: number }
);

export type FaultKind = Fault["kind"];

export class FaultQueue {
  private readonly queue: { fault: Fault; remaining: number }[] = [];

  add(fault: Fault): void {
    const remaining = fault.times ?? 1;
    if (!Number.isInteger(remaining) || remaining < 1) {
      throw new RangeError(`fault 'times' must be a positive integer, got ${String(fault.times)}`);
    }
    this.queue.push({ fault, remaining });
  }

  /** Takes (and uses up one time of) the first fault that matches this request, if any. */
  take(kind: EndpointKind): Fault | undefined {
    const index = this.queue.findIndex((entry) => entry.fault.target === "any" || entry.fault.target === kind);
    if (index < 0) return undefined;
    const entry = this.queue[index]!;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.queue.splice(index, 1);
    return entry.fault;
  }

  get pending(): number {
    return this.queue.length;
  }

  clear(): void {
    this.queue.length = 0;
  }
}

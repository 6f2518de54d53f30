/**
 * Spaces requests to one destination: Teams Workflows throttles a webhook that
 * is posted to faster than about once a second, and a burst of alerts (a bad
 * night with many failed jobs) must not turn into a burst of 429s.
 *
 * Slots are reserved synchronously, so concurrent senders queue up in call
 * order instead of all waking at the same moment. The key is the destination
 * itself (a webhook URL, a credential): it stays in this map and is never
 * logged or returned.
 */

export interface PacingClock {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Entries whose slot is this far in the past are forgotten once the map grows, so it stays small. */
const FORGET_AFTER_IN_MS = 60_000;
const PRUNE_ABOVE_ENTRIES = 256;

export class SendPacer {
  /** Per destination: the earliest time the next request may start. */
  readonly #notBefore = new Map<string, number>();

  /**
   * Waits for the next free slot for `key` and takes it; the slot after it opens
   * `minIntervalInMs` later. Resolves with the time waited in ms.
   */
  async waitForSlot(key: string, minIntervalInMs: number, clock: PacingClock, abortSignal?: AbortSignal): Promise<number> {
    const now = clock.now();
    const slot = Math.max(now, this.#notBefore.get(key) ?? now);
    if (minIntervalInMs > 0 || slot > now) this.#notBefore.set(key, slot + Math.max(0, minIntervalInMs));
    if (this.#notBefore.size > PRUNE_ABOVE_ENTRIES) this.#prune(now);
    const waitInMs = slot - now;
    if (waitInMs > 0) await clock.sleep(waitInMs, abortSignal);
    return waitInMs;
  }

  /**
   * No request to `key` starts before `at`: a destination that answered 429 with
   * Retry-After is throttling every sender in this process, not just the one that asked.
   */
  holdUntil(key: string, at: number): void {
    this.#notBefore.set(key, Math.max(at, this.#notBefore.get(key) ?? at));
  }

  #prune(now: number): void {
    for (const [key, at] of this.#notBefore) {
      if (now - at > FORGET_AFTER_IN_MS) this.#notBefore.delete(key);
    }
  }

  toString(): string {
    return `SendPacer(${this.#notBefore.size} destinations)`;
  }
}

/** The pacer every webhook channel in this process shares unless a test passes its own. */
export const processWidePacer = new SendPacer();

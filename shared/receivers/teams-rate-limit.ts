import type { PacingClock } from "./pacing.js";

/**
 * The one rate limiter for everything the Teams bot sends to the Bot
 * Connector: proactive posts, in-place updates when an incident resolves,
 * and the card updates a button press causes. Teams throttles a bot per
 * conversation ("thread") at 7 operations per second, 8 per 2 seconds and 60
 * per 30 seconds, and an app at about 30 requests per second per tenant, all
 * at once; a spacing of N ms alone cannot respect all three windows without
 * being needlessly slow for the first few messages.
 *
 * Every request reserves the earliest moment at which every window it falls
 * in still has room, synchronously, so concurrent senders queue up in call
 * order. A conversation that answered 429 with Retry-After is held until then
 * (holdUntil) for every sender in this process. Conversation ids stay in this
 * map and are never logged.
 */

interface RateWindow {
  windowInMs: number;
  max: number;
}

interface TeamsBotRateLimits {
  perConversation: readonly RateWindow[];
  /** Across all conversations of this process; under the ~30 RPS per app and tenant. */
  processWide: RateWindow;
}

export const TEAMS_BOT_RATE_LIMITS: TeamsBotRateLimits = {
  perConversation: [
    { windowInMs: 1_000, max: 7 },
    { windowInMs: 2_000, max: 8 },
    { windowInMs: 30_000, max: 60 },
  ],
  processWide: { windowInMs: 1_000, max: 25 },
};

/** The longest window: reservations older than this no longer matter. */
const longestWindow = (limits: TeamsBotRateLimits) => Math.max(limits.processWide.windowInMs, ...limits.perConversation.map((w) => w.windowInMs));

export class TeamsBotRateLimiter {
  readonly #limits: TeamsBotRateLimits;
  /** Per conversation: start times of reserved requests (past and future). */
  readonly #byConversation = new Map<string, number[]>();
  readonly #all: number[] = [];
  readonly #heldUntil = new Map<string, number>();

  constructor(limits: TeamsBotRateLimits = TEAMS_BOT_RATE_LIMITS) {
    this.#limits = limits;
  }

  /** Waits until a request to `conversation` may start, and reserves that moment. Resolves with the time waited in ms. */
  async waitForSlot(conversation: string, clock: PacingClock, abortSignal?: AbortSignal): Promise<number> {
    const now = clock.now();
    this.#forgetBefore(now - longestWindow(this.#limits));
    const own = this.#byConversation.get(conversation) ?? [];
    const at = this.#earliest(own, Math.max(now, this.#heldUntil.get(conversation) ?? now));
    own.push(at);
    this.#byConversation.set(conversation, own);
    this.#all.push(at);
    const waitInMs = at - now;
    if (waitInMs > 0) await clock.sleep(waitInMs, abortSignal);
    return waitInMs;
  }

  /** No request to `conversation` starts before `at` (it answered 429 with Retry-After). */
  holdUntil(conversation: string, at: number): void {
    this.#heldUntil.set(conversation, Math.max(at, this.#heldUntil.get(conversation) ?? at));
  }

  /**
   * The first moment ≥ `from` at which every window holds room. Room only
   * appears when an earlier request leaves a window (at its time + the
   * window), so those are the only candidates to try after `from`.
   */
  #earliest(own: number[], from: number): number {
    const checks: [number[], RateWindow][] = [...this.#limits.perConversation.map((w): [number[], RateWindow] => [own, w]), [this.#all, this.#limits.processWide]];
    const candidates = [...new Set(checks.flatMap(([times, w]) => times.map((t) => t + w.windowInMs)))].filter((t) => t > from).sort((a, b) => a - b);
    for (const at of [from, ...candidates]) {
      if (checks.every(([times, w]) => fits(times, at, w))) return at;
    }
    // Unreachable: after the last candidate every window is empty.
    return candidates.at(-1) ?? from;
  }

  #forgetBefore(cutoff: number): void {
    for (const [key, times] of this.#byConversation) {
      const kept = times.filter((t) => t >= cutoff);
      if (kept.length === 0 && (this.#heldUntil.get(key) ?? 0) < cutoff) {
        this.#byConversation.delete(key);
        this.#heldUntil.delete(key);
      } else this.#byConversation.set(key, kept);
    }
    const kept = this.#all.filter((t) => t >= cutoff);
    this.#all.splice(0, this.#all.length, ...kept);
  }

  toString(): string {
    return `TeamsBotRateLimiter(${this.#byConversation.size} conversations)`;
  }
}

/**
 * Whether a request at `at` keeps every window of length `w` that contains
 * it at or under `w.max` requests. The fullest such window starts at `at` or
 * at one of the requests in (at - w, at].
 */
function fits(times: readonly number[], at: number, w: RateWindow): boolean {
  const near = times.filter((t) => t > at - w.windowInMs && t < at + w.windowInMs);
  const starts = [at, ...near.filter((t) => t <= at)];
  return starts.every((start) => near.filter((t) => t >= start && t < start + w.windowInMs).length + 1 <= w.max);
}

/** The limiter all Teams bot traffic of this process shares unless a test passes its own. */
export const processWideTeamsBotLimiter = new TeamsBotRateLimiter();

/** The limiter's key for one conversation: posts and card updates to it share its windows. */
export function conversationKey(conversationId: string): string {
  return `teams-bot|${conversationId}`;
}

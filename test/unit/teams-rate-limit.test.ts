import { describe, expect, it } from "vitest";
import { TEAMS_BOT_RATE_LIMITS, TeamsBotRateLimiter } from "../../shared/receivers/teams-rate-limit.js";

/** The limiter on a fake clock: every reservation's start time, as the sender would start it. */
function harness() {
  let now = 0;
  const clock = { now: () => now, sleep: async () => {} };
  const limiter = new TeamsBotRateLimiter();
  const starts: { key: string; at: number }[] = [];
  const request = async (key: string) => {
    const waited = await limiter.waitForSlot(key, clock);
    starts.push({ key, at: now + waited });
  };
  return { limiter, starts, request, advance: (ms: number) => void (now += ms) };
}

const mostInAnyWindow = (times: number[], windowInMs: number) => Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + windowInMs).length));

describe("TeamsBotRateLimiter", () => {
  it("keeps all conversations together under the process-wide cap (25 per second, below Teams' 30 per app and tenant)", async () => {
    const h = harness();
    await Promise.all(Array.from({ length: 100 }, (_, i) => h.request(`conversation-${i}`)));
    const times = h.starts.map((s) => s.at);
    expect(mostInAnyWindow(times, 1_000)).toBe(TEAMS_BOT_RATE_LIMITS.processWide.max);
    expect(TEAMS_BOT_RATE_LIMITS.processWide.max).toBeLessThan(30);
    // No slower than needed: 100 requests in 4 windows.
    expect(Math.max(...times)).toBe(3_000);
  });

  it("a conversation held by Retry-After waits, the others do not", async () => {
    const h = harness();
    h.limiter.holdUntil("throttled", 7_000);
    await h.request("throttled");
    await h.request("other");
    expect(h.starts).toEqual([
      { key: "throttled", at: 7_000 },
      { key: "other", at: 0 },
    ]);
  });

  it("forgets what no window can see any more", async () => {
    const h = harness();
    for (let i = 0; i < 8; i++) await h.request("c");
    h.advance(60_000);
    await h.request("c");
    expect(h.starts.at(-1)).toEqual({ key: "c", at: 60_000 });
    // Another conversation a minute later: "c" is past every window, so only "d" is kept.
    h.advance(60_000);
    await h.request("d");
    expect(h.starts.at(-1)).toEqual({ key: "d", at: 120_000 });
    expect(String(h.limiter)).toBe("TeamsBotRateLimiter(1 conversations)");
  });
});

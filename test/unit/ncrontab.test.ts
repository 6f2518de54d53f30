import { describe, expect, it } from "vitest";
import { parseSchedule, ScheduleError } from "../../shared/config/ncrontab.js";

describe("NCRONTAB schedules of the local runner", () => {
  it.each([
    ["0 */5 * * * *", "2026-11-29T08:03:10Z", "2026-11-29T08:05:00.000Z"],
    ["0 */5 * * * *", "2026-11-29T08:05:00Z", "2026-11-29T08:10:00.000Z"],
    ["0 0 * * * *", "2026-11-29T08:03:10Z", "2026-11-29T09:00:00.000Z"],
    ["30 15 9-17 * * 1-5", "2026-11-28T10:00:00Z", "2026-11-30T09:15:30.000Z"], // Saturday → Monday
    ["*/10 * * * * *", "2026-11-29T08:00:01Z", "2026-11-29T08:00:10.000Z"],
    ["00:05:00", "2026-11-29T08:03:10Z", "2026-11-29T08:05:00.000Z"],
  ])("%s after %s fires at %s", (expression, from, expected) => {
    expect(parseSchedule(expression).next(new Date(from)).toISOString()).toBe(expected);
  });

  it("matches exactly the listed seconds", () => {
    const s = parseSchedule("0 0,30 * * * *");
    expect(s.matches(new Date("2026-11-29T08:30:00Z"))).toBe(true);
    expect(s.matches(new Date("2026-11-29T08:30:01Z"))).toBe(false);
    expect(s.matches(new Date("2026-11-29T08:15:00Z"))).toBe(false);
  });

  it.each(["* * * * *", "0 61 * * * *", "0 */0 * * * *", "a b c d e f"])("refuses %s", (expression) => {
    expect(() => parseSchedule(expression)).toThrow(ScheduleError);
  });
});

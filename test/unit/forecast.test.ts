import { describe, expect, it } from "vitest";
import {
  FORECAST_HORIZON_IN_MS,
  forecastExhaustion,
  MIN_FORECAST_SPAN_IN_MS,
  usageRatePerDay,
  type UsageSample,
} from "../../shared/alerts/forecast.js";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const t0 = Date.parse("2026-03-01T00:00:00.000Z");

/** Samples at t0 + i hours with the given used values. */
function hourly(...used: number[]): UsageSample[] {
  return used.map((u, i) => ({ atMs: t0 + i * HOUR, used: u }));
}

describe("usageRatePerDay", () => {
  it("is the least-squares slope, not the slope between the end points", () => {
    // x̄ = 1.5 h, ȳ = 11.5; Σdx·dy = 4, Σdx² = 5 → 0.8 per hour (end points would give 1 per hour).
    expect(usageRatePerDay(hourly(10, 12, 11, 13))).toBeCloseTo(0.8 * 24, 9);
  });

  it("is null with fewer than two readings", () => {
    expect(usageRatePerDay([])).toBeNull();
    expect(usageRatePerDay(hourly(5))).toBeNull();
  });

  it("is null when the readings span less than the minimum, and a number from exactly the minimum", () => {
    const short = [
      { atMs: t0, used: 1 },
      { atMs: t0 + MIN_FORECAST_SPAN_IN_MS - 1, used: 2 },
    ];
    expect(usageRatePerDay(short)).toBeNull();
    const enough = [
      { atMs: t0, used: 1 },
      { atMs: t0 + MIN_FORECAST_SPAN_IN_MS, used: 2 },
    ];
    expect(usageRatePerDay(enough)).toBeCloseTo(24, 9);
  });

  it("is null when every reading has the same time", () => {
    expect(usageRatePerDay([{ atMs: t0, used: 1 }, { atMs: t0, used: 9 }], 0)).toBeNull();
  });

  it("does not depend on the order of the readings", () => {
    const samples = hourly(10, 12, 11, 13);
    expect(usageRatePerDay([...samples].reverse())).toBeCloseTo(usageRatePerDay(samples) as number, 12);
  });

  it("keeps its precision at real epoch times and sub-unit rates", () => {
    // 0.001 GB per hour over two days, at 2026 epoch milliseconds.
    const samples = Array.from({ length: 48 }, (_, i) => ({ atMs: t0 + i * HOUR, used: 5000 + i * 0.001 }));
    expect(usageRatePerDay(samples)).toBeCloseTo(0.024, 9);
  });
});

describe("forecastExhaustion", () => {
  it("projects a rising series from the latest reading to the capacity", () => {
    // 0.8 per hour from 13 at t0+3h: 7 more units take 8.75 h.
    const forecast = forecastExhaustion(hourly(10, 12, 11, 13), 20);
    expect(forecast.ratePerDay).toBeCloseTo(19.2, 9);
    expect(forecast.exhaustedAt?.toISOString()).toBe(new Date(t0 + 3 * HOUR + 8.75 * HOUR).toISOString());
  });

  it("gives the date seats run out on a steady daily rise", () => {
    // 80, 82, 84 seats on three days of 100: 2 a day → 100 on day 2 + 8 = 10 days after t0.
    const samples = [0, 1, 2].map((d) => ({ atMs: t0 + d * DAY, used: 80 + 2 * d }));
    const forecast = forecastExhaustion(samples, 100);
    expect(forecast.ratePerDay).toBeCloseTo(2, 9);
    expect(forecast.exhaustedAt?.toISOString()).toBe("2026-03-11T00:00:00.000Z");
  });

  it("is not rising on a flat series", () => {
    expect(forecastExhaustion(hourly(50, 50, 50, 50), 100)).toEqual({ exhaustedAt: null, ratePerDay: 0 });
  });

  it("is not rising on a flat series of fractional values (no noise turns into a date)", () => {
    const forecast = forecastExhaustion(hourly(0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1), 1);
    expect(forecast.exhaustedAt).toBeNull();
    expect(Math.abs(forecast.ratePerDay)).toBeLessThan(1e-9);
  });

  it("is not rising on a falling series, and reports the negative rate", () => {
    const forecast = forecastExhaustion(hourly(90, 80, 70), 100);
    expect(forecast.exhaustedAt).toBeNull();
    expect(forecast.ratePerDay).toBeCloseTo(-240, 9);
  });

  it("is not rising with too little data, with a rate of 0", () => {
    expect(forecastExhaustion(hourly(90), 100)).toEqual({ exhaustedAt: null, ratePerDay: 0 });
    expect(forecastExhaustion([{ atMs: t0, used: 90 }, { atMs: t0 + 30 * 60 * 1000, used: 99 }], 100)).toEqual({
      exhaustedAt: null,
      ratePerDay: 0,
    });
  });

  it("says the latest reading's time when a rising series is already at or over capacity", () => {
    expect(forecastExhaustion(hourly(98, 100), 100).exhaustedAt?.toISOString()).toBe(new Date(t0 + HOUR).toISOString());
    expect(forecastExhaustion(hourly(100, 104), 100).exhaustedAt?.toISOString()).toBe(new Date(t0 + HOUR).toISOString());
  });

  it("has no date for a capacity of 0 (not applicable)", () => {
    const forecast = forecastExhaustion(hourly(1, 2, 3), 0);
    expect(forecast.exhaustedAt).toBeNull();
    expect(forecast.ratePerDay).toBeCloseTo(24, 9);
  });

  it("treats an exhaustion beyond the horizon as not rising", () => {
    // One seat per ~year with 100,000 free: centuries away.
    const samples = [
      { atMs: t0, used: 0 },
      { atMs: t0 + 365 * DAY, used: 1 },
    ];
    expect(forecastExhaustion(samples, 100_000).exhaustedAt).toBeNull();
    // Just inside a shorter horizon it is a date again.
    const soon = forecastExhaustion(hourly(0, 1), 10, { horizonInMs: 9 * HOUR });
    expect(soon.exhaustedAt?.toISOString()).toBe(new Date(t0 + 10 * HOUR).toISOString());
    expect(forecastExhaustion(hourly(0, 1), 10, { horizonInMs: 9 * HOUR - 1 }).exhaustedAt).toBeNull();
    expect(FORECAST_HORIZON_IN_MS).toBeGreaterThan(5 * 365 * DAY);
  });

  it("honours a custom minimum span", () => {
    const samples = [{ atMs: t0, used: 1 }, { atMs: t0 + 10 * 60 * 1000, used: 2 }];
    expect(forecastExhaustion(samples, 100).exhaustedAt).toBeNull();
    expect(forecastExhaustion(samples, 100, { minSpanInMs: 10 * 60 * 1000 }).exhaustedAt).not.toBeNull();
  });
});

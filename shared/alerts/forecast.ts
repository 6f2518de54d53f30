import type { LicenseForecast } from "./model.js";

/**
 * "At the recent rate, when does it run out?" — a least-squares line through
 * the recent readings of one metric (used units over time), projected from the
 * latest reading to the purchased amount. Pure: the caller passes the readings.
 */

const DAY_IN_MS = 24 * 60 * 60 * 1000;

/** One reading of one metric: how much was used at that instant. */
export interface UsageSample {
  atMs: number;
  used: number;
}

interface ForecastOptions {
  /**
   * The readings must span at least this long for a rate to mean anything.
   * Default: one hour (MIN_FORECAST_SPAN_IN_MS).
   */
  minSpanInMs?: number;
  /**
   * An exhaustion further away than this counts as "not rising": a date decades
   * out is noise from a nearly flat series (and beyond what Date can hold).
   * Default: ten years (FORECAST_HORIZON_IN_MS).
   */
  horizonInMs?: number;
}

export const MIN_FORECAST_SPAN_IN_MS = 60 * 60 * 1000;
export const FORECAST_HORIZON_IN_MS = 3652 * DAY_IN_MS;

/**
 * Least-squares slope of `used` over time, in units per day; null when there
 * are fewer than two readings or they do not span `minSpanInMs`.
 */
export function usageRatePerDay(samples: readonly UsageSample[], minSpanInMs: number = MIN_FORECAST_SPAN_IN_MS): number | null {
  if (samples.length < 2) return null;
  let first = Infinity;
  let last = -Infinity;
  for (const s of samples) {
    first = Math.min(first, s.atMs);
    last = Math.max(last, s.atMs);
  }
  if (!(last - first >= minSpanInMs) || last === first) return null;

  // Time in days from the first reading: epoch milliseconds squared lose precision.
  const xs = samples.map((s) => (s.atMs - first) / DAY_IN_MS);
  const meanX = xs.reduce((a, x) => a + x, 0) / xs.length;
  const meanY = samples.reduce((a, s) => a + s.used, 0) / samples.length;
  let covariance = 0;
  let variance = 0;
  samples.forEach((s, i) => {
    const dx = (xs[i] as number) - meanX;
    covariance += dx * (s.used - meanY);
    variance += dx * dx;
  });
  return covariance / variance;
}

/**
 * The date `used` reaches `capacity` at the recent rate, projected from the
 * latest reading. Decision table:
 *
 * | readings                              | exhaustedAt                     | ratePerDay |
 * | ------------------------------------- | ------------------------------- | ---------- |
 * | < 2, or spanning < minSpanInMs        | null (too little data)          | 0          |
 * | capacity ≤ 0 (not applicable)         | null                            | the slope  |
 * | slope ≤ 0                             | null (not rising)               | the slope  |
 * | latest reading already ≥ capacity     | the latest reading's time       | the slope  |
 * | exhaustion beyond horizonInMs         | null (practically not rising)   | the slope  |
 * | otherwise                             | latest + (capacity − used)/rate | the slope  |
 */
export function forecastExhaustion(samples: readonly UsageSample[], capacity: number, options: ForecastOptions = {}): LicenseForecast {
  const rate = usageRatePerDay(samples, options.minSpanInMs ?? MIN_FORECAST_SPAN_IN_MS);
  if (rate === null) return { exhaustedAt: null, ratePerDay: 0 };
  if (!(capacity > 0) || !(rate > 0)) return { exhaustedAt: null, ratePerDay: rate };

  const latest = samples.reduce((a, s) => (s.atMs >= a.atMs ? s : a));
  if (latest.used >= capacity) return { exhaustedAt: new Date(latest.atMs), ratePerDay: rate };

  const untilInMs = ((capacity - latest.used) / rate) * DAY_IN_MS;
  if (!(untilInMs <= (options.horizonInMs ?? FORECAST_HORIZON_IN_MS))) return { exhaustedAt: null, ratePerDay: rate };
  return { exhaustedAt: new Date(Math.round(latest.atMs + untilInMs)), ratePerDay: rate };
}

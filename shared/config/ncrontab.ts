/**
 * A small NCRONTAB matcher (the six-field `{second} {minute} {hour} {day} {month} {day-of-week}`
 * format Azure Functions timers use): validates JOBS_SCHEDULE / LICENSE_SCHEDULE at start, and
 * drives the local runner, which has no Functions host.
 * Supports `*`, `n`, `a-b`, lists and `/step`; month and day names are not needed by our defaults.
 */
interface Schedule {
  matches(date: Date): boolean;
  /** The next matching whole second strictly after `from` (UTC), within a year. */
  next(from: Date): Date;
}

const RANGES: [number, number][] = [
  [0, 59], // second
  [0, 59], // minute
  [0, 23], // hour
  [1, 31], // day of month
  [1, 12], // month
  [0, 6], // day of week (0 = Sunday; 7 also means Sunday)
];

export class ScheduleError extends Error {
  override readonly name = "ScheduleError";
}

export function parseSchedule(expression: string): Schedule {
  const timeSpan = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(expression.trim());
  if (timeSpan) {
    const period = (Number(timeSpan[1]) * 3600 + Number(timeSpan[2]) * 60 + Number(timeSpan[3])) * 1000;
    if (period <= 0) throw new ScheduleError(`"${expression}" is an empty interval`);
    return {
      matches: (d) => d.getTime() % period < 1000,
      next: (from) => new Date((Math.floor(from.getTime() / period) + 1) * period),
    };
  }
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) throw new ScheduleError(`"${expression}" must have six fields (second minute hour day month day-of-week)`);
  const sets = fields.map((field, i) => parseField(field, RANGES[i]!, expression));
  const matches = (d: Date): boolean => {
    const dow = d.getUTCDay();
    return (
      sets[0]!.has(d.getUTCSeconds()) &&
      sets[1]!.has(d.getUTCMinutes()) &&
      sets[2]!.has(d.getUTCHours()) &&
      sets[3]!.has(d.getUTCDate()) &&
      sets[4]!.has(d.getUTCMonth() + 1) &&
      (sets[5]!.has(dow) || (dow === 0 && sets[5]!.has(7)))
    );
  };
  return {
    matches,
    next(from) {
      let t = Math.floor(from.getTime() / 1000) * 1000 + 1000;
      const limit = t + 366 * 24 * 3600 * 1000;
      for (; t < limit; t += 1000) {
        const d = new Date(t);
        // Skip whole minutes whose minute/hour/day cannot match, so a year's scan stays cheap.
        if (!sets[1]!.has(d.getUTCMinutes()) || !sets[2]!.has(d.getUTCHours()) || !sets[3]!.has(d.getUTCDate()) || !sets[4]!.has(d.getUTCMonth() + 1)) {
          t = Math.floor(t / 60_000) * 60_000 + 60_000 - 1000;
          continue;
        }
        if (matches(d)) return d;
      }
      throw new ScheduleError(`"${expression}" never fires`);
    },
  };
}

function parseField(field: string, [min, max]: [number, number], expression: string): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new ScheduleError(`"${part}" in "${expression}" is not a number, range, * or step`);
    const step = m[2] ? Number(m[2]) : 1;
    let lo = min;
    let hi = max;
    if (m[1] !== "*") {
      const [a, b] = m[1]!.split("-").map(Number);
      lo = a!;
      hi = b ?? (m[2] ? max : a!);
    }
    const top = max === 6 ? 7 : max;
    if (lo < min || hi > top || lo > hi || step < 1) throw new ScheduleError(`"${part}" in "${expression}" is outside ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/**
 * A weekly window in an IANA time zone ("every Sunday 02:00-06:00
 * Europe/Berlin"), evaluated on the wall clock of that zone, so it follows
 * daylight-saving changes without a time-zone library:
 *
 *   the instant's local weekday and time (Intl.DateTimeFormat in the zone)
 *   fall inside [start, end) of a listed day          → inside
 *   end at or before start                            → the window runs past midnight into the next day
 *   a start the clock skips (spring forward)          → the window begins at the first local time after it
 *   a local time the clock repeats (fall back)        → both occurrences are inside
 *
 * So on the Sunday Berlin springs forward, 02:00-06:00 lasts three real hours,
 * and on the Sunday it falls back, five.
 */

/** Index = JavaScript's day number (0 = Sunday). */
export const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklyWindow {
  /** Days the window starts on, in the zone's local calendar. */
  days: Weekday[];
  /** Local start, `HH:MM` (24-hour). */
  start: string;
  /** Local end, `HH:MM`; `24:00` is the end of the day. Exclusive. */
  end: string;
  /** IANA zone, e.g. `Europe/Berlin`. */
  timeZone: string;
}

const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const SHORT_WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Minutes since midnight of `HH:MM` (00:00-24:00), or undefined when it is not such a time. */
export function minutesOfClockTime(text: string): number | undefined {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!match) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes > MINUTES_PER_DAY ? undefined : minutes;
}

/** True when the runtime knows the zone (Node's full ICU knows every IANA zone). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Minutes since local Sunday 00:00 of `at` in `timeZone`. */
export function localMinuteOfWeek(at: Date, timeZone: string): number {
  let day: number | undefined;
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type === "weekday") day = SHORT_WEEKDAYS[part.value];
    else if (part.type === "hour") hour = Number(part.value) % 24;
    else if (part.type === "minute") minute = Number(part.value);
  }
  if (day === undefined) throw new RangeError(`could not read the local weekday in ${timeZone}`);
  return day * MINUTES_PER_DAY + hour * 60 + minute;
}

/** Whether `at` falls inside the window. The window must have been validated (see routing-file.ts). */
export function isInWeeklyWindow(window: WeeklyWindow, at: Date): boolean {
  const start = minutesOfClockTime(window.start);
  const end = minutesOfClockTime(window.end);
  if (start === undefined || end === undefined) throw new RangeError(`not a weekly window: ${window.start}-${window.end}`);
  const length = end > start ? end - start : end + MINUTES_PER_DAY - start;
  const now = localMinuteOfWeek(at, window.timeZone);
  return window.days.some((day) => {
    const opens = WEEKDAYS.indexOf(day) * MINUTES_PER_DAY + start;
    // A Saturday-night window runs on into Sunday, the start of the next week.
    const sinceOpen = (now - opens + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
    return sinceOpen < length;
  });
}

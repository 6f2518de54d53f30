/**
 * When a silence is in force, as instants: the window that holds an alert
 * back now, and the next window to come (for `npm run check-config`).
 *
 * A weekly window is defined on a zone's wall clock (weekly-window.ts), so its
 * real start and end are found by walking real minutes and asking that clock,
 * which follows daylight-saving changes by construction. Windows that touch
 * (Saturday 00:00-24:00 and Sunday 00:00-24:00) count as one: a silence "ends"
 * when it is no longer in force. `starts` / `ends` clip a weekly window.
 */
import type { Silence } from "../config/routing-file.js";
import { isSilenceActive } from "./route.js";

interface SilenceWindow {
  /** First instant in force. */
  start: Date;
  /** First instant no longer in force (exclusive). */
  end: Date;
}

const MINUTE_IN_MS = 60_000;
/**
 * How far a walk goes. A weekly silence in force all week never ends: its
 * window is reported as ending this far away (then re-evaluated).
 */
const MAX_WALK_MINUTES = 8 * 24 * 60;

/** The window of `silence` in force at `at`; undefined when it is not in force then. */
export function silenceWindowAt(silence: Silence, at: Date): SilenceWindow | undefined {
  if (!isSilenceActive(silence, at)) return undefined;
  if (!silence.weekly) return { start: silence.starts as Date, end: silence.ends as Date };
  // Minute steps: wall-clock windows start and end on whole local minutes, and zone offsets are whole minutes.
  const minute = Math.floor(at.getTime() / MINUTE_IN_MS) * MINUTE_IN_MS;
  let start = minute;
  for (let i = 0; i < MAX_WALK_MINUTES && isSilenceActive(silence, new Date(start - MINUTE_IN_MS)); i++) start -= MINUTE_IN_MS;
  let end = minute + MINUTE_IN_MS;
  for (let i = 0; i < MAX_WALK_MINUTES && isSilenceActive(silence, new Date(end)); i++) end += MINUTE_IN_MS;
  return { start: new Date(start), end: new Date(end) };
}

/** The window in force at `from`, else the next one to start; undefined when none is to come (an absolute window that ended, a bound passed). */
export function nextSilenceWindow(silence: Silence, from: Date): SilenceWindow | undefined {
  const now = silenceWindowAt(silence, from);
  if (now) return now;
  if (silence.ends && from.getTime() >= silence.ends.getTime()) return undefined;
  if (!silence.weekly) return silence.starts && silence.ends ? { start: silence.starts, end: silence.ends } : undefined;
  // Not before `starts`; then the first minute in force within a week (and a day for daylight-saving shifts).
  let t = Math.ceil(Math.max(from.getTime(), silence.starts?.getTime() ?? 0) / MINUTE_IN_MS) * MINUTE_IN_MS;
  for (let i = 0; i < MAX_WALK_MINUTES; i++, t += MINUTE_IN_MS) {
    const window = silenceWindowAt(silence, new Date(t));
    if (window) return { start: new Date(Math.max(window.start.getTime(), t)), end: window.end };
  }
  return undefined;
}

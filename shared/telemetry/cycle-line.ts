/**
 * The structured line each cycle logs: one JSON object on one line, so it can
 * be queried (Application Insights `traces`, `parse_json(message)`) as well as
 * read. Only counts, durations, times, the monitor, the tenant's display name
 * and the read error (already redacted) go in: no URL, job id or credential.
 */
import type { CycleSummary, MonitorName } from "./cycle-summary.js";

/** Marks the line among the others; queries filter on it. */
export const CYCLE_EVENT = "cycle";

export interface CycleLogRecord {
  event: typeof CYCLE_EVENT;
  monitor: MonitorName;
  tenant: string;
  ok: boolean;
  durationInMs?: number;
  /** Jobs read (jobs monitor) or license readings (license monitor). */
  read: number;
  newAlerts: number;
  delivered: number;
  messages: number;
  /** Left undelivered by this cycle: failed + deferred + held by another run. */
  pending: number;
  failed: number;
  deferred: number;
  skipped: number;
  /** Sent, but another run had taken the claim over before it was recorded (a possible duplicate; not counted as delivered). */
  overtaken: number;
  /** Rows set aside this cycle: unreadable, or their card could not be rendered. */
  setAside: number;
  apiRequests?: number;
  apiLatencyInMs?: { total: number; max: number };
  tableRoundTrips?: number;
  checkpointWritten: boolean;
  windowStart?: string;
  windowEnd?: string;
  error?: string;
}

/** Alerts this cycle left for a later one. */
export function pendingAfter(summary: CycleSummary): number {
  const d = summary.delivery;
  return d.failed + d.deferred + d.skipped;
}

function cycleLogRecord(summary: CycleSummary): CycleLogRecord {
  const d = summary.delivery;
  const u = summary.usage;
  return {
    event: CYCLE_EVENT,
    monitor: summary.monitor,
    tenant: summary.tenant,
    ok: summary.ok,
    ...(u ? { durationInMs: u.durationInMs } : {}),
    read: summary.read,
    newAlerts: summary.newAlerts,
    delivered: d.delivered,
    messages: d.messages,
    pending: pendingAfter(summary),
    failed: d.failed,
    deferred: d.deferred,
    skipped: d.skipped,
    overtaken: d.overtaken,
    setAside: d.setAside.length,
    ...(u ? { apiRequests: u.apiRequests, apiLatencyInMs: u.apiLatencyInMs, tableRoundTrips: u.tableRoundTrips } : {}),
    checkpointWritten: summary.checkpointWritten,
    ...(summary.window ? { windowStart: summary.window.start.toISOString(), windowEnd: summary.window.end.toISOString() } : {}),
    ...(summary.error !== undefined ? { error: summary.error } : {}),
  };
}

/** The record as one line of JSON (log it through the redacting logger). */
export function cycleLogLine(summary: CycleSummary): string {
  return JSON.stringify(cycleLogRecord(summary));
}

/**
 * Where the monitors stand, read from the ledger: per monitor its last
 * successful cycle, watermark, failures, the jobs it still tracks and the
 * services with open failures; and every delivery not made yet. One builder
 * for `npm run status` and GET /api/health, so both say the same.
 */
import type { MonitoringProblem } from "../alerts/model.js";
import { SERVICES, type ServiceId } from "../avepoint/model.js";
import { describeServiceReading, type ServiceReading } from "../avepoint/service-reading.js";
import { parseSchedule } from "../config/ncrontab.js";
import type { Settings } from "../config/settings.js";
import type { AlertLedger, DeliveryRecord, UnreadableRow } from "../ledger/index.js";
import { alertSummary } from "../render/index.js";
import type { MonitorName } from "../telemetry/cycle-summary.js";
import { readMonitorCheckpoint, type MonitorCheckpoint } from "./checkpoint.js";

/** A monitor is stale once this many scheduled runs have passed since its last success. */
const STALE_AFTER_RUNS = 3;
/** Grace for the last of those runs to finish: one interval, at most this. */
const STALE_GRACE_MAX_IN_MS = 10 * 60_000;
/** Deliveries listed one by one (all are counted). */
const MAX_LISTED_DELIVERIES = 100;

interface MonitorStatus {
  monitor: MonitorName;
  tenant: string;
  /** NCRONTAB schedule. */
  schedule: string;
  /** Longest gap between the schedule's runs after the last success (or now). */
  intervalInMs: number;
  lastSuccessAt: string | null;
  /** Jobs up to here were read completely (ISO); null before the first success. */
  watermark: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  /** An open "Monitoring degraded" alert and what it was raised for. */
  degraded: { problem: MonitoringProblem; failures: number } | null;
  /** Succeeded within its last STALE_AFTER_RUNS scheduled runs. */
  healthy: boolean;
  /** When it stops counting as healthy without another success (ISO); null when it never succeeded. */
  staleAt: string | null;
  /** Why it is not healthy; null when healthy. */
  problem: string | null;
  /** Jobs seen In Progress, re-read until they finish (jobs monitor). */
  openJobs: { id: string; startTime: string }[];
  /** Services with a failure not yet followed by a successful backup (jobs monitor). */
  openFailures: { service: number; serviceName: string; jobIds: string[]; lastFailureAt: string }[];
}

interface DeliveryStatus {
  receiver: string;
  fingerprint: string;
  kind: string;
  severity: string;
  /** `pending` (never tried), `failing` (tried, waiting for the next cycle), `sending` (a run holds it), `quarantined` (set aside: cannot be read or rendered; lastError says why). */
  state: "pending" | "failing" | "sending" | "quarantined";
  attempts: number;
  lastError: string | null;
  eventTime: string;
  createdAt: string;
  /** The alert's one-line summary. */
  summary: string;
}

export interface StatusReport {
  generatedAt: string;
  tenant: string;
  /** Every monitor healthy. */
  healthy: boolean;
  /** AVEPOINT_API_PROFILE and what the monitors learned about the service (their checkpoints' `state.avepoint`). */
  avepoint: { profile: string; reading: ServiceReading; description: string };
  monitors: MonitorStatus[];
  deliveries: {
    pending: number;
    failing: number;
    sending: number;
    /** Set aside (cannot be read or rendered); never sent until someone looks. */
    quarantined: number;
    /** Oldest first, at most MAX_LISTED_DELIVERIES. */
    items: DeliveryStatus[];
  };
}

interface StatusOptions {
  settings: Settings;
  ledger: Pick<AlertLedger, "readCheckpoint" | "openWork">;
  now: Date;
}

/**
 * The staleness rule: a monitor is healthy while fewer than STALE_AFTER_RUNS
 * scheduled runs have passed since its last success, plus a grace (one
 * interval, at most STALE_GRACE_MAX_IN_MS) for the last run to finish. Counted
 * in scheduled runs, not wall time, so a weekday-only schedule is not stale on
 * a Monday morning. A monitor that never succeeded is not healthy.
 */
function monitorDeadline(schedule: string, lastSuccessAt: Date): { staleAt: Date; intervalInMs: number } {
  const runs: Date[] = [];
  const parsed = parseSchedule(schedule);
  let t = lastSuccessAt;
  for (let i = 0; i < STALE_AFTER_RUNS + 1; i++) runs.push((t = parsed.next(t)));
  let intervalInMs = runs[0]!.getTime() - lastSuccessAt.getTime();
  for (let i = 1; i < runs.length; i++) intervalInMs = Math.max(intervalInMs, runs[i]!.getTime() - runs[i - 1]!.getTime());
  const third = runs[STALE_AFTER_RUNS - 1]!;
  return { staleAt: new Date(third.getTime() + Math.min(intervalInMs, STALE_GRACE_MAX_IN_MS)), intervalInMs };
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

function monitorStatus(options: StatusOptions, monitor: MonitorName, schedule: string, cp: MonitorCheckpoint): MonitorStatus {
  const { settings, now } = options;
  const tenant = settings.alerts.tenantName;
  const health = cp.state.monitoring;
  let healthy = false;
  let staleAt: Date | null = null;
  let intervalInMs: number;
  let problem: string | null;
  if (cp.lastSuccessAt) {
    const deadline = monitorDeadline(schedule, cp.lastSuccessAt);
    staleAt = deadline.staleAt;
    intervalInMs = deadline.intervalInMs;
    healthy = now.getTime() <= staleAt.getTime();
    problem = healthy ? null : `no successful cycle since ${cp.lastSuccessAt.toISOString()} (${STALE_AFTER_RUNS} scheduled runs passed)`;
  } else {
    intervalInMs = monitorDeadline(schedule, now).intervalInMs;
    problem = cp.consecutiveFailures > 0 ? `never succeeded (${cp.consecutiveFailures} failed cycles)` : "has not run yet";
  }
  const openFailures = Object.entries(cp.state.openFailures).map(([key, f]) => ({
    service: Number(key),
    serviceName: SERVICES[Number(key) as ServiceId] ?? `service ${key}`,
    jobIds: f.jobIds,
    lastFailureAt: f.lastFailureAt,
  }));
  return {
    monitor,
    tenant,
    schedule,
    intervalInMs,
    lastSuccessAt: iso(cp.lastSuccessAt),
    watermark: iso(cp.watermark),
    consecutiveFailures: cp.consecutiveFailures,
    lastError: cp.lastError,
    degraded: health.open && health.problem ? { problem: health.problem, failures: health.failures } : null,
    healthy,
    staleAt: iso(staleAt),
    problem,
    openJobs: cp.openJobs.map((j) => ({ id: j.id, startTime: j.startTime.toISOString() })),
    openFailures,
  };
}

function deliveryStatus(record: DeliveryRecord, settings: Settings): DeliveryStatus {
  const state = record.state === "sending" || record.state === "quarantined" ? record.state : record.attempts > 0 ? "failing" : "pending";
  return {
    receiver: record.receiver,
    fingerprint: record.fingerprint,
    kind: record.alert.kind,
    severity: record.alert.severity,
    state,
    attempts: record.attempts,
    lastError: record.lastError,
    eventTime: record.eventTime.toISOString(),
    createdAt: record.createdAt.toISOString(),
    summary: alertSummary(record.alert, { tenantName: settings.alerts.tenantName, portalUrl: settings.avepoint.portalUrl }),
  };
}

/** A row this build cannot decode: what its plain columns say. Not yet quarantined ones are set aside by the next cycle. */
function unreadableStatus(row: UnreadableRow): DeliveryStatus {
  return {
    receiver: row.receiver ?? "?",
    fingerprint: row.fingerprint ?? row.rowKey,
    kind: "?",
    severity: "?",
    state: "quarantined",
    attempts: 0,
    lastError: row.reason,
    eventTime: "",
    createdAt: "",
    summary: `(cannot be read by this version) ${row.rowKey}`,
  };
}

export async function buildStatus(options: StatusOptions): Promise<StatusReport> {
  const { settings, ledger, now } = options;
  const tenant = settings.alerts.tenantName;
  // Each checkpoint read once: it gives its monitor's standing and its part of the service reading.
  const [jobsCp, licenseCp, open] = await Promise.all([
    readMonitorCheckpoint(ledger, tenant, "jobs"),
    readMonitorCheckpoint(ledger, tenant, "license"),
    ledger.openWork(tenant),
  ]);
  const items = [...open.records.map((r) => deliveryStatus(r, settings)), ...open.unreadable.map(unreadableStatus)];
  const monitors = [monitorStatus(options, "jobs", settings.jobs.schedule, jobsCp), monitorStatus(options, "license", settings.license.schedule, licenseCp)];
  // Each monitor keeps the whole reading; the one written last knows most, the other fills its gaps.
  const reading = { ...licenseCp.state.avepoint, ...jobsCp.state.avepoint };
  return {
    generatedAt: now.toISOString(),
    tenant,
    healthy: monitors.every((m) => m.healthy),
    avepoint: { profile: settings.avepoint.profile, reading, description: describeServiceReading(reading) },
    monitors,
    deliveries: {
      pending: items.filter((d) => d.state === "pending").length,
      failing: items.filter((d) => d.state === "failing").length,
      sending: items.filter((d) => d.state === "sending").length,
      quarantined: items.filter((d) => d.state === "quarantined").length,
      items: items.slice(0, MAX_LISTED_DELIVERIES),
    },
  };
}

// --- Text --------------------------------------------------------------------------

function when(value: string | null): string {
  return value ? `${value.slice(0, 16).replace("T", " ")} UTC` : "never";
}

function oneLine(text: string | null, max: number): string {
  if (!text) return "-";
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}\u2026`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The report as a text table, for a terminal. */
export function formatStatusText(report: StatusReport): string {
  const out: string[] = [
    `Cloud Backup Alerts: tenant ${report.tenant}, ${when(report.generatedAt)}: ${report.healthy ? "HEALTHY" : "UNHEALTHY"}`,
    "",
  ];
  out.push(
    ...table(
      ["MONITOR", "HEALTH", "LAST SUCCESS", "WATERMARK", "FAILURES", "LAST ERROR"],
      report.monitors.map((m) => [
        m.monitor,
        m.healthy ? (m.degraded ? "degraded" : "ok") : "STALE",
        when(m.lastSuccessAt),
        m.watermark ? when(m.watermark) : "-",
        String(m.consecutiveFailures),
        oneLine(m.lastError, 100),
      ]),
    ),
  );
  for (const m of report.monitors) {
    if (m.problem) out.push(`  ${m.monitor}: ${m.problem}`);
    if (m.degraded) out.push(`  ${m.monitor}: monitoring degraded alert open (${m.degraded.problem}, after ${m.degraded.failures} failed cycles)`);
  }
  const jobs = report.monitors.find((m) => m.monitor === "jobs");
  if (jobs) {
    out.push("", `Open jobs (tracked In Progress): ${jobs.openJobs.length}`);
    for (const j of jobs.openJobs.slice(0, 20)) out.push(`  ${j.id}  started ${when(j.startTime)}`);
    if (jobs.openJobs.length > 20) out.push(`  and ${jobs.openJobs.length - 20} more`);
    out.push(`Open failures: ${jobs.openFailures.length === 0 ? "none" : ""}`.trimEnd());
    for (const f of jobs.openFailures) out.push(`  ${f.serviceName}: ${f.jobIds.length} failed job(s), last ${when(f.lastFailureAt)}`);
  }
  out.push("", `AvePoint (AVEPOINT_API_PROFILE=${report.avepoint.profile}): ${report.avepoint.description}`);
  const d = report.deliveries;
  out.push("", `Deliveries not made yet: ${d.pending} pending, ${d.failing} failing, ${d.sending} sending, ${d.quarantined} quarantined`);
  if (d.items.length > 0) {
    out.push(
      ...table(
        ["RECEIVER", "STATE", "ATTEMPTS", "EVENT", "ALERT", "LAST ERROR"],
        d.items.map((i) => [i.receiver, i.state, String(i.attempts), when(i.eventTime), oneLine(i.summary, 70), oneLine(i.lastError, 80)]),
      ),
    );
    const total = d.pending + d.failing + d.sending + d.quarantined;
    if (total > d.items.length) out.push(`and ${total - d.items.length} more`);
  }
  return `${out.join("\n")}\n`;
}

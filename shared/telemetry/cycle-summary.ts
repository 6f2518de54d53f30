/**
 * What one monitor cycle reports (shared/pipeline/cycle.ts returns it): the
 * readable line below, the structured line (cycle-line.ts) and the metrics
 * (metrics.ts) are all made from it. Kept here, under the pipeline, so that
 * telemetry never imports the pipeline it reports on.
 */
import type { OutboxResult } from "../receivers/outbox.js";
import type { JobsWindow } from "../sources/jobs-window.js";
import type { CycleUsage } from "./cycle-usage.js";

export type MonitorName = "jobs" | "license";

export interface CycleSummary {
  monitor: MonitorName;
  tenant: string;
  /** True when the read succeeded and everything found was delivered. */
  ok: boolean;
  /** Jobs (or license readings) read this cycle. */
  read: number;
  /** Alerts admitted to the ledger this cycle. */
  newAlerts: number;
  delivery: OutboxResult;
  window?: JobsWindow;
  /** Why the read failed; the checkpoint stayed where it was. */
  error?: string;
  checkpointWritten: boolean;
  /** What the cycle cost (time, API requests, table round trips); set by the runtime, which measures it. */
  usage?: CycleUsage;
}

/** One line per cycle, for logs and the local runner. */
export function formatSummary(s: CycleSummary): string {
  const d = s.delivery;
  const parts = [
    `${s.monitor} monitor [${s.tenant}]: ${s.ok ? "ok" : "FAILED"}`,
    s.monitor === "jobs" ? `${s.read} job(s) read` : s.read > 0 ? "license read" : "license not read",
    `${s.newAlerts} new alert(s)`,
    `${d.delivered} delivered in ${d.messages} message(s)`,
  ];
  if (d.failed > 0) parts.push(`${d.failed} pending after failed delivery`);
  if (d.skipped > 0) parts.push(`${d.skipped} held by another run`);
  if (d.deferred > 0) parts.push(`${d.deferred} pending, retried next cycle`);
  if (d.overtaken > 0) parts.push(`${d.overtaken} sent after another run took them over (possible duplicates)`);
  if (d.setAside.length > 0) parts.push(`${d.setAside.length} set aside (quarantined: unreadable or not renderable)`);
  if (s.window) parts.push(`window ${s.window.start.toISOString()} .. ${s.window.end.toISOString()}`);
  if (s.error) parts.push(`read error: ${s.error}`);
  if (d.errors.length > 0) parts.push(`delivery error: ${d.errors[0]}`);
  return parts.join("; ");
}

/**
 * After a silence window ends, one summary lists the alerts it held back, so
 * nothing is silently forgotten (issue 6).
 *
 * Silenced alerts sit in the ledger under the reserved receiver `silenced`,
 * each tagged with its window (`silencedBy`: silence name, start, end; see
 * admission.ts). A monitor cycle notices that a window has ended by keeping
 * the time of its last check in its checkpoint (`state.silenceSummary`):
 *
 *   last check            now                      then
 *   (none yet)            -                        remember now; nothing to do
 *   in no silence window  -                        remember now; nothing to do (no ledger read)
 *   inside a window W     before W's end           remember now; nothing to do
 *   inside a window W     at or after W's end      read the silenced rows admitted since W began,
 *                                                  and admit one summary per ended window
 *
 * A summary's fingerprint is the silence name + window end, so it is admitted
 * (and sent) once however many cycles or monitors get there. It goes through
 * the normal admission: to the union of the receivers its alerts would have
 * reached, and is itself held back if another silence is in force now. When
 * the ledger read fails, the last check is not moved, so the next cycle tries again.
 */
import { fingerprintOf } from "../alerts/fingerprint.js";
import type { Alert, SilenceRef, SilenceSummaryAlert } from "../alerts/model.js";
import type { AlertLedger, DeliveryRecord } from "../ledger/index.js";
import type { Logger } from "../logging.js";
import { admitRouted } from "./admission.js";
import { SILENCED_RECEIVER, type Routing } from "../config/routing-file.js";
import { routeAlert } from "./route.js";
import { silenceWindowAt } from "./silence-window.js";

/** Alerts one summary carries in full (the rest are counted): keeps the ledger row and the card within their limits. */
export const SILENCE_SUMMARY_MAX_LISTED = 50;
/** Job errors kept per listed alert (the summary shows the top one). */
const MAX_ERRORS_PER_LISTED = 3;

/** What a monitor keeps in its checkpoint, under `silenceSummary`. */
export interface SilenceSummaryState {
  /** ISO time of the last check. */
  checkedAt: string;
}

export function parseSilenceSummaryState(raw: unknown): Date | null {
  const checkedAt = typeof raw === "object" && raw !== null ? (raw as { checkedAt?: unknown }).checkedAt : undefined;
  if (typeof checkedAt !== "string") return null;
  const date = new Date(checkedAt);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The summary of one ended window: held-back alerts oldest first (as the ledger lists them). */
export function buildSilenceSummary(tenant: string, window: SilenceRef, heldBack: readonly Alert[], now: Date): SilenceSummaryAlert {
  const identity = `silence-summary:${tenant}:${window.name}:${window.windowEnd.toISOString()}`;
  return {
    kind: "silence-summary",
    fingerprint: fingerprintOf(identity),
    identity,
    tenant,
    severity: "info",
    status: "firing",
    detectedAt: now,
    silence: window,
    alerts: heldBack.slice(0, SILENCE_SUMMARY_MAX_LISTED).map(listedCopy),
    total: heldBack.length,
  };
}

/** The held-back alert as the summary carries it: without its silence tag, with its top errors only. */
function listedCopy(alert: Alert): Alert {
  const { silencedBy: _tag, ...rest } = alert;
  const copy = rest as Alert;
  if ("job" in copy && copy.job.errors.length > MAX_ERRORS_PER_LISTED) {
    const errors = [...copy.job.errors].sort((a, b) => (b.count ?? 0) - (a.count ?? 0)).slice(0, MAX_ERRORS_PER_LISTED);
    return { ...copy, job: { ...copy.job, errors } } as Alert;
  }
  return copy;
}

interface SilenceSummaryOptions {
  ledger: Pick<AlertLedger, "deliveriesTo" | "admit">;
  routing: Pick<Routing, "routes" | "defaultReceivers" | "silences">;
  tenant: string;
  /** When the monitor last looked for ended windows (its checkpoint's `silenceSummary`); null before its first look. */
  lastCheck: Date | null;
  now: Date;
  logger: Logger;
}

interface SilenceSummaryOutcome {
  /** To store as the monitor's `state.silenceSummary`; undefined without silences (nothing stored). */
  state: SilenceSummaryState | undefined;
  /** Summary rows admitted for delivery. */
  admitted: number;
}

/** Admits the summaries of the silence windows that ended since the last check. Throws when the ledger fails (the caller keeps the old state). */
export async function admitSilenceSummaries(options: SilenceSummaryOptions): Promise<SilenceSummaryOutcome> {
  const { routing, now } = options;
  if (routing.silences.length === 0) return { state: undefined, admitted: 0 };
  const state: SilenceSummaryState = { checkedAt: now.toISOString() };
  const lastCheck = options.lastCheck;
  if (lastCheck === null) return { state, admitted: 0 };

  const ended = routing.silences
    .map((silence) => silenceWindowAt(silence, lastCheck))
    .filter((w): w is NonNullable<typeof w> => w !== undefined && w.end.getTime() <= now.getTime());
  if (ended.length === 0) return { state, admitted: 0 };

  const since = new Date(Math.min(...ended.map((w) => w.start.getTime())));
  const rows = await options.ledger.deliveriesTo(options.tenant, SILENCED_RECEIVER, since);
  let admitted = 0;
  for (const { window, alerts } of groupByWindow(rows, now)) {
    const summary = buildSilenceSummary(options.tenant, window, alerts, now);
    // Where the held-back alerts would have gone; admission applies any silence in force now.
    const receivers: string[] = [];
    for (const alert of alerts) for (const name of routeAlert(alert, routing)) if (!receivers.includes(name)) receivers.push(name);
    if (receivers.length === 0) continue;
    const created = await admitRouted(options.ledger, [summary], { routes: [], defaultReceivers: receivers, silences: routing.silences }, now, options.logger);
    if (created.length > 0) {
      options.logger.info(`silence "${window.name}" ended: one summary of ${alerts.length} held-back alert(s) for ${receivers.join(", ")}`, {
        silence: window.name,
        alerts: alerts.length,
      });
    }
    admitted += created.length;
  }
  return { state, admitted };
}

/** Rows of windows that have ended, grouped by window (silence name + end), in the order first seen. */
function groupByWindow(rows: readonly DeliveryRecord[], now: Date): { window: SilenceRef; alerts: Alert[] }[] {
  const groups = new Map<string, { window: SilenceRef; alerts: Alert[] }>();
  for (const row of rows) {
    const window = row.alert.silencedBy;
    if (!window || window.windowEnd.getTime() > now.getTime()) continue;
    const key = `${window.name}\n${window.windowEnd.toISOString()}`;
    const group = groups.get(key) ?? { window, alerts: [] };
    group.alerts.push(row.alert);
    groups.set(key, group);
  }
  return [...groups.values()];
}

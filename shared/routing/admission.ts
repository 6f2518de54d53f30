/**
 * The route step of the pipeline: each new alert is admitted to the ledger
 * for the receivers its route names, so delivery is tracked per alert ×
 * receiver (a failed email never resends a delivered Teams card).
 *
 * A silenced alert is admitted for the reserved receiver `silenced` instead,
 * which the outbox records as delivered without sending anything: the ledger
 * then knows the fingerprint, so the alert does not fire when the silence
 * ends. What fires again after a silence is what is detected again: a license
 * level still reached (its reminder), never a job outcome seen during it.
 * The silenced copy is tagged with its window (`silencedBy`), and after the
 * window ends one summary lists what it held back (silence-summary.ts).
 */
import type { Alert, SilenceRef } from "../alerts/model.js";
import type { AlertLedger, DeliveryRecord } from "../ledger/index.js";
import type { Logger } from "../logging.js";
import { SILENCED_RECEIVER, type Routing, type Silence } from "../config/routing-file.js";
import { isSilenced, routeAlert } from "./route.js";
import { silenceWindowAt } from "./silence-window.js";

/**
 * Routes and admits a cycle's alerts: one `ledger.admit` per distinct
 * receiver list (so one transaction batch serves many alerts). Returns the
 * rows created for real receivers (alert × receiver), to be delivered.
 */
export async function admitRouted(
  ledger: Pick<AlertLedger, "admit">,
  alerts: readonly Alert[],
  routing: Pick<Routing, "routes" | "defaultReceivers" | "silences">,
  now: Date,
  logger: Logger,
): Promise<DeliveryRecord[]> {
  const groups = new Map<string, { receivers: string[]; alerts: Alert[] }>();
  const silencedBy = new Map<string, number>();
  const windows = new Map<string, SilenceRef>();
  for (const alert of alerts) {
    const silence = isSilenced(alert, routing.silences, now);
    if (silence) silencedBy.set(silence.name, (silencedBy.get(silence.name) ?? 0) + 1);
    const receivers = silence ? [SILENCED_RECEIVER] : routeAlert(alert, routing);
    const key = receivers.join(" ");
    const group = groups.get(key) ?? { receivers, alerts: [] };
    // The ledger copy says which window held it back: the silence summary lists it after that window ends.
    group.alerts.push(silence ? { ...alert, silencedBy: silenceRef(silence, now, windows) } : alert);
    groups.set(key, group);
  }
  for (const [name, count] of silencedBy) {
    logger.info(`${count} alert(s) silenced by "${name}": recorded, not sent`, { silence: name, alerts: count });
  }

  const created = await Promise.all([...groups.values()].map((g) => ledger.admit(g.alerts, g.receivers)));
  return created.flat().filter((r) => r.receiver !== SILENCED_RECEIVER);
}

/** The window of `silence` in force at `now` (worked out once per silence and cycle). */
function silenceRef(silence: Silence, now: Date, known: Map<string, SilenceRef>): SilenceRef {
  let ref = known.get(silence.name);
  if (!ref) {
    // In force at `now` (isSilenced said so), so there is a window.
    const window = silenceWindowAt(silence, now) ?? { start: now, end: now };
    ref = { name: silence.name, windowStart: window.start, windowEnd: window.end, ...(silence.weekly ? { timeZone: silence.weekly.timeZone } : {}) };
    known.set(silence.name, ref);
  }
  return ref;
}

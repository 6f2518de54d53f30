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
 */
import type { Alert } from "../alerts/model.js";
import type { AlertLedger, DeliveryRecord } from "../ledger/index.js";
import type { Logger } from "../logging.js";
import { SILENCED_RECEIVER, type Routing } from "./config.js";
import { isSilenced, routeAlert } from "./route.js";

export interface RoutedAdmission {
  /** Rows created for real receivers (alert × receiver), to be delivered. */
  admitted: DeliveryRecord[];
  /** Alerts held back by a silence (recorded, not sent). */
  silenced: number;
}

/**
 * Routes and admits a cycle's alerts: one `ledger.admit` per distinct
 * receiver list (so one transaction batch serves many alerts).
 */
export async function admitRouted(
  ledger: Pick<AlertLedger, "admit">,
  alerts: readonly Alert[],
  routing: Pick<Routing, "routes" | "defaultReceivers" | "silences">,
  now: Date,
  logger: Logger,
): Promise<RoutedAdmission> {
  const groups = new Map<string, { receivers: string[]; alerts: Alert[] }>();
  const silencedBy = new Map<string, number>();
  for (const alert of alerts) {
    const silence = isSilenced(alert, routing.silences, now);
    if (silence) silencedBy.set(silence.name, (silencedBy.get(silence.name) ?? 0) + 1);
    const receivers = silence ? [SILENCED_RECEIVER] : routeAlert(alert, routing);
    const key = receivers.join(" ");
    const group = groups.get(key) ?? { receivers, alerts: [] };
    group.alerts.push(alert);
    groups.set(key, group);
  }
  for (const [name, count] of silencedBy) {
    logger.info(`${count} alert(s) silenced by "${name}": recorded, not sent`, { silence: name, alerts: count });
  }

  const created = await Promise.all([...groups.values()].map((g) => ledger.admit(g.alerts, g.receivers)));
  const admitted = created.flat().filter((r) => r.receiver !== SILENCED_RECEIVER);
  return { admitted, silenced: [...silencedBy.values()].reduce((a, b) => a + b, 0) };
}

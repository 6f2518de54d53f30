import { mapWithConcurrency } from "../concurrency.js";
import type { Alert, RenderContext } from "../alerts/model.js";
import type { Channel } from "../channels/delivery.js";
import { DeliveryError } from "../channels/delivery.js";
import type { AlertLedger, DeliveryRecord } from "../ledger/index.js";
import type { Logger } from "../logging.js";
import { buildEmailMessages, buildWorkflowsMessages } from "../render/index.js";
import { buildTeamsBotMessages } from "../render/bot-card.js";
import { SILENCED_RECEIVER } from "../routing/config.js";

/** A receiver: where alerts go (a permanent name) and how they are composed for it. */
export interface Receiver {
  channel: Channel;
  /**
   * Receiver that gets what this one fails to take in a cycle (after the
   * channel's own retries); from the routing file's `fallback`.
   */
  fallback?: string;
}

export interface OutboxOptions {
  ledger: Pick<AlertLedger, "pending" | "claim" | "markDelivered" | "release" | "admit">;
  receivers: readonly Receiver[];
  tenant: string;
  render: RenderContext;
  groupThreshold: number;
  /** Identifies this run in claims (visible in status tooling). */
  owner: string;
  now: () => Date;
  /**
   * Receivers that failed after all their retries, and when: not tried again
   * for RECEIVER_PAUSE_IN_MS. Kept by the runtime, so the second monitor of
   * a run (or the other timer in the same worker) does not repeat a send that
   * just failed; the next cycle retries it.
   */
  unavailableSince: Map<string, Date>;
  logger: Logger;
  abortSignal?: AbortSignal;
}

export interface OutboxResult {
  delivered: number;
  /** Claimed but not delivered; back to pending for the next cycle. */
  failed: number;
  /** Another run held the claim. */
  skipped: number;
  /** Failed moments ago (e.g. by the other monitor of this run); retried next cycle. */
  deferred: number;
  messages: number;
  errors: string[];
  /** Event time of the oldest alert left undelivered (failed or held by another run). */
  oldestUndelivered: Date | null;
}

export const RECEIVER_PAUSE_IN_MS = 60_000;
/** Claims and records in flight at once (each is one conditional write). */
const LEDGER_CONCURRENCY = 8;

export interface ComposedMessage {
  payload: object;
  fingerprints: string[];
}

/** How one channel kind turns a cycle's alerts into messages (also used by `npm run send-test-alert`). */
export function compose(channel: Channel, alerts: Alert[], options: Pick<OutboxOptions, "render" | "groupThreshold">): ComposedMessage[] {
  switch (channel.kind) {
    case "teams-workflows":
      return buildWorkflowsMessages(alerts, options.render, { groupThreshold: options.groupThreshold });
    case "teams-bot":
      return buildTeamsBotMessages(alerts, options.render, { groupThreshold: options.groupThreshold });
    case "email":
      return buildEmailMessages(alerts, options.render, { groupThreshold: options.groupThreshold }).map(({ message, fingerprints }) => ({ payload: message, fingerprints }));
    default:
      throw new Error(`no composer for receiver kind ${channel.kind}`);
  }
}

/**
 * Delivers everything pending in the ledger, oldest first: leftovers of earlier
 * cycles as well as this cycle's new alerts. Per record: claim (conditional
 * write) → send → record delivered only after a 2xx. A failed send puts the
 * records back to pending, so nothing found is ever lost; a claim another run
 * holds is skipped, so nothing is sent twice.
 *
 * Fallback: what a receiver fails to take this cycle (its channel has already
 * retried; or it is paused after such a failure) is admitted for its
 * `fallback` receiver, alert × fallback in the ledger like any delivery, and
 * sent there in the same cycle. The primary's rows stay pending, so the
 * primary still gets them when it is back: both are marked, each once. A
 * fallback that is down too hands on to its own fallback.
 *
 * Rows of the reserved receiver `silenced` are recorded as delivered without
 * sending (see routing/admission.ts).
 */
export async function deliverPending(options: OutboxOptions): Promise<OutboxResult> {
  const result: OutboxResult = { delivered: 0, failed: 0, skipped: 0, deferred: 0, messages: 0, errors: [], oldestUndelivered: null };
  const now = options.now();
  const pending = await options.ledger.pending(options.tenant);
  const paused = (receiver: string) => {
    const since = options.unavailableSince.get(receiver);
    return since !== undefined && now.getTime() - since.getTime() < RECEIVER_PAUSE_IN_MS;
  };
  if (pending.length === 0) return result;

  const byReceiver = new Map<string, DeliveryRecord[]>();
  for (const record of pending) {
    const list = byReceiver.get(record.receiver) ?? [];
    list.push(record);
    byReceiver.set(record.receiver, list);
  }

  const queue = [...byReceiver];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [receiverName, records] = next;
    if (receiverName === SILENCED_RECEIVER) {
      await recordSilenced(options, records, result);
      continue;
    }
    const receiver = options.receivers.find((r) => r.channel.name === receiverName);
    if (!receiver) {
      // Receiver names are permanent ids; a removed receiver keeps its records for when it returns.
      options.logger.warn(`${records.length} alert(s) pending for receiver "${receiverName}", which is not configured any more`);
      noteUndelivered(result, records);
      continue;
    }
    let undelivered: DeliveryRecord[];
    if (paused(receiverName)) {
      // Failed moments ago (this cycle, or the other monitor's): not tried again; the rows wait for the next cycle.
      result.deferred += records.length;
      noteUndelivered(result, records);
      undelivered = records;
    } else {
      undelivered = await deliverTo(receiver, records, options, result, now);
    }
    if (undelivered.length === 0 || receiver.fallback === undefined || options.abortSignal?.aborted) continue;
    // Admission is insert-if-absent: alerts the fallback already has (an earlier cycle, another run) are not handed over again.
    const handedOver = await options.ledger.admit(
      undelivered.map((r) => r.alert),
      [receiver.fallback],
    );
    if (handedOver.length === 0) continue;
    options.logger.warn(`${handedOver.length} alert(s) not delivered to ${receiverName} go to its fallback ${receiver.fallback}; ${receiverName} still gets them when it is back`);
    queue.push([receiver.fallback, handedOver]);
  }
  return result;
}

/** Claims, composes and sends one receiver's records; returns those a failed send left undelivered (not claims held elsewhere). */
async function deliverTo(receiver: Receiver, records: DeliveryRecord[], options: OutboxOptions, result: OutboxResult, now: Date): Promise<DeliveryRecord[]> {
  const receiverName = receiver.channel.name;
  const undelivered: DeliveryRecord[] = [];
  const claims = await mapWithConcurrency(records, LEDGER_CONCURRENCY, (r) => options.ledger.claim(r, options.owner));
  const claimed = claims.filter((c): c is DeliveryRecord => c !== null);
  result.skipped += records.length - claimed.length;
  noteUndelivered(result, records.filter((_, i) => claims[i] === null));
  if (claimed.length === 0) return undelivered;

  const byFingerprint = new Map(claimed.map((r) => [r.fingerprint, r]));
  const messages = compose(receiver.channel, claimed.map((r) => r.alert), options);
  let unavailable: string | undefined;
  for (const message of messages) {
    const own = message.fingerprints.map((f) => byFingerprint.get(f)).filter((r): r is DeliveryRecord => r !== undefined);
    if (unavailable) {
      await releaseAll(options, own, unavailable, result);
      result.failed += own.length;
      undelivered.push(...own);
      continue;
    }
    let sent: Awaited<ReturnType<Channel["send"]>>;
    try {
      sent = await receiver.channel.send(message.payload, options.abortSignal ? { abortSignal: options.abortSignal } : undefined);
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      options.logger.error(`delivery to ${receiverName} failed; ${own.length} alert(s) stay pending`, { error: text });
      result.errors.push(`${receiverName}: ${text}`);
      await releaseAll(options, own, text, result);
      result.failed += own.length;
      undelivered.push(...own);
      // A receiver that is down after all its retries is not tried again this cycle.
      if (receiverIsDown(error)) {
        unavailable = `not sent: ${receiverName} was unavailable this cycle (${text})`;
        options.unavailableSince.set(receiverName, now);
      }
      continue;
    }
    result.messages++;
    options.unavailableSince.delete(receiverName);
    // The duplicate window: a crash (or a ledger outage) between the 2xx above and this
    // write leaves the records claimed; once the lease expires the next run sends again.
    await mapWithConcurrency(own, LEDGER_CONCURRENCY, (r) => options.ledger.markDelivered(r, sent.messageId ? { messageId: sent.messageId } : undefined));
    result.delivered += own.length;
  }
  return undelivered;
}

/** Silenced alerts: claimed and marked delivered without a send, so the ledger knows them and they never fire later. */
async function recordSilenced(options: OutboxOptions, records: DeliveryRecord[], result: OutboxResult): Promise<void> {
  const claims = await mapWithConcurrency(records, LEDGER_CONCURRENCY, (r) => options.ledger.claim(r, options.owner));
  const claimed = claims.filter((c): c is DeliveryRecord => c !== null);
  noteUndelivered(result, records.filter((_, i) => claims[i] === null));
  await mapWithConcurrency(claimed, LEDGER_CONCURRENCY, (r) => options.ledger.markDelivered(r));
}

/**
 * Whether a failure concerns the receiver rather than one message: down after
 * all retries (5xx, 429, network), or gone / refusing us (401, 403, 404, 410).
 * A 400 is about that one payload, so the other messages are still tried.
 */
function receiverIsDown(error: unknown): boolean {
  if (!(error instanceof DeliveryError)) return true;
  return error.retryable || [401, 403, 404, 410].includes(error.status ?? 0);
}

function noteUndelivered(result: OutboxResult, records: readonly DeliveryRecord[]): void {
  for (const r of records) {
    if (!result.oldestUndelivered || r.eventTime < result.oldestUndelivered) result.oldestUndelivered = r.eventTime;
  }
}

async function releaseAll(options: OutboxOptions, records: DeliveryRecord[], error: string, result: OutboxResult): Promise<void> {
  noteUndelivered(result, records);
  await mapWithConcurrency(records, LEDGER_CONCURRENCY, (r) => options.ledger.release(r, error));
}

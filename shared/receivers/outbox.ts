import { mapWithConcurrency } from "../http/concurrency.js";
import type { RenderContext } from "../alerts/model.js";
import type { Channel, Receiver, SendOptions } from "./channel.js";
import { DeliveryError } from "./channel.js";
import type { AlertLedger, DeliveryRecord } from "../ledger/index.js";
import { deliveryRowKey } from "../ledger/keys.js";
import type { Logger } from "../logging.js";
import { SILENCED_RECEIVER } from "../config/routing-file.js";
import { describeError, redact } from "../security/secret.js";
import { compose, type ComposedMessage } from "./registry.js";

export interface OutboxOptions {
  ledger: Pick<AlertLedger, "pendingWork" | "claim" | "markAllDelivered" | "release" | "admit" | "quarantine">;
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
  /**
   * Admits the monitoring alert for rows set aside this cycle (routed like
   * any alert) and returns the rows it created, which are delivered in the
   * same pass. Raised once per row: a row is quarantined only once.
   */
  admitSetAside?: (rows: SetAside[]) => Promise<DeliveryRecord[]>;
}

/** A row set aside this cycle (it could not be read or rendered). */
interface SetAside {
  receiver: string;
  /** The ledger row key. */
  row: string;
  reason: string;
}

export interface OutboxResult {
  delivered: number;
  /** Claimed but not delivered; back to pending for the next cycle. */
  failed: number;
  /** Another run held the claim. */
  skipped: number;
  /** Failed moments ago (e.g. by the other monitor of this run); retried next cycle. */
  deferred: number;
  /**
   * Sent, but the claim had lapsed and another run had taken the rows over
   * before the delivery was recorded: not counted as delivered by this run.
   */
  overtaken: number;
  /** Rows set aside this cycle (unreadable, or their card could not be rendered); the rest of the queue went on. */
  setAside: SetAside[];
  messages: number;
  errors: string[];
  /** Event time of the oldest alert left undelivered (failed or held by another run) for a configured receiver. */
  oldestUndelivered: Date | null;
}

const RECEIVER_PAUSE_IN_MS = 60_000;
/** Claims and records in flight at once (each is one conditional write). */
const LEDGER_CONCURRENCY = 8;

export function emptyOutboxResult(): OutboxResult {
  return { delivered: 0, failed: 0, skipped: 0, deferred: 0, overtaken: 0, setAside: [], messages: 0, errors: [], oldestUndelivered: null };
}

/**
 * Delivers everything pending in the ledger, oldest first: leftovers of earlier
 * cycles as well as this cycle's new alerts. Per message: claim its rows
 * (conditional writes) just before the send → send → record delivered only
 * after a 2xx. A lease therefore covers one send, never a receiver's whole
 * queue: an overlapping run (the other timer) finds the rows of messages not
 * sent yet still pending, takes them, and this run's later claim on them
 * fails (412) and skips them. A failed send puts the rows back to pending,
 * so nothing found is ever lost.
 *
 * A row that cannot be read, or whose card cannot be rendered, is set aside
 * (quarantined, with its reason) and the rest of the queue goes on.
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
  const result = emptyOutboxResult();
  const now = options.now();
  const { records: pending, unreadable, inFlight = [] } = await options.ledger.pendingWork(options.tenant);
  // Alerts another run is sending right now are not delivered yet: they hold this cycle's watermark back too
  // (that run may fail and give them back; its checkpoint may be another monitor's).
  noteUndelivered(
    result,
    inFlight.filter((r) => options.receivers.some((x) => x.channel.name === r.receiver)),
  );
  for (const row of unreadable) {
    await setAside(options, row, row.receiver ?? "?", row.rowKey, `could not be read: ${row.reason}`, result);
  }
  let raised = 0;
  /** The monitoring alerts for rows set aside since the last call, admitted and queued for delivery. */
  const raiseSetAside = async (): Promise<DeliveryRecord[]> => {
    const fresh = result.setAside.slice(raised);
    raised = result.setAside.length;
    if (fresh.length === 0 || !options.admitSetAside) return [];
    try {
      return await options.admitSetAside(fresh);
    } catch (error) {
      options.logger.error("the alert about rows set aside could not be stored; the rows stay quarantined and are listed by npm run status", { error: describeError(error) });
      return [];
    }
  };
  pending.push(...(await raiseSetAside()));
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
  const enqueue = (records: DeliveryRecord[]) => {
    for (const record of records) {
      const entry = queue.find(([name]) => name === record.receiver);
      if (entry) entry[1].push(record);
      else queue.push([record.receiver, [record]]);
    }
  };
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [receiverName, records] = next;
    if (receiverName === SILENCED_RECEIVER) {
      await recordSilenced(options, records, result);
      continue;
    }
    const receiver = options.receivers.find((r) => r.channel.name === receiverName);
    if (!receiver) {
      // Receiver names are permanent ids; a removed receiver keeps its records for when it returns.
      // They do not hold the watermark back: the ledger, not the watermark, carries them.
      options.logger.warn(`${records.length} alert(s) pending for receiver "${receiverName}", which is not configured any more`);
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
      enqueue(await raiseSetAside());
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

/** One receiver's delivery in progress: what was left undelivered, and whether it went down. */
interface ReceiverRun {
  receiver: Receiver;
  options: OutboxOptions;
  result: OutboxResult;
  now: Date;
  undelivered: DeliveryRecord[];
  /** Set once the receiver failed as a whole: the messages after it are not tried this cycle. */
  unavailable?: string;
}

/** Composes and sends one receiver's records, message by message; returns those a failed send left undelivered (not claims held elsewhere). */
async function deliverTo(receiver: Receiver, records: DeliveryRecord[], options: OutboxOptions, result: OutboxResult, now: Date): Promise<DeliveryRecord[]> {
  const run: ReceiverRun = { receiver, options, result, now, undelivered: [] };
  for (const { message, own } of await composeOrSetAside(run, records)) {
    if (run.unavailable) {
      result.failed += own.length;
      noteUndelivered(result, own);
      run.undelivered.push(...own);
      continue;
    }
    await claimAndSend(run, message, own);
  }
  return run.undelivered;
}

/**
 * The messages for these records. A record whose card cannot be rendered
 * (too large, a renderer bug) is set aside so it cannot stall the queue:
 * when composing them together fails, each is composed alone to find it.
 */
async function composeOrSetAside(run: ReceiverRun, records: DeliveryRecord[]): Promise<{ message: ComposedMessage; own: DeliveryRecord[] }[]> {
  const channel = run.receiver.channel;
  const withRecords = (messages: ComposedMessage[], from: DeliveryRecord[]) => {
    const byFingerprint = new Map(from.map((r) => [r.fingerprint, r]));
    return messages.map((message) => ({ message, own: message.fingerprints.map((f) => byFingerprint.get(f)).filter((r): r is DeliveryRecord => r !== undefined) }));
  };
  try {
    return withRecords(compose(channel, records.map((r) => r.alert), run.options), records);
  } catch {
    // Found below, record by record.
  }
  const renderable: DeliveryRecord[] = [];
  for (const record of records) {
    try {
      compose(channel, [record.alert], run.options);
      renderable.push(record);
    } catch (error) {
      await setAside(run.options, record, record.receiver, deliveryRowKey(record.fingerprint, record.receiver), `could not be rendered: ${describeError(error)}`, run.result);
    }
  }
  return renderable.length === 0 ? [] : withRecords(compose(channel, renderable.map((r) => r.alert), run.options), renderable);
}

/**
 * Claims a message's rows just before its send (a fresh lease for this one
 * send), then sends. When another run took some of the rows meanwhile, the
 * rest are composed again and sent as their own message(s), each claim
 * renewed just before its send.
 */
async function claimAndSend(run: ReceiverRun, message: ComposedMessage, own: DeliveryRecord[]): Promise<void> {
  const { options, result } = run;
  const claims = await mapWithConcurrency(own, LEDGER_CONCURRENCY, (r) => options.ledger.claim(r, options.owner));
  const held = claims.filter((c): c is DeliveryRecord => c !== null);
  const lost = own.filter((_, i) => claims[i] === null);
  // Rows another run holds, or took over after our lease lapsed, are its to send: skipped here, never counted as ours.
  result.skipped += lost.length;
  noteUndelivered(result, lost);
  if (held.length === 0) return;
  if (held.length < own.length) {
    for (const part of await composeOrSetAside(run, held)) {
      if (run.unavailable) break;
      await claimAndSend(run, part.message, part.own);
    }
    return;
  }
  // The claim was just taken; should the clock say it has lapsed already (a stalled process), another run may own the rows: do not send.
  const now = options.now();
  if (held.some((r) => r.leaseUntil === null || r.leaseUntil.getTime() <= now.getTime())) {
    result.skipped += held.length;
    noteUndelivered(result, held);
    return;
  }
  await send(run, message, held);
}

async function send(run: ReceiverRun, message: ComposedMessage, held: DeliveryRecord[]): Promise<void> {
  const { receiver, options, result } = run;
  const receiverName = receiver.channel.name;
  // Destinations (conversations, recipients) that already took every alert of this message in an earlier, partly failed try.
  const skip = alreadyAccepted(held);
  const sendOptions: SendOptions = { ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}), ...(skip.size > 0 ? { skipDestinations: skip } : {}) };
  let sent: Awaited<ReturnType<Channel["send"]>>;
  try {
    sent = await receiver.channel.send(message.payload, sendOptions);
  } catch (error) {
    const text = describeError(error);
    options.logger.error(`delivery to ${receiverName} failed; ${held.length} alert(s) stay pending`, { error: text });
    result.errors.push(`${receiverName}: ${text}`);
    await releaseAll(options, held, text, result, error instanceof DeliveryError ? error.accepted : []);
    result.failed += held.length;
    run.undelivered.push(...held);
    // A receiver that is down after all its retries is not tried again this cycle.
    if (receiverIsDown(error)) {
      run.unavailable = text;
      options.unavailableSince.set(receiverName, run.now);
    }
    return;
  }
  result.messages++;
  options.unavailableSince.delete(receiverName);
  // The duplicate window: a crash (or a ledger outage) between the 2xx above and this
  // write leaves the records claimed; once the lease expires the next run sends again.
  const recorded = await options.ledger.markAllDelivered(held, sent.messageId ? { messageId: sent.messageId } : undefined);
  const mine = recorded.filter(Boolean).length;
  result.delivered += mine;
  result.overtaken += held.length - mine;
}

/** Quarantines a row with its reason (redacted) and notes it for the cycle's monitoring alert; a row another run changed meanwhile is left to it. */
async function setAside(
  options: OutboxOptions,
  row: Parameters<OutboxOptions["ledger"]["quarantine"]>[0],
  receiver: string,
  rowKey: string,
  reason: string,
  result: OutboxResult,
): Promise<void> {
  const safe = redact(reason);
  options.logger.error(`an alert for ${receiver} was set aside (quarantined); the rest of the queue goes on`, { row: rowKey, reason: safe });
  if (await options.ledger.quarantine(row, safe)) result.setAside.push({ receiver, row: rowKey, reason: safe });
}


/** Silenced alerts: claimed and marked delivered without a send, so the ledger knows them and they never fire later. */
async function recordSilenced(options: OutboxOptions, records: DeliveryRecord[], result: OutboxResult): Promise<void> {
  const claims = await mapWithConcurrency(records, LEDGER_CONCURRENCY, (r) => options.ledger.claim(r, options.owner));
  const claimed = claims.filter((c): c is DeliveryRecord => c !== null);
  noteUndelivered(result, records.filter((_, i) => claims[i] === null));
  await options.ledger.markAllDelivered(claimed);
}

/**
 * Whether a failure concerns the receiver rather than one message: down after
 * all retries (5xx, 429, network), or gone / refusing us (401, 403, 404, 410).
 * A 400 is about that one payload, so the other messages are still tried.
 */
function receiverIsDown(error: unknown): boolean {
  if (!(error instanceof DeliveryError)) return true;
  // Some destinations (conversations, recipients) took it: the receiver is up, only those refused it.
  if (error.accepted.length > 0) return false;
  return error.retryable || [401, 403, 404, 410].includes(error.status ?? 0);
}

function noteUndelivered(result: OutboxResult, records: readonly DeliveryRecord[]): void {
  for (const r of records) {
    if (!result.oldestUndelivered || r.eventTime < result.oldestUndelivered) result.oldestUndelivered = r.eventTime;
  }
}

async function releaseAll(options: OutboxOptions, records: DeliveryRecord[], error: string, result: OutboxResult, accepted: readonly string[]): Promise<void> {
  noteUndelivered(result, records);
  await mapWithConcurrency(records, LEDGER_CONCURRENCY, (r) => options.ledger.release(r, error, accepted));
}

/**
 * The destinations every record of a message lists as accepted: they have the
 * whole message already. One that has only some of its alerts (the message
 * was composed differently before) gets it again, so nobody misses one.
 */
function alreadyAccepted(records: readonly DeliveryRecord[]): Set<string> {
  const [first, ...rest] = records;
  if (!first) return new Set();
  return new Set(first.acceptedBy.filter((d) => rest.every((r) => r.acceptedBy.includes(d))));
}

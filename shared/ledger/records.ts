import type { Alert } from "../alerts/model.js";
import { decodeAlert, encodeAlert } from "./alert-codec.js";
import { LedgerDataError } from "./errors.js";
import { deliveryRowKey, tenantPartitionKey } from "./keys.js";
import { assertEntityFits, joinLongText, splitLongText } from "./long-text.js";

/**
 * The ledger's two row shapes and their mapping to Table Storage entities.
 * Nulls are not stored (Table Storage has none): an absent property reads as null.
 */

/** Where a monitor stands for a tenant. `etag` is absent until the row exists. */
export interface Checkpoint {
  tenant: string;
  monitor: string;
  /** Jobs up to here have been read completely; null before the first successful cycle. */
  watermark: Date | null;
  /** Jobs seen In Progress, re-read until they finish. */
  openJobs: { id: string; startTime: Date }[];
  /** Monitor-specific JSON (stored as JSON: Dates inside come back as strings). */
  state: Record<string, unknown>;
  lastSuccessAt: Date | null;
  lastError: string | null;
  consecutiveFailures: number;
  etag?: string;
}

/** `quarantined`: set aside because it could not be read or rendered (lastError says why); never sent, listed by status. */
type DeliveryState = "pending" | "sending" | "delivered" | "quarantined";

/** One alert for one receiver. */
export interface DeliveryRecord {
  tenant: string;
  fingerprint: string;
  receiver: string;
  state: DeliveryState;
  alert: Alert;
  /** The job's finish (else start) time, else when the alert was detected. */
  eventTime: Date;
  /** Claims so far (a claim counts as an attempt). */
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  /** While 'sending': the claim holds until then; after it, another run may claim. */
  leaseUntil: Date | null;
  /** The run that holds (or last held) the claim. */
  owner: string | null;
  /** The receiver's message id, when the channel reported one. */
  messageId?: string;
  /**
   * Fan-out receivers (bot conversations, email recipients): destinations that
   * already accepted this alert in a try that failed for others; a retry skips them.
   */
  acceptedBy: string[];
  etag: string;
}

const DELIVERY_STATES: readonly DeliveryState[] = ["pending", "sending", "delivered", "quarantined"];
/** lastError is kept short: it is for a status page, not a log. */
export const MAX_ERROR_CHARS = 1024;

export type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** A ledger row this build cannot decode (another version wrote it, or it is damaged): what is known of it without decoding. */
export interface UnreadableRow {
  partitionKey: string;
  rowKey: string;
  /** From the row's plain columns, when they are there. */
  receiver: string | null;
  fingerprint: string | null;
  state: string | null;
  /** Why it cannot be read (LedgerDataError message: names no secret). */
  reason: string;
  etag: string;
}

/** What decoding left over, for quarantine; `entity` is the raw row. */
export function unreadableRowOf(entity: Record<string, unknown> & { partitionKey?: string; rowKey?: string; etag: string }, reason: string): UnreadableRow {
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  return {
    partitionKey: entity.partitionKey ?? "",
    rowKey: entity.rowKey ?? "",
    receiver: text(entity.receiver),
    fingerprint: text(entity.fingerprint),
    state: text(entity.state),
    reason,
    etag: entity.etag,
  };
}

export function emptyCheckpoint(tenant: string, monitor: string): Checkpoint {
  return { tenant, monitor, watermark: null, openJobs: [], state: {}, lastSuccessAt: null, lastError: null, consecutiveFailures: 0 };
}

export function checkpointToEntity(cp: Checkpoint): Entity {
  const entity: Entity = {
    partitionKey: tenantPartitionKey(cp.tenant),
    rowKey: cp.monitor,
    tenant: cp.tenant,
    monitor: cp.monitor,
    ...splitLongText("openJobsJson", JSON.stringify(cp.openJobs.map((j) => ({ id: j.id, startTime: isoOf(j.startTime, "openJobs.startTime") })))),
    ...splitLongText("stateJson", JSON.stringify(cp.state)),
    consecutiveFailures: cp.consecutiveFailures,
  };
  setDate(entity, "watermark", cp.watermark);
  setDate(entity, "lastSuccessAt", cp.lastSuccessAt);
  if (cp.lastError !== null) entity.lastError = truncate(cp.lastError, MAX_ERROR_CHARS);
  assertEntityFits(entity, `The checkpoint of monitor "${cp.monitor}" for tenant "${cp.tenant}"`);
  return entity;
}

export function checkpointFromEntity(entity: Record<string, unknown>, etag: string, tenant: string, monitor: string): Checkpoint {
  const label = `Checkpoint ${monitor} of tenant ${tenant}`;
  const openJobs = parseJson(joinLongText("openJobsJson", entity, label), label, "openJobsJson");
  const state = parseJson(joinLongText("stateJson", entity, label), label, "stateJson");
  if (!Array.isArray(openJobs)) throw new LedgerDataError(`${label}: openJobsJson is not a list; the row is damaged.`);
  if (typeof state !== "object" || state === null || Array.isArray(state)) throw new LedgerDataError(`${label}: stateJson is not an object; the row is damaged.`);
  return {
    tenant,
    monitor,
    watermark: dateOrNull(entity.watermark, label, "watermark"),
    openJobs: openJobs.map((job: unknown) => {
      const j = job as { id?: unknown; startTime?: unknown };
      const startTime = typeof j.startTime === "string" ? new Date(j.startTime) : new Date(Number.NaN);
      if (typeof j.id !== "string" || Number.isNaN(startTime.getTime())) throw new LedgerDataError(`${label}: an open job has no id or start time; the row is damaged.`);
      return { id: j.id, startTime };
    }),
    state: state as Record<string, unknown>,
    lastSuccessAt: dateOrNull(entity.lastSuccessAt, label, "lastSuccessAt"),
    lastError: typeof entity.lastError === "string" ? entity.lastError : null,
    consecutiveFailures: typeof entity.consecutiveFailures === "number" ? entity.consecutiveFailures : 0,
    etag,
  };
}

/** When the alert's event happened: what knownFingerprints() windows on. */
export function eventTimeOf(alert: Alert): Date {
  if (alert.kind === "job" || alert.kind === "job-recovery") return alert.job.finishTime ?? alert.job.startTime ?? alert.detectedAt;
  return alert.detectedAt;
}

export function deliveryToEntity(record: DeliveryRecord, alertJson: string = encodeAlert(record.alert)): Entity {
  const entity: Entity = {
    partitionKey: tenantPartitionKey(record.tenant),
    rowKey: deliveryRowKey(record.fingerprint, record.receiver),
    tenant: record.tenant,
    fingerprint: record.fingerprint,
    receiver: record.receiver,
    state: record.state,
    ...splitLongText("alertJson", alertJson),
    kind: record.alert.kind,
    severity: record.alert.severity,
    eventTime: record.eventTime,
    attempts: record.attempts,
    createdAt: record.createdAt,
  };
  if (record.lastError !== null) entity.lastError = truncate(record.lastError, MAX_ERROR_CHARS);
  setDate(entity, "deliveredAt", record.deliveredAt);
  setDate(entity, "leaseUntil", record.leaseUntil);
  if (record.owner !== null) entity.owner = record.owner;
  if (record.messageId !== undefined) entity.messageId = record.messageId;
  if (record.acceptedBy.length > 0) entity.acceptedByJson = truncateList(record.acceptedBy);
  assertEntityFits(entity, `Alert ${record.fingerprint} for receiver ${record.receiver}`);
  return entity;
}

export function deliveryFromEntity(entity: Record<string, unknown>, etag: string): DeliveryRecord {
  const label = `Delivery ${String(entity.rowKey)} of tenant ${String(entity.tenant)}`;
  const state = entity.state;
  if (typeof state !== "string" || !(DELIVERY_STATES as readonly string[]).includes(state)) {
    throw new LedgerDataError(`${label}: state ${JSON.stringify(state)} is not one of ${DELIVERY_STATES.join(", ")}; the row is damaged or from another version.`);
  }
  for (const field of ["tenant", "fingerprint", "receiver"] as const) {
    if (typeof entity[field] !== "string") throw new LedgerDataError(`${label}: ${field} is missing; the row is damaged.`);
  }
  const alert = decodeAlert(joinLongText("alertJson", entity, label));
  const record: DeliveryRecord = {
    tenant: entity.tenant as string,
    fingerprint: entity.fingerprint as string,
    receiver: entity.receiver as string,
    state: state as DeliveryState,
    alert,
    eventTime: dateOrNull(entity.eventTime, label, "eventTime") ?? eventTimeOf(alert),
    attempts: typeof entity.attempts === "number" ? entity.attempts : 0,
    lastError: typeof entity.lastError === "string" ? entity.lastError : null,
    createdAt: dateOrNull(entity.createdAt, label, "createdAt") ?? alert.detectedAt,
    deliveredAt: dateOrNull(entity.deliveredAt, label, "deliveredAt"),
    leaseUntil: dateOrNull(entity.leaseUntil, label, "leaseUntil"),
    owner: typeof entity.owner === "string" ? entity.owner : null,
    acceptedBy: typeof entity.acceptedByJson === "string" ? stringList(parseJson(entity.acceptedByJson, label, "acceptedByJson"), label) : [],
    etag,
  };
  if (typeof entity.messageId === "string") record.messageId = entity.messageId;
  return record;
}

/** Oldest first: admission order, then event time, then key (stable across runs). */
export function byAge(a: DeliveryRecord, b: DeliveryRecord): number {
  return (
    a.createdAt.getTime() - b.createdAt.getTime() ||
    a.eventTime.getTime() - b.eventTime.getTime() ||
    compareText(deliveryRowKey(a.fingerprint, a.receiver), deliveryRowKey(b.fingerprint, b.receiver))
  );
}

/** Cut to at most `max` UTF-16 units without splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

function setDate(entity: Entity, name: string, value: Date | null): void {
  if (value === null) return;
  isoOf(value, name);
  entity[name] = value;
}

function isoOf(date: Date, field: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new LedgerDataError(`${field} is not a valid date; it cannot be stored.`);
  return date.toISOString();
}

function dateOrNull(value: unknown, label: string, field: string): Date | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  throw new LedgerDataError(`${label}: ${field} is not a date; the row is damaged.`);
}

/** The accepted destinations as stored: JSON, kept well inside one property (32K characters). */
function truncateList(list: string[]): string {
  const kept: string[] = [];
  for (const item of list) {
    if (JSON.stringify([...kept, item]).length > 30_000) break;
    kept.push(item);
  }
  return JSON.stringify(kept);
}

function stringList(value: unknown, label: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new LedgerDataError(`${label}: acceptedByJson is not a list of text; the row is damaged.`);
  return value as string[];
}

function parseJson(text: string, label: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LedgerDataError(`${label}: ${field} is not valid JSON; the row is damaged.`);
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

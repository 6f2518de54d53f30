import { ALERT_KINDS, type Alert } from "../alerts/model.js";
import { LedgerDataError } from "./errors.js";

/**
 * Alerts as text for the ledger's `alertJson` column, and back, with every
 * Date (detectedAt, job start/finish, license out-of-policy date, forecast
 * exhaustion...) coming back as a Date.
 *
 * Dates are written tagged, `{"$date":"<ISO>"}`, wherever they sit, so a Date
 * field added to the model later round-trips without touching this file.
 * The envelope `{"v":1,"alert":...}` lets a later format coexist with rows
 * already stored.
 */

const FORMAT_VERSION = 1;

interface Envelope {
  v: number;
  alert: unknown;
}

export function encodeAlert(alert: Alert): string {
  const envelope: Envelope = { v: FORMAT_VERSION, alert };
  return JSON.stringify(envelope, function (this: Record<string, unknown>, key: string, value: unknown) {
    // `value` has already been through Date#toJSON; the holder still has the Date.
    const raw = this[key];
    if (raw instanceof Date) {
      if (Number.isNaN(raw.getTime())) {
        throw new LedgerDataError(`Alert ${alert.fingerprint} has an invalid date in "${key}"; it cannot be stored.`);
      }
      return { $date: raw.toISOString() };
    }
    return value;
  });
}

export function decodeAlert(text: string): Alert {
  let envelope: unknown;
  try {
    envelope = JSON.parse(text, (_key, value: unknown) => reviveDate(value));
  } catch (err) {
    if (err instanceof LedgerDataError) throw err;
    throw new LedgerDataError(`A stored alert is not valid JSON (${err instanceof Error ? err.message : String(err)}).`);
  }
  if (!isRecord(envelope) || envelope.v !== FORMAT_VERSION || !isRecord(envelope.alert)) {
    throw new LedgerDataError(`A stored alert has an unknown format (expected {"v":${FORMAT_VERSION},"alert":{...}}); it was written by another version.`);
  }
  return checkAlert(envelope.alert);
}

function reviveDate(value: unknown): unknown {
  if (isRecord(value) && typeof value.$date === "string" && Object.keys(value).length === 1) {
    const date = new Date(value.$date);
    if (Number.isNaN(date.getTime())) throw new LedgerDataError(`A stored alert holds an invalid date ${JSON.stringify(value.$date)}.`);
    return date;
  }
  return value;
}

/** Enough checking that a row from another version fails here, by name, rather than deep inside a renderer. */
function checkAlert(alert: Record<string, unknown>): Alert {
  const problems: string[] = [];
  const kind = alert.kind;
  if (typeof kind !== "string" || !(ALERT_KINDS as readonly string[]).includes(kind)) problems.push(`kind ${JSON.stringify(kind)} is not one of ${ALERT_KINDS.join(", ")}`);
  for (const field of ["fingerprint", "identity", "tenant", "severity", "status"] as const) {
    if (typeof alert[field] !== "string") problems.push(`${field} is not text`);
  }
  if (!(alert.detectedAt instanceof Date)) problems.push("detectedAt is not a date");
  if (kind === "job" || kind === "job-recovery") {
    const job = alert.job;
    if (!isRecord(job)) problems.push("job is missing");
    else {
      for (const field of ["startTime", "finishTime"] as const) {
        if (job[field] !== null && !(job[field] instanceof Date)) problems.push(`job.${field} is neither a date nor null`);
      }
    }
  }
  if (kind === "license") {
    const usage = alert.usage;
    if (!isRecord(usage)) problems.push("usage is missing");
    else if (usage.outOfPolicySince !== null && !(usage.outOfPolicySince instanceof Date)) problems.push("usage.outOfPolicySince is neither a date nor null");
    const forecast = alert.forecast;
    if (forecast !== undefined && (!isRecord(forecast) || (forecast.exhaustedAt !== null && !(forecast.exhaustedAt instanceof Date)))) {
      problems.push("forecast.exhaustedAt is neither a date nor null");
    }
  }
  if (problems.length > 0) {
    const name = typeof alert.fingerprint === "string" ? ` ${alert.fingerprint}` : "";
    throw new LedgerDataError(`Stored alert${name} does not match the alert model: ${problems.join("; ")}.`);
  }
  return alert as unknown as Alert;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

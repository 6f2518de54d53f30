import { PERMANENT_NAME_PATTERN as NAME_PATTERN } from "../config/routing-file.js";
import { LedgerDataError } from "./errors.js";

/**
 * Keys of the ledger's rows. PartitionKey and RowKey may not hold / \ # ?
 * or control characters; receiver, monitor and fingerprint names are
 * permanent ids (renaming one re-alerts everything), so they are validated,
 * never rewritten.
 */

/** Fingerprints are 32 hex characters (fingerprint.ts); anything key-safe without `~` (the RowKey separator) is accepted. */
const FINGERPRINT_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
/** Characters Table Storage refuses in keys, plus `%` (the escape character itself, so the encoding stays reversible). */
const UNSAFE_KEY_CHARS = /[/\\#?%\u0000-\u001f\u007f-\u009f]/g;
const MAX_PARTITION_KEY_CHARS = 512;

export function assertReceiverName(receiver: string): void {
  if (!NAME_PATTERN.test(receiver)) {
    throw new LedgerDataError(`Receiver name ${JSON.stringify(receiver)} is not a valid permanent id: use 1-40 of a-z, 0-9 and "-".`);
  }
}

export function assertMonitorName(monitor: string): void {
  if (!NAME_PATTERN.test(monitor)) {
    throw new LedgerDataError(`Monitor name ${JSON.stringify(monitor)} is not a valid permanent id: use 1-40 of a-z, 0-9 and "-".`);
  }
}

export function assertFingerprint(fingerprint: string): void {
  if (!FINGERPRINT_PATTERN.test(fingerprint)) {
    throw new LedgerDataError(`Fingerprint ${JSON.stringify(fingerprint)} cannot be a ledger key: use 1-200 of A-Z, a-z, 0-9 and ". _ : -".`);
  }
}

/**
 * The tenant label as a PartitionKey: unsafe characters are percent-encoded,
 * which keeps distinct tenants distinct (configuration already refuses most
 * of them; this is the last line).
 */
export function tenantPartitionKey(tenant: string): string {
  if (tenant.length === 0) throw new LedgerDataError("Tenant is empty; every ledger row belongs to a tenant (ALERT_TENANT_NAME).");
  const key = tenant.replace(UNSAFE_KEY_CHARS, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
  if (key.length > MAX_PARTITION_KEY_CHARS) {
    throw new LedgerDataError(`Tenant name is ${tenant.length} characters; the ledger keys rows by tenant and allows at most ${MAX_PARTITION_KEY_CHARS}.`);
  }
  return key;
}

export function deliveryRowKey(fingerprint: string, receiver: string): string {
  return `${fingerprint}~${receiver}`;
}

/** The fingerprint part of a delivery RowKey (receiver names hold no `~`, so the last one separates). */
export function fingerprintOfRowKey(rowKey: string): string {
  const at = rowKey.lastIndexOf("~");
  return at < 0 ? rowKey : rowKey.slice(0, at);
}

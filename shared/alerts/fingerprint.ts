import { createHash } from "node:crypto";

/**
 * Fingerprints are sha256 of the identity string, cut to 32 hex characters:
 * safe as a Table Storage RowKey whatever a job id contains, and stable.
 */
export function fingerprintOf(identity: string): string {
  return createHash("sha256").update(identity, "utf8").digest("hex").slice(0, 32);
}

export { AlertLedger, type AlertLedgerOptions } from "./ledger.js";
export { createTableClients, type LedgerTableClients } from "./clients.js";
export type { Checkpoint, DeliveryRecord, UnreadableRow } from "./records.js";
export { CheckpointConflictError, LedgerDataError, LedgerUnavailableError } from "./errors.js";
export { decodeAlert, encodeAlert } from "./alert-codec.js";

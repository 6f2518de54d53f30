export { AlertLedger, type AlertLedgerOptions, type LedgerRows } from "./ledger.js";
export { createPrefixedTableClients, createTableClients, type LedgerTableClients, type TableClientsOptions } from "./clients.js";
export type { Checkpoint, DeliveryRecord, DeliveryState, UnreadableRow } from "./records.js";
export { CheckpointConflictError, LedgerDataError, LedgerRequestError, LedgerUnavailableError, type LedgerFailureKind } from "./errors.js";
export { decodeAlert, encodeAlert } from "./alert-codec.js";

import type { Secret } from "../security/secret.js";

/**
 * Where the Table Storage account is, as the settings name it. Kept apart
 * from settings.ts so the table clients (ledger/clients.ts, ledger/bot-tables.ts)
 * can take it without importing the whole parser (no import circle).
 */
export type StorageSettings =
  | { kind: "connectionString"; connectionString: Secret; variable: string }
  | { kind: "accountUrl"; url: string; managedIdentityClientId?: string };

import { createHash } from "node:crypto";
import type { TableClient } from "@azure/data-tables";
import type { StorageSettings } from "../config/storage.js";
import { createPrefixedTableClients, type TableClientsOptions } from "./clients.js";
import { describeStorageError, isEntityNotFound, isTableNotFound, statusOf } from "./errors.js";
import { ensureTable, forgetTable } from "./tables.js";

/**
 * The bot's own tables, beside the ledger's (same account, same prefix, same
 * way of reaching it):
 *
 * | table | PartitionKey | RowKey | what |
 * | --- | --- | --- | --- |
 * | `<prefix>conversations` | tenant | conversation key | where the app is installed (conversation reference with serviceUrl) |
 * | `<prefix>botcards` | tenant | `fingerprint~conversation key` | one posted alert card: its activity id, the alert, who acknowledged / snoozed / resolved it |
 * | `<prefix>snoozes` | tenant | fingerprint or incident key | a silence and its expiry |
 *
 * They are created on first use (the ledger's are declared in the Bicep; the
 * app's identity may create tables with its Storage Table Data Contributor role).
 */
export interface BotTables {
  conversations: TableClient;
  cards: TableClient;
  snoozes: TableClient;
}

export function createBotTables(storage: StorageSettings, tablePrefix: string, options: TableClientsOptions = {}): BotTables {
  return createPrefixedTableClients(storage, tablePrefix, { conversations: "conversations", cards: "botcards", snoozes: "snoozes" }, options);
}

/**
 * Runs a table operation, creating the table first (and once more when it
 * vanished), and describes storage failures without credentials.
 */
export async function withTable<T>(client: TableClient, operation: string, fn: () => Promise<T>): Promise<T> {
  await ensureTable(client);
  try {
    return await fn();
  } catch (err) {
    if (isTableNotFound(err)) {
      forgetTable(client);
      await ensureTable(client);
      try {
        return await fn();
      } catch (again) {
        throw describeStorageError(again, operation, client);
      }
    }
    throw describeStorageError(err, operation, client);
  }
}

/** Conversation ids hold `:`, `@`, `;` and may hold characters keys refuse: a short stable hash keys them. */
export function conversationKey(conversationId: string): string {
  return createHash("sha256").update(conversationId, "utf8").digest("hex").slice(0, 32);
}

/** 412 (changed since read) or 404 (gone): another writer got there first. */
export function isWriteConflict(err: unknown): boolean {
  return statusOf(err) === 412 || isEntityNotFound(err);
}

/** The operation's result, or undefined when the entity does not exist (a missing table still throws). */
export async function orUndefinedWhenAbsent<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (err) {
    if (isEntityNotFound(err)) return undefined;
    throw err;
  }
}

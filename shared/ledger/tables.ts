import type { TableClient } from "@azure/data-tables";
import { describeStorageError } from "./errors.js";

/** Tables created (or found) by this process, per account and table: one request per table per process. */
const ensuredTables = new Map<string, Promise<void>>();

function tableKey(client: TableClient): string {
  return `${client.url}|${client.tableName.toLowerCase()}`;
}

/** Creates the table once per process (createTable treats 409 "exists" as success); forgotten again on failure. */
export function ensureTable(client: TableClient): Promise<void> {
  const key = tableKey(client);
  let ensured = ensuredTables.get(key);
  if (!ensured) {
    ensured = client.createTable().catch((err: unknown) => {
      ensuredTables.delete(key);
      throw describeStorageError(err, "creating the table", client);
    });
    ensuredTables.set(key, ensured);
  }
  return ensured;
}

/** The table vanished (deleted by hand): the next ensureTable creates it again. */
export function forgetTable(client: TableClient): void {
  ensuredTables.delete(tableKey(client));
}

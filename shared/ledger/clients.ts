import { TableClient } from "@azure/data-tables";
import type { TokenCredential } from "@azure/identity";
import { lazyCredential } from "../security/lazy-credential.js";
import { ConfigError } from "../config/problems.js";
import type { StorageSettings } from "../config/storage.js";
import { isLoopbackHost } from "../config/environment.js";

/** The two tables of the ledger. */
export interface LedgerTableClients {
  /** One row per alert × receiver: the delivery ledger. */
  alerts: TableClient;
  /** One row per tenant × monitor: watermark, open jobs, monitor state. */
  checkpoints: TableClient;
}

export interface TableClientsOptions {
  /**
   * The SDK's own retry of failed requests (network errors, 408/429/5xx).
   * Default: the SDK's (3 retries, exponential from 800 ms). Tests lower it.
   */
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** Token credential for ALERTS_STORAGE as a table endpoint. Default: managed identity (see createTableClients). */
  credential?: TokenCredential;
}

const TABLE_PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9]{0,29}$/;
const DEVELOPMENT_TABLE_ENDPOINT = "http://127.0.0.1:10002/devstoreaccount1";

/**
 * Table clients for `<prefix>alerts` and `<prefix>checkpoints`.
 *
 * - connection string: as given; `UseDevelopmentStorage=true` means Azurite on
 *   its default port. Plain http is allowed only to this machine (Azurite).
 * - account URL: the function app's managed identity; the user-assigned one
 *   when AZURE_CLIENT_ID is set, else DefaultAzureCredential (system-assigned
 *   identity in Azure, developer sign-in locally).
 */
export function createTableClients(storage: StorageSettings, tablePrefix: string, options: TableClientsOptions = {}): LedgerTableClients {
  return createPrefixedTableClients(storage, tablePrefix, { alerts: "alerts", checkpoints: "checkpoints" }, options);
}

/**
 * Table clients for `<prefix><suffix>` per key, reached the same way as the
 * ledger's (other stores, such as the Teams bot's, keep their tables beside it).
 */
export function createPrefixedTableClients<K extends string>(
  storage: StorageSettings,
  tablePrefix: string,
  suffixes: Record<K, string>,
  options: TableClientsOptions = {},
): Record<K, TableClient> {
  if (!TABLE_PREFIX_PATTERN.test(tablePrefix)) {
    throw new ConfigError([{ variable: "ALERTS_TABLE_PREFIX", message: "must start with a letter and hold only letters and digits, at most 30" }]);
  }
  const keys = Object.keys(suffixes) as K[];
  const all = (make: (table: string) => TableClient) => Object.fromEntries(keys.map((k) => [k, make(`${tablePrefix}${suffixes[k]}`)])) as Record<K, TableClient>;
  const retry = options.retryOptions ? { retryOptions: options.retryOptions } : {};

  if (storage.kind === "connectionString") {
    const connectionString = storage.connectionString.reveal();
    const endpoint = tableEndpointOf(connectionString, storage.variable);
    const allowInsecureConnection = endpoint.protocol === "http:";
    if (allowInsecureConnection && !isLoopbackHost(endpoint.hostname)) {
      throw new ConfigError([{ variable: storage.variable, message: `points Table Storage at plain http on ${endpoint.hostname}; use https (http is only for Azurite on this machine)` }]);
    }
    return all((table) => readFrom(TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection, ...retry }), storage));
  }

  const url = new URL(storage.url);
  const allowInsecureConnection = url.protocol === "http:" && isLoopbackHost(url.hostname);
  if (url.protocol !== "https:" && !allowInsecureConnection) {
    throw new ConfigError([{ variable: "ALERTS_STORAGE", message: "must be an https URL (http only for Azurite on this machine)" }]);
  }
  const credential =
    options.credential ??
    lazyCredential((identity) =>
      storage.managedIdentityClientId
        ? new identity.ManagedIdentityCredential({ clientId: storage.managedIdentityClientId })
        : new identity.DefaultAzureCredential(),
    );
  return all((table) => readFrom(new TableClient(storage.url, table, credential, { allowInsecureConnection, ...retry }), storage));
}

/** The setting each client was built from, so a storage error can name the one the operator actually set. */
const settingOfClient = new WeakMap<TableClient, string>();

function readFrom(client: TableClient, storage: StorageSettings): TableClient {
  settingOfClient.set(client, storageVariable(storage));
  return client;
}

/** The setting the storage was read from: ALERTS_STORAGE, or AzureWebJobsStorage (a connection string only). */
export function storageVariable(storage: StorageSettings): string {
  return storage.kind === "connectionString" ? storage.variable : "ALERTS_STORAGE";
}

/** The setting a client of createTableClients was built from; undefined for a client made elsewhere. */
export function storageVariableOf(client: TableClient): string | undefined {
  return settingOfClient.get(client);
}

/** "Table Storage at http://127.0.0.1:10002": where the storage settings send table requests (no credential in it). */
export function storageOrigin(storage: StorageSettings): string {
  return storage.kind === "connectionString" ? tableEndpointOf(storage.connectionString.reveal(), storage.variable).origin : new URL(storage.url).origin;
}

/** Where a connection string sends table requests (to decide whether plain http is acceptable). */
function tableEndpointOf(connectionString: string, variable: string): URL {
  const parts = new Map<string, string>();
  for (const segment of connectionString.split(";")) {
    const at = segment.indexOf("=");
    if (at > 0) parts.set(segment.slice(0, at).trim().toLowerCase(), segment.slice(at + 1).trim());
  }
  if (parts.get("usedevelopmentstorage")?.toLowerCase() === "true") return new URL(DEVELOPMENT_TABLE_ENDPOINT);
  const protocol = parts.get("defaultendpointsprotocol")?.toLowerCase() === "http" ? "http" : "https";
  const account = parts.get("accountname") ?? "account";
  const suffix = parts.get("endpointsuffix") ?? "core.windows.net";
  const endpoint = parts.get("tableendpoint") || `${protocol}://${account}.table.${suffix}`;
  try {
    return new URL(endpoint);
  } catch {
    throw new ConfigError([{ variable, message: "has no usable table endpoint (TableEndpoint, or AccountName + EndpointSuffix)" }]);
  }
}

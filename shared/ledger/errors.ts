import { RestError, type TableClient } from "@azure/data-tables";
import { safeOrigin } from "../http/request.js";
import { storageVariableOf } from "./clients.js";

/**
 * Errors of the ledger. None of them carries the storage error object as
 * `cause`: it holds the request, whose URL may hold a SAS token. They carry
 * what an operator needs instead (status, service error code, request id,
 * endpoint origin), and never a connection string or key.
 */

/** Another run wrote the checkpoint since it was read (or inserted it first). Re-read and retry the cycle's bookkeeping. */
export class CheckpointConflictError extends Error {
  override readonly name = "CheckpointConflictError";
  constructor(
    readonly tenant: string,
    readonly monitor: string,
  ) {
    super(`The checkpoint of monitor "${monitor}" for tenant "${tenant}" was written by another run since it was read; read it again before writing.`);
  }
}

type LedgerFailureKind = "network" | "server" | "access" | "missing-table";

/** Table Storage could not be used now (network, 5xx/throttling, refused credentials, table gone). The cycle should fail and run again. */
export class LedgerUnavailableError extends Error {
  override readonly name = "LedgerUnavailableError";
  constructor(
    message: string,
    readonly kind: LedgerFailureKind,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

/** Table Storage refused a request for a reason retrying will not fix (a 4xx other than the conflicts the ledger handles). */
class LedgerRequestError extends Error {
  override readonly name = "LedgerRequestError";
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

/** A value cannot be stored (bad key, too large) or a stored row cannot be read back (corrupt, from an unknown version). */
export class LedgerDataError extends Error {
  override readonly name = "LedgerDataError";
}

/** HTTP status of a storage error; undefined when no response came (network). */
export function statusOf(err: unknown): number | undefined {
  return err instanceof RestError ? err.statusCode : undefined;
}

/** The service's error code (`EntityAlreadyExists`, `TableNotFound`...): on batches it is `code`, on single operations in the details. */
export function serviceCodeOf(err: unknown): string | undefined {
  if (!(err instanceof RestError)) return undefined;
  const details = err.details as { errorCode?: unknown; odataError?: { code?: unknown } } | undefined;
  const fromDetails = details?.errorCode ?? details?.odataError?.code;
  if (typeof fromDetails === "string") return fromDetails;
  return err.statusCode !== undefined ? err.code : undefined;
}

export function isTableNotFound(err: unknown): boolean {
  return statusOf(err) === 404 && serviceCodeOf(err) === "TableNotFound";
}

/** 404 for the entity itself (not for the table). */
export function isEntityNotFound(err: unknown): boolean {
  return statusOf(err) === 404 && !isTableNotFound(err);
}

/**
 * Turns a storage failure into one of the ledger's errors with a message an
 * operator can act on. `operation` says what the ledger was doing
 * ("reading the checkpoint"). Errors the ledger already raised pass through.
 */
export function describeStorageError(err: unknown, operation: string, client: TableClient): Error {
  if (err instanceof LedgerUnavailableError || err instanceof LedgerRequestError || err instanceof LedgerDataError || err instanceof CheckpointConflictError) {
    return err;
  }
  const where = `Table Storage at ${safeOrigin(client.url)} (table "${client.tableName}")`;
  if (!(err instanceof RestError)) {
    // Token acquisition (managed identity) fails before any request is sent.
    const name = err instanceof Error ? err.name : "Error";
    const detail = err instanceof Error ? firstLine(err.message) : String(err);
    return new LedgerUnavailableError(
      `${where} could not be used while ${operation}: ${name}: ${detail}. With ALERTS_STORAGE set to a table endpoint the function app's managed identity (AZURE_CLIENT_ID when user-assigned) must be able to get a token.`,
      "access",
      undefined,
      undefined,
      undefined,
    );
  }
  const status = err.statusCode;
  const code = serviceCodeOf(err) ?? err.code;
  const requestId = requestIdOf(err);
  const ref = [code, requestId ? `request id ${requestId}` : undefined].filter(Boolean).join(", ");
  if (status === undefined) {
    return new LedgerUnavailableError(
      `${where} is unreachable while ${operation} (${code ?? "no response"}). Check that the storage account (or Azurite, locally) is running and reachable from here, and the endpoint in ${storageVariableOf(client) ?? "ALERTS_STORAGE / AzureWebJobsStorage"}.`,
      "network",
      undefined,
      code,
      undefined,
    );
  }
  if (status === 401 || status === 403) {
    return new LedgerUnavailableError(
      `${where} refused access while ${operation} (HTTP ${status}${ref ? `, ${ref}` : ""}). Grant the function app's managed identity the "Storage Table Data Contributor" role on the account, or check the account key / SAS in the connection string.`,
      "access",
      status,
      code,
      requestId,
    );
  }
  if (isTableNotFound(err)) {
    return new LedgerUnavailableError(
      `${where} does not exist while ${operation} (it was deleted, or the emulator restarted). The next cycle creates it again through ensureTables().`,
      "missing-table",
      status,
      code,
      requestId,
    );
  }
  if (status >= 500 || status === 408 || status === 429) {
    return new LedgerUnavailableError(
      `${where} answered HTTP ${status}${ref ? ` (${ref})` : ""} while ${operation}, after the SDK's own retries. The cycle fails and the next one retries; nothing was marked delivered.`,
      "server",
      status,
      code,
      requestId,
    );
  }
  return new LedgerRequestError(`${where} rejected a request while ${operation}: HTTP ${status}${ref ? ` (${ref})` : ""}: ${firstLine(err.message)}`, status, code, requestId);
}

function requestIdOf(err: RestError): string | undefined {
  const id = err.response?.headers.get("x-ms-request-id");
  return id ?? undefined;
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

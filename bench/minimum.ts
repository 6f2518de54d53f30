/**
 * The least work a jobs-monitor cycle needs, given what the APIs allow and what
 * our design must do to keep its promises (no alert lost, none sent twice).
 * The benchmark divides what it measured by these numbers. Pure arithmetic,
 * unit-tested in test/unit/bench-minimum.test.ts.
 */

/** Entities in one Table Storage transaction (a service limit). */
export const TABLE_BATCH_ENTITIES = 100;
/** Entities in one page of a Table Storage query (a service limit). */
export const TABLE_QUERY_PAGE_ENTITIES = 1000;
/** Bytes in one Teams Workflows post (the project's budget, shared/render/workflows.ts). */
export const WORKFLOWS_POST_BYTES = 20_000;

/** Requests to read `items` through pages of `pageSize`: a listing costs one request even when it is empty. */
export function pagesFor(items: number, pageSize: number): number {
  if (!Number.isSafeInteger(items) || items < 0) throw new RangeError(`items must be a whole number >= 0, got ${items}`);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a whole number >= 1, got ${pageSize}`);
  return Math.max(1, Math.ceil(items / pageSize));
}

export interface AvePointWork {
  /** Jobs the cycle's window holds. */
  windowJobs: number;
  /** The page size the server honours (the smaller of the asked size and the server's cap). */
  pageSize: number;
  /** The process's first cycle fetches a token; later cycles reuse it (it lives an hour). */
  firstCycle: boolean;
  /**
   * Jobs in the window of each service that must be listed to learn alerting
   * jobs' services (or to see a failing service recover). Only the services
   * that hold such jobs: what a cycle that knew where to look would list.
   */
  serviceJobs?: readonly number[];
}

export interface AvePointMinimum {
  token: number;
  jobsPages: number;
  serviceListings: number;
  total: number;
}

/** token (first cycle only) + ceil(window jobs / page size) + the pages of each service that must be listed. */
export function avePointMinimum(work: AvePointWork): AvePointMinimum {
  const token = work.firstCycle ? 1 : 0;
  const jobsPages = pagesFor(work.windowJobs, work.pageSize);
  const serviceListings = (work.serviceJobs ?? []).reduce((sum, jobs) => sum + pagesFor(jobs, work.pageSize), 0);
  return { token, jobsPages, serviceListings, total: token + jobsPages + serviceListings };
}

export interface TableWork {
  /** The first cycle in a process makes sure both tables exist (one request each, then remembered). */
  firstInProcess: boolean;
  /** Alert-worthy jobs the read found; with none, the ledger need not be asked which are known. */
  candidates: number;
  /** Ledger rows the known-fingerprints query returns (RowKey only). Default 0. */
  knownRows?: number;
  /** Rows admitted this cycle (alerts × receivers, one tenant). */
  admitted: number;
  /** Rows the pending query returns (this cycle's and leftovers). */
  pending: number;
  /** Rows sent and recorded: each is claimed and marked delivered with its own conditional write. */
  delivered: number;
}

export interface TableMinimum {
  createTables: number;
  checkpointRead: number;
  knownQuery: number;
  admitBatches: number;
  pendingQuery: number;
  claims: number;
  marks: number;
  checkpointWrite: number;
  total: number;
}

/**
 * Table Storage round trips our design cannot do without:
 * - 2 table creations on a process's first cycle;
 * - 1 checkpoint read (watermark, open jobs, open failures);
 * - the known-fingerprints query, only when the read found alert-worthy jobs (pages of 1000 rows);
 * - ceil(admitted / 100) insert transactions;
 * - the pending query, always: a crashed or overlapping run may have left rows to send (pages of 1000);
 * - per delivered row one claim and one mark, each a conditional write on its own
 *   (an If-Match inside a transaction is not honoured by Azurite, so claims are never batched);
 * - 1 checkpoint write.
 * A quiet cycle in steady state: 1 + 1 + 1 = 3.
 */
export function tableMinimum(work: TableWork): TableMinimum {
  const parts = {
    createTables: work.firstInProcess ? 2 : 0,
    checkpointRead: 1,
    knownQuery: work.candidates > 0 ? pagesFor(work.knownRows ?? 0, TABLE_QUERY_PAGE_ENTITIES) : 0,
    admitBatches: work.admitted > 0 ? Math.ceil(work.admitted / TABLE_BATCH_ENTITIES) : 0,
    pendingQuery: pagesFor(work.pending, TABLE_QUERY_PAGE_ENTITIES),
    claims: work.delivered,
    marks: work.delivered,
    checkpointWrite: 1,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { ...parts, total };
}

/** Posts needed to carry `bytes` of cards when one post holds at most `budget` bytes: ceil(bytes / budget). */
export function postsMinimum(bytes: number, budget: number = WORKFLOWS_POST_BYTES): number {
  if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`bytes must be >= 0, got ${bytes}`);
  if (!(budget > 0)) throw new RangeError(`budget must be > 0, got ${budget}`);
  return Math.ceil(bytes / budget);
}

/** measured / minimum, for the tables; null when there is no minimum to compare with. */
export function ratio(measured: number, minimum: number): number | null {
  if (minimum === 0) return measured === 0 ? 1 : null;
  return measured / minimum;
}

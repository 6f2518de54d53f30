import { mapWithConcurrency } from "../http/concurrency.js";
import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import type { Alert } from "../alerts/model.js";
import { silentLogger, type Logger } from "../logging.js";
import { encodeAlert } from "./alert-codec.js";
import type { LedgerTableClients } from "./clients.js";
import { CheckpointConflictError, describeStorageError, isEntityNotFound, isTableNotFound, LedgerDataError, serviceCodeOf, statusOf } from "./errors.js";
import { ensureTable, forgetTable } from "./tables.js";
import { assertFingerprint, assertMonitorName, assertReceiverName, deliveryRowKey, fingerprintOfRowKey, tenantPartitionKey } from "./keys.js";
import {
  byAge,
  checkpointFromEntity,
  checkpointToEntity,
  deliveryFromEntity,
  deliveryToEntity,
  unreadableRowOf,
  emptyCheckpoint,
  eventTimeOf,
  truncate,
  MAX_ERROR_CHARS,
  type Checkpoint,
  type DeliveryRecord,
  type Entity,
  type UnreadableRow,
} from "./records.js";

/** A query's rows: those decoded, and those this build cannot read (set aside, never a reason to fail the query). */
interface LedgerRows {
  records: DeliveryRecord[];
  unreadable: UnreadableRow[];
  /** pendingWork only: rows another run is sending right now (live lease); not claimable, but not delivered either. */
  inFlight?: DeliveryRecord[];
}

export interface AlertLedgerOptions {
  /**
   * How long a claim holds before another run may take the alert over.
   * Default 5 minutes. Must exceed a channel's worst-case send (timeouts × retries),
   * or a slow send and its takeover both deliver.
   */
  leaseInMs?: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
  /** Default: silent. */
  logger?: Logger;
}

/** Entities per transaction (a service limit) and payload bytes per transaction (4 MiB limit, with margin). */
const MAX_BATCH_ENTITIES = 100;
/** Delivery rows per admission transaction: each comes with its open-work marker. */
const MAX_BATCH_ROWS = MAX_BATCH_ENTITIES / 2;
/**
 * Open work is found by key: every row not delivered yet has a marker row in
 * the same partition, RowKey `!<fingerprint>~<receiver>` (`!` sorts before
 * every character a fingerprint may start with), so a cycle reads its open
 * work with one key-range query and point reads, however many delivered rows
 * the partition holds.
 */
const OPEN_MARKER_PREFIX = "!";
const OPEN_MARKER_END = '"';
/** Checkpoint row that says the tenant's open rows have markers (rows admitted before markers existed got theirs once). */
const OPEN_INDEX_ROW = "open-index";
/** A marker whose row does not exist may belong to an admission under way; only an older one is stale. */
const STALE_MARKER_AGE_IN_MS = 60 * 60_000;
const MAX_BATCH_PAYLOAD_BYTES = 3_500_000;
const DEFAULT_LEASE_IN_MS = 5 * 60_000;
/** Requests in flight at once for batches and their one-by-one fallback (lookups: twice as many). */
const CONCURRENCY = 4;


/**
 * The alert ledger and the monitors' checkpoints, on Table Storage.
 *
 * Life of a delivery row (PartitionKey = tenant, RowKey = fingerprint~receiver):
 *
 *   admit ──► pending ──claim──► sending ──markDelivered──► delivered
 *                ▲  │               │
 *                │  └─quarantine─►  quarantined   (cannot be read or rendered; with its reason)
 *                └────release───────┘   (and: lease expired → claimable again)
 *
 * The outbox claims the rows of one message just before sending it, so a
 * lease covers one send, not a receiver's queue.
 * Every change after admission is a conditional write on the ETag read, so
 * of two runs holding the same row only one moves it; admission is
 * insert-if-absent. A row says "delivered" only after the receiver's 2xx.
 * Duplicate windows left (docs/RELIABILITY.md): a crash between the
 * receiver's 2xx and markDelivered, and a send the receiver accepted but
 * whose answer never arrived (timeout), which is retried.
 */
export class AlertLedger {
  readonly #alerts: TableClient;
  readonly #checkpoints: TableClient;
  readonly #leaseInMs: number;
  readonly #now: () => Date;
  readonly #logger: Logger;
  /** Partitions whose open rows are known to have markers (#ensureOpenIndex). */
  readonly #indexed = new Set<string>();

  constructor(clients: LedgerTableClients, options: AlertLedgerOptions = {}) {
    this.#alerts = clients.alerts;
    this.#checkpoints = clients.checkpoints;
    this.#leaseInMs = options.leaseInMs ?? DEFAULT_LEASE_IN_MS;
    this.#now = options.now ?? (() => new Date());
    this.#logger = options.logger ?? silentLogger;
    if (!(this.#leaseInMs > 0)) throw new RangeError(`leaseInMs must be positive, got ${this.#leaseInMs}`);
  }

  /** Creates both tables when absent; once per process (forgotten again if a table later turns out missing). */
  async ensureTables(): Promise<void> {
    await Promise.all([this.#alerts, this.#checkpoints].map((client) => ensureTable(client)));
  }

  // --- Checkpoints -----------------------------------------------------------

  /** The checkpoint, or a fresh one (no watermark, no etag) when the monitor has never written one. */
  async readCheckpoint(tenant: string, monitor: string): Promise<Checkpoint> {
    assertMonitorName(monitor);
    const partitionKey = tenantPartitionKey(tenant);
    try {
      const entity = await this.#checkpoints.getEntity<Record<string, unknown>>(partitionKey, monitor);
      return checkpointFromEntity(entity, entity.etag, tenant, monitor);
    } catch (err) {
      if (isEntityNotFound(err)) return emptyCheckpoint(tenant, monitor);
      throw this.#fail(err, "reading the checkpoint", this.#checkpoints);
    }
  }

  /**
   * Writes the checkpoint if nobody else did since it was read: insert when it
   * has no etag (a first write), else replace If-Match its etag.
   * @throws CheckpointConflictError when another run got there first.
   */
  async writeCheckpoint(cp: Checkpoint): Promise<Checkpoint> {
    assertMonitorName(cp.monitor);
    if (cp.etag === "*" || cp.etag === "") throw new LedgerDataError(`writeCheckpoint needs the etag read with the checkpoint, not ${JSON.stringify(cp.etag)}.`);
    const entity = checkpointToEntity(cp);
    try {
      const response =
        cp.etag === undefined
          ? await this.#checkpoints.createEntity(entity)
          : await this.#checkpoints.updateEntity(entity, "Replace", { etag: cp.etag });
      return { ...cp, etag: requireEtag(response.etag, "checkpoint write") };
    } catch (err) {
      const status = statusOf(err);
      if (status === 409 || status === 412 || (cp.etag !== undefined && isEntityNotFound(err))) {
        throw new CheckpointConflictError(cp.tenant, cp.monitor);
      }
      throw this.#fail(err, "writing the checkpoint", this.#checkpoints);
    }
  }

  // --- Deliveries ------------------------------------------------------------

  /** Fingerprints with a row (any receiver, any state) whose event time is at or after `since`: one partition query. */
  async knownFingerprints(tenant: string, since: Date): Promise<Set<string>> {
    const partitionKey = tenantPartitionKey(tenant);
    const known = new Set<string>();
    try {
      const rows = this.#alerts.listEntities<{ eventTime?: Date }>({
        queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and eventTime ge ${since}`, select: ["RowKey", "eventTime"] },
      });
      for await (const row of rows) known.add(fingerprintOfRowKey(row.rowKey ?? ""));
    } catch (err) {
      throw this.#fail(err, "reading known alerts", this.#alerts);
    }
    return known;
  }

  /**
   * Records each alert × receiver as 'pending' unless a row exists already
   * (this run or another admitted it). Written in transactions of up to 100
   * rows of one tenant; a transaction that meets an existing row is redone row
   * by row, each insert-if-absent. Returns only the rows this call created.
   */
  async admit(alerts: Alert[], receivers: string[]): Promise<DeliveryRecord[]> {
    const uniqueReceivers = [...new Set(receivers)];
    uniqueReceivers.forEach(assertReceiverName);
    const createdAt = this.#now();
    const byTenant = new Map<string, { record: DeliveryRecord; entity: Entity; bytes: number }[]>();
    const seen = new Set<string>();
    for (const alert of alerts) {
      assertFingerprint(alert.fingerprint);
      const partitionKey = tenantPartitionKey(alert.tenant);
      const alertJson = encodeAlert(alert);
      const eventTime = eventTimeOf(alert);
      for (const receiver of uniqueReceivers) {
        const key = `${partitionKey}\n${deliveryRowKey(alert.fingerprint, receiver)}`;
        // The same alert twice in one call would make its transaction fail as a whole.
        if (seen.has(key)) continue;
        seen.add(key);
        const record: DeliveryRecord = {
          tenant: alert.tenant,
          fingerprint: alert.fingerprint,
          receiver,
          state: "pending",
          alert,
          eventTime,
          attempts: 0,
          lastError: null,
          createdAt,
          deliveredAt: null,
          leaseUntil: null,
          owner: null,
          acceptedBy: [],
          etag: "",
        };
        const entity = deliveryToEntity(record, alertJson);
        const rows = byTenant.get(partitionKey) ?? [];
        rows.push({ record, entity, bytes: Buffer.byteLength(JSON.stringify(entity)) + 300 });
        byTenant.set(partitionKey, rows);
      }
    }

    const batches: { record: DeliveryRecord; entity: Entity }[][] = [];
    for (const rows of byTenant.values()) {
      let batch: { record: DeliveryRecord; entity: Entity }[] = [];
      let bytes = 0;
      for (const row of rows) {
        if (batch.length === MAX_BATCH_ROWS || (batch.length > 0 && bytes + row.bytes > MAX_BATCH_PAYLOAD_BYTES)) {
          batches.push(batch);
          batch = [];
          bytes = 0;
        }
        batch.push(row);
        bytes += row.bytes;
      }
      if (batch.length > 0) batches.push(batch);
    }

    const created = await mapWithConcurrency(batches, CONCURRENCY, (batch) => this.#admitBatch(batch));
    return created.flat();
  }

  async #admitBatch(batch: { record: DeliveryRecord; entity: Entity }[]): Promise<DeliveryRecord[]> {
    // Each row with its open-work marker, in one transaction: both or neither.
    const actions: TransactionAction[] = [...batch.map(({ entity }): TransactionAction => ["create", entity]), ...batch.map(({ entity }): TransactionAction => ["upsert", openMarker(entity), "Replace"])];
    try {
      const response = await this.#alerts.submitTransaction(actions);
      // The SDK reads each RowKey from its sub-response's Location URL, percent-encoded (`:` arrives as `%3A`).
      const etags = new Map(response.subResponses.map((sub) => [sub.rowKey === undefined ? undefined : decodeURIComponent(sub.rowKey), sub.etag]));
      return batch.map(({ record, entity }) => ({ ...record, etag: requireEtag(etags.get(entity.rowKey), "admission") }));
    } catch (err) {
      if (!(statusOf(err) === 409 && serviceCodeOf(err) === "EntityAlreadyExists")) throw this.#fail(err, "admitting alerts", this.#alerts);
    }
    this.#logger.debug("ledger: some alerts were already admitted (by an earlier or concurrent run); admitting this batch row by row", {
      rows: batch.length,
    });
    const outcomes = await mapWithConcurrency(batch, CONCURRENCY, async ({ record, entity }) => {
      try {
        // The marker first: a crash in between leaves a marker without a row (cleaned later), never a row nobody finds.
        await this.#alerts.upsertEntity(openMarker(entity), "Replace");
        const response = await this.#alerts.createEntity(entity);
        return { ...record, etag: requireEtag(response.etag, "admission") };
      } catch (err) {
        if (statusOf(err) === 409) return null;
        throw this.#fail(err, "admitting alerts", this.#alerts);
      }
    });
    return outcomes.filter((r): r is DeliveryRecord => r !== null);
  }

  /** What is waiting to be sent: 'pending', and 'sending' whose lease has run out (its run crashed). Oldest first. */
  async pending(tenant: string): Promise<DeliveryRecord[]> {
    return (await this.pendingWork(tenant)).records;
  }

  /** pending(), and the rows among them this build cannot decode (for quarantine). */
  async pendingWork(tenant: string): Promise<LedgerRows> {
    const now = this.#now();
    const open = await this.#openRows(tenant, (r) => r.state !== "quarantined", (state) => state !== "quarantined", "reading pending alerts");
    const claimable = (r: DeliveryRecord) => r.state === "pending" || (r.state === "sending" && r.leaseUntil !== null && r.leaseUntil.getTime() < now.getTime());
    return { records: open.records.filter(claimable), unreadable: open.unreadable, inFlight: open.records.filter((r) => !claimable(r)) };
  }

  /** One receiver's rows admitted at or after `since`, whatever their state (the silence summary reads receiver `silenced`). Oldest first. */
  async deliveriesTo(tenant: string, receiver: string, since: Date): Promise<DeliveryRecord[]> {
    assertReceiverName(receiver);
    const partitionKey = tenantPartitionKey(tenant);
    return (await this.#query(odata`PartitionKey eq ${partitionKey} and receiver eq ${receiver} and createdAt ge ${since}`, "reading recorded alerts")).records;
  }

  /** Everything not delivered yet, including rows held by a running send and quarantined ones (for status tooling). Oldest first. */
  async openDeliveries(tenant: string): Promise<DeliveryRecord[]> {
    return (await this.openWork(tenant)).records;
  }

  /** openDeliveries(), and the open rows this build cannot decode. */
  async openWork(tenant: string): Promise<LedgerRows> {
    return this.#openRows(tenant, () => true, () => true, "reading open deliveries");
  }

  /**
   * Which of these fingerprints have a row (any receiver, any state): one
   * key-range query each, so the answer costs the same however long the
   * ledger's history is.
   */
  async knownAmong(tenant: string, fingerprints: readonly string[]): Promise<Set<string>> {
    const partitionKey = tenantPartitionKey(tenant);
    const unique = [...new Set(fingerprints)];
    unique.forEach(assertFingerprint);
    const found = await mapWithConcurrency(unique, CONCURRENCY * 2, async (fingerprint) => {
      try {
        // Receiver names are [a-z0-9-]: every `<fingerprint>~<receiver>` lies between `<fingerprint>~` and `<fingerprint>~~`.
        const rows = this.#alerts.listEntities({
          queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${`${fingerprint}~`} and RowKey lt ${`${fingerprint}~~`}`, select: ["RowKey"] },
        });
        for await (const page of rows.byPage({ maxPageSize: 1 })) return page.length > 0;
        return false;
      } catch (err) {
        throw this.#fail(err, "reading known alerts", this.#alerts);
      }
    });
    return new Set(unique.filter((_, i) => found[i]));
  }

  /**
   * Takes the row for sending: If-Match its etag, so of two runs holding the
   * same row exactly one gets it. Returns the claimed row (new etag, lease,
   * attempts + 1), or null when another run has it or it is no longer claimable.
   * Claiming a row this owner already holds (the record its claim returned)
   * renews the lease instead: a fresh lease for the next send, same attempt.
   */
  async claim(record: DeliveryRecord, owner: string): Promise<DeliveryRecord | null> {
    if (owner.length === 0 || owner.length > 200) throw new LedgerDataError("claim needs an owner id (the run's id), 1-200 characters.");
    const now = this.#now();
    if (record.state === "delivered" || record.state === "quarantined") return null;
    const renewal = record.state === "sending" && record.owner === owner;
    // A current row whose lease still runs belongs to the run holding it; the etag alone would not stop us.
    if (!renewal && record.state === "sending" && record.leaseUntil !== null && record.leaseUntil.getTime() > now.getTime()) return null;
    const next: DeliveryRecord = {
      ...record,
      state: "sending",
      leaseUntil: new Date(now.getTime() + this.#leaseInMs),
      owner,
      attempts: renewal ? record.attempts : record.attempts + 1,
    };
    const etag = await this.#replaceIfMatch(record, next, "claiming an alert");
    return etag === null ? null : { ...next, etag };
  }

  /**
   * Records the receiver's 2xx. Call with the record claim() returned. When
   * the lease ran out and another run took the row over meanwhile, nothing is
   * written (that run owns it now), a warning says the alert may go out twice,
   * and false is returned: the caller must not count it as its delivery.
   */
  async markDelivered(record: DeliveryRecord, info: { messageId?: string } = {}): Promise<boolean> {
    const [marked] = await this.markAllDelivered([record], info);
    return marked === true;
  }

  /**
   * markDelivered for the rows of one message: true per row recorded by this
   * call, false per row another run took over (see markDelivered). Each mark
   * stays a conditional write of its own (a transaction would not keep
   * If-Match on Azurite, and one lost row would fail the others); only the
   * open-work markers of rows recorded here are dropped together, one
   * transaction per partition: dropping a delivered row's marker is
   * harmless whenever it happens, and one left behind is dropped by the next read.
   */
  async markAllDelivered(records: readonly DeliveryRecord[], info: { messageId?: string } = {}): Promise<boolean[]> {
    records.forEach((record) => assertClaimed(record, "markDelivered"));
    const marked = await mapWithConcurrency(records, CONCURRENCY * 2, async (record) => {
      const next: DeliveryRecord = { ...record, state: "delivered", deliveredAt: this.#now(), leaseUntil: null, lastError: null };
      if (info.messageId !== undefined) next.messageId = info.messageId;
      if ((await this.#replaceIfMatch(record, next, "recording a delivery")) !== null) return true;
      this.#logger.warn("ledger: delivered, but the claim had expired and another run took the alert over; it may be delivered twice", {
        tenant: record.tenant,
        fingerprint: record.fingerprint,
        receiver: record.receiver,
        owner: record.owner,
      });
      return false;
    });
    await this.#dropMarkers(records.filter((_, i) => marked[i]));
    return marked;
  }

  /**
   * Gives the row back as 'pending' after a failed send; `error` must already
   * be redacted (kept to 1 KiB). `accepted`: destinations of a fan-out
   * receiver that took the message all the same, remembered so the retry skips them.
   */
  async release(record: DeliveryRecord, error: string, accepted: readonly string[] = []): Promise<void> {
    assertClaimed(record, "release");
    const acceptedBy = [...new Set([...record.acceptedBy, ...accepted])];
    const next: DeliveryRecord = { ...record, state: "pending", lastError: truncate(error, MAX_ERROR_CHARS), leaseUntil: null, owner: null, acceptedBy };
    const etag = await this.#replaceIfMatch(record, next, "releasing an alert");
    if (etag === null) {
      this.#logger.warn("ledger: could not release the alert; its claim had expired and another run took it over", {
        tenant: record.tenant,
        fingerprint: record.fingerprint,
        receiver: record.receiver,
      });
    }
  }

  /**
   * Removes delivered rows recorded before `deliveredBefore`, at most `limit`
   * of them (deletes in transactions of 100); returns how many. Open rows
   * (pending, sending, quarantined) are never removed. This is the one query
   * that looks past the open work; the pipeline runs it once a day.
   */
  async prune(tenant: string, deliveredBefore: Date, limit = 1_000): Promise<number> {
    const partitionKey = tenantPartitionKey(tenant);
    const keys: string[] = [];
    try {
      const rows = this.#alerts.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and state eq 'delivered' and deliveredAt lt ${deliveredBefore}`, select: ["RowKey"] } });
      for await (const row of rows) {
        if (row.rowKey) keys.push(row.rowKey);
        if (keys.length >= limit) break;
      }
      const batches: string[][] = [];
      for (let i = 0; i < keys.length; i += MAX_BATCH_ENTITIES) batches.push(keys.slice(i, i + MAX_BATCH_ENTITIES));
      await mapWithConcurrency(batches, CONCURRENCY, (batch) => this.#alerts.submitTransaction(batch.map((rowKey): TransactionAction => ["delete", { partitionKey, rowKey }])));
    } catch (err) {
      throw this.#fail(err, "removing delivered alerts past their retention", this.#alerts);
    }
    return keys.length;
  }

  /**
   * Sets a row aside that cannot be read or rendered, with its reason (already
   * redacted), so the rest of the queue goes on: state 'quarantined', If-Match
   * the etag it was read with (a Merge, so the stored alert stays as it was
   * for whoever can read it). False when the row changed meanwhile (another
   * run got there first).
   */
  async quarantine(row: { partitionKey: string; rowKey: string; etag: string } | DeliveryRecord, reason: string): Promise<boolean> {
    const keys =
      "rowKey" in row ? { partitionKey: row.partitionKey, rowKey: row.rowKey } : { partitionKey: tenantPartitionKey(row.tenant), rowKey: deliveryRowKey(row.fingerprint, row.receiver) };
    if (row.etag === "" || row.etag === "*") throw new LedgerDataError(`quarantine needs the etag the row was read with, not ${JSON.stringify(row.etag)}.`);
    try {
      await this.#alerts.updateEntity({ ...keys, state: "quarantined", lastError: truncate(reason, MAX_ERROR_CHARS), quarantinedAt: this.#now() }, "Merge", { etag: row.etag });
      return true;
    } catch (err) {
      if (statusOf(err) === 412 || isEntityNotFound(err)) return false;
      throw this.#fail(err, "setting an alert aside", this.#alerts);
    }
  }

  // --- Internals -------------------------------------------------------------

  /**
   * Replace `next` over the row If-Match `current.etag`: the new etag, or null
   * when the row changed (412) or vanished (404) since it was read.
   * Never in a transaction: Azurite ignores If-Match inside batches.
   */
  async #replaceIfMatch(current: DeliveryRecord, next: DeliveryRecord, operation: string): Promise<string | null> {
    if (current.etag === "" || current.etag === "*") throw new LedgerDataError(`${operation} needs the etag the record was read with, not ${JSON.stringify(current.etag)}.`);
    try {
      const response = await this.#alerts.updateEntity(deliveryToEntity(next), "Replace", { etag: current.etag });
      return requireEtag(response.etag, operation);
    } catch (err) {
      if (statusOf(err) === 412 || isEntityNotFound(err)) return null;
      throw this.#fail(err, operation, this.#alerts);
    }
  }

  /**
   * The tenant's open rows, found by their markers: one key-range query and a
   * point read per open row. `include` picks decoded rows; `includeUnreadable`
   * picks rows this build cannot decode, by their state column. Markers of
   * delivered rows (a crash before the marker was dropped) and of rows gone
   * for long are dropped on the way.
   */
  async #openRows(tenant: string, include: (r: DeliveryRecord) => boolean, includeUnreadable: (state: string | null) => boolean, operation: string): Promise<LedgerRows> {
    const partitionKey = tenantPartitionKey(tenant);
    const records: DeliveryRecord[] = [];
    const unreadable: UnreadableRow[] = [];
    try {
      await this.#ensureOpenIndex(tenant, partitionKey);
      const markers: { rowKey: string; timestamp: string | undefined }[] = [];
      const listed = this.#alerts.listEntities<{ timestamp?: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${OPEN_MARKER_PREFIX} and RowKey lt ${OPEN_MARKER_END}`, select: ["RowKey", "Timestamp"] },
      });
      for await (const marker of listed) markers.push({ rowKey: (marker.rowKey ?? "").slice(OPEN_MARKER_PREFIX.length), timestamp: marker.timestamp });
      const rows = await mapWithConcurrency(markers, CONCURRENCY * 2, async ({ rowKey }) => {
        try {
          return await this.#alerts.getEntity<Record<string, unknown>>(partitionKey, rowKey);
        } catch (err) {
          if (isEntityNotFound(err)) return null;
          throw err;
        }
      });
      for (const [i, entity] of rows.entries()) {
        const marker = markers[i]!;
        if (entity === null) {
          // Timestamp is the service's clock: compared with the real one, not the (injectable) ledger clock.
          const age = marker.timestamp ? Date.now() - new Date(marker.timestamp).getTime() : 0;
          if (age > STALE_MARKER_AGE_IN_MS) await this.#dropMarker(partitionKey, marker.rowKey);
          continue;
        }
        if (entity.state === "delivered") {
          await this.#dropMarker(partitionKey, marker.rowKey);
          continue;
        }
        const row = decodeRow(entity);
        if ("record" in row) {
          if (include(row.record)) records.push(row.record);
        } else if (includeUnreadable(row.unreadable.state)) unreadable.push(row.unreadable);
      }
    } catch (err) {
      throw this.#fail(err, operation, this.#alerts);
    }
    return this.#rowsOf(records, unreadable, operation);
  }

  /**
   * Rows admitted before open-work markers existed get theirs, once per tenant
   * (one scan of the open rows, remembered in a checkpoint row; then one point
   * read per ledger object).
   */
  async #ensureOpenIndex(tenant: string, partitionKey: string): Promise<void> {
    if (this.#indexed.has(partitionKey)) return;
    const flag = await this.readCheckpoint(tenant, OPEN_INDEX_ROW);
    if (flag.etag === undefined) {
      const open: string[] = [];
      for await (const row of this.#alerts.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and state ne 'delivered'`, select: ["RowKey"] } })) {
        if (row.rowKey && !row.rowKey.startsWith(OPEN_MARKER_PREFIX)) open.push(row.rowKey);
      }
      await mapWithConcurrency(open, CONCURRENCY, (rowKey) => this.#alerts.upsertEntity(openMarker({ partitionKey, rowKey }), "Replace"));
      try {
        await this.writeCheckpoint(flag);
      } catch (err) {
        if (!(err instanceof CheckpointConflictError)) throw err;
      }
      if (open.length > 0) this.#logger.info(`ledger: ${open.length} open row(s) admitted by an earlier version now have open-work markers`);
    }
    this.#indexed.add(partitionKey);
  }

  /** Removes the open-work markers of delivered rows, up to 100 per transaction; a transaction that fails (a marker gone already) is redone marker by marker. */
  async #dropMarkers(records: readonly DeliveryRecord[]): Promise<void> {
    const byPartition = new Map<string, string[]>();
    for (const record of records) {
      const partitionKey = tenantPartitionKey(record.tenant);
      byPartition.set(partitionKey, [...(byPartition.get(partitionKey) ?? []), deliveryRowKey(record.fingerprint, record.receiver)]);
    }
    const batches: { partitionKey: string; rowKeys: string[] }[] = [];
    for (const [partitionKey, rowKeys] of byPartition) {
      for (let i = 0; i < rowKeys.length; i += MAX_BATCH_ENTITIES) batches.push({ partitionKey, rowKeys: rowKeys.slice(i, i + MAX_BATCH_ENTITIES) });
    }
    await mapWithConcurrency(batches, CONCURRENCY, async ({ partitionKey, rowKeys }) => {
      if (rowKeys.length > 1) {
        try {
          await this.#alerts.submitTransaction(rowKeys.map((rowKey): TransactionAction => ["delete", { partitionKey, rowKey: `${OPEN_MARKER_PREFIX}${rowKey}` }]));
          return;
        } catch {
          // One by one below; each failure is only a marker left for the next read.
        }
      }
      await mapWithConcurrency(rowKeys, CONCURRENCY * 2, (rowKey) => this.#dropMarker(partitionKey, rowKey));
    });
  }

  /** Removes a row's open-work marker; a failure only leaves it for the next read to drop. */
  async #dropMarker(partitionKey: string, rowKey: string): Promise<void> {
    try {
      await this.#alerts.deleteEntity(partitionKey, `${OPEN_MARKER_PREFIX}${rowKey}`);
    } catch (err) {
      if (!isEntityNotFound(err)) this.#logger.debug("ledger: an open-work marker could not be removed yet; the next read drops it", { rowKey });
    }
  }

  /** Rows matching `filter`, oldest first. A row that cannot be decoded never fails the query (one bad row would stop every alert): it is returned apart. */
  async #query(filter: string, operation: string): Promise<LedgerRows> {
    const records: DeliveryRecord[] = [];
    const unreadable: UnreadableRow[] = [];
    try {
      for await (const entity of this.#alerts.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        const row = decodeRow(entity);
        if ("record" in row) records.push(row.record);
        else unreadable.push(row.unreadable);
      }
    } catch (err) {
      throw this.#fail(err, operation, this.#alerts);
    }
    return this.#rowsOf(records, unreadable, operation);
  }

  /** Rows read while `operation`, oldest first; the ones that could not be decoded are logged once. */
  #rowsOf(records: DeliveryRecord[], unreadable: UnreadableRow[], operation: string): LedgerRows {
    if (unreadable.length > 0) this.#logger.warn(`ledger: ${unreadable.length} row(s) could not be read while ${operation}`, { rowKeys: unreadable.slice(0, 10).map((r) => r.rowKey) });
    return { records: records.sort(byAge), unreadable };
  }

  #fail(err: unknown, operation: string, client: TableClient): Error {
    if (isTableNotFound(err)) forgetTable(client);
    return describeStorageError(err, operation, client);
  }
}

/** A delivery row decoded, or set apart when this build cannot read it (any other error is thrown). */
function decodeRow(entity: Record<string, unknown> & { partitionKey?: string; rowKey?: string; etag: string }): { record: DeliveryRecord } | { unreadable: UnreadableRow } {
  try {
    return { record: deliveryFromEntity(entity, entity.etag) };
  } catch (err) {
    if (!(err instanceof LedgerDataError)) throw err;
    return { unreadable: unreadableRowOf(entity, err.message) };
  }
}

/** The open-work marker of a delivery row: same partition, RowKey `!` + the row's. */
function openMarker(entity: { partitionKey: string; rowKey: string }): Entity {
  return { partitionKey: entity.partitionKey, rowKey: `${OPEN_MARKER_PREFIX}${entity.rowKey}` };
}

function assertClaimed(record: DeliveryRecord, operation: string): void {
  if (record.state !== "sending") {
    throw new LedgerDataError(`${operation} needs the record claim() returned (state 'sending'); got state '${record.state}' for ${record.fingerprint}~${record.receiver}.`);
  }
}

function requireEtag(etag: string | undefined, operation: string): string {
  if (!etag) throw new LedgerDataError(`Table Storage returned no ETag for ${operation}; conditional writes need it.`);
  return etag;
}

import { odata, type TableClient } from "@azure/data-tables";
import type { Alert } from "../alerts/model.js";
import { tenantPartitionKey } from "./keys.js";
import { snoozeKeysOf } from "../alerts/incident.js";
import { orUndefinedWhenAbsent, withTable } from "./bot-tables.js";

/**
 * Snoozes pressed on a bot card: a silence on the alert's fingerprint (and
 * its incident, see incident.ts) until an expiry. Kept apart from the routing
 * silences in shared/routing: these are made by a button, keyed by fingerprint.
 * An expired snooze is simply ignored (rows are small; they are overwritten by
 * the next snooze of the same key).
 *
 * For the pipeline: before admitting (or delivering) alerts, read the active
 * snoozes once per cycle and drop the alerts they cover:
 *
 *   const active = await snoozes.active(tenant, now);
 *   const kept = alerts.filter((a) => !active.covers(a));
 *
 * or, for one alert, `await snoozes.isSnoozed(tenant, fingerprint, now)`.
 */

interface ActiveSnoozes {
  /** True when the alert's fingerprint or its incident is snoozed. */
  covers(alert: Alert): boolean;
}

export class SnoozeStore {
  readonly #table: TableClient;

  constructor(table: TableClient) {
    this.#table = table;
  }

  /** Snoozes the alert (its fingerprint and its incident) until `until`. */
  async snooze(alert: Alert, until: Date, by: string, now: Date): Promise<void> {
    const partitionKey = tenantPartitionKey(alert.tenant);
    await withTable(this.#table, "storing a snooze", () =>
      Promise.all(
        snoozeKeysOf(alert).map((key) =>
          this.#table.upsertEntity({ partitionKey, rowKey: key, until, by, createdAt: now, fingerprint: alert.fingerprint }, "Replace"),
        ),
      ),
    );
  }

  /** One point read: is this fingerprint (or incident key) snoozed at `now`? */
  async isSnoozed(tenant: string, fingerprint: string, now: Date): Promise<boolean> {
    const entity = await withTable(this.#table, "reading a snooze", () =>
      orUndefinedWhenAbsent(this.#table.getEntity<{ until?: Date }>(tenantPartitionKey(tenant), fingerprint)),
    );
    return entity?.until instanceof Date && entity.until.getTime() > now.getTime();
  }

  /** Every snooze in force at `now`: one partition query. */
  async active(tenant: string, now: Date): Promise<ActiveSnoozes> {
    const partitionKey = tenantPartitionKey(tenant);
    const keys = new Set<string>();
    await withTable(this.#table, "reading snoozes", async () => {
      const rows = this.#table.listEntities<{ until?: Date }>({
        queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and until gt ${now}`, select: ["RowKey", "until"] },
      });
      for await (const row of rows) if (row.rowKey) keys.add(row.rowKey);
    });
    return { covers: (alert) => snoozeKeysOf(alert).some((k) => keys.has(k)) };
  }
}

/**
 * Scenario 5, a year of alerts (review L2): the same jobs cycles against an
 * empty ledger and against one pre-filled with 100,000 delivered rows. Open
 * work is found by key (open-work markers, key-range queries), so a cycle's
 * round trips and time must not grow with the delivered history.
 */
import { TableClient, type TransactionAction } from "@azure/data-tables";
import { makeJob, makeJobAlert } from "../../test/support/alert-fixtures.js";
import { deliveryToEntity } from "../../shared/ledger/records.js";
import { encodeAlert } from "../../shared/ledger/alert-codec.js";
import { fingerprintOf } from "../../shared/alerts/fingerprint.js";
import { CycleWorker, settingValues, type CycleCost, type Services } from "../harness.js";
import { median } from "../measure.js";
import { formatKinds, type ScenarioResult } from "../result.js";
import { addJobs, ALL_SERVICES } from "../tenant-fixtures.js";

/** BENCH_HISTORY_ROWS overrides it: Azurite's inserts slow down as one partition grows (100,000 rows take about 20 minutes to fill on two cores). */
const HISTORY_ROWS = Number(process.env["BENCH_HISTORY_ROWS"] ?? 100_000);
const JOBS_IN_WINDOW = 50;
const FAILED_PER_CYCLE = 2;
const MEASURED_CYCLES = 8;
const CYCLE_EVERY_MS = 5 * 60_000;
const TENANT = "Bench";

/** 100,000 rows as delivered ones look (a job alert each, delivered 10 days ago: inside the retention, so nothing prunes them). */
async function fillHistory(connectionString: string, tablePrefix: string, rows: number, nowMs: number): Promise<void> {
  const started = Date.now();
  const table = TableClient.fromConnectionString(connectionString, `${tablePrefix}alerts`, { allowInsecureConnection: true });
  await table.createTable();
  const deliveredAt = new Date(nowMs - 10 * 86_400_000);
  const template = makeJobAlert(makeJob({ id: "IB-HISTORY" }));
  const batches: TransactionAction[][] = [];
  for (let i = 0; i < rows; i += 100) {
    const batch: TransactionAction[] = [];
    for (let j = i; j < Math.min(rows, i + 100); j++) {
      const identity = `job:${TENANT}:IB-HISTORY-${j}:Failed`;
      const alert = { ...template, tenant: TENANT, identity, fingerprint: fingerprintOf(identity), job: { ...template.job, id: `IB-HISTORY-${j}` } };
      const entity = deliveryToEntity(
        {
          tenant: TENANT,
          fingerprint: alert.fingerprint,
          receiver: "teams",
          state: "delivered",
          alert,
          eventTime: deliveredAt,
          attempts: 1,
          lastError: null,
          createdAt: deliveredAt,
          deliveredAt,
          leaseUntil: null,
          owner: null,
          acceptedBy: [],
          etag: "",
        },
        encodeAlert(alert),
      );
      batch.push(["create", entity]);
    }
    batches.push(batch);
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let b = next++; b < batches.length; b = next++) {
        await table.submitTransaction(batches[b]!);
        if (b % 100 === 0) process.stderr.write(`[bench] history: ${b * 100} rows after ${Date.now() - started} ms\n`);
      }
    }),
  );
}

async function measure(services: Services, tablePrefix: string, history: number, base: number): Promise<CycleCost[]> {
  const { tenant } = services.simulator;
  if (history > 0) await fillHistory(services.azurite.connectionString, tablePrefix, history, base);
  const worker = await CycleWorker.start(services, settingValues(services, { tablePrefix, pageSize: 100 }));
  const cycles: CycleCost[] = [];
  const fill = (nowMs: number, k: number) => {
    tenant.clearJobs();
    addJobs(tenant, { count: JOBS_IN_WINDOW - FAILED_PER_CYCLE, fromMs: nowMs - 19 * 60_000, toMs: nowMs - 60_000, services: ALL_SERVICES, states: ["Finished"] });
    // New failures every cycle: the cycle asks the ledger whether they are known, admits, claims, delivers and records them.
    addJobs(tenant, { count: FAILED_PER_CYCLE, fromMs: nowMs - 10 * 60_000 - k, toMs: nowMs - 2 * 60_000 - k, services: ALL_SERVICES, states: ["Failed"] });
  };
  try {
    fill(base, 0);
    await worker.cycle(base); // the process's first cycle: token, tables, checkpoint, the daily retention pass
    for (let k = 1; k <= MEASURED_CYCLES; k++) {
      const nowMs = base + k * CYCLE_EVERY_MS;
      fill(nowMs, k);
      cycles.push(await worker.cycle(nowMs));
    }
  } finally {
    await worker.stop();
    tenant.clearJobs();
  }
  return cycles;
}

export async function longHistory(services: Services): Promise<ScenarioResult> {
  const base = Date.now() - 2 * 3_600_000;
  const empty = await measure(services, "benchhistnone", 0, base);
  const full = await measure(services, "benchhistfull", HISTORY_ROWS, base);
  const worst = (cycles: CycleCost[], pick: (c: CycleCost) => number) => Math.max(...cycles.map(pick));
  const row = (label: string, cycles: CycleCost[]) => [
    { metric: `${label}: Table Storage round trips (most of any cycle)`, measured: worst(cycles, (c) => c.tableRoundTrips), unit: "round trips" as const },
    { metric: `${label}: alerts delivered (each cycle)`, measured: Math.min(...cycles.map((c) => c.delivered)), unit: "alerts" as const },
    { metric: `${label}: wall time (median)`, measured: median(cycles.map((c) => c.wallMs)), unit: "ms" as const },
  ];
  return {
    id: "long-history",
    title: `A year of alerts: the same cycles with an empty ledger and with ${HISTORY_ROWS.toLocaleString("en-US")} delivered rows`,
    about: [
      `Two ledgers (fresh table prefixes): one empty, one pre-filled with ${HISTORY_ROWS.toLocaleString("en-US")} delivered job-alert rows of the tenant,`,
      `delivered 10 days before (inside LEDGER_RETENTION_DAYS, so the retention pass keeps them). After a first cycle (token, tables,`,
      `the once-a-day retention pass), ${MEASURED_CYCLES} measured cycles 5 minutes apart each read ${JOBS_IN_WINDOW} jobs of which ${FAILED_PER_CYCLE} newly failed:`,
      "the cycle asks whether they are known (a key-range query each), admits them with their open-work markers, reads its open work",
      "(one key-range query of the markers and a point read per open row), claims, posts and records them. Nothing in a cycle filters",
      "on a column that would make Table Storage walk the delivered history.",
    ].join("\n"),
    rows: [...row("empty ledger", empty), ...row(`${HISTORY_ROWS.toLocaleString("en-US")} delivered rows`, full)],
    notes: [
      `Table Storage requests of the last measured cycle by kind, empty ledger: ${formatKinds(empty[empty.length - 1]?.tableByKind ?? {})}; with the history: ${formatKinds(full[full.length - 1]?.tableByKind ?? {})}.`,
      "The retention pass (shared/pipeline/upkeep.ts pruneLedger) is the one query that looks past the open work; it runs once a day per tenant and removes at most 1,000 rows per pass.",
    ],
  };
}

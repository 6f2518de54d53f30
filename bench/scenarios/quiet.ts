/**
 * Scenario 1, the cycle that runs 288 times a day: a steady-state jobs cycle
 * (the process is warm, the checkpoint exists) whose window holds N finished
 * jobs and nothing that alerts.
 */
import { CycleWorker, settingValues, type CycleCost, type Services } from "../harness.js";
import { median } from "../measure.js";
import { avePointMinimum, tableMinimum } from "../minimum.js";
import { formatKinds, mib, type ScenarioResult } from "../result.js";
import { addJobs, ALL_SERVICES } from "../tenant-fixtures.js";

const JOBS_IN_WINDOW = 50;
const PAGE_SIZE = 100;
const MEASURED_CYCLES = 10;
const CYCLE_EVERY_MS = 5 * 60_000;

export async function quietCycle(services: Services): Promise<ScenarioResult> {
  const { tenant } = services.simulator;
  // Clock points stay in the past, so every window is one the API could answer.
  const base = Date.now() - 2 * 3_600_000;
  const fill = (nowMs: number) => {
    tenant.clearJobs();
    // With the watermark at the previous cycle and a 15-minute overlap, each window spans 20 minutes.
    addJobs(tenant, { count: JOBS_IN_WINDOW, fromMs: nowMs - 19 * 60_000, toMs: nowMs - 60_000, services: ALL_SERVICES, states: ["Finished"] });
  };

  // AVEPOINT_API_PROFILE left at its default, `auto`: the first cycle learns the service, later ones only read it.
  const worker = await CycleWorker.start(services, settingValues(services, { tablePrefix: "benchquiet", pageSize: PAGE_SIZE }));
  const cycles: CycleCost[] = [];
  let first: CycleCost;
  try {
    fill(base);
    first = await worker.cycle(base); // the process's first cycle: tokens, tables, first checkpoint, what `auto` learns
    for (let k = 1; k <= MEASURED_CYCLES; k++) {
      const nowMs = base + k * CYCLE_EVERY_MS;
      fill(nowMs);
      cycles.push(await worker.cycle(nowMs));
    }
  } finally {
    await worker.stop();
    tenant.clearJobs();
  }

  for (const c of cycles) {
    if (c.read !== JOBS_IN_WINDOW || c.newAlerts !== 0) throw new Error(`quiet cycle read ${c.read} jobs and found ${c.newAlerts} alerts`);
  }
  const worst = (pick: (c: CycleCost) => number) => Math.max(...cycles.map(pick));
  const api = avePointMinimum({ windowJobs: JOBS_IN_WINDOW, pageSize: PAGE_SIZE, firstCycle: false });
  const table = tableMinimum({ firstInProcess: false, candidates: 0, admitted: 0, pending: 0, delivered: 0 });
  const byKind = cycles[cycles.length - 1]?.tableByKind ?? {};

  const firstApi = first.avepoint;
  return {
    id: "quiet",
    title: `Quiet cycle: ${JOBS_IN_WINDOW} finished jobs in the window, no alerts (steady state)`,
    about: [
      `The process has run its first cycle (token fetched, tables made, checkpoint written). Each of ${MEASURED_CYCLES} measured cycles`,
      `then runs 5 minutes after the last one on the injected clock; its window (watermark minus the 15-minute overlap, to the pinned`,
      `cycle time) holds exactly ${JOBS_IN_WINDOW} finished jobs, page size ${PAGE_SIZE}. Counts are the most any measured cycle made`,
      `(they did not vary); wall time is the median.`,
      "",
      `- **AvePoint minimum** = ceil(${JOBS_IN_WINDOW} / ${PAGE_SIZE}) = ${api.jobsPages} jobs page; no token (cached for an hour),`,
      `  no per-service listing (nothing alerts and no service has an open failure), nothing left to learn.`,
      `- **First cycle** (AVEPOINT_API_PROFILE=auto, the simulator answering on today's path): one token per permission used, one`,
      `  calibration page (an unfiltered page of one job: it finds the jobs path and shows how times are written), the windowed`,
      `  page(s), and the current revision's schedule and unusual-activity reads. Each renamed path asked before the one that`,
      `  answers would add one 404 (at most 4). What was learned is kept in the checkpoint, so a cold start does not pay again.`,
      `- **Table Storage minimum** = ${table.total}: checkpoint read + pending query + checkpoint write. The pending query cannot be`,
      `  skipped (a crashed or overlapping run may have left alerts to send); the known-fingerprints query is not needed when the`,
      `  read found nothing alert-worthy.`,
    ].join("\n"),
    rows: [
      {
        metric: "first cycle: AvePoint requests (calibration included)",
        measured: firstApi.total,
        unit: "requests",
        derivation: `${firstApi.token} token + ${firstApi.calibration} calibration + ${firstApi.jobsPages} page + ${firstApi.serviceListings} service + ${firstApi.other} other`,
      },
      { metric: "jobs read per cycle", measured: worst((c) => c.read), unit: "jobs" },
      { metric: "jobs requests per steady cycle", measured: worst((c) => c.avepoint.calibration + c.avepoint.jobsPages + c.avepoint.serviceListings), unit: "requests", minimum: 1 },
      { metric: "AvePoint requests", measured: worst((c) => c.avepoint.total), unit: "requests", minimum: api.total, derivation: `${api.jobsPages} page` },
      {
        metric: "Table Storage round trips",
        measured: worst((c) => c.tableRoundTrips),
        unit: "round trips",
        minimum: table.total,
        derivation: "read + pending + write",
      },
      { metric: "webhook posts", measured: worst((c) => c.posts), unit: "posts", minimum: 0 },
      { metric: "wall time (median)", measured: median(cycles.map((c) => c.wallMs)), unit: "ms" },
      { metric: "RSS before the cycle (process at rest)", measured: mib(worst((c) => c.memory.rssBeforeBytes)), unit: "MiB" },
      { metric: "peak RSS", measured: mib(worst((c) => c.memory.peakRssBytes)), unit: "MiB" },
      { metric: "peak heap used", measured: mib(worst((c) => c.memory.peakHeapBytes)), unit: "MiB" },
    ],
    notes: [
      `Table Storage requests of the last measured cycle by kind: ${formatKinds(byKind)}.`,
      ...knownQueryNote(byKind, table.pendingQuery + table.knownQuery),
    ],
  };
}

/** Explains a query beyond the ones the minimum counts: the known-fingerprints query of a cycle with nothing to alert. */
export function knownQueryNote(byKind: Record<string, number>, queriesNeeded: number): string[] {
  if ((byKind["query"] ?? 0) <= queriesNeeded) return [];
  return [
    "The query beyond the pending one is the known-fingerprints query: `runJobsMonitor` (shared/pipeline/jobs.ts) calls " +
      "`ledger.knownFingerprints` before it knows whether any job alerts; with no candidate it could be skipped.",
  ];
}

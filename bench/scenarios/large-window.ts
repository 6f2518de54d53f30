/**
 * Scenario 2, the heaviest read: a process's first cycle looking back 24 hours
 * over a tenant that ran 10,000 jobs in them, at two page sizes.
 */
import { CycleWorker, settingValues, SIMULATOR_PAGE_CAP, type CycleCost, type Services } from "../harness.js";
import { avePointMinimum, tableMinimum } from "../minimum.js";
import { formatKinds, mib, type Row, type ScenarioResult } from "../result.js";
import { addJobs, ALL_SERVICES } from "../tenant-fixtures.js";
import { knownQueryNote } from "./quiet.js";

const JOBS = 10_000;
const PAGE_SIZES = [100, 1000] as const;

export async function largeWindow(services: Services): Promise<ScenarioResult> {
  const { tenant } = services.simulator;
  const base = Date.now() - 3_600_000;
  tenant.clearJobs();
  addJobs(tenant, { count: JOBS, fromMs: base - 23.5 * 3_600_000, toMs: base - 60_000, services: ALL_SERVICES, states: ["Finished"] });

  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    for (const pageSize of PAGE_SIZES) {
      const honoured = Math.min(pageSize, SIMULATOR_PAGE_CAP);
      const worker = await CycleWorker.start(services, settingValues(services, { tablePrefix: `benchwindow${pageSize}`, profile: "seed", pageSize }));
      let c: CycleCost;
      try {
        c = await worker.cycle(base);
      } finally {
        await worker.stop();
      }
      if (c.read !== JOBS) throw new Error(`the 10,000-job window read ${c.read} jobs`);
      const api = avePointMinimum({ windowJobs: JOBS, pageSize: honoured, firstCycle: true });
      const table = tableMinimum({ firstInProcess: true, candidates: 0, admitted: 0, pending: 0, delivered: 0 });
      const at = `page size ${pageSize}`;
      rows.push(
        { metric: `AvePoint requests (${at})`, measured: c.avepoint.total, unit: "requests", minimum: api.total, derivation: `1 token + ${api.jobsPages} pages` },
        { metric: `Table Storage round trips (${at})`, measured: c.tableRoundTrips, unit: "round trips", minimum: table.total, derivation: "2 tables + read + pending + write" },
        { metric: `wall time (${at})`, measured: c.wallMs, unit: "ms" },
        { metric: `peak RSS (${at})`, measured: mib(c.memory.peakRssBytes), unit: "MiB" },
        { metric: `RSS growth per job (${at})`, measured: (c.memory.peakRssBytes - c.memory.rssBeforeBytes) / JOBS, unit: "bytes/job" },
        { metric: `peak heap used (${at})`, measured: mib(c.memory.peakHeapBytes), unit: "MiB" },
        { metric: `heap growth per job (${at})`, measured: (c.memory.peakHeapBytes - c.memory.heapBeforeBytes) / JOBS, unit: "bytes/job" },
        { metric: `heap growth per 1,000 jobs (${at})`, measured: mib(((c.memory.peakHeapBytes - c.memory.heapBeforeBytes) / JOBS) * 1000), unit: "MiB" },
      );
      notes.push(`Page size ${pageSize}: Table Storage requests by kind: ${formatKinds(c.tableByKind)}; RSS before the cycle ${mib(c.memory.rssBeforeBytes).toFixed(1)} MiB.`);
      if (pageSize === PAGE_SIZES[0]) notes.push(...knownQueryNote(c.tableByKind, table.pendingQuery + table.knownQuery));
    }
  } finally {
    tenant.clearJobs();
  }

  return {
    id: "window",
    title: `A ${JOBS.toLocaleString("en-US")}-job window (first cycle, 24 h lookback)`,
    about: [
      `A fresh worker process runs its first cycle (no checkpoint, so it reads back JOBS_LOOKBACK_HOURS = 24) over a tenant holding`,
      `${JOBS.toLocaleString("en-US")} finished jobs spread evenly over the last 23.5 hours, once with AVEPOINT_PAGE_SIZE = 100 (the default) and once`,
      `with 1000 (the simulator caps page size at ${SIMULATOR_PAGE_CAP}, like the API's documented maximum).`,
      "",
      `- **AvePoint minimum** = 1 token (first cycle) + ceil(${JOBS} / page size) pages. Above it: a window of more than one`,
      `  page is read per service (page 0 unfiltered, whose TotalCount the per-service totals must add up to, then each of the 12`,
      `  services: Σ max(1, ceil(jobs of the service / page size)), at most 12 more than the unfiltered read). That labels every`,
      `  job, so a cycle with failures needs no second read, and it shows WATCH_SERVICES=auto (the default) which services are`,
      `  in use, so discovery asks nothing more (README, "Backup health rules").`,
      `- **Table Storage minimum** = 2 table creations (first cycle in a process) + checkpoint read + pending query + checkpoint write;`,
      `  nothing alerts, so no known-fingerprints query, admission, claim or mark.`,
      `- **Memory per job** = (peak during the cycle - value just before it, after a full GC) / ${JOBS.toLocaleString("en-US")}. The cycle keeps`,
      `  every job of the window in memory at once (duplicates are merged by id and jobs still running are tracked), so this is`,
      `  the price of one job held as a typed BackupJob plus its share of the page being parsed.`,
      `- Wall time includes the simulator (in the benchmark's parent process) filtering and sorting the 10,000 jobs for every page`,
      `  it serves, so it overstates the client's share, more so at page size 100.`,
    ].join("\n"),
    rows,
    notes,
  };
}

/**
 * Scenario 3, a bad night: 500 alert-worthy jobs in one cycle's window. They
 * go out as digest posts of at most 20 KB each, every one claimed and marked
 * in the ledger.
 */
import { WORKFLOWS_MAX_BYTES } from "../../shared/render/index.js";
import { CycleWorker, settingValues, type Services } from "../harness.js";
import { avePointMinimum, postsMinimum, tableMinimum } from "../minimum.js";
import { formatKinds, mib, type ScenarioResult } from "../result.js";
import { addCounts, addJobs, ALL_SERVICES } from "../tenant-fixtures.js";

const ALERTS = 500;
const FINISHED = 50;
const PAGE_SIZE = 100;
/** Where the failures happen: four services, the last of them seventh in the order services are listed. */
const FAILING_SERVICES = [1, 2, 3, 7] as const;

export async function manyAlerts(services: Services): Promise<ScenarioResult> {
  const { tenant } = services.simulator;
  const base = Date.now() - 2 * 3_600_000;
  const nowMs = base + 5 * 60_000;
  tenant.clearJobs();

  const worker = await CycleWorker.start(services, settingValues(services, { tablePrefix: "benchalerts", profile: "seed", pageSize: PAGE_SIZE }));
  try {
    await worker.cycle(base); // first cycle over an empty tenant: token, tables, checkpoint
    const range = { fromMs: nowMs - 19 * 60_000, toMs: nowMs - 60_000 };
    const alerting = addJobs(tenant, { ...range, count: ALERTS, services: FAILING_SERVICES, states: ["Failed", "Failed", "FinishedException", "PartiallyFinished"] });
    const finished = addJobs(tenant, { ...range, count: FINISHED, services: ALL_SERVICES, states: ["Finished"] });
    const perService = addCounts(alerting, finished);

    const c = await worker.cycle(nowMs);
    const digest = await worker.digest();
    if (c.newAlerts !== ALERTS || c.delivered !== ALERTS || digest.alerts !== ALERTS) {
      throw new Error(`500-alert cycle: ${c.newAlerts} admitted, ${c.delivered} delivered, ${digest.alerts} in the ledger`);
    }

    const api = avePointMinimum({
      windowJobs: ALERTS + FINISHED,
      pageSize: PAGE_SIZE,
      firstCycle: false,
      serviceJobs: FAILING_SERVICES.map((s) => perService.get(s) ?? 0),
    });
    const table = tableMinimum({ firstInProcess: false, candidates: ALERTS, knownRows: 0, admitted: ALERTS, pending: ALERTS, delivered: ALERTS });
    const posts = postsMinimum(digest.singleDigestBytes, WORKFLOWS_MAX_BYTES);

    return {
      id: "alerts",
      title: `${ALERTS} alerts in one cycle`,
      about: [
        `After a first cycle over an empty tenant, ${ALERTS} alert-worthy jobs (Failed, FinishedException, PartiallyFinished, each with`,
        `two job errors) in services ${FAILING_SERVICES.join(", ")} and ${FINISHED} finished jobs across all services appear in the next window`,
        `(page size ${PAGE_SIZE}). One receiver, the Teams Workflows webhook, with the one-post-a-second pacing turned off`,
        `(in production ${ALERTS} alerts in N posts take at least N seconds).`,
        "",
        `- **AvePoint minimum** = ceil(${ALERTS + FINISHED} / ${PAGE_SIZE}) = ${api.jobsPages} jobs pages + the pages of the services that hold`,
        `  alerting jobs (${api.serviceListings}): the listing does not say a job's service, so each such service is listed once. This`,
        `  counts only the services a cycle that knew where to look would list; ours lists services in a fixed order until every`,
        `  alerting job has its service, so it also lists the services in between.`,
        `- **Table Storage minimum** = ${table.total}: checkpoint read, known-fingerprints query, ceil(${ALERTS} / 100) = ${table.admitBatches}`,
        `  insert transactions, pending query, ${ALERTS} claims + ${ALERTS} marks (each a conditional write of its own:`,
        `  Azurite ignores If-Match inside transactions, so claims are never batched), checkpoint write.`,
        `- **Posts minimum** = ceil(bytes of one digest listing all ${ALERTS} alerts / ${WORKFLOWS_MAX_BYTES}) =`,
        `  ceil(${digest.singleDigestBytes} / ${WORKFLOWS_MAX_BYTES}) = ${posts}. Every part repeats the digest's header, so a ratio a little`,
        `  above 1 is the format's, not waste.`,
      ].join("\n"),
      rows: [
        { metric: "alerts delivered", measured: c.delivered, unit: "alerts" },
        {
          metric: "AvePoint requests",
          measured: c.avepoint.total,
          unit: "requests",
          minimum: api.total,
          derivation: `${api.jobsPages} pages + ${api.serviceListings} service pages`,
        },
        { metric: "  of which per-service listings", measured: c.avepoint.serviceListings, unit: "requests", minimum: api.serviceListings },
        { metric: "Table Storage round trips", measured: c.tableRoundTrips, unit: "round trips", minimum: table.total, derivation: "see above" },
        { metric: "webhook posts", measured: c.posts, unit: "posts", minimum: posts, derivation: `ceil(${digest.singleDigestBytes} B / 20 KB)` },
        { metric: "bytes posted", measured: c.postBytes, unit: "bytes", minimum: digest.singleDigestBytes, derivation: "one unsplit digest" },
        { metric: "largest post", measured: c.largestPostBytes, unit: "bytes" },
        { metric: "wall time", measured: c.wallMs, unit: "ms" },
        { metric: "  of which composing the posts (measured apart)", measured: digest.composeMs, unit: "ms" },
        { metric: "peak RSS", measured: mib(c.memory.peakRssBytes), unit: "MiB" },
        { metric: "peak heap used", measured: mib(c.memory.peakHeapBytes), unit: "MiB" },
      ],
      notes: [
        `Table Storage requests by kind: ${formatKinds(c.tableByKind)}.`,
        `Posts are filled to ${((100 * c.postBytes) / (c.posts * WORKFLOWS_MAX_BYTES)).toFixed(0)}% of the ${WORKFLOWS_MAX_BYTES}-byte budget on average;` +
          ` the ${c.postBytes - digest.singleDigestBytes} bytes beyond one unsplit digest are the headers and summaries the further parts repeat.`,
        ...(c.avepoint.serviceListings > api.serviceListings
          ? [
              `Per-service listings: ${c.avepoint.serviceListings} against ${api.serviceListings}. \`scanServices\` (shared/sources/jobs-window.ts)`
                + " lists services in their fixed order until every alerting job has its service, so services without alerting jobs that"
                + " come before the last one holding some are listed too (one page each here).",
            ]
          : []),
      ],
    };
  } finally {
    await worker.stop();
    tenant.clearJobs();
  }
}

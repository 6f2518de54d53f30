/**
 * The jobs and license monitors, end to end, under every way the AvePoint
 * service may answer where its documents leave the answer open
 * (../shared/reference/avepoint/README.md): which path answers, how times are
 * written and read, where pages start, what the window filters on, whether
 * running jobs are listed, how next pages are linked, and envelope errors.
 *
 * One script of jobs is played in half-hour cycles over four hours, including a
 * job that runs three hours and then fails. In every combination each alerting
 * job alerts exactly once, no finished job alerts, and the out-of-policy license
 * is read.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { mentions, minutes, startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";
import type { QueryTimes, ResponseStyle, SimRevision, SimulatorOptions, WindowReading } from "../simulator/index.js";

const T0 = new Date("2026-11-29T08:00:00Z");
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);
const CYCLE = minutes(30);
const CYCLES = 9;

interface ScriptedJob {
  id: string;
  final: "Failed" | "FinishedException" | "PartiallyFinished" | "Finished";
  start: number;
  finish: number;
  objectType: number;
}

/** Offsets from T0. The first cycle runs at T0, then every 30 minutes until T0 + 4 h. */
const SCRIPT: readonly ScriptedJob[] = [
  { id: "IB-PARTIAL", final: "PartiallyFinished", start: -minutes(50), finish: -minutes(40), objectType: 1 },
  { id: "IB-OK-EARLY", final: "Finished", start: -minutes(45), finish: -minutes(35), objectType: 2 },
  { id: "FB-LONG-FAIL", final: "Failed", start: minutes(10), finish: minutes(190), objectType: 3 },
  { id: "SP-LONG-OK", final: "Finished", start: minutes(20), finish: minutes(120), objectType: 2 },
  { id: "IB-QUICK-FAIL", final: "Failed", start: minutes(40), finish: minutes(50), objectType: 1 },
  { id: "TM-OK-1", final: "Finished", start: minutes(65), finish: minutes(70), objectType: 7 },
  { id: "TM-EXCEPTION", final: "FinishedException", start: minutes(95), finish: minutes(110), objectType: 7 },
  { id: "SP-OK-2", final: "Finished", start: minutes(125), finish: minutes(128), objectType: 2 },
  { id: "IB-OK-LATE", final: "Finished", start: minutes(160), finish: minutes(165), objectType: 1 },
  { id: "TM-OK-3", final: "Finished", start: minutes(200), finish: minutes(205), objectType: 7 },
];
const ALERTING = SCRIPT.filter((j) => j.final !== "Finished").map((j) => j.id);
const QUIET = SCRIPT.filter((j) => j.final === "Finished").map((j) => j.id);

/** The tenant as it is at `now`: jobs not yet started are absent, started ones run until their finish. */
function playScript(world: PipelineWorld, now: Date): void {
  const tenant = world.simulator.tenant;
  tenant.clearJobs();
  for (const job of SCRIPT) {
    const start = at(job.start);
    if (start > now) continue;
    const done = at(job.finish) <= now;
    tenant.addJob({
      id: job.id,
      state: done ? job.final : "InProgress",
      startTime: start,
      finishTime: done ? at(job.finish) : null,
      objectType: job.objectType,
      counts: done ? { total: 10, failed: job.final === "Finished" ? 0 : 2, successful: job.final === "Finished" ? 10 : 8, skipped: 0 } : undefined,
    });
  }
}

/** How times travel: the response's encoding, the query's reading, and the revision whose paths answer. */
const ENCODINGS = {
  ticks: { style: { timeFormat: "ticks", durationAs: "ticks" }, queryTimes: "ticks", revisions: ["seed"], learned: "ticks" },
  "epoch ms": { style: { timeFormat: "ms" }, queryTimes: "epoch", revisions: ["seed"], learned: "ms" },
  "epoch s": { style: { timeFormat: "s" }, queryTimes: "epoch", revisions: ["seed"], learned: "s" },
  iso: { style: { timeFormat: "iso" }, queryTimes: "iso", revisions: ["current"], learned: "iso" },
  "dates only": { style: { timeFormat: "iso" }, queryTimes: "dates", revisions: ["current"], learned: "date" },
} as const satisfies Record<string, { style: Partial<ResponseStyle>; queryTimes: QueryTimes; revisions: readonly SimRevision[]; learned: string }>;
type Encoding = keyof typeof ENCODINGS;
const ENCODING_NAMES = Object.keys(ENCODINGS) as Encoding[];

interface Reading {
  name: string;
  encoding: Encoding;
  window: WindowReading;
  runningListed: boolean;
  pageBase: 0 | 1;
  extra?: SimulatorOptions;
  /** Changes the service between cycles (e.g. a rename while running). */
  atCycle?: (cycle: number, world: PipelineWorld) => void;
}

/**
 * Window × time encoding in full (15 rows). Running listed × page base rotate so that each row's (window, encoding)
 * meets a different pair: every window × running × page base combination occurs, and every encoding meets both
 * values of running and of page base.
 */
const CORE: Reading[] = [];
const WINDOWS = ["start", "finish", "both"] as const;
WINDOWS.forEach((window, w) => {
  ENCODING_NAMES.forEach((encoding, e) => {
    const k = (w + e) % 4;
    const runningListed = k < 2;
    const pageBase = (k % 2) as 0 | 1;
    CORE.push({ name: `window on ${window}, running ${runningListed ? "listed" : "unlisted"}, PageIndex from ${pageBase}, ${encoding}`, encoding, window, runningListed, pageBase });
  });
});

const MORE: Reading[] = [
  ...(["absolute", "relative", "off-path", "foreign"] as const).map(
    (nextLink): Reading => ({ name: `NextLink ${nextLink}, PageIndex from 1`, encoding: "iso", window: "finish", runningListed: false, pageBase: 1, extra: { nextLink } }),
  ),
  {
    name: "envelope errors (HTTP 200 carrying statusCode 503 and 429)",
    encoding: "iso",
    window: "start",
    runningListed: true,
    pageBase: 1,
    atCycle: (cycle, w) => {
      if (cycle % 3 !== 1) return;
      const statusCode = cycle === 4 ? 429 : 503;
      w.simulator.injectFault({ kind: "body", target: "jobs", body: JSON.stringify({ statusCode, message: "Service busy", data: null }) });
    },
  },
  {
    name: "only an intermediate revision's jobs path answers (/backup/m365/jobs), license on the seed path",
    encoding: "iso",
    window: "both",
    runningListed: false,
    pageBase: 1,
    extra: { revisions: ["m365-jobs", "seed"] },
  },
  {
    name: "the remembered path is renamed while running (seed, then only today's path)",
    encoding: "ticks",
    window: "finish",
    runningListed: true,
    pageBase: 0,
    atCycle: (cycle, w) => {
      if (cycle !== 4) return;
      w.simulator.options = { ...w.simulator.options, revisions: ["current"], style: { ...ENCODINGS.iso.style }, queryTimes: "iso" };
    },
  },
];

let world: PipelineWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

describe("reading AvePoint whichever way it answers (matrix)", () => {
  it.each([...CORE, ...MORE].map((r) => [r.name, r] as const))("%s", async (_name, reading) => {
    const encoding = ENCODINGS[reading.encoding];
    const w = (world = await startPipelineWorld({
      azuriteConnectionString: inject("azuriteConnectionString"),
      start: T0,
      settings: { AVEPOINT_PAGE_SIZE: "2", ALERT_SEND_RESOLVED: "false", AVEPOINT_API_PROFILE: process.env["MATRIX_PROFILE"] ?? "auto" },
      simulator: {
        style: { ...encoding.style },
        queryTimes: encoding.queryTimes,
        revisions: [...encoding.revisions],
        window: reading.window,
        runningListed: reading.runningListed,
        pageBase: reading.pageBase,
        ...reading.extra,
      },
    }));
    w.simulator.options.now = () => w.clock.now.getTime();
    w.simulator.tenant.license = { ...w.simulator.tenant.license, outOfPolicyTime: at(-minutes(24 * 60)).getTime() };

    const failedCycles: string[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      w.clock.now = at(cycle * CYCLE);
      reading.atCycle?.(cycle, w);
      playScript(w, w.clock.now);
      const summary = await w.cycle("jobs");
      if (summary.error !== undefined) failedCycles.push(`cycle ${cycle}: ${summary.error}`);
    }
    const license = await w.cycle("license");
    if (license.error !== undefined) failedCycles.push(`license: ${license.error}`);

    const posted = w.posted();
    const alertsPerJob = Object.fromEntries([...ALERTING, ...QUIET].map((id) => [id, mentions(posted, id)]));
    const wrong = Object.entries(alertsPerJob).filter(([id, n]) => n !== (ALERTING.includes(id) ? 1 : 0));
    const verdict = `${wrong.map(([id, n]) => `${id}×${n}`).join(" ") || "alerts exact"}; ${failedCycles.length} failed read(s)${failedCycles[0] ? ` (${failedCycles[0].slice(0, 160)})` : ""}`;
    expect({ failedCycles, alertsPerJob, outOfPolicyRead: mentions(posted, "Subscription out of policy") > 0 }, verdict).toEqual({
      failedCycles: [],
      alertsPerJob: Object.fromEntries([...ALERTING.map((id) => [id, 1]), ...QUIET.map((id) => [id, 0])]),
      outOfPolicyRead: true,
    });

    // What was learned is what the service does, and it is kept in the checkpoint.
    if (process.env["MATRIX_PROFILE"] === undefined && reading.atCycle === undefined) {
      const stored = (await w.ledger.readCheckpoint("Contoso", "license")).state["avepoint"];
      // Pages linked by a usable NextLink never need PageIndex, so its base is not learned (nor asked for).
      const linkMode = reading.extra?.nextLink ?? (encoding.revisions[0] === "current" || reading.extra?.revisions ? "absolute" : "absent");
      const followsLinks = linkMode === "absolute" || linkMode === "relative";
      expect(stored).toEqual({
        jobsRevision: reading.extra?.revisions ? "2025-04" : encoding.revisions[0],
        licenseRevision: encoding.revisions[0] === "current" && !reading.extra?.revisions ? "current" : "seed",
        queryTimes: encoding.learned,
        ...(followsLinks ? {} : { pageBase: reading.pageBase }),
        ...(reading.runningListed ? { runningListed: true } : {}),
      });
    }
  });
});

/**
 * `npm run bench`: runs the scenarios, prints a table and writes
 * docs/PERFORMANCE.md (`--no-write` only prints). Loopback only; stops by itself.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startServices } from "./harness.js";
import { describeMachine } from "./measure.js";
import { consoleReport, markdownReport } from "./report.js";
import type { ScenarioResult } from "./result.js";
import { coldImports } from "./scenarios/cold-import.js";
import { largeWindow } from "./scenarios/large-window.js";
import { longHistory } from "./scenarios/long-history.js";
import { manyAlerts } from "./scenarios/many-alerts.js";
import { firstCard, pollProcess } from "./scenarios/poll-process.js";
import { quietCycle } from "./scenarios/quiet.js";

const HAND_WRITTEN_MARKER = "<!-- npm run bench rewrites everything above this line; sections below are kept -->";

/**
 * Far above a normal run (about 25 minutes on two cores, nearly all of it Azurite filling the
 * 100,000-row ledger; BENCH_HISTORY_ROWS=20000 takes a couple of minutes): a hang ends the process
 * instead of leaving it running.
 */
const GIVE_UP_AFTER_MS = 45 * 60_000;

async function main(argv: string[]): Promise<void> {
  // `--poll-only`: only the whole-process poll (a quick look while working on the cycle); never writes the report.
  const pollOnly = argv.includes("--poll-only");
  const write = !argv.includes("--no-write") && !pollOnly;
  // Compiled to dist/bench/bench.js: the project root is two levels up.
  const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
  const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const started = performance.now();
  const machine = describeMachine();
  const results: ScenarioResult[] = [];

  say("starting Azurite, the AvePoint simulator and a recording webhook (loopback)");
  const services = await startServices();
  try {
    say("poll: npm run poll -- --once, whole process, the failures in each of the 12 services in turn");
    results.push(await pollProcess(services, projectRoot));
    if (pollOnly) {
      process.stdout.write(`${consoleReport(machine, results)}\n`);
      return;
    }
    say("1/5 quiet cycle");
    results.push(await quietCycle(services));
    say("2/5 10,000-job window");
    results.push(await largeWindow(services));
    say("3/5 500 alerts in one cycle");
    results.push(await manyAlerts(services));
    say("4/5 a year of alerts: 100,000 delivered rows in the ledger");
    results.push(await longHistory(services));
  } finally {
    await services.stop();
  }
  say("5/5 cold import of the function entries");
  results.push(await coldImports(projectRoot));
  say("npm start to the first card");
  results.push(await firstCard(projectRoot));

  const elapsedMs = performance.now() - started;
  process.stdout.write(`${consoleReport(machine, results)}\n`);
  if (write) {
    const path = join(projectRoot, "docs", "PERFORMANCE.md");
    // Sections below the marker are written by hand (costs measured elsewhere) and survive a re-run.
    const previous = existsSync(path) ? readFileSync(path, "utf8") : "";
    const kept = previous.includes(HAND_WRITTEN_MARKER) ? previous.slice(previous.indexOf(HAND_WRITTEN_MARKER)) : "";
    writeFileSync(path, `${markdownReport(machine, results, elapsedMs).trimEnd()}\n\n${kept || `${HAND_WRITTEN_MARKER}\n`}`);
    say(`wrote ${path}`);
  }
  say(`done in ${(elapsedMs / 1000).toFixed(1)} s`);
}

setTimeout(() => {
  process.stderr.write(`[bench] gave up after ${GIVE_UP_AFTER_MS / 1000} s\n`);
  process.exit(1);
}, GIVE_UP_AFTER_MS).unref();

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

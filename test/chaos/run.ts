/**
 * `npm run chaos`: the fault-injection suite at full size.
 *
 *   node dist/test/chaos/run.js [--runs 500] [--crash-every 5] [--seed abc] [--only 9,12] [--trace]
 *
 * --only reruns single runs of a seed (each run draws from SEED#run alone);
 * --trace prints every cycle's faults and summaries.
 * SEED (environment) or --seed makes a run reproducible; without one a fresh
 * seed is drawn and printed. Prints the table; exits 1 on any violation.
 */
import { formatReport, runChaos } from "./harness.js";
import { freshSeed } from "./random.js";

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

export async function main(argv: string[]): Promise<number> {
  const seed = option(argv, "seed") ?? process.env["SEED"] ?? freshSeed();
  const runs = Number(option(argv, "runs") ?? 500);
  const crashEvery = Number(option(argv, "crash-every") ?? 5);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of at least 1 (got ${runs})`);
  if (!Number.isSafeInteger(crashEvery) || crashEvery < 0) throw new Error(`--crash-every must be a whole number, 0 for none (got ${crashEvery})`);
  process.stderr.write(`chaos: ${runs} runs, every ${crashEvery || "no"}th with child processes, SEED=${seed}\n`);
  const only = option(argv, "only")?.split(",").map(Number);
  const trace = argv.includes("--trace") ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
  const report = await runChaos({
    seed,
    runs,
    crashEvery,
    log: (line) => process.stderr.write(`${line}\n`),
    ...(only ? { only } : {}),
    ...(trace ? { trace } : {}),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  return report.violations.length === 0 && report.lost === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

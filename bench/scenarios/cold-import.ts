/**
 * Scenario 4, cold start: how long loading each compiled function entry takes
 * in a fresh Node process, against loading @azure/functions alone (which every
 * entry needs anyway).
 */
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { median } from "../measure.js";
import type { Row, ScenarioResult } from "../result.js";

const RUNS = 5;

/** Milliseconds one dynamic import takes in a fresh process started in `cwd`. */
function timeImport(specifier: string, cwd: string): Promise<number> {
  const program = [
    `const started = performance.now();`,
    `await import(${JSON.stringify(specifier)});`,
    `process.stdout.write(String(performance.now() - started));`,
    // Registered timers must not keep the process alive; the measurement is done.
    `process.exit(0);`,
  ].join("\n");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", program], { cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      const ms = Number(stdout.trim());
      if (error || !Number.isFinite(ms)) reject(new Error(`importing ${specifier} failed: ${error?.message ?? ""} ${stderr.trim()}`));
      else resolve(ms);
    });
  });
}

export async function coldImports(projectRoot: string): Promise<ScenarioResult> {
  const functionsDir = join(projectRoot, "dist", "functions");
  const entries = readdirSync(functionsDir).filter((f) => f.endsWith(".js")).sort();
  if (entries.length === 0) throw new Error(`no compiled function entries in ${functionsDir}; run npm run build`);

  const libraries = ["@azure/data-tables", "@azure/identity"];
  const targets = [
    { metric: "import @azure/functions alone", specifier: "@azure/functions" },
    // The heaviest libraries the entries load, for reading the ratio (not minimums).
    ...libraries.map((library) => ({ metric: `import ${library} alone`, specifier: library })),
    ...entries.map((entry) => ({ metric: `import dist/functions/${entry}`, specifier: pathToFileURL(join(functionsDir, entry)).href })),
  ];
  // One unmeasured round fills the file cache ("cold" means a fresh process, not a cold disk); then rounds
  // go through every target in turn, so a change in the machine's load touches all of them alike. One
  // process at a time: parallel children would compete for the cores and time each other.
  const times = targets.map(() => [] as number[]);
  for (let round = 0; round <= RUNS; round++) {
    for (const [i, target] of targets.entries()) {
      const ms = await timeImport(target.specifier, projectRoot);
      if (round > 0) times[i]?.push(ms);
    }
  }
  const medians = times.map((t) => median(t));
  const bare = medians[0] as number;
  const rows: Row[] = targets.map((target, i) => ({
    metric: target.metric,
    measured: medians[i] as number,
    unit: "ms",
    ...(target.specifier.startsWith("file:") ? { minimum: bare, derivation: "bare @azure/functions" } : {}),
  }));
  const libraryMs = (library: string) => (medians[targets.findIndex((t) => t.specifier === library)] ?? Number.NaN).toFixed(0);

  return {
    id: "imports",
    title: "Cold import of each function entry",
    about: [
      `Each compiled entry in dist/functions/ is imported in a fresh \`node --input-type=module -e\` process, timed with`,
      `performance.now() around the dynamic import; the median of ${RUNS} runs, taken in rounds over all targets after one`,
      `unmeasured round that fills the file cache. The "minimum" is the same`,
      `measurement for a bare \`import("@azure/functions")\`, which every entry loads anyway: the ratio shows what the`,
      `application adds to a cold start (settings are read, and the Table and AvePoint clients built, on the first invocation,`,
      `not at import).`,
    ].join("\n"),
    rows,
    notes: [
      `Loaded on their own, @azure/data-tables takes ${libraryMs("@azure/data-tables")} ms and @azure/identity ` +
        `${libraryMs("@azure/identity")} ms (they share @azure/core-* modules, so the two do not simply add up). Both are ` +
        "imported when an entry module loads (shared/host.ts → shared/runtime.ts → the ledger's and channels' modules), whether or not " +
        "the configuration uses them: @azure/identity is needed only where a token credential is built (for example the ledger over " +
        "ALERTS_STORAGE_ACCOUNT_URL with a managed identity).",
    ],
  };
}

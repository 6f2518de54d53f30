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

  const medianOf = async (specifier: string): Promise<number> => {
    const times: number[] = [];
    // One after another: parallel children would compete for the two cores and time each other.
    for (let i = 0; i < RUNS; i++) times.push(await timeImport(specifier, projectRoot));
    return median(times);
  };
  const bare = await medianOf("@azure/functions");
  const rows: Row[] = [{ metric: "import @azure/functions alone", measured: bare, unit: "ms" }];
  // The heaviest libraries the entries load, for reading the ratio (not minimums).
  const libraries: Record<string, number> = {};
  for (const library of ["@azure/data-tables", "@azure/identity"]) {
    libraries[library] = await medianOf(library);
    rows.push({ metric: `import ${library} alone`, measured: libraries[library], unit: "ms" });
  }
  for (const entry of entries) {
    const ms = await medianOf(pathToFileURL(join(functionsDir, entry)).href);
    rows.push({ metric: `import dist/functions/${entry}`, measured: ms, unit: "ms", minimum: bare, derivation: "bare @azure/functions" });
  }

  return {
    id: "imports",
    title: "Cold import of each function entry",
    about: [
      `Each compiled entry in dist/functions/ is imported in a fresh \`node --input-type=module -e\` process, timed with`,
      `performance.now() around the dynamic import; the median of ${RUNS} runs, one after another. The "minimum" is the same`,
      `measurement for a bare \`import("@azure/functions")\`, which every entry loads anyway: the ratio shows what the`,
      `application adds to a cold start (settings are read, and the Table and AvePoint clients built, on the first invocation,`,
      `not at import).`,
    ].join("\n"),
    rows,
    notes: [
      `Loaded on their own, @azure/data-tables takes ${libraries["@azure/data-tables"]?.toFixed(0)} ms and @azure/identity ` +
        `${libraries["@azure/identity"]?.toFixed(0)} ms (they share @azure/core-* modules, so the two do not simply add up). Both are ` +
        "imported at module load through shared/host.ts → shared/runtime.ts → shared/ledger/clients.ts, although @azure/identity " +
        "is used only when the ledger is reached with ALERTS_STORAGE_ACCOUNT_URL (managed identity).",
    ],
  };
}

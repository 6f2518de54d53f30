/** The benchmark's two outputs: a table on stdout and docs/PERFORMANCE.md. */
import type { Machine } from "./measure.js";
import { ratio } from "./minimum.js";
import { MiB, type Row, type ScenarioResult } from "./result.js";

function formatValue(value: number, unit: Row["unit"]): string {
  switch (unit) {
    case "ms":
      return `${value.toFixed(value < 100 ? 1 : 0)} ms`;
    case "MiB":
      return `${value.toFixed(1)} MiB`;
    case "bytes/job":
      return `${Math.round(value).toLocaleString("en-US")} B/job`;
    case "bytes":
      return `${Math.round(value).toLocaleString("en-US")} B`;
    default: {
      const n = Math.round(value);
      // "1 request", "2 requests"; "round trips" → "round trip".
      return `${n.toLocaleString("en-US")} ${n === 1 ? unit.replace(/s$/, "") : unit}`;
    }
  }
}

function formatRatio(row: Row): string {
  if (row.minimum === undefined) return "";
  const r = ratio(row.measured, row.minimum);
  return r === null ? "n/a" : `${r.toFixed(2)}x`;
}

function cells(row: Row): [string, string, string, string, string] {
  return [
    row.metric,
    formatValue(row.measured, row.unit),
    row.minimum === undefined ? "" : formatValue(row.minimum, row.unit),
    formatRatio(row),
    row.derivation ?? "",
  ];
}

const HEADER = ["Metric", "Measured", "Minimum", "Ratio", "Minimum is"] as const;

export function consoleReport(machine: Machine, results: readonly ScenarioResult[]): string {
  const lines: string[] = [describe(machine), ""];
  for (const result of results) {
    const rows = result.rows.map(cells);
    const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
    const line = (r: readonly string[]) => r.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ").trimEnd();
    lines.push(result.title, line(HEADER), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line), "");
  }
  return lines.join("\n");
}

function describe(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / MiB / 1024).toFixed(1)} GiB, Node ${m.node}, ${m.platform}, ${m.date}, load ${m.loadAverage.toFixed(2)}`;
}

/** Count rows (requests, round trips, posts) that came out above their minimum. */
function aboveMinimum(results: readonly ScenarioResult[]): string[] {
  const out: string[] = [];
  for (const result of results) {
    for (const row of result.rows) {
      if (row.minimum === undefined || ["ms", "MiB", "bytes"].includes(row.unit)) continue;
      if (row.measured > row.minimum) {
        out.push(`- ${result.title} — ${row.metric.trim()}: ${formatValue(row.measured, row.unit)} against ${formatValue(row.minimum, row.unit)} (${formatRatio(row)}).`);
      }
    }
  }
  return out;
}

export function markdownReport(machine: Machine, results: readonly ScenarioResult[], elapsedMs: number): string {
  const out: string[] = [
    "# Performance",
    "",
    "How much work a monitor cycle does, held against the least that work can be. Measured by `npm run bench`",
    "(`bench/`), a benchmark that runs real cycles of the application (`shared/pipeline/runtime.ts` `createRuntime`) against",
    "Azurite, the AvePoint simulator and a recording webhook, all on this machine's loopback; not by timed tests.",
    "This file is written by the benchmark: run `npm run bench` to refresh it.",
    "",
    "## Machine",
    "",
    "| CPU | Cores | Memory | Node.js | Platform | Date | Load at start (1 min) |",
    "| --- | ---: | ---: | --- | --- | --- | ---: |",
    `| ${machine.cpu} | ${machine.cores} | ${(machine.memoryBytes / MiB / 1024).toFixed(1)} GiB | ${machine.node} | ${machine.platform} | ${machine.date} | ${machine.loadAverage.toFixed(2)} |`,
    "",
    `The whole run took ${(elapsedMs / 1000).toFixed(0)} s. Counts are exact and repeat from run to run; times and memory`,
    "vary with what else the machine is doing (compare the load above with the core count).",
    "",
    "## How to read the tables",
    "",
    "- **Minimum**: the least the cycle's work needs, given what the APIs allow and what our design must do to keep its",
    "  promises (no alert lost, none sent twice). Each scenario says how its minimums are derived; the arithmetic is in",
    "  `bench/minimum.ts` and unit-tested in `test/unit/bench-minimum.test.ts`.",
    "- **Ratio** = measured / minimum. 1.00x means no request beyond the necessary ones.",
    "- Requests are counted where they arrive or leave: AvePoint requests at the simulator (token, jobs pages, per-service",
    "  listings), Table Storage round trips by a pipeline policy on the ledger's TableClients placed after the SDK's retry",
    "  policy (a retried request counts each time), webhook posts at the recording receiver.",
    "- Cycles run in a worker process of their own (`bench/cycle-worker.ts`), so its memory is the application's: the simulator",
    "  and the receiver run in the parent process, Azurite in a third. Memory is sampled every 5 ms during the cycle (RSS and",
    "  V8 heap used), after a full GC just before it. Wall time is one cycle, end to end, on loopback.",
    "",
  ];
  results.forEach((result, i) => {
    out.push(`## ${i + 1}. ${result.title}`, "", result.about, "", `| ${HEADER.join(" | ")} |`, "| --- | ---: | ---: | ---: | --- |");
    for (const row of result.rows) out.push(`| ${cells(row).map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
    if (result.notes.length > 0) out.push("", ...result.notes.map((n) => `- ${n}`));
    out.push("");
  });
  const above = aboveMinimum(results);
  out.push("## Above the minimum", "");
  if (above.length === 0) out.push("Every counted quantity met its minimum in this run.");
  else out.push("Counted quantities that came out above their minimum in this run (times and memory have no minimum):", "", ...above);
  out.push("");
  return out.join("\n");
}

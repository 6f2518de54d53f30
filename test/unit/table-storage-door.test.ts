import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * Only the ledger writes Table Storage: the alert rows, the checkpoints and
 * the Teams bot's tables (its cards, installations and snoozes) alike. The
 * bot and the receivers call the ledger's stores; nothing else in the
 * application imports the Table Storage SDK except to count its round trips
 * (types only).
 */
describe("Table Storage stays behind shared/ledger/", () => {
  const shared = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "shared");
  const TABLES_IMPORT = /^\s*import\s+(type\s+)?[^;]*?from\s*["']@azure\/data-tables["']/gm;

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      return entry.name.endsWith(".ts") ? [path] : [];
    });
  }

  it("finds value imports of @azure/data-tables in shared/ledger/ only, and type imports only in telemetry", () => {
    const importers: Record<string, string> = {};
    for (const file of sources(shared)) {
      const path = relative(shared, file).split(sep).join("/");
      if (path.startsWith("ledger/")) continue;
      for (const match of readFileSync(file, "utf8").matchAll(TABLES_IMPORT)) importers[path] = match[1] ? "types" : "values";
    }
    expect(importers).toEqual({ "telemetry/cycle-usage.ts": "types" });
  });

  it("recognises value and type imports", () => {
    const lines = ['import { odata, type TableClient } from "@azure/data-tables";', "import type { TableClient } from '@azure/data-tables';", 'import { x } from "./tables.js";'];
    expect(lines.map((line) => [...line.matchAll(TABLES_IMPORT)].map((m) => (m[1] ? "types" : "values")))).toEqual([["values"], ["types"], []]);
  });
});

/**
 * Every setting the code reads is documented: each name in the schema
 * (shared/config/schema.ts, read at test time) appears in a table row of
 * docs/SETTINGS.md (linked from the README), written as the cell's text or in backticks.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../../shared/config/schema.js";
import { REPO_ROOT } from "./bicep-tree.js";

const SETTINGS_DOC = join(REPO_ROOT, "docs", "SETTINGS.md");

/** Names found in the cells of markdown table rows: `NAME` anywhere in a cell, or a cell that is exactly NAME. */
function namesInTables(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split(/\r?\n/)) {
    if (!line.trimStart().startsWith("|")) continue;
    for (const cell of line.split("|").map((c) => c.trim())) {
      for (const m of cell.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)) names.add(m[1]!);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(cell)) names.add(cell);
    }
  }
  return names;
}

describe("settings table (docs/SETTINGS.md)", () => {
  it("finds names in table rows only", () => {
    const names = namesInTables(["`IN_TEXT` is prose", "| Setting | Meaning |", "|---|---|", "| `LOG_LEVEL` | `info` or `debug` |", "| PLAIN_NAME | x |"].join("\n"));
    expect(names.has("LOG_LEVEL")).toBe(true);
    expect(names.has("PLAIN_NAME")).toBe(true);
    expect(names.has("IN_TEXT")).toBe(false);
  });

  it("lists every setting of the schema", () => {
    if (!existsSync(SETTINGS_DOC)) {
      expect.fail("docs/SETTINGS.md does not exist yet: it needs a settings table with every name in shared/config/schema.ts (`npm run docs:settings`)");
    }
    const documented = namesInTables(readFileSync(SETTINGS_DOC, "utf8"));
    const missing = SETTINGS.map((s) => s.name).filter((name) => !documented.has(name));
    expect(missing, "settings missing from docs/SETTINGS.md's settings table").toEqual([]);
  });
});

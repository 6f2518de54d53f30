import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderSettingsTable, replaceSettingsTable } from "../../cli/settings-table.js";
import { SETTINGS } from "../../shared/config/catalog.js";

const README = new URL("../../README.md", import.meta.url);

describe("README", () => {
  it("documents every setting the code reads, in the generated table", () => {
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(README, replaceSettingsTable(readFileSync(README, "utf8")));
    const readme = readFileSync(README, "utf8");
    expect(readme, "run `npm run docs:settings` after changing shared/config/catalog.ts").toContain(renderSettingsTable());
    for (const s of SETTINGS) expect(readme).toContain(`| \`${s.name}\` |`);
  });

  it("gives the two newcomer commands", () => {
    const readme = readFileSync(README, "utf8");
    expect(readme).toContain("npm install && npm start");
    expect(readme).toContain("npm install && npm test");
  });
});

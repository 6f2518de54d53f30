import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderSettingsTable, replaceSettingsTable, SETTINGS_DOC } from "../../cli/settings-table.js";
import { SETTINGS } from "../../shared/config/schema.js";

const README = new URL("../../README.md", import.meta.url);
const SETTINGS_TABLE = new URL(`../../${SETTINGS_DOC}`, import.meta.url);

describe("README", () => {
  it("documents every setting the code reads, in the generated table", () => {
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(SETTINGS_TABLE, replaceSettingsTable(readFileSync(SETTINGS_TABLE, "utf8")));
    const doc = readFileSync(SETTINGS_TABLE, "utf8");
    expect(doc, "run `npm run docs:settings` after changing shared/config/schema.ts").toContain(renderSettingsTable());
    for (const s of SETTINGS) expect(doc).toContain(`| \`${s.name}\` |`);
  });

  it("links to the settings table", () => {
    expect(readFileSync(README, "utf8")).toContain(`](${SETTINGS_DOC})`);
  });

  it("gives the two newcomer commands", () => {
    const readme = readFileSync(README, "utf8");
    expect(readme).toContain("npm install && npm start");
    expect(readme).toContain("npm install && npm test");
  });

  it("fits a first screen: at most 150 lines, the rest in docs/", () => {
    const lines = readFileSync(README, "utf8").trimEnd().split("\n").length;
    expect(lines, "move sections into docs/ and link them from the README").toBeLessThanOrEqual(150);
  });
});

import { describe, expect, it } from "vitest";
import { formatProblems, listBicepFiles, parseBicep, parseBicepFile, syntaxProblems } from "./bicep-tree.js";

describe("Bicep syntax (tree-sitter-bicep grammar)", () => {
  const files = listBicepFiles();

  it("finds main.bicep and one module per concern", () => {
    const names = files.map((f) => f.replace(/\\/g, "/").split("/infra/")[1]);
    expect(names).toEqual(
      expect.arrayContaining([
        "main.bicep",
        "modules/identity.bicep",
        "modules/storage.bicep",
        "modules/monitoring.bicep",
        "modules/keyvault.bicep",
        "modules/functionapp.bicep",
        "modules/alerts.bicep",
        "modules/bot.bicep",
      ]),
    );
  });

  it.each(files.map((f) => [f.split("/infra/")[1], f]))("%s parses without ERROR or MISSING nodes", async (_name, path) => {
    const file = await parseBicepFile(path!);
    expect(formatProblems(file, syntaxProblems(file))).toEqual([]);
  });

  // The check above is only worth something if the grammar rejects broken Bicep.
  it("reports broken Bicep with its line and column", async () => {
    const broken = await parseBicep(
      ["param ok string = 'x'", "resource sa 'Microsoft.Storage/storageAccounts@2023-05-01' = {", "  name: 'a'", "  properties: { allowSharedKeyAccess: = false }", "}"].join("\n"),
      "broken.bicep",
    );
    const problems = syntaxProblems(broken);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ line: 4 });
    expect(formatProblems(broken, problems)[0]).toMatch(/^broken\.bicep:4:\d+ (ERROR|MISSING)/);
  });

  it("reports an unclosed object as MISSING or ERROR", async () => {
    const unclosed = await parseBicep("var a = {\n  b: 1\n", "unclosed.bicep");
    expect(syntaxProblems(unclosed).length).toBeGreaterThan(0);
  });
});

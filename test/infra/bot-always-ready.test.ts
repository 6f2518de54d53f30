/**
 * The Teams bot's endpoint answers a button press within the ~5 s Teams waits
 * only from a running instance (measured locally: importing the Teams SDK alone
 * takes 1-3 s, before any Flex cold start). With deployBot, one instance of
 * the HTTP group is kept ready unless botAlwaysReady=false.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadInfra, modules, parameters, property, requireFile, resources, type BicepFile } from "./bicep-tree.js";

let main: BicepFile;
let functionApp: BicepFile;

beforeAll(async () => {
  const files = await loadInfra();
  main = requireFile(files, "main.bicep");
  functionApp = requireFile(files, "modules/functionapp.bicep");
});

describe("an always-ready instance for the bot endpoint", () => {
  it("main.bicep keeps one HTTP instance ready exactly when the bot is deployed and botAlwaysReady is on (default)", () => {
    expect(parameters(main).find((p) => p.name === "botAlwaysReady")?.defaultValue?.text).toBe("true");
    const module = modules(main).find((m) => m.path === "modules/functionapp.bicep");
    expect(property(module?.body, "params.alwaysReadyHttpInstances")?.text).toBe("deployBot && botAlwaysReady ? 1 : 0");
  });

  it("the function app puts them in the Flex Consumption `http` group", () => {
    const site = resources(functionApp).find((r) => r.type === "Microsoft.Web/sites");
    const alwaysReady = property(site?.body, "properties.functionAppConfig.scaleAndConcurrency.alwaysReady")?.text ?? "";
    expect(alwaysReady).toMatch(/^alwaysReadyHttpInstances > 0 \?/);
    expect(alwaysReady).toMatch(/name: 'http'\s+instanceCount: alwaysReadyHttpInstances/);
  });
});

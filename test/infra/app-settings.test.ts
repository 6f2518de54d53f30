/**
 * The app settings in Azure agree with what the code reads. The schema
 * (shared/config/schema.ts) is imported at test time, so a setting added there
 * fails this test until the Bicep sets it.
 *
 * The rule: every schema setting whose scope is 'infra' is a key of
 * `applicationSettings` in infra/main.bicep. Optional ones get a parameter that
 * defaults to '' (an empty value counts as unset, so the app's default applies).
 * To leave one out on purpose, write `// not-set: NAME <reason>` in main.bicep.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SETTINGS } from "../../shared/config/schema.js";
import {
  callsIn,
  entriesIn,
  identifiersIn,
  literal,
  loadInfra,
  modules,
  objectEntries,
  outputs,
  parameters,
  property,
  requireFile,
  resources,
  userFunctions,
  variables,
  type BicepFile,
  type ObjectEntry,
} from "./bicep-tree.js";

/**
 * Settings the Bicep already sets for features of later issues, before their
 * code adds them to the schema (they are then checked like any other).
 */
const AHEAD_OF_SCHEMA = new Set<string>([]);

/** Set by the function app module for the Functions host (our metrics exporter reads the two APPLICATIONINSIGHTS_ ones too, as the host does). */
const HOST_SETTINGS = /^(AzureWebJobsStorage__(accountName|credential|clientId)|APPLICATIONINSIGHTS_(CONNECTION_STRING|AUTHENTICATION_STRING)|NODE_OPTIONS)$/;

let main: BicepFile;
let files: Map<string, BicepFile>;
let appSettings: ObjectEntry[];
let notSet: Map<string, string>;

beforeAll(async () => {
  files = await loadInfra();
  main = requireFile(files, "main.bicep");
  const variable = variables(main).find((v) => v.name === "applicationSettings");
  if (!variable) throw new Error("infra/main.bicep has no `var applicationSettings = { ... }`");
  appSettings = objectEntries(variable.value);
  notSet = new Map([...main.source.matchAll(/^\s*\/\/\s*not-set:\s*(\S+)\s*(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
});

const infraSettings = SETTINGS.filter((s) => s.scope === "infra");

describe("app settings against the schema", () => {
  it("the schema has infra settings to check", () => {
    expect(infraSettings.length).toBeGreaterThan(10);
  });

  it.each(infraSettings.map((s) => [s.name]))("%s is set by the Bicep (or marked not-set with a reason)", (name) => {
    const set = appSettings.some((e) => e.key === name);
    const marked = notSet.get(name);
    if (marked !== undefined) {
      expect(set, `${name} is both set and marked not-set`).toBe(false);
      expect(marked.length, `// not-set: ${name} needs a reason`).toBeGreaterThan(0);
    } else {
      expect(set, `${name} (scope 'infra' in shared/config/schema.ts) is missing from applicationSettings in infra/main.bicep`).toBe(true);
    }
  });

  it("not-set markers name infra settings of the schema", () => {
    for (const name of notSet.keys()) expect(infraSettings.map((s) => s.name)).toContain(name);
  });

  it("sets nothing the code does not read, and no local-only setting", () => {
    const known = new Map(SETTINGS.map((s) => [s.name, s.scope]));
    const optional = variables(main).find((v) => v.name === "optionalFeatureSettings");
    const optionalKeys = optional ? entriesIn(optional.value).map((e) => e.key) : [];
    for (const key of [...appSettings.map((e) => e.key), ...optionalKeys]) {
      const scope = known.get(key);
      if (scope === undefined) expect(AHEAD_OF_SCHEMA.has(key), `${key} is set by the Bicep but not in the schema`).toBe(true);
      else expect(scope, `${key} is ${scope} in the schema`).toBe("infra");
    }
    const hostKeys = hostSettingKeys();
    expect(hostKeys.length).toBeGreaterThan(0);
    for (const key of hostKeys) expect(key, "host setting").toMatch(HOST_SETTINGS);
  });

  it.each(SETTINGS.filter((s) => s.scope === "platform").map((s) => [s.name]))("%s (scope 'platform') is set by the function app module for the host", (name) => {
    // AzureWebJobsStorage is given as its identity-based parts (AzureWebJobsStorage__accountName, ...).
    expect(hostSettingKeys().some((key) => key === name || key.startsWith(`${name}__`)), `${name} is not among the host settings of modules/functionapp.bicep`).toBe(true);
  });

  it.each(infraSettings.filter((s) => s.secret).map((s) => [s.name]))("%s (a secret) is a Key Vault reference, never a value", (name) => {
    const entry = appSettings.find((e) => e.key === name);
    if (!entry) return expect(notSet.has(name), `${name} missing`).toBe(true);
    const references = callsIn(entry.value, "keyVaultReference");
    expect(references.length, `${name} must use keyVaultReference(...)`).toBe(1);
    // The other branch of a conditional may only be '' (unset).
    if (entry.value.type === "ternary_expression") {
      const branches = [entry.value.childForFieldName("consequence"), entry.value.childForFieldName("alternative")];
      expect(branches.filter((b) => b && literal(b) === "").length, name).toBe(1);
    }
    const secure = parameters(main).filter((p) => p.isSecure).map((p) => p.name);
    for (const p of secure) expect(identifiersIn(entry.value).has(p), `${name} mentions @secure() ${p}`).toBe(false);
  });

  it("keyVaultReference() builds the App Service reference syntax", () => {
    const fn = userFunctions(main).find((f) => f.name === "keyVaultReference");
    expect(fn?.node.text).toContain("'@Microsoft.KeyVault(SecretUri=${secretUri})'");
  });

  it.each(infraSettings.filter((s) => !s.secret).map((s) => [s.name]))("%s comes from a parameter or a deployed resource", (name) => {
    const entry = appSettings.find((e) => e.key === name);
    if (!entry) return expect(notSet.has(name), `${name} missing`).toBe(true);
    const params = new Set(parameters(main).map((p) => p.name));
    const moduleSymbols = new Set(modules(main).map((m) => m.symbol));
    const sources = [...identifiersIn(entry.value)].filter((id) => params.has(id) || moduleSymbols.has(id));
    expect(sources.length, `${name} = ${entry.value.text} is fixed in the template`).toBeGreaterThan(0);
  });

  it("Bicep parameter defaults agree with the defaults the schema documents", () => {
    const byName = new Map(parameters(main).map((p) => [p.name, p]));
    let compared = 0;
    for (const setting of infraSettings) {
      const entry = appSettings.find((e) => e.key === setting.name);
      if (!entry || setting.default === undefined) continue;
      const ids = [...identifiersIn(entry.value)].filter((id) => byName.has(id));
      if (ids.length !== 1) continue;
      const value = literal(byName.get(ids[0]!)!.defaultValue);
      if (value === undefined || value === "") continue; // '' = the app's own default
      expect(String(value), `${setting.name}: Bicep default vs schema default`).toBe(setting.default);
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
  });

  it("the ledger is reached through the table endpoint with the app's identity", () => {
    expect(entryText("ALERTS_STORAGE")).toBe("storage.outputs.tableEndpoint");
    expect(entryText("AZURE_CLIENT_ID")).toBe("identity.outputs.clientId");
    const storageOutputs = outputs(requireFile(files, "modules/storage.bicep"));
    expect(storageOutputs.find((o) => o.name === "tableEndpoint")?.value.text).toBe("storage.properties.primaryEndpoints.table");
  });

  it("the schedules can never be empty (the timer triggers read %JOBS_SCHEDULE% and %LICENSE_SCHEDULE%)", () => {
    for (const [setting, param] of [["JOBS_SCHEDULE", "jobsSchedule"], ["LICENSE_SCHEDULE", "licenseSchedule"]] as const) {
      expect(entryText(setting)).toBe(param);
      const minLength = parameters(main).find((p) => p.name === param)?.decorators.find((d) => d.name === "minLength");
      expect(Number(minLength?.args[0]?.text), param).toBeGreaterThan(0);
    }
  });

  it("the function app receives exactly these settings", () => {
    const fnModule = modules(main).find((m) => m.path === "modules/functionapp.bicep");
    const passed = property(fnModule?.body, "params.applicationSettings");
    expect(passed?.text).toBe("union(applicationSettings, optionalFeatureSettings)");
  });
});

function entryText(name: string): string | undefined {
  return appSettings.find((e) => e.key === name)?.value.text;
}

function hostSettingKeys(): string[] {
  const config = resources(requireFile(files, "modules/functionapp.bicep")).find((r) => r.type === "Microsoft.Web/sites/config");
  const props = property(config?.body, "properties");
  const [union] = props ? callsIn(props, "union") : [];
  return objectEntries(union?.args[1]).map((e) => e.key);
}

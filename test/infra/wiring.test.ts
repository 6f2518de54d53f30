/**
 * What the Bicep compiler would catch across files, and what azd relies on:
 * the parameters file matches main.bicep, every module call passes parameters
 * the module declares (and all it requires), no output leaks a secret, and
 * azure.yaml names the service the function app is tagged with.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { API_PROFILES, LOG_LEVELS } from "../../shared/config/schema.js";
import { AVEPOINT_ENVIRONMENTS, AVEPOINT_REGIONS } from "../../shared/config/environment.js";
import {
  allowedValues,
  callsIn,
  identifiersIn,
  INFRA_DIR,
  loadInfra,
  modules,
  objectKeys,
  outputs,
  parameters,
  property,
  REPO_ROOT,
  requireFile,
  stringLiteral,
  variables,
  type BicepFile,
} from "./bicep-tree.js";

let files: Map<string, BicepFile>;
let main: BicepFile;

beforeAll(async () => {
  files = await loadInfra();
  main = requireFile(files, "main.bicep");
});

interface ParametersFile {
  parameters: Record<string, { value?: unknown; reference?: unknown }>;
}

function readParametersFile(): ParametersFile {
  return JSON.parse(readFileSync(join(INFRA_DIR, "main.parameters.json"), "utf8")) as ParametersFile;
}

describe("main.parameters.json", () => {
  it("names only parameters main.bicep declares", () => {
    const declared = parameters(main).map((p) => p.name);
    for (const name of Object.keys(readParametersFile().parameters)) expect(declared, `${name} in main.parameters.json`).toContain(name);
  });

  it("gives every required parameter of main.bicep (no default)", () => {
    const given = Object.keys(readParametersFile().parameters);
    const required = parameters(main).filter((p) => p.defaultValue === undefined);
    expect(required.map((p) => p.name)).toEqual(expect.arrayContaining(["environmentName", "location", "avepointClientId"]));
    for (const p of required) expect(given, `required parameter ${p.name}`).toContain(p.name);
  });

  it("maps azd's environment (AZURE_ENV_NAME, AZURE_LOCATION, AZURE_PRINCIPAL_ID)", () => {
    const params = readParametersFile().parameters;
    expect(params.environmentName?.value).toBe("${AZURE_ENV_NAME}");
    expect(params.location?.value).toBe("${AZURE_LOCATION}");
    expect(params.principalId?.value).toBe("${AZURE_PRINCIPAL_ID}");
  });

  it("never routes a @secure() parameter through azd's plain-text .env file", () => {
    const given = Object.keys(readParametersFile().parameters);
    for (const p of parameters(main).filter((q) => q.isSecure)) expect(given, p.name).not.toContain(p.name);
  });

  it("uses defaults that main.bicep allows", () => {
    const byName = new Map(parameters(main).map((p) => [p.name, p]));
    for (const [name, entry] of Object.entries(readParametersFile().parameters)) {
      const fallback = typeof entry.value === "string" ? /^\$\{[A-Z0-9_]+=(.*)\}$/.exec(entry.value)?.[1] : undefined;
      const allowed = allowedValues(byName.get(name)!);
      if (fallback !== undefined && allowed) expect(allowed, `${name} default ${fallback}`).toContain(fallback);
    }
  });
});

describe("main.bicep parameters match the code's choices", () => {
  it.each([
    ["avepointEnvironment", [...AVEPOINT_ENVIRONMENTS]],
    ["avepointRegion", ["", ...AVEPOINT_REGIONS]],
    ["avepointApiProfile", [...API_PROFILES]],
    ["logLevel", [...LOG_LEVELS]],
  ])("%s allows exactly what shared/config accepts", (name, expected) => {
    const param = parameters(main).find((p) => p.name === name);
    expect(param, name).toBeDefined();
    expect(allowedValues(param!)).toEqual(expected);
  });

  it("has a parameter for everything a user chooses", () => {
    const names = parameters(main).map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "environmentName",
        "location",
        "namePrefix",
        "avepointClientId",
        "avepointClientSecret",
        "avepointCertificatePem",
        "avepointEnvironment",
        "avepointRegion",
        "avepointApiProfile",
        "jobsSchedule",
        "licenseSchedule",
        "licenseWarnPercent",
        "licenseCriticalPercent",
        "alertTenantName",
        "teamsWebhookUrl",
        "alertEmail",
        "deployBot",
      ]),
    );
  });

  it("keeps credentials in @secure() parameters", () => {
    const secure = parameters(main).filter((p) => p.isSecure).map((p) => p.name);
    expect(secure.sort()).toEqual(["avepointCertificatePem", "avepointClientSecret", "heartbeatUrl", "smtpPassword", "teamsWebhookUrl"]);
    for (const [fileName, file] of files) {
      for (const p of parameters(file)) {
        if (/secret|password|webhook|certificatePem/i.test(p.name)) expect(p.isSecure, `${fileName}: ${p.name}`).toBe(true);
      }
    }
  });

  it("switches the optional modules off by default", () => {
    expect(parameters(main).find((p) => p.name === "deployBot")?.defaultValue?.text).toBe("false");
    const bot = modules(main).find((m) => m.path === "modules/bot.bicep");
    expect(bot?.condition?.text).toBe("(deployBot)");
    for (const name of ["emailFrom", "emailTo"]) expect(parameters(main).find((p) => p.name === name)?.defaultValue?.text).toBe("''");
  });
});

describe("modules", () => {
  it("each module call passes only declared parameters and every required one", () => {
    const calls = [...files.entries()].flatMap(([fileName, file]) => modules(file).map((m) => ({ fileName, module: m })));
    expect(calls.length).toBeGreaterThanOrEqual(7);
    for (const { fileName, module } of calls) {
      const target = requireFile(files, join(fileName, "..", module.path).replace(/\\/g, "/"));
      const declared = parameters(target);
      const passed = objectKeys(property(module.body, "params"));
      const where = `${fileName}: module ${module.symbol} (${module.path})`;
      for (const name of passed) expect(declared.map((p) => p.name), `${where} passes ${name}`).toContain(name);
      for (const p of declared.filter((q) => q.defaultValue === undefined)) expect(passed, `${where} misses ${p.name}`).toContain(p.name);
    }
  });

  it("module outputs used by main.bicep exist", () => {
    const bySymbol = new Map(modules(main).map((m) => [m.symbol, m.path]));
    for (const match of main.source.matchAll(/\b([A-Za-z]\w*)\.outputs\.(\w+)/g)) {
      const path = bySymbol.get(match[1]!);
      expect(path, `${match[0]}: unknown module`).toBeDefined();
      const names = outputs(requireFile(files, path!)).map((o) => o.name);
      expect(names, match[0]).toContain(match[2]);
    }
  });
});

describe("outputs and keys", () => {
  it("no output carries a @secure() parameter, directly or through a variable", () => {
    for (const [fileName, file] of files) {
      const tainted = new Set(parameters(file).filter((p) => p.isSecure).map((p) => p.name));
      // Spread the taint through variables until nothing changes.
      for (let changed = true; changed; ) {
        changed = false;
        for (const v of variables(file)) {
          if (!tainted.has(v.name) && [...identifiersIn(v.value)].some((id) => tainted.has(id))) {
            tainted.add(v.name);
            changed = true;
          }
        }
      }
      for (const output of outputs(file)) {
        const leaked = [...identifiersIn(output.value)].filter((id) => tainted.has(id));
        expect(leaked, `${fileName}: output ${output.name}`).toEqual([]);
      }
    }
  });

  it("no template reads keys or secrets with list*() (listKeys, listSecrets, listConnectionStrings...)", () => {
    for (const [fileName, file] of files) {
      const lists = callsIn(file.root).filter((c) => /^list/i.test(c.name));
      expect(lists.map((c) => c.node.text), fileName).toEqual([]);
      expect(file.source, fileName).not.toMatch(/\.listKeys\(|listKeys\(/);
    }
  });

  // With local auth disabled it only says where telemetry goes (modules/monitoring.bicep).
  const NOT_CREDENTIALS = new Set(["applicationInsightsConnectionString"]);

  it("no output is named like a credential", () => {
    for (const [fileName, file] of files) {
      for (const output of outputs(file)) {
        if (NOT_CREDENTIALS.has(output.name)) continue;
        expect(output.name, fileName).not.toMatch(/password|secret(?!_?(uris|names))|key$|connectionstring|token/i);
      }
    }
  });
});

describe("azure.yaml", () => {
  function readAzureYaml(): string {
    const path = join(REPO_ROOT, "azure.yaml");
    expect(existsSync(path), "azure.yaml is missing").toBe(true);
    return readFileSync(path, "utf8");
  }

  it("declares one function service in TypeScript, deployed from the project root", () => {
    const yaml = parseYaml(readAzureYaml()) as Record<string, unknown>;
    const services = yaml.services as Record<string, Record<string, string>>;
    const names = Object.keys(services);
    expect(names).toHaveLength(1);
    expect(services[names[0]!]).toMatchObject({ project: ".", language: "ts", host: "function" });
    expect(yaml.infra).toMatchObject({ provider: "bicep", path: "infra" });
  });

  it("names the service the function app is tagged with", () => {
    const yaml = parseYaml(readAzureYaml()) as Record<string, unknown>;
    const [service] = Object.keys(yaml.services as object);
    const tagged = variables(main).find((v) => v.name === "azdServiceName");
    expect(stringLiteral(tagged?.value)).toBe(service);
    const fnModule = modules(main).find((m) => m.path === "modules/functionapp.bicep");
    expect(property(fnModule?.body, "params.azdServiceName")?.text).toBe("azdServiceName");
    expect(requireFile(files, "modules/functionapp.bicep").source).toContain("'azd-service-name': azdServiceName");
  });

  it("deploys what npm run package produces (package.json main names the bundled entries)", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { main?: string; scripts?: Record<string, string> };
    expect(pkg.main).toBe("dist/bundle/functions/*.js");
    expect(pkg.scripts?.build).toBeDefined();
    expect(pkg.scripts?.package).toBeDefined();
  });
});

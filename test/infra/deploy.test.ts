/**
 * What a first deployment depends on beyond the templates' syntax: azure.yaml
 * deploys the package `npm run package` builds, any receiver mix gets only the
 * secret settings it uses, and the review's deployment defects stay fixed
 * (shared/reviews/infra.md D1-D13 in the project notes).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { callsIn, loadInfra, modules, parameters, property, REPO_ROOT, requireFile, resources, variables, type BicepFile } from "./bicep-tree.js";

let files: Map<string, BicepFile>;
let main: BicepFile;
beforeAll(async () => {
  files = await loadInfra();
  main = requireFile(files, "main.bicep");
});

interface AzureYaml {
  requiredVersions?: { azd?: string };
  services: Record<string, { project: string; language: string; host: string; dist?: string; remoteBuild?: boolean; hooks?: Record<string, Record<string, { shell?: string; run?: string }>> }>;
}
const azureYaml = () => parse(readFileSync(join(REPO_ROOT, "azure.yaml"), "utf8")) as AzureYaml;

describe("azure.yaml deploys the package npm run package builds", () => {
  it("pins the azd versions whose packaging was checked (1.23.13 fixed .funcignore handling)", () => {
    expect(azureYaml().requiredVersions?.azd).toBe(">= 1.23.13");
  });

  it("deploys dist/package as it is: no remote build, built by a prepackage hook on every OS", () => {
    const [service] = Object.values(azureYaml().services);
    expect(service).toMatchObject({ project: ".", language: "ts", host: "function", dist: "dist/package", remoteBuild: false });
    for (const os of ["posix", "windows"]) expect(service?.hooks?.["prepackage"]?.[os]?.run, os).toBe("npm run package");
  });

  it("has no .funcignore: nothing to negate, and node_modules never reaches the package", () => {
    // azd reads the project root's .funcignore to infer remote builds; with remoteBuild: false it must not exclude node_modules.
    expect(existsSync(join(REPO_ROOT, ".funcignore"))).toBe(false);
  });
});

describe("any receiver mix deploys", () => {
  const setting = (name: string) => variables(main).find((v) => v.name === "applicationSettings")?.value && property(variables(main).find((v) => v.name === "applicationSettings")!.value, name)?.text;

  it("sets TEAMS_WEBHOOK_URL only when a Workflows webhook is one of the receivers", () => {
    expect(setting("TEAMS_WEBHOOK_URL")).toBe("teamsWorkflows ? keyVaultReference(keyVault.outputs.secretUris.teamsWebhookUrl) : ''");
    const param = parameters(main).find((p) => p.name === "teamsWorkflows");
    expect(param?.type).toBe("bool");
    // Email-only and bot-only deployments need not say so twice.
    expect(param?.defaultValue?.text).toBe("empty(emailTo) && !deployBot");
  });

  it("every other secret setting is conditional on its receiver or credential", () => {
    for (const name of ["AVEPOINT_CLIENT_SECRET", "AVEPOINT_CERTIFICATE", "HEARTBEAT_URL", "SMTP_PASSWORD", "TEAMS_WEBHOOK_URL"]) {
      expect(setting(name), name).toMatch(/^.+ \? (keyVaultReference\(.+\) : ''|'' : keyVaultReference\(.+\))$/);
    }
  });
});

describe("the review's Bicep findings", () => {
  it("names alert rules and the action group per environment (resourceToken), so two environments never share them", () => {
    const alerts = requireFile(files, "modules/alerts.bicep");
    const names = resources(alerts).map((r) => property(r.body, "name")?.text ?? "");
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const name of names) expect(name).toContain("${resourceToken}");
    expect(property(modules(main).find((m) => m.path === "modules/alerts.bicep")?.body, "params.resourceToken")?.text).toBe("resourceToken");
  });

  it("grants no Storage Queue role: nothing uses queues", () => {
    const storage = requireFile(files, "modules/storage.bicep");
    expect(storage.source).not.toContain("974c5e8b-45b9-4653-ba55-5f855dd0fb88");
  });

  it("checks namePrefix and the table prefix before any resource is created (fail() with the rule)", () => {
    for (const [variable, param] of [
      ["prefix", "namePrefix"],
      ["tablePrefix", "alertsTablePrefix"],
    ] as const) {
      const value = variables(main).find((v) => v.name === variable)?.value;
      expect(value, variable).toBeDefined();
      expect(value!.text).toContain(param);
      expect(callsIn(value!, "fail").length, variable).toBe(1);
    }
    // The resource names go through the checked variables (so fail() is evaluated before any is created).
    expect(main.source.match(/\$\{(alertsTablePrefix|namePrefix)\}/g) ?? []).toEqual([]);
    expect(variables(main).find((v) => v.name === "ledgerTableNames")!.value.text).toContain("${tablePrefix}alerts");
  });

  it("turns source maps on, so stack traces from the bundle name TypeScript lines", () => {
    expect(requireFile(files, "modules/functionapp.bicep").source).toMatch(/NODE_OPTIONS: '--enable-source-maps'/);
  });

  it("has no stale references to files that do not exist", () => {
    for (const [name, file] of files) {
      for (const [, path] of file.source.matchAll(/\b((?:test|docs|shared|functions)\/[\w./-]+\.(?:ts|md))\b/g)) {
        expect(existsSync(join(REPO_ROOT, path!)), `${name} names ${path}`).toBe(true);
      }
    }
    for (const [, path] of readFileSync(join(REPO_ROOT, "azure.yaml"), "utf8").matchAll(/\b((?:docs|infra)\/[\w./-]+\.\w+)\b/g)) {
      expect(existsSync(join(REPO_ROOT, path!)), `azure.yaml names ${path}`).toBe(true);
    }
  });

  it("documents a CLI publish that works on a fresh clone: from dist/package, with --javascript (review D3)", () => {
    const deploy = readFileSync(join(REPO_ROOT, "docs", "DEPLOY.md"), "utf8");
    // Without a language flag Core Tools looks for local.settings.json, which a fresh clone does not have.
    for (const publish of deploy.match(/func azure functionapp publish[^\n]*/g) ?? []) expect(publish).toContain("--javascript");
    expect(deploy).toMatch(/cd dist\/package[\s\S]{0,200}func azure functionapp publish/);
    expect(deploy).toContain("npm run package");
  });
});

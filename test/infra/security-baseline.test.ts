/**
 * The security baseline of the deployment, checked on the parsed Bicep: what a
 * reviewer would otherwise verify by reading every module.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
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
  REPO_ROOT,
  requireFile,
  resources,
  stringLiteral,
  variables,
  type BicepFile,
  type BicepResource,
} from "./bicep-tree.js";

let files: Map<string, BicepFile>;
let main: BicepFile;

beforeAll(async () => {
  files = await loadInfra();
  main = requireFile(files, "main.bicep");
});

/** The one declared (not `existing`) resource of this type in the file. */
function theResource(fileName: string, type: string): BicepResource {
  const matches = resources(requireFile(files, fileName)).filter((r) => r.type === type && !r.existing);
  if (matches.length !== 1) throw new Error(`expected one ${type} in infra/${fileName}, found ${matches.length}`);
  return matches[0]!;
}

function valueAt(resource: BicepResource, path: string): string | number | boolean | undefined {
  return literal(property(resource.body, path));
}

function mainDefault(name: string): string | number | boolean | undefined {
  return literal(parameters(main).find((p) => p.name === name)?.defaultValue);
}

describe("storage account", () => {
  it("allows Entra ID access only, over TLS 1.2+, with no public blobs", () => {
    const storage = theResource("modules/storage.bicep", "Microsoft.Storage/storageAccounts");
    expect(valueAt(storage, "properties.allowSharedKeyAccess")).toBe(false);
    expect(valueAt(storage, "properties.allowBlobPublicAccess")).toBe(false);
    expect(valueAt(storage, "properties.minimumTlsVersion")).toBe("TLS1_2");
    expect(valueAt(storage, "properties.supportsHttpsTrafficOnly")).toBe(true);
  });

  it("is tagged resource-usage: azure-functions", () => {
    const storage = theResource("modules/storage.bicep", "Microsoft.Storage/storageAccounts");
    const tags = property(storage.body, "tags");
    const tag = entriesIn(tags!).find((e) => e.key === "resource-usage");
    expect(stringLiteral(tag?.value)).toBe("azure-functions");
  });

  it("has a private deployment container and declares the ledger tables", () => {
    const container = theResource("modules/storage.bicep", "Microsoft.Storage/storageAccounts/blobServices/containers");
    expect(valueAt(container, "properties.publicAccess")).toBe("None");
    const tables = theResource("modules/storage.bicep", "Microsoft.Storage/storageAccounts/tableServices/tables");
    expect(tables.loop).toBe(true);

    const tableNames = variables(main).find((v) => v.name === "ledgerTableNames")?.value;
    const names = tableNames ? tableNames.namedChildren.map((n) => n?.text) : [];
    expect(names).toEqual(["'${tablePrefix}alerts'", "'${tablePrefix}checkpoints'"]);
    const storageModule = modules(main).find((m) => m.path === "modules/storage.bicep");
    expect(property(storageModule?.body, "params.tableNames")?.text).toBe("ledgerTableNames");
  });
});

describe("function app", () => {
  it("runs on the Flex Consumption plan", () => {
    const plan = theResource("modules/functionapp.bicep", "Microsoft.Web/serverfarms");
    expect(valueAt(plan, "sku.name")).toBe("FC1");
    expect(valueAt(plan, "sku.tier")).toBe("FlexConsumption");
  });

  it("is HTTPS only with TLS 1.2, no FTP, HTTP/2, no remote debugging", () => {
    const site = theResource("modules/functionapp.bicep", "Microsoft.Web/sites");
    expect(valueAt(site, "kind")).toBe("functionapp,linux");
    expect(valueAt(site, "properties.httpsOnly")).toBe(true);
    expect(valueAt(site, "properties.siteConfig.minTlsVersion")).toBe("1.2");
    expect(valueAt(site, "properties.siteConfig.ftpsState")).toBe("Disabled");
    expect(valueAt(site, "properties.siteConfig.http20Enabled")).toBe(true);
    expect(valueAt(site, "properties.siteConfig.remoteDebuggingEnabled")).toBe(false);
  });

  it("turns basic publishing credentials off for FTP and SCM", () => {
    const policies = resources(requireFile(files, "modules/functionapp.bicep")).filter(
      (r) => r.type === "Microsoft.Web/sites/basicPublishingCredentialsPolicies",
    );
    const byName = Object.fromEntries(policies.map((p) => [valueAt(p, "name"), valueAt(p, "properties.allow")]));
    expect(byName).toEqual({ ftp: false, scm: false });
  });

  it("uses only its user-assigned identity, also for Key Vault references and the deployment container", () => {
    const site = theResource("modules/functionapp.bicep", "Microsoft.Web/sites");
    expect(valueAt(site, "identity.type")).toBe("UserAssigned");
    expect(property(site.body, "properties.keyVaultReferenceIdentity")?.text).toBe("identityId");
    const storage = property(site.body, "properties.functionAppConfig.deployment.storage");
    expect(literal(property(storage, "type"))).toBe("blobContainer");
    expect(literal(property(storage, "authentication.type"))).toBe("UserAssignedIdentity");
    expect(property(storage, "authentication.userAssignedIdentityResourceId")?.text).toBe("identityId");
  });

  it("runs Node 22 with bounded instances and memory", () => {
    const site = theResource("modules/functionapp.bicep", "Microsoft.Web/sites");
    expect(valueAt(site, "properties.functionAppConfig.runtime.name")).toBe("node");
    expect(valueAt(site, "properties.functionAppConfig.runtime.version")).toBe("22");
    expect(property(site.body, "properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount")?.text).toBe("maximumInstanceCount");
    expect(property(site.body, "properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB")?.text).toBe("instanceMemoryMB");
    // Timer triggers are singletons: a low cap costs nothing and bounds a runaway.
    expect(mainDefault("maximumInstanceCount")).toBeLessThanOrEqual(40);
    expect(mainDefault("instanceMemoryMB")).toBe(2048);
  });

  it("reaches host storage and Application Insights with the identity, not with keys", () => {
    const settings = hostSettings();
    expect(settings.get("AzureWebJobsStorage__accountName")).toBe("hostStorageAccountName");
    expect(settings.get("AzureWebJobsStorage__credential")).toBe("'managedidentity'");
    expect(settings.get("AzureWebJobsStorage__clientId")).toBe("identityClientId");
    expect(settings.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")).toBe("'ClientId=${identityClientId};Authorization=AAD'");
    expect(settings.get("APPLICATIONINSIGHTS_CONNECTION_STRING")).toBe("applicationInsightsConnectionString");
  });

  it("takes the Application Insights connection string from the component's properties, not from a name", () => {
    const fnModule = modules(main).find((m) => m.path === "modules/functionapp.bicep");
    expect(property(fnModule?.body, "params.applicationInsightsConnectionString")?.text).toBe(
      "monitoring.outputs.applicationInsightsConnectionString",
    );
    const monitoring = requireFile(files, "modules/monitoring.bicep");
    const output = outputsOf(monitoring).get("applicationInsightsConnectionString");
    expect(output).toBe("applicationInsights.properties.ConnectionString");
  });
});

describe("Application Insights and Log Analytics", () => {
  it("is workspace-based and refuses telemetry without Entra ID auth", () => {
    const component = theResource("modules/monitoring.bicep", "Microsoft.Insights/components");
    expect(valueAt(component, "properties.DisableLocalAuth")).toBe(true);
    expect(property(component.body, "properties.WorkspaceResourceId")?.text).toBe("workspace.id");
    theResource("modules/monitoring.bicep", "Microsoft.OperationalInsights/workspaces");
  });
});

describe("Key Vault", () => {
  it("uses RBAC, soft delete and purge protection", () => {
    const vault = theResource("modules/keyvault.bicep", "Microsoft.KeyVault/vaults");
    expect(valueAt(vault, "properties.enableRbacAuthorization")).toBe(true);
    expect(valueAt(vault, "properties.enableSoftDelete")).toBe(true);
    expect(valueAt(vault, "properties.enablePurgeProtection")).toBe(true);
    expect(property(vault.body, "properties.accessPolicies")).toBeUndefined();
  });

  it("creates each secret from its @secure() parameter, only when one was given", () => {
    const file = requireFile(files, "modules/keyvault.bicep");
    const secure = parameters(file).filter((p) => p.isSecure);
    expect(secure.map((p) => p.name).sort()).toEqual(["avepointCertificatePem", "avepointClientSecret", "heartbeatUrl", "smtpPassword", "teamsWebhookUrl"]);
    const secrets = resources(file).filter((r) => r.type === "Microsoft.KeyVault/vaults/secrets");
    expect(secrets).toHaveLength(secure.length);
    for (const secret of secrets) {
      const value = property(secret.body, "properties.value")?.text;
      expect(secure.map((p) => p.name)).toContain(value);
      expect(secret.condition?.text).toBe(`(!empty(${value}))`);
    }
  });

  it("every secure parameter of main.bicep reaches Key Vault and nothing else", () => {
    const secure = parameters(main).filter((p) => p.isSecure).map((p) => p.name);
    expect(secure.length).toBeGreaterThan(0);
    for (const name of secure) {
      const users = modules(main).filter((m) => m.body && identifiersIn(m.body).has(name));
      expect(users.map((m) => m.path), name).toEqual(["modules/keyvault.bicep"]);
      const usedInVariables = variables(main).filter((v) => identifiersIn(v.value).has(name));
      expect(usedInVariables.map((v) => v.name), name).toEqual([]);
    }
  });
});

describe("role assignments", () => {
  const appRoles: Array<[string, string, string, string]> = [
    ["Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "modules/storage.bicep", "Microsoft.Storage/storageAccounts"],
    ["Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "modules/storage.bicep", "Microsoft.Storage/storageAccounts"],
    ["Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb", "modules/monitoring.bicep", "Microsoft.Insights/components"],
    ["Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6", "modules/keyvault.bicep", "Microsoft.KeyVault/vaults"],
  ];

  it.each(appRoles)("grants %s to the app identity on the resource itself", (_role, roleId, fileName, scopeType) => {
    const file = requireFile(files, fileName);
    expect(file.source).toContain(`'${roleId}'`);
    const assignments = resources(file).filter((r) => r.type === "Microsoft.Authorization/roleAssignments");
    const forApp = assignments.filter((a) => property(a.body, "properties.principalId")?.text === "appPrincipalId");
    expect(forApp.length).toBeGreaterThan(0);
    for (const assignment of forApp) {
      const scope = property(assignment.body, "scope")?.text;
      const scoped = resources(file).find((r) => r.symbol === scope);
      expect(scoped?.type, `${fileName}: scope of ${assignment.symbol}`).toBe(scopeType);
      expect(literal(property(assignment.body, "properties.principalType"))).toBe("ServicePrincipal");
    }
  });

  it("names every assignment with guid() over the scope, the principal and the role, scoped to a resource", () => {
    let count = 0;
    for (const [fileName, file] of files) {
      for (const assignment of resources(file).filter((r) => r.type === "Microsoft.Authorization/roleAssignments")) {
        count++;
        const where = `${fileName}: ${assignment.symbol}`;
        const name = property(assignment.body, "name");
        const [guidCall] = name ? callsIn(name) : [];
        expect(guidCall?.name, where).toBe("guid");
        expect(guidCall?.node.equals(name!), where).toBe(true);
        expect(guidCall?.args.length, where).toBe(3);
        expect(guidCall?.args[0]?.text, where).toMatch(/\.id$/);
        expect(guidCall?.args[1]?.text, where).toBe(property(assignment.body, "properties.principalId")?.text);
        // A scope property means the assignment sits on one resource, not on the resource group.
        expect(property(assignment.body, "scope"), where).toBeDefined();
        expect(property(assignment.body, "properties.principalType"), where).toBeDefined();
        const definition = property(assignment.body, "properties.roleDefinitionId");
        expect(callsIn(definition!).map((c) => c.name), where).toContain("subscriptionResourceId");
      }
    }
    expect(count).toBeGreaterThanOrEqual(4);
  });

  it("never grants Owner, Contributor or User Access Administrator", () => {
    const broad = ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"];
    for (const [fileName, file] of files) {
      for (const id of broad) expect(file.source, fileName).not.toContain(id);
    }
  });
});

describe("the monitor of the monitor", () => {
  it("emails the address given as a parameter", () => {
    const group = theResource("modules/alerts.bicep", "Microsoft.Insights/actionGroups");
    const receivers = property(group.body, "properties.emailReceivers");
    expect(receivers?.text).toContain("emailAddress: alertEmail");
    const alertsModule = modules(main).find((m) => m.path === "modules/alerts.bicep");
    expect(property(alertsModule?.body, "params.alertEmail")?.text).toBe("alertEmail");
  });

  it("alerts on failed function executions", () => {
    const rule = ruleWithQuery("success == false");
    expect(valueAt(rule, "properties.criteria.allOf")).toBeUndefined();
    const criterion = property(rule.body, "properties.criteria.allOf")?.namedChildren.find((n) => n?.type === "object");
    expect(literal(property(criterion!, "operator"))).toBe("GreaterThan");
    expect(literal(property(criterion!, "threshold"))).toBe(0);
    expect(property(rule.body, "properties.actions.actionGroups")?.text).toBe("actionGroupIds");
  });

  it("alerts when the jobs monitor has not succeeded for three of its intervals", () => {
    const rule = ruleWithQuery("success == true");
    const criterion = property(rule.body, "properties.criteria.allOf")?.namedChildren.find((n) => n?.type === "object");
    expect(property(criterion!, "query")?.text).toContain("name == \\'${jobsFunctionName}\\'");
    expect(literal(property(criterion!, "timeAggregation"))).toBe("Count");
    expect(literal(property(criterion!, "operator"))).toBe("LessThan");
    expect(literal(property(criterion!, "threshold"))).toBe(1);
    expect(property(rule.body, "properties.windowSize")?.text).toBe("heartbeatWindow");
    expect(property(rule.body, "properties.actions.actionGroups")?.text).toBe("actionGroupIds");

    // The alert queries the name the jobs function is registered under.
    const fnName = literal(variables(main).find((v) => v.name === "jobsFunctionName")?.value);
    expect(fnName).toBe("jobsMonitor");
    const registration = readFileSync(join(REPO_ROOT, "functions", "jobsMonitor.ts"), "utf8");
    expect(registration).toMatch(new RegExp(`name:\\s*"${fnName}"|app\\.timer\\(\\s*"${fnName}"`));

    // Three intervals of the default schedule (every 5 minutes) = 15 minutes.
    const schedule = String(mainDefault("jobsSchedule"));
    const everyMinutes = Number(/^0 \*\/(\d+) \* \* \* \*$/.exec(schedule)?.[1]);
    expect(mainDefault("heartbeatWindow")).toBe(`PT${3 * everyMinutes}M`);
  });
});

describe("telemetry the alerts rely on", () => {
  it("host.json keeps request telemetry out of sampling, so a missing request row means a missing run", () => {
    const host = JSON.parse(readFileSync(join(REPO_ROOT, "host.json"), "utf8")) as {
      logging?: { applicationInsights?: { samplingSettings?: { isEnabled?: boolean; excludedTypes?: string } } };
    };
    const sampling = host.logging?.applicationInsights?.samplingSettings;
    if (sampling?.isEnabled === false) return;
    expect((sampling?.excludedTypes ?? "").split(";").map((t) => t.trim())).toContain("Request");
  });
});

describe("flaws of the samples, not copied", () => {
  it("no timer function runs on startup", () => {
    const dir = join(REPO_ROOT, "functions");
    const sources = readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .map((f) => [f, readFileSync(join(dir, f), "utf8")] as const);
    for (const [name, text] of sources) expect(text, `functions/${name}`).not.toMatch(/runOnStartup\s*:\s*true/);
  });

  it("sets no app setting the Flex Consumption plan rejects or that carries a key", () => {
    const forbidden = [
      "FUNCTIONS_WORKER_RUNTIME",
      "FUNCTIONS_EXTENSION_VERSION",
      "WEBSITE_RUN_FROM_PACKAGE",
      "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
      "WEBSITE_CONTENTSHARE",
      "AzureWebJobsStorage",
      "APPINSIGHTS_INSTRUMENTATIONKEY",
    ];
    for (const [fileName, file] of files) {
      const keys = entriesIn(file.root).map((e) => e.key);
      for (const key of forbidden) expect(keys, `${fileName} sets ${key}`).not.toContain(key);
    }
  });
});

function hostSettings(): Map<string, string> {
  const config = theResource("modules/functionapp.bicep", "Microsoft.Web/sites/config");
  expect(valueAt(config, "name")).toBe("appsettings");
  const props = property(config.body, "properties");
  const [union] = props ? callsIn(props, "union") : [];
  expect(union?.args[0]?.text).toBe("applicationSettings");
  return new Map(objectEntries(union?.args[1]).map((e) => [e.key, e.value.text]));
}

function outputsOf(file: BicepFile): Map<string, string> {
  return new Map(outputs(file).map((o) => [o.name, o.value.text]));
}

function ruleWithQuery(fragment: string): BicepResource {
  const rules = resources(requireFile(files, "modules/alerts.bicep")).filter((r) => r.type === "Microsoft.Insights/scheduledQueryRules");
  const matching = rules.filter((r) => property(r.body, "properties.criteria")?.text.includes(fragment));
  if (matching.length !== 1) throw new Error(`expected one scheduled query rule with "${fragment}", found ${matching.length}`);
  return matching[0]!;
}

import { describe, expect, it } from "vitest";
import { settingProblems } from "../support/setting-problems.js";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";

const ROOT = new URL("../..", import.meta.url).pathname;
import { ConfigError, loadSettings, parseSettings, SCHEMA_VARIABLES, SETTINGS } from "../../shared/config/index.js";

const base = {
  AVEPOINT_CLIENT_ID: "app-1",
  AVEPOINT_CLIENT_SECRET: "s3cr3t-value",
  AzureWebJobsStorage: "UseDevelopmentStorage=true",
  TEAMS_WEBHOOK_URL: "https://prod-01.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=base-sig",
};

/** The problems of values that must not parse (a test of a refusal fails when they do). */
function problemsOf(values: Record<string, string>): { variable: string; message: string }[] {
  const problems = settingProblems(values);
  if (problems.length === 0) throw new Error("expected a ConfigError");
  return problems;
}

describe("settings", () => {
  it("applies the documented defaults", () => {
    const s = parseSettings(base);
    expect(s.avepoint.environment).toBe("commercial");
    expect(s.avepoint.region).toBe("us");
    expect(s.avepoint.apiUrl).toBe("https://graph-us.avepointonlineservices.com");
    expect(s.avepoint.tokenUrl).toBe("https://identity.avepointonlineservices.com/connect/token");
    expect(s.avepoint.profile).toBe("auto");
    expect(s.avepoint.pageSize).toBe(100);
    expect(s.logLevel).toBe("info");
    expect(s.jobs).toEqual({
      schedule: "0 */5 * * * *",
      lookbackHours: 24,
      overlapMinutes: 15,
      alertStates: ["Failed", "FinishedException", "PartiallyFinished"],
      jobTypes: [],
    });
    expect(s.alerts).toEqual({ tenantName: "default", groupThreshold: 3, sendResolved: true });
    expect(s.avepoint.credential.kind).toBe("secret");
  });

  it.each([
    ["gov", undefined, "https://graph-gov.avepointonlineservices.com", "https://identity-gov.avepointonlineservices.com/connect/token"],
    ["aos2", undefined, "https://graph-aos2.avepointonlineservices.com", "https://identity-aos2.avepointonlineservices.com/connect/token"],
    ["fedramp", undefined, "https://graphusgovapi.online15.net", "https://identity.online15.net/connect/token"],
    ["commercial", "gcp-we", "https://graph-gcp-we.avepointonlineservices.com", "https://identity.avepointonlineservices.com/connect/token"],
    ["COMMERCIAL", "UK", "https://graph-uk.avepointonlineservices.com", "https://identity.avepointonlineservices.com/connect/token"],
  ])("environment %s region %s picks both URLs", (environment, region, api, token) => {
    const s = parseSettings({ ...base, AVEPOINT_ENVIRONMENT: environment, ...(region ? { AVEPOINT_REGION: region } : {}) });
    expect(s.avepoint.apiUrl).toBe(api);
    expect(s.avepoint.tokenUrl).toBe(token);
  });

  it.each([
    ["commercial", "gov", "gov"],
    ["gov", "us", "commercial"],
    ["fedramp", "aos2", "aos2"],
  ])("refuses environment %s with the %s data center (a token of one environment does not open the other's API)", (environment, region, owner) => {
    const problems = problemsOf({ ...base, AVEPOINT_ENVIRONMENT: environment, AVEPOINT_REGION: region });
    expect(problems).toEqual([{ variable: "AVEPOINT_REGION", message: expect.stringContaining(`the ${region} data center belongs to the ${owner} environment, but AVEPOINT_ENVIRONMENT is ${environment}`) }]);
    // Explicit URLs decide for themselves.
    expect(parseSettings({ ...base, AVEPOINT_ENVIRONMENT: environment, AVEPOINT_REGION: region, AVEPOINT_API_URL: "https://graph-x.example" }).avepoint.apiUrl).toBe("https://graph-x.example");
  });

  it("reads AVEPOINT_LOCATION as AvePoint names the Multi-Geo locations, and refuses others", () => {
    expect(parseSettings({ ...base, AVEPOINT_LOCATION: "nam" }).avepoint.location).toBe("NAM");
    expect(parseSettings(base).avepoint.location).toBeUndefined();
    expect(problemsOf({ ...base, AVEPOINT_LOCATION: "Mars" }).map((p) => p.variable)).toEqual(["AVEPOINT_LOCATION"]);
  });

  it("lets explicit URLs override the derived ones, http only for loopback", () => {
    const s = parseSettings({ ...base, AVEPOINT_API_URL: "http://127.0.0.1:4000/", AVEPOINT_TOKEN_URL: "http://localhost:4000/connect/token" });
    expect(s.avepoint.apiUrl).toBe("http://127.0.0.1:4000");
    expect(s.avepoint.tokenUrl).toBe("http://localhost:4000/connect/token");
    expect(problemsOf({ ...base, AVEPOINT_API_URL: "http://example.com" }).map((p) => p.variable)).toEqual(["AVEPOINT_API_URL"]);
  });

  it("reports every problem at once, each by variable name", () => {
    const problems = problemsOf({
      AVEPOINT_ENVIRONMENT: "mars",
      AVEPOINT_REGION: "xx",
      AVEPOINT_API_PROFILE: "v9",
      AVEPOINT_PAGE_SIZE: "0",
      LOG_LEVEL: "loud",
      JOBS_LOOKBACK_HOURS: "soon",
      ALERT_JOB_STATES: "Failed,Exploded",
      ALERT_SEND_RESOLVED: "maybe",
      JOBS_SCHEDULE: "every 5 minutes",
    });
    expect(problems.map((p) => p.variable).sort()).toEqual(
      [
        "ALERT_JOB_STATES",
        "ALERT_SEND_RESOLVED",
        "AVEPOINT_API_PROFILE",
        "AVEPOINT_CLIENT_ID",
        "AVEPOINT_CLIENT_SECRET, AVEPOINT_CERTIFICATE, AVEPOINT_CERTIFICATE_PATH",
        "AVEPOINT_ENVIRONMENT",
        "AVEPOINT_PAGE_SIZE",
        "AVEPOINT_REGION",
        "AzureWebJobsStorage, ALERTS_STORAGE",
        "JOBS_LOOKBACK_HOURS",
        "JOBS_SCHEDULE",
        "LOG_LEVEL",
        "TEAMS_WEBHOOK_URL, EMAIL_TO",
      ].sort(),
    );
    const message = new ConfigError(problems).message;
    expect(message).toContain("13 problems");
    expect(message).toContain('LOG_LEVEL: must be one of error, warn, info, debug (got "loud")');
  });

  it("treats an empty value as unset", () => {
    const s = parseSettings({ ...base, AVEPOINT_REGION: "", LOG_LEVEL: "  ", AVEPOINT_CERTIFICATE: "" });
    expect(s.avepoint.region).toBe("us");
    expect(s.logLevel).toBe("info");
  });

  it("wants exactly one credential and names the variables involved", () => {
    const both = problemsOf({ ...base, AVEPOINT_CERTIFICATE_PATH: "/x.pem" });
    expect(both).toHaveLength(1);
    expect(both[0]!.variable).toBe("AVEPOINT_CLIENT_SECRET, AVEPOINT_CERTIFICATE_PATH");
    const none = problemsOf({ ...base, AVEPOINT_CLIENT_SECRET: "" });
    expect(none[0]!.message).toMatch(/no credential/);
  });

  it("never echoes a secret value in errors or when printed", () => {
    const secretUrl = "https://prod.westus.logic.azure.com/workflows/abc?sig=TOPSECRETSIG";
    const s = parseSettings({ ...base, TEAMS_WEBHOOK_URL: secretUrl });
    expect(JSON.stringify(s)).not.toContain("s3cr3t-value");
    expect(JSON.stringify(s)).not.toContain("TOPSECRETSIG");
    expect(inspect(s, { depth: 10 })).not.toContain("s3cr3t-value");
    expect(`${s.teams.webhookUrl}`).toBe("[redacted]");
    expect(s.teams.webhookUrl?.reveal()).toBe(secretUrl);

    const problems = problemsOf({ ...base, TEAMS_WEBHOOK_URL: "http://example.com/hook?sig=TOPSECRETSIG" });
    expect(JSON.stringify(problems)).not.toContain("TOPSECRETSIG");
    expect(problems[0]!.variable).toBe("TEAMS_WEBHOOK_URL");
  });

  it("refuses legacy Office 365 connector URLs with directions to Workflows", () => {
    const problems = problemsOf({ ...base, TEAMS_WEBHOOK_URL: "https://contoso.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi" });
    expect(problems[0]!.message).toMatch(/no longer delivers.*Workflows/s);
  });

  it("reports an unresolved Key Vault reference as such, naming each setting, not as a bad value", () => {
    // The platform passes the reference's own text through when the secret is missing or unreadable.
    const reference = (name: string) => `@Microsoft.KeyVault(SecretUri=https://kv-cba-abc.vault.azure.net/secrets/${name})`;
    const problems = problemsOf({
      ...base,
      TEAMS_WEBHOOK_URL: reference("teams-webhook-url"),
      AVEPOINT_CLIENT_SECRET: ` ${reference("avepoint-client-secret")}`,
      LOG_LEVEL: "chatty",
    });
    expect(problems.map((p) => p.variable).sort()).toEqual(["AVEPOINT_CLIENT_SECRET", "LOG_LEVEL", "TEAMS_WEBHOOK_URL"]);
    for (const variable of ["TEAMS_WEBHOOK_URL", "AVEPOINT_CLIENT_SECRET"]) {
      const found = problems.find((p) => p.variable === variable)!;
      expect(found.message).toMatch(/^Key Vault reference not resolved/);
      expect(found.message).not.toMatch(/not a URL/);
    }
  });

  it("reads local.settings.json Values beneath the environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "cba-config-"));
    writeFileSync(
      join(dir, "local.settings.json"),
      JSON.stringify({ IsEncrypted: false, Values: { AVEPOINT_CLIENT_ID: "from-file", AVEPOINT_CLIENT_SECRET: "file-secret", LOG_LEVEL: "debug" } }),
    );
    const s = loadSettings({ env: { LOG_LEVEL: "warn", AVEPOINT_REGION: "" }, localSettingsDir: dir, requireAvePoint: false });
    expect(s.avepoint.clientId).toBe("from-file");
    expect(s.logLevel).toBe("warn");
  });

  it("names local.settings.json when it is not JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "cba-config-"));
    writeFileSync(join(dir, "local.settings.json"), "{ not json");
    expect(() => loadSettings({ env: {}, localSettingsDir: dir, requireAvePoint: false })).toThrow(/local.settings.json: is not valid JSON/);
  });

  it("asks for ledger storage and a receiver when the monitors will run", () => {
    const problems = problemsOf({ AVEPOINT_CLIENT_ID: "a", AVEPOINT_CLIENT_SECRET: "b" }).map((p) => p.variable);
    expect(problems).toEqual(["AzureWebJobsStorage, ALERTS_STORAGE", "TEAMS_WEBHOOK_URL, EMAIL_TO"]);
    const identity = parseSettings({ ...base, AzureWebJobsStorage: "", ALERTS_STORAGE: "https://acct.table.core.windows.net", AZURE_CLIENT_ID: "uami" });
    expect(identity.storage).toEqual({ kind: "accountUrl", url: "https://acct.table.core.windows.net", managedIdentityClientId: "uami" });
  });

  it("refuses a setting that was removed, naming what replaced it (a deployment upgraded in place)", () => {
    const problems = problemsOf({ ...base, JOBS_OVERLAP_MINUTES: "30", LICENSE_HYSTERESIS_PERCENT: "2" });
    expect(problems.map((p) => p.variable)).toEqual(["JOBS_OVERLAP_MINUTES", "LICENSE_HYSTERESIS_PERCENT"]);
    expect(problems[0]!.message).toMatch(/^was removed: later cycles always read from 15 minutes before the watermark/);
    expect(problems[1]!.message).toMatch(/^was removed: .*2 points below the warning threshold/);
    // The values they had are kept as constants.
    const s = parseSettings({ ...base, JOBS_OVERLAP_MINUTES: "", LICENSE_HYSTERESIS_PERCENT: " " });
    expect(s.jobs.overlapMinutes).toBe(15);
    expect(s.license.hysteresisPercent).toBe(2);
    expect(SCHEMA_VARIABLES).not.toContain("JOBS_OVERLAP_MINUTES");
  });

  it("every setting the application reads by name is a row of the schema (so it is parsed, documented and checked against the Bicep)", () => {
    // Reads outside the schema's own parse: env["X"], values["X"], raw["X"], and names kept in a *_VARIABLE constant.
    const read = new Set<string>();
    for (const dir of ["shared", "functions"]) {
      for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))) {
        const text = readFileSync(join(ROOT, dir, file), "utf8");
        for (const m of text.matchAll(/\b(?:env|values|raw)\["([A-Za-z_]+)"\]|_VARIABLE = "([A-Za-z_]+)"/g)) read.add((m[1] ?? m[2])!);
      }
    }
    expect(read.size).toBeGreaterThan(3);
    expect([...read].filter((name) => !SCHEMA_VARIABLES.includes(name))).toEqual([]);
  });

  it("reads each documented default, written out, as if the setting were unset", () => {
    // The table shows plain defaults (a word or a number) as they are written; prose defaults are skipped.
    const plain = SETTINGS.filter((s) => s.default !== undefined && /^[\w.:/*\- ]+$/.test(s.default) && !/ (the|all|when|off|none|derived)\b/.test(` ${s.default}`) && !/^[A-Z_]+$/.test(s.default));
    expect(plain.length).toBeGreaterThan(25);
    const unset = JSON.stringify(parseSettings(base));
    for (const s of plain) expect(JSON.stringify(parseSettings({ ...base, [s.name]: s.default! })), s.name).toBe(unset);
  });
});

/**
 * The ledger's storage: one setting, ALERTS_STORAGE, read by its shape (a
 * table endpoint URL → the managed identity; a connection string → as given,
 * never echoed), else the Functions host's AzureWebJobsStorage. The two
 * settings it replaced are refused, naming it.
 */
const KEY = "QUNDT1VOVEtFWXNlY3JldA==";
const CONNECTION = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`;

describe("ALERTS_STORAGE, recognised by its shape", () => {
  it("a table endpoint URL is reached with the managed identity (AZURE_CLIENT_ID picks a user-assigned one)", () => {
    const s = parseSettings({ ...base, ALERTS_STORAGE: "https://acct.table.core.windows.net/", AZURE_CLIENT_ID: "uami", AzureWebJobsStorage: "UseDevelopmentStorage=true" });
    expect(s.storage).toEqual({ kind: "accountUrl", url: "https://acct.table.core.windows.net", managedIdentityClientId: "uami" });
    const system = parseSettings({ ...base, ALERTS_STORAGE: "HTTPS://acct.table.core.windows.net" });
    expect(system.storage).toMatchObject({ kind: "accountUrl" });
    expect(system.storage).not.toHaveProperty("managedIdentityClientId");
  });

  it("a loopback http URL is Azurite's table endpoint", () => {
    const s = parseSettings({ ...base, ALERTS_STORAGE: "http://127.0.0.1:10002/devstoreaccount1" });
    expect(s.storage).toEqual({ kind: "accountUrl", url: "http://127.0.0.1:10002/devstoreaccount1" });
  });

  it("anything with = is a connection string: kept as a secret, read from ALERTS_STORAGE before AzureWebJobsStorage", () => {
    const s = parseSettings({ ...base, ALERTS_STORAGE: CONNECTION, AzureWebJobsStorage: "UseDevelopmentStorage=true" });
    expect(s.storage?.kind).toBe("connectionString");
    if (s.storage?.kind !== "connectionString") return;
    expect(s.storage.variable).toBe("ALERTS_STORAGE");
    expect(s.storage.connectionString.reveal()).toBe(CONNECTION);
    expect(JSON.stringify(s)).not.toContain(KEY);
    expect(inspect(s, { depth: 10 })).not.toContain(KEY);
    expect(parseSettings({ ...base, ALERTS_STORAGE: "UseDevelopmentStorage=true" }).storage).toMatchObject({ kind: "connectionString", variable: "ALERTS_STORAGE" });
    expect(parseSettings({ ...base, ALERTS_STORAGE: "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;SharedAccessSignature=sv=x" }).storage).toMatchObject({ kind: "connectionString" });
  });

  it("refuses a connection string without AccountName or TableEndpoint, naming ALERTS_STORAGE and never quoting it", () => {
    const problems = problemsOf({ ...base, ALERTS_STORAGE: `AccountKey=${KEY}`, AzureWebJobsStorage: "UseDevelopmentStorage=true" });
    expect(problems).toEqual([{ variable: "ALERTS_STORAGE", message: "is not a storage connection string (expected AccountName=... or TableEndpoint=...)" }]);
  });

  it("refuses a URL that is neither https nor loopback http, naming ALERTS_STORAGE and never quoting it", () => {
    const problems = problemsOf({ ...base, ALERTS_STORAGE: `http://acct.table.core.windows.net/?sig=${KEY}`, AzureWebJobsStorage: "UseDevelopmentStorage=true" });
    expect(problems.map((p) => p.variable)).toEqual(["ALERTS_STORAGE"]);
    expect(problems[0]!.message).toMatch(/https/);
    expect(JSON.stringify(problems)).not.toContain(KEY);
  });

  it("refuses a value of neither shape, saying both, and does not fall back to AzureWebJobsStorage", () => {
    const problems = problemsOf({ ...base, ALERTS_STORAGE: "acct.table.core.windows.net/SECRETMARK", AzureWebJobsStorage: "UseDevelopmentStorage=true" });
    expect(problems.map((p) => p.variable)).toEqual(["ALERTS_STORAGE"]);
    expect(problems[0]!.message).toMatch(/https:\/\/.*table endpoint|table endpoint.*https:\/\//);
    expect(problems[0]!.message).toMatch(/connection string/);
    expect(JSON.stringify(problems)).not.toContain("SECRETMARK");
  });

  it("unset: AzureWebJobsStorage when it is a connection string, as the host's own setting", () => {
    const s = parseSettings({ ...base, AzureWebJobsStorage: "UseDevelopmentStorage=true" });
    expect(s.storage).toMatchObject({ kind: "connectionString", variable: "AzureWebJobsStorage" });
    const none = problemsOf({ ...base, AzureWebJobsStorage: "not a connection string" });
    expect(none.map((p) => p.variable)).toEqual(["AzureWebJobsStorage, ALERTS_STORAGE"]);
  });

  it("is one setting in the schema; the two it replaced are refused, naming ALERTS_STORAGE, without quoting their values", () => {
    expect(SCHEMA_VARIABLES).toContain("ALERTS_STORAGE");
    expect(SCHEMA_VARIABLES).not.toContain("ALERTS_STORAGE_CONNECTION");
    expect(SCHEMA_VARIABLES).not.toContain("ALERTS_STORAGE_ACCOUNT_URL");
    expect(SETTINGS.find((s) => s.name === "ALERTS_STORAGE")?.scope).toBe("infra");

    const problems = problemsOf({
      ...base,
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
      ALERTS_STORAGE_CONNECTION: CONNECTION,
      ALERTS_STORAGE_ACCOUNT_URL: "https://acct.table.core.windows.net",
    });
    expect(problems.map((p) => p.variable)).toEqual(["ALERTS_STORAGE_CONNECTION", "ALERTS_STORAGE_ACCOUNT_URL"]);
    for (const p of problems) expect(p.message).toMatch(/^was removed: .*ALERTS_STORAGE\b/);
    expect(problems[0]!.message).toMatch(/connection string/);
    expect(problems[1]!.message).toMatch(/table endpoint/);
    expect(JSON.stringify(problems)).not.toContain(KEY);
    // Refused even beside the new setting: an old local.settings.json must not linger unnoticed.
    expect(problemsOf({ ...base, ALERTS_STORAGE: CONNECTION, ALERTS_STORAGE_ACCOUNT_URL: "https://acct.table.core.windows.net" }).map((p) => p.variable)).toEqual(["ALERTS_STORAGE_ACCOUNT_URL"]);
  });
});

import { describe, expect, it } from "vitest";
import { settingProblems } from "../support/setting-problems.js";
import { parseSettings } from "../../shared/config/settings.js";

const base = {
  AVEPOINT_CLIENT_ID: "client",
  AVEPOINT_CLIENT_SECRET: "secret-value",
  ALERTS_STORAGE: "UseDevelopmentStorage=true",
};
const email = { EMAIL_TO: "oncall@contoso.com, Backup-Team@contoso.com; oncall@contoso.com", EMAIL_FROM: "backup-alerts@contoso.com" };

const problemsOf = (values: Record<string, string>) => settingProblems(values);

describe("email settings", () => {
  it("EMAIL_TO alone is a receiver: Graph as the managed identity by default", () => {
    const s = parseSettings({ ...base, ...email, AZURE_CLIENT_ID: "mi-client" });
    expect(s.teams.webhookUrl).toBeUndefined();
    expect(s.email).toEqual({
      to: ["oncall@contoso.com", "Backup-Team@contoso.com"],
      from: "backup-alerts@contoso.com",
      transport: { kind: "graph", baseUrl: "https://graph.microsoft.com", credential: { kind: "managedIdentity", clientId: "mi-client" } },
    });
  });

  it("an app registration with a secret or a certificate", () => {
    const s = parseSettings({ ...base, ...email, EMAIL_GRAPH_TENANT_ID: "contoso.onmicrosoft.com", EMAIL_GRAPH_CLIENT_ID: "app", EMAIL_GRAPH_CLIENT_SECRET: "graph-secret-value", EMAIL_GRAPH_BASE_URL: "http://127.0.0.1:4000/" });
    expect(s.email?.transport).toMatchObject({ kind: "graph", baseUrl: "http://127.0.0.1:4000", credential: { kind: "secret", tenantId: "contoso.onmicrosoft.com", clientId: "app" } });
    expect(JSON.stringify(s)).not.toContain("graph-secret-value");
    const pem = "-----BEGIN CERTIFICATE-----\\nAAA\\n-----END CERTIFICATE-----\\n-----BEGIN PRIVATE KEY-----\\nBBB\\n-----END PRIVATE KEY-----";
    const c = parseSettings({ ...base, ...email, EMAIL_GRAPH_TENANT_ID: "00000000-0000-0000-0000-000000000001", EMAIL_GRAPH_CLIENT_ID: "app", EMAIL_GRAPH_CERTIFICATE: pem });
    expect(c.email?.transport).toMatchObject({ kind: "graph", credential: { kind: "certificate" } });
  });

  it("SMTP when only SMTP_HOST is given, with defaults; 465 with implicit TLS", () => {
    const s = parseSettings({ ...base, ...email, SMTP_HOST: "smtp.contoso.com", SMTP_USER: "alerts", SMTP_PASSWORD: "smtp-pass-value" });
    expect(s.email?.transport).toMatchObject({ kind: "smtp", host: "smtp.contoso.com", port: 587, secure: false, requireTls: true, auth: { user: "alerts" } });
    expect(JSON.stringify(s)).not.toContain("smtp-pass-value");
    expect(parseSettings({ ...base, ...email, SMTP_HOST: "smtp.contoso.com", SMTP_SECURE: "true" }).email?.transport).toMatchObject({ port: 465, secure: true });
  });

  it("the transport follows SMTP_HOST; EMAIL_TRANSPORT was removed and is refused, naming what replaced it", () => {
    const problems = problemsOf({ ...base, ...email, EMAIL_TRANSPORT: "smtp", SMTP_HOST: "smtp.contoso.com" });
    expect(problems).toEqual([{ variable: "EMAIL_TRANSPORT", message: expect.stringMatching(/^was removed: email goes through SMTP when SMTP_HOST is set, else through Microsoft Graph/) as unknown as string }]);
  });

  it("refuses Graph app-registration settings beside SMTP_HOST unless SMTP signs in with them (SMTP_AUTH=oauth2)", () => {
    const graph = { EMAIL_GRAPH_TENANT_ID: "contoso.onmicrosoft.com", EMAIL_GRAPH_CLIENT_ID: "app", EMAIL_GRAPH_CLIENT_SECRET: "graph-secret-value" };
    const problems = problemsOf({ ...base, ...email, ...graph, SMTP_HOST: "smtp.contoso.com" });
    expect(problems).toEqual([
      { variable: "EMAIL_GRAPH_TENANT_ID, EMAIL_GRAPH_CLIENT_ID, EMAIL_GRAPH_CLIENT_SECRET", message: expect.stringContaining("email goes through SMTP (SMTP_HOST is set)") as unknown as string },
    ]);
    expect(JSON.stringify(problems)).not.toContain("graph-secret-value");
    const oauth = parseSettings({ ...base, ...email, ...graph, SMTP_HOST: "smtp.office365.com", SMTP_AUTH: "oauth2" });
    expect(oauth.email?.transport).toMatchObject({ kind: "smtp", oauth2: { credential: { kind: "secret", clientId: "app" } } });
  });

  it("no receiver at all names both ways to add one", () => {
    expect(problemsOf(base)).toEqual([{ variable: "TEAMS_WEBHOOK_URL, EMAIL_TO", message: expect.stringContaining("no receiver") as unknown as string }]);
  });

  it.each([
    [{ EMAIL_TO: "oncall@contoso.com, not-an-address" }, "EMAIL_TO", /"not-an-address" is not an email address/],
    [{ EMAIL_TO: " , " }, "EMAIL_TO", /lists no address/],
    [{ EMAIL_TO: "oncall@contoso.com" }, "EMAIL_FROM", /is required when EMAIL_TO is set/],
    [{ ...email, EMAIL_FROM: "Alerts <a@b.com>" }, "EMAIL_FROM", /is not an email address/],
    [{ ...email, EMAIL_TRANSPORT: "pigeon" }, "EMAIL_TRANSPORT", /was removed/],
    [{ ...email, EMAIL_GRAPH_CLIENT_SECRET: "s" }, "EMAIL_GRAPH_TENANT_ID", /is required with a client secret/],
    [{ ...email, EMAIL_GRAPH_CLIENT_ID: "app" }, "EMAIL_GRAPH_CLIENT_ID", /without EMAIL_GRAPH_CLIENT_SECRET or EMAIL_GRAPH_CERTIFICATE/],
    [{ ...email, EMAIL_GRAPH_TENANT_ID: "t.onmicrosoft.com", EMAIL_GRAPH_CLIENT_ID: "a", EMAIL_GRAPH_CLIENT_SECRET: "s", EMAIL_GRAPH_CERTIFICATE: "x" }, "EMAIL_GRAPH_CLIENT_SECRET, EMAIL_GRAPH_CERTIFICATE", /not both/],
    [{ ...email, EMAIL_GRAPH_BASE_URL: "http://graph.example.com" }, "EMAIL_GRAPH_BASE_URL", /https/],
    [{ ...email, SMTP_AUTH: "password" }, "SMTP_HOST", /is required when email goes through SMTP/],
    [{ ...email, SMTP_HOST: "smtp.contoso.com", SMTP_PORT: "70000" }, "SMTP_PORT", /1 to 65535/],
    [{ ...email, SMTP_HOST: "smtp.contoso.com", SMTP_USER: "u" }, "SMTP_PASSWORD", /go together/],
    [{ ...email, SMTP_HOST: "smtp.contoso.com", SMTP_USER: "u", SMTP_PASSWORD: "p", SMTP_REQUIRE_TLS: "false" }, "SMTP_REQUIRE_TLS", /unencrypted/],
    [{ EMAIL_FROM: "a@contoso.com", TEAMS_WEBHOOK_URL: "https://example.com/hook" }, "EMAIL_FROM", /EMAIL_TO is not/],
  ] as [Record<string, string>, string, RegExp][])("%o → %s", (values, variable, message) => {
    const problems = problemsOf({ ...base, ...values });
    const mine = problems.filter((p) => p.variable === variable);
    expect(mine, JSON.stringify(problems)).toHaveLength(1);
    expect(mine[0]?.message).toMatch(message);
  });

  it("never echoes the SMTP password or Graph secret in a problem", () => {
    const problems = problemsOf({ ...base, ...email, EMAIL_GRAPH_CLIENT_SECRET: "graph-secret-value", SMTP_HOST: "smtp.contoso.com", SMTP_PASSWORD: "smtp-pass-value" });
    expect(problems.length).toBeGreaterThan(0);
    expect(JSON.stringify(problems)).not.toMatch(/graph-secret-value|smtp-pass-value/);
  });

  it("plain SMTP with a password is fine to localhost (local runs)", () => {
    const s = parseSettings({ ...base, ...email, SMTP_HOST: "localhost", SMTP_USER: "u", SMTP_PASSWORD: "p", SMTP_REQUIRE_TLS: "false" });
    expect(s.email?.transport).toMatchObject({ kind: "smtp", requireTls: false });
  });
});

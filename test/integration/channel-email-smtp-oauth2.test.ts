import type { AddressInfo } from "node:net";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { SMTPServer } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { EXCHANGE_SMTP_SCOPE } from "../../shared/config/email.js";
import { ConfigError, parseSettings } from "../../shared/config/settings.js";
import { DeliveryError } from "../../shared/receivers/channel.js";
import { SmtpMailChannel } from "../../shared/receivers/email-smtp.js";
import { renderAlertEmail } from "../../shared/render/index.js";
import { failedExchangeJob, RENDER_CONTEXT } from "../support/alert-fixtures.js";
import { createTestCertificate } from "../support/certificates.js";

/**
 * SMTP AUTH XOAUTH2 (SMTP_AUTH=oauth2), the path to Exchange Online once basic
 * auth for SMTP is off: a real SMTP server on 127.0.0.1 that takes only
 * XOAUTH2 over STARTTLS, and a credential that hands out tokens as
 * @azure/identity's would (Entra itself is not reachable from tests).
 */

const MAILBOX = "backup-alerts@contoso.com";
const cert = createTestCertificate({ commonName: "localhost" });
let stop: (() => Promise<void>) | undefined;

afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function xoauth2Server(validToken: string) {
  const logins: { method: string; user: string; token: string; secure: boolean }[] = [];
  let delivered = 0;
  const server = new SMTPServer({
    key: cert.keyPem,
    cert: cert.certPem,
    logger: false,
    authMethods: ["XOAUTH2"],
    onAuth(auth, session, callback) {
      logins.push({ method: auth.method, user: auth.username ?? "", token: auth.accessToken ?? "", secure: session.secure });
      if (auth.method === "XOAUTH2" && auth.username === MAILBOX && auth.accessToken === validToken) callback(null, { user: auth.username });
      else callback(null, { data: { status: "401", schemes: "bearer", scope: "https://outlook.office.com/SMTP.Send" } });
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on("end", () => {
        delivered++;
        callback(null, "queued");
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { port: (server.server.address() as AddressInfo).port, logins, delivered: () => delivered };
}

function credential(token: string): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(scope: string | string[]): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

function channel(port: number, token: () => Promise<string>) {
  return new SmtpMailChannel({
    name: "email",
    host: "127.0.0.1",
    port,
    secure: false,
    requireTls: true,
    from: MAILBOX,
    recipients: ["oncall@contoso.com"],
    oauth2: { user: MAILBOX, token },
    tls: { rejectUnauthorized: false },
    timeoutInMs: 5_000,
    retryPolicy: { maxAttempts: 1 },
  });
}

describe("SMTP XOAUTH2 (SMTP_AUTH=oauth2)", () => {
  it("signs in with a token from the app's credential, over TLS, and delivers", async () => {
    const smtp = await xoauth2Server("eyJ0eXAi.valid-token.sig");
    const cred = credential("eyJ0eXAi.valid-token.sig");
    const result = await channel(smtp.port, async () => (await cred.getToken(EXCHANGE_SMTP_SCOPE))?.token ?? "").send(renderAlertEmail(failedExchangeJob, RENDER_CONTEXT));
    expect(result.status).toBe(250);
    expect(smtp.logins).toEqual([{ method: "XOAUTH2", user: MAILBOX, token: "eyJ0eXAi.valid-token.sig", secure: true }]);
    expect(smtp.delivered()).toBe(1);
    expect(cred.scopes).toEqual(["https://outlook.office365.com/.default"]);
  });

  it("a refused token is a final DeliveryError naming what to check, without the token", async () => {
    const smtp = await xoauth2Server("the-right-token");
    const error = await channel(smtp.port, async () => "a-stale-token-value").send(renderAlertEmail(failedExchangeJob, RENDER_CONTEXT)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(false);
    expect((error as DeliveryError).message).toContain("SMTP.SendAsApp");
    expect((error as DeliveryError).message).not.toContain("a-stale-token-value");
    expect(smtp.delivered()).toBe(0);
  });

  it("settings: the app's credential (EMAIL_GRAPH_* or the managed identity) signs in as SMTP_USER, default EMAIL_FROM; no password, TLS required", () => {
    const base = { EMAIL_TO: "oncall@contoso.com", EMAIL_FROM: MAILBOX, SMTP_HOST: "smtp.office365.com", SMTP_AUTH: "oauth2" };
    const managed = parseSettings({ ...base, AZURE_CLIENT_ID: "client-of-the-identity" }, { requireAvePoint: false }).email?.transport;
    expect(managed).toMatchObject({ kind: "smtp", port: 587, requireTls: true, oauth2: { user: MAILBOX, credential: { kind: "managedIdentity", clientId: "client-of-the-identity" } } });
    const app = parseSettings({ ...base, SMTP_USER: "shared@contoso.com", EMAIL_GRAPH_TENANT_ID: "8a6f3b2e-4c1d-4e5f-9a7b-0c1d2e3f4a5b", EMAIL_GRAPH_CLIENT_ID: "app", EMAIL_GRAPH_CLIENT_SECRET: "s" }, { requireAvePoint: false }).email?.transport;
    expect(app).toMatchObject({ kind: "smtp", oauth2: { user: "shared@contoso.com", credential: { kind: "secret", clientId: "app" } } });
    const problems = (() => {
      try {
        parseSettings({ ...base, SMTP_PASSWORD: "pw", SMTP_REQUIRE_TLS: "false" }, { requireAvePoint: false });
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => p.variable);
      }
    })();
    expect(problems).toEqual(["SMTP_PASSWORD", "SMTP_REQUIRE_TLS"]);
    expect(() => parseSettings({ ...base, SMTP_AUTH: "ntlm" }, { requireAvePoint: false })).toThrow(/SMTP_AUTH: must be one of password, oauth2/);
  });
});

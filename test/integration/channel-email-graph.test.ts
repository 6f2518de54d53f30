import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential, type AccessToken, type GetTokenOptions, type TokenCredential } from "@azure/identity";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChannelConfigError, DeliveryError } from "../../shared/receivers/channel.js";
import { createGraphCredential, GRAPH_SCOPE, GraphMailChannel, type GraphMailChannelOptions } from "../../shared/receivers/email-graph.js";
import { SendPacer } from "../../shared/receivers/pacing.js";
import { httpRequest } from "../../shared/http/request.js";
import type { Logger } from "../../shared/logging.js";
import { renderAlertEmail, type EmailMessage } from "../../shared/render/index.js";
import { Secret } from "../../shared/security/secret.js";
import { createTestCertificate } from "../support/certificates.js";
import { failedExchangeJob, RENDER_CONTEXT } from "../support/alert-fixtures.js";
import { startRecordingReceiver, type RecordingReceiver } from "../support/recording-receiver.js";

/**
 * A TokenCredential that gets its token over HTTP from a small local token
 * endpoint, the way the real credentials do from Entra ID. The real
 * ClientSecretCredential cannot be used here: MSAL refuses any authority that
 * is not https, so it cannot be pointed at a loopback server. What the channel
 * relies on is only the TokenCredential interface, which this implements.
 */
class LoopbackTokenCredential implements TokenCredential {
  readonly scopesAsked: string[] = [];
  constructor(private readonly tokenUrl: string) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const scope = Array.isArray(scopes) ? scopes.join(" ") : scopes;
    this.scopesAsked.push(scope);
    const response = await httpRequest({
      url: this.tokenUrl,
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: "test-app", client_secret: "test-secret", scope }).toString(),
      ...(options?.abortSignal ? { abortSignal: options.abortSignal as AbortSignal } : {}),
    });
    if (response.status !== 200) {
      // Shaped like @azure/identity's AuthenticationError: a name and the endpoint's status.
      const error = Object.assign(new Error(`token endpoint answered ${response.status}: ${response.text}`), { name: "AuthenticationError", statusCode: response.status });
      throw error;
    }
    const json = JSON.parse(response.text) as { access_token: string; expires_in: number };
    return { token: json.access_token, expiresOnTimestamp: Date.now() + json.expires_in * 1000 };
  }
}

function fakeClock(start = Date.UTC(2026, 10, 29, 8, 0, 0)) {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      await Promise.resolve();
      t += ms;
    },
  };
}

function recordingLogger() {
  const lines: string[] = [];
  const write = (message: string, data?: Record<string, unknown>) => lines.push(data === undefined ? message : `${message} ${JSON.stringify(data)}`);
  const logger: Logger = { error: write, warn: write, info: write, debug: write };
  return { logger, lines };
}

const SENDER = "backup-alerts@contoso.com";
const RECIPIENTS = ["oncall@contoso.com", "backup-team@contoso.com"];

let graph: RecordingReceiver;
let tokenEndpoint: RecordingReceiver;
let token: string;
let credential: LoopbackTokenCredential;
let clock: ReturnType<typeof fakeClock>;
let log: ReturnType<typeof recordingLogger>;
let email: EmailMessage;

beforeEach(async () => {
  graph = await startRecordingReceiver();
  tokenEndpoint = await startRecordingReceiver();
  token = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString("base64url")}.sig`;
  tokenEndpoint.setDefault({ status: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ access_token: token, expires_in: 3599, token_type: "Bearer" }) });
  credential = new LoopbackTokenCredential(`${tokenEndpoint.origin}/tenant-id/oauth2/v2.0/token`);
  clock = fakeClock();
  log = recordingLogger();
  email = renderAlertEmail(failedExchangeJob, RENDER_CONTEXT);
});

afterEach(async () => {
  await graph.stop();
  await tokenEndpoint.stop();
});

function channel(overrides: Partial<GraphMailChannelOptions> = {}): GraphMailChannel {
  return new GraphMailChannel({
    name: "email",
    sender: SENDER,
    recipients: RECIPIENTS,
    credential,
    graphBaseUrl: graph.origin,
    retryPolicy: { maxAttempts: 3, baseDelayInMs: 100, maxDelayInMs: 30_000, maxTotalInMs: 120_000 },
    minIntervalInMs: 0,
    timeoutInMs: 5_000,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    logger: log.logger,
    pacer: new SendPacer(),
    ...overrides,
  });
}

async function deliveryError(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

function expectNoToken(text: string): void {
  expect(text).not.toContain(token);
  expect(text).not.toContain(token.split(".")[1]);
}

describe("GraphMailChannel", () => {
  it("POSTs sendMail for the sender with a bearer token for Graph and the message as HTML", async () => {
    graph.respondWith({ status: 202, headers: { "request-id": "5f0a-request" } });
    const result = await channel().send(email);

    expect(result).toMatchObject({ status: 202, attempts: 1, messageId: "5f0a-request" });
    expect(credential.scopesAsked).toEqual([GRAPH_SCOPE]);
    expect(GRAPH_SCOPE).toBe("https://graph.microsoft.com/.default");
    expect(graph.requests).toHaveLength(1);
    const [request] = graph.requests;
    expect(request?.method).toBe("POST");
    expect(decodeURIComponent(request?.path ?? "")).toBe(`/v1.0/users/${SENDER}/sendMail`);
    expect(request?.headers["authorization"]).toBe(`Bearer ${token}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({
      message: {
        subject: "[CRITICAL] Backup job failed: Exchange Online (IB2026112906480012345)",
        body: { contentType: "HTML", content: email.html },
        toRecipients: [{ emailAddress: { address: "oncall@contoso.com" } }, { emailAddress: { address: "backup-team@contoso.com" } }],
      },
      saveToSentItems: false,
    });
    // The token endpoint was asked for client credentials for Graph.
    expect(new URLSearchParams(tokenEndpoint.requests[0]?.rawBody).get("scope")).toBe(GRAPH_SCOPE);
  });

  it("retries 429 honouring Retry-After, then succeeds", async () => {
    graph.respondWith({ status: 429, headers: { "Retry-After": "7" }, body: '{"error":{"code":"ApplicationThrottled","message":"slow down"}}' }, { status: 202 });
    const result = await channel().send(email);
    expect(result.attempts).toBe(2);
    expect(graph.requests).toHaveLength(2);
    expect(clock.sleeps).toContain(7000);
    expect(log.lines.join("\n")).toMatch(/attempt 1 was answered HTTP 429; retrying in 7000 ms/);
  });

  it("retries a dropped connection and 5xx; after the last try the error is retryable", async () => {
    graph.respondWith({ status: 0, destroy: true }, { status: 503 }, { status: 502 });
    const error = await deliveryError(channel().send(email));
    expect(graph.requests).toHaveLength(3);
    expect(error).toMatchObject({ name: "DeliveryError", receiver: "email", status: 502, retryable: true, attempts: 3 });
    expect(error.message).toMatch(/still answered HTTP 502 after 3 attempts/);
  });

  it("403: not retried; says Mail.Send is missing or not allowed for this mailbox and how to scope it", async () => {
    graph.respondWith({ status: 403, body: JSON.stringify({ error: { code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again." } }) });
    const error = await deliveryError(channel().send(email));
    expect(graph.requests).toHaveLength(1);
    expect(error).toMatchObject({ status: 403, retryable: false, attempts: 1 });
    expect(error.message).toContain("ErrorAccessDenied: Access is denied");
    expect(error.message).toContain(`denied sending as ${SENDER}`);
    expect(error.message).toContain("Mail.Send");
    expect(error.message).toContain("Exchange RBAC for Applications");
    expect(error.message).toContain('New-ManagementRoleAssignment -Role "Application Mail.Send"');
  });

  it.each([
    [400, '{"error":{"code":"ErrorInvalidRecipients","message":"At least one recipient is not valid."}}', /refused the message \(HTTP 400\): "ErrorInvalidRecipients/],
    [401, '{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure."}}', /refused the token \(HTTP 401\).*EMAIL_GRAPH_TENANT_ID/],
    [404, '{"error":{"code":"ErrorInvalidUser","message":"The requested user is invalid."}}', /found no mailbox backup-alerts@contoso\.com \(HTTP 404\).*EMAIL_FROM/],
    [413, "", /too large \(HTTP 413\)/],
    [409, "", /refused the request \(HTTP 409\)/],
  ])("%i: not retried, actionable", async (status, body, message) => {
    graph.respondWith({ status, body });
    const error = await deliveryError(channel().send(email));
    expect(graph.requests).toHaveLength(1);
    expect(error).toMatchObject({ status, retryable: false });
    expect(error.message).toMatch(message);
  });

  it("the token never appears in errors or logs, even when Graph echoes it", async () => {
    graph.respondWith(
      { status: 503, body: `upstream saw Authorization: Bearer ${token}` },
      { status: 400, body: JSON.stringify({ error: { code: "BadRequest", message: `token ${token} is odd` } }) },
    );
    const error = await deliveryError(channel().send(email));
    expect(error.message).toContain("[redacted]");
    for (const text of [error.message, String(error.stack), inspect(error), JSON.stringify(error), ...log.lines]) expectNoToken(text);
    expect(log.lines.length).toBeGreaterThan(0);
    expect(inspect(channel())).toBe("GraphMailChannel(email)");
  });

  it("a credential the identity platform refuses is not retried; an unreachable one is", async () => {
    tokenEndpoint.setDefault({ status: 401, body: '{"error":"invalid_client"}' });
    const refused = await deliveryError(channel().send(email));
    expect(refused.retryable).toBe(false);
    expect(refused.message).toMatch(/could not get a Microsoft Graph token.*EMAIL_GRAPH_CLIENT_ID/);
    expect(graph.requests).toHaveLength(0);

    await tokenEndpoint.stop();
    const unreachable = await deliveryError(channel().send(email));
    expect(unreachable.retryable).toBe(true);
    expect(graph.requests).toHaveLength(0);
    tokenEndpoint = await startRecordingReceiver();
  });

  it("refuses a payload that is not an email message", async () => {
    const error = await deliveryError(channel().send({ type: "message" }));
    expect(error).toMatchObject({ retryable: false, attempts: 0 });
    expect(graph.requests).toHaveLength(0);
  });

  it("a cancelled send stops the retry wait and rejects with the signal's reason", async () => {
    graph.setDefault({ status: 503 });
    const controller = new AbortController();
    const sleep = async (_ms: number, signal?: AbortSignal) => {
      controller.abort(new Error("shutting down"));
      signal?.throwIfAborted();
    };
    await expect(channel({ sleep }).send(email, { abortSignal: controller.signal })).rejects.toThrow("shutting down");
    expect(graph.requests).toHaveLength(1);
  });

  it("spaces sends from one mailbox (Exchange's per-mailbox rate)", async () => {
    const c = channel({ minIntervalInMs: 2000 });
    await c.send(email);
    await c.send(email);
    expect(clock.sleeps).toEqual([2000]);
  });

  it("checks its configuration when built", () => {
    expect(() => channel({ sender: "not an address" })).toThrow(ChannelConfigError);
    expect(() => channel({ recipients: [] })).toThrow(/no recipients/);
    expect(() => channel({ recipients: ["ok@contoso.com", "bad"] })).toThrow(/"bad" is not an email address/);
    expect(() => channel({ graphBaseUrl: "http://graph.example.com" })).toThrow(/https/);
  });
});

describe("createGraphCredential", () => {
  it("builds the credential the settings name (loading @azure/identity only then)", async () => {
    const cert = createTestCertificate();
    await expect(createGraphCredential({ kind: "secret", tenantId: "contoso.onmicrosoft.com", clientId: "app", secret: new Secret("s") }).resolve()).resolves.toBeInstanceOf(ClientSecretCredential);
    await expect(
      createGraphCredential({ kind: "certificate", tenantId: "contoso.onmicrosoft.com", clientId: "app", pem: new Secret(cert.combinedPem) }).resolve(),
    ).resolves.toBeInstanceOf(ClientCertificateCredential);
    await expect(createGraphCredential({ kind: "managedIdentity", clientId: "mi-client-id" }).resolve()).resolves.toBeInstanceOf(ManagedIdentityCredential);
    await expect(createGraphCredential({ kind: "managedIdentity" }).resolve()).resolves.toBeInstanceOf(ManagedIdentityCredential);
  });
});

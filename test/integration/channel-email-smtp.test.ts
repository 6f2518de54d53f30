import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChannelConfigError, DeliveryError } from "../../shared/receivers/channel.js";
import { SmtpMailChannel, type SmtpMailChannelOptions } from "../../shared/receivers/email-smtp.js";
import type { Logger } from "../../shared/logging.js";
import { renderAlertEmail, type EmailMessage } from "../../shared/render/index.js";
import { Secret } from "../../shared/security/secret.js";
import { failedExchangeJob, RENDER_CONTEXT } from "../support/alert-fixtures.js";
import { createTestCertificate } from "../support/certificates.js";

/** What the SMTP server on port 0 received: the parsed message and the session facts. */
interface Received {
  mail: ParsedMail;
  /** True when the session was encrypted (STARTTLS or implicit TLS) when DATA arrived. */
  secure: boolean;
  user: string | undefined;
  envelopeTo: string[];
  envelopeFrom: string | false;
}

interface TestSmtpServer {
  port: number;
  received: Received[];
  logins: { user: string; password: string }[];
  /** Replies queued for the next DATA commands (e.g. 451 then accept). */
  dataReplies: { code: number; message: string }[];
  stop(): Promise<void>;
}

const USER = "alerts@contoso.com";
const PASSWORD = "Sm7p-P@ssw0rd-not-for-logs";
const cert = createTestCertificate({ commonName: "localhost" });

async function startSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<TestSmtpServer> {
  const received: Received[] = [];
  const logins: TestSmtpServer["logins"] = [];
  const dataReplies: TestSmtpServer["dataReplies"] = [];
  const server = new SMTPServer({
    key: cert.keyPem,
    cert: cert.certPem,
    logger: false,
    authOptional: true,
    onAuth(auth, _session, callback) {
      logins.push({ user: auth.username ?? "", password: auth.password ?? "" });
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: auth.username });
      else callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          const reply = dataReplies.shift();
          if (reply) return callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
          received.push({
            mail,
            secure: session.secure,
            user: typeof session.user === "string" ? session.user : undefined,
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : false,
          });
          callback(null, "queued as TEST1");
        },
        (error: unknown) => callback(error as Error),
      );
    },
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return { port, received, logins, dataReplies, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function fakeClock() {
  let t = Date.UTC(2026, 10, 29, 8, 0, 0);
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
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

let servers: TestSmtpServer[];
let clock: ReturnType<typeof fakeClock>;
let log: ReturnType<typeof recordingLogger>;
let email: EmailMessage;

beforeEach(() => {
  servers = [];
  clock = fakeClock();
  log = recordingLogger();
  email = renderAlertEmail(failedExchangeJob, RENDER_CONTEXT);
});

afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function server(options: Partial<SMTPServerOptions> = {}): Promise<TestSmtpServer> {
  const s = await startSmtpServer(options);
  servers.push(s);
  return s;
}

function channel(port: number, overrides: Partial<SmtpMailChannelOptions> = {}): SmtpMailChannel {
  return new SmtpMailChannel({
    name: "email",
    host: "127.0.0.1",
    port,
    secure: false,
    requireTls: true,
    from: "backup-alerts@contoso.com",
    recipients: ["oncall@contoso.com", "backup-team@contoso.com"],
    // The test server's certificate is self-signed: only tests turn verification off.
    tls: { rejectUnauthorized: false },
    timeoutInMs: 5_000,
    retryPolicy: { maxAttempts: 3, baseDelayInMs: 100, maxDelayInMs: 1_000, maxTotalInMs: 60_000 },
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    logger: log.logger,
    ...overrides,
  });
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address ?? ""));
}

async function deliveryError(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

function expectNoPassword(texts: string[]): void {
  for (const text of texts) expect(text).not.toContain(PASSWORD);
}

describe("SmtpMailChannel", () => {
  it("STARTTLS off: delivers one multipart message with subject, HTML, text and recipients", async () => {
    const smtp = await server({ hideSTARTTLS: true });
    const result = await channel(smtp.port, { requireTls: false }).send(email);

    expect(result).toMatchObject({ status: 250, attempts: 1 });
    expect(result.messageId).toMatch(/^<.+@.+>$/);
    expect(smtp.received).toHaveLength(1);
    const [got] = smtp.received;
    expect(got?.secure).toBe(false);
    expect(got?.mail.subject).toBe(email.subject);
    expect(got?.mail.html).toBe(email.html);
    expect(got?.mail.text).toBe(email.text);
    expect(addresses(got?.mail.to)).toEqual(["oncall@contoso.com", "backup-team@contoso.com"]);
    expect(addresses(got?.mail.from)).toEqual(["backup-alerts@contoso.com"]);
    expect(got?.envelopeTo).toEqual(["oncall@contoso.com", "backup-team@contoso.com"]);
    expect(got?.envelopeFrom).toBe("backup-alerts@contoso.com");
    expect(got?.mail.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
    expect(got?.mail.headers.get("auto-submitted")).toBe("auto-generated");
  });

  it("STARTTLS on: upgrades with the self-signed certificate, logs in and delivers", async () => {
    const smtp = await server();
    const result = await channel(smtp.port, { auth: { user: USER, password: new Secret(PASSWORD) } }).send(email);
    expect(result.attempts).toBe(1);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]?.secure).toBe(true);
    expect(smtp.received[0]?.user).toBe(USER);
    expect(smtp.logins).toEqual([{ user: USER, password: PASSWORD }]);
  });

  it("implicit TLS (SMTP_SECURE) delivers over TLS from the first byte", async () => {
    const smtp = await server({ secure: true });
    await channel(smtp.port, { secure: true }).send(email);
    expect(smtp.received[0]?.secure).toBe(true);
  });

  it("STARTTLS required but not offered: fails at once, not retried, nothing sent in clear", async () => {
    const smtp = await server({ disabledCommands: ["STARTTLS"] });
    const error = await deliveryError(channel(smtp.port, { auth: { user: USER, password: new Secret(PASSWORD) } }).send(email));
    expect(error).toMatchObject({ name: "DeliveryError", receiver: "email", retryable: false, attempts: 1 });
    expect(error.message).toMatch(/TLS could not be established.*SMTP_REQUIRE_TLS/);
    expect(smtp.received).toHaveLength(0);
    expect(smtp.logins).toHaveLength(0);
  });

  it("a refused login is a DeliveryError, not retried, that names the user and never the password", async () => {
    const smtp = await server();
    const wrong = `${PASSWORD}-wrong`;
    const c = channel(smtp.port, { auth: { user: USER, password: new Secret(wrong) } });
    const error = await deliveryError(c.send(email));
    expect(error).toMatchObject({ retryable: false, attempts: 1, status: 535 });
    expect(error.message).toContain(`refused the login of user "${USER}"`);
    expect(error.message).toContain("SMTP_PASSWORD");
    expect(smtp.logins).toHaveLength(1);
    expect(smtp.received).toHaveLength(0);
    for (const text of [error.message, String(error.stack), inspect(error), JSON.stringify(error), inspect(c), JSON.stringify(c), ...log.lines]) {
      expect(text).not.toContain(wrong);
    }
  });

  it("connection refused is retried, then a retryable DeliveryError", async () => {
    const smtp = await startSmtpServer();
    const port = smtp.port;
    await smtp.stop();
    const error = await deliveryError(channel(port, { auth: { user: USER, password: new Secret(PASSWORD) } }).send(email));
    expect(error).toMatchObject({ retryable: true, attempts: 3 });
    expect(error.message).toMatch(/could not take the message after 3 attempts/);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(clock.sleeps).toHaveLength(2);
    expectNoPassword([error.message, ...log.lines]);
    expect(log.lines.join("\n")).toMatch(/SMTP attempt 1 failed/);
  });

  it("a 4xx reply is retried and then delivered; a 5xx reply is final", async () => {
    const smtp = await server({ hideSTARTTLS: true });
    smtp.dataReplies.push({ code: 451, message: "Try again later" });
    const result = await channel(smtp.port, { requireTls: false }).send(email);
    expect(result.attempts).toBe(2);
    expect(smtp.received).toHaveLength(1);

    smtp.dataReplies.push({ code: 550, message: "Sender not allowed" });
    const error = await deliveryError(channel(smtp.port, { requireTls: false }).send(email));
    expect(error).toMatchObject({ retryable: false, attempts: 1, status: 550 });
    expect(error.message).toMatch(/refused the message.*Sender not allowed.*EMAIL_FROM/);
    expect(smtp.received).toHaveLength(1);
  });

  it("refuses a payload that is not an email message, and a bad configuration", async () => {
    const error = await deliveryError(channel(25).send({ subject: "x" }));
    expect(error).toMatchObject({ retryable: false, attempts: 0 });
    expect(() => channel(25, { from: "nobody" })).toThrow(ChannelConfigError);
    expect(() => channel(25, { recipients: [] })).toThrow(/no recipients/);
    expect(() => channel(0)).toThrow(/port/);
  });
});

/**
 * Email end to end: a jobs cycle through the composition root (createRuntime
 * builds the `email` receiver from the settings, SMTP transport) against the
 * AvePoint simulator, Azurite and a real SMTP server on port 0.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { createAvePointClient } from "../../shared/avepoint/index.js";
import { parseSettings } from "../../shared/config/index.js";
import type { Logger } from "../../shared/logging.js";
import { createRuntime } from "../../shared/pipeline/runtime.js";
import { DEFAULT_EMAIL_RECEIVER } from "../../shared/config/routing-file.js";
import { createTestCertificate } from "../support/certificates.js";
import { AvePointSimulator } from "../simulator/index.js";

const T0 = new Date("2026-11-29T08:00:00Z");
const MINUTE_IN_MS = 60_000;
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);
const cert = createTestCertificate({ commonName: "localhost" });

let simulator: AvePointSimulator;
let smtp: SMTPServer;
let smtpPort: number;
let received: ParsedMail[];
let logs: string[];

beforeEach(async () => {
  simulator = await AvePointSimulator.start({ clientId: "test-client", clientSecret: "test-secret-value" });
  received = [];
  logs = [];
  smtp = new SMTPServer({
    key: cert.keyPem,
    cert: cert.certPem,
    logger: false,
    authOptional: true,
    // STARTTLS off: settings have no way to trust a self-signed certificate (production must not), so the local run is plain SMTP on loopback.
    hideSTARTTLS: true,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push(mail);
          callback();
        },
        (error: unknown) => callback(error as Error),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});

afterEach(async () => {
  await simulator.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

function runtimeWith(settingsOverrides: Record<string, string> = {}) {
  const settings = parseSettings({
    AVEPOINT_CLIENT_ID: "test-client",
    AVEPOINT_CLIENT_SECRET: "test-secret-value",
    AVEPOINT_API_URL: simulator.url,
    AVEPOINT_TOKEN_URL: simulator.tokenUrl,
    ALERTS_STORAGE: inject("azuriteConnectionString"),
    ALERTS_TABLE_PREFIX: `t${randomBytes(5).toString("hex")}`,
    ALERT_TENANT_NAME: "Contoso",
    EMAIL_TO: "oncall@contoso.com, backup-team@contoso.com",
    EMAIL_FROM: "backup-alerts@contoso.com",
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(smtpPort),
    SMTP_REQUIRE_TLS: "false",
    ...settingsOverrides,
  });
  expect(settings.email?.transport.kind).toBe("smtp");
  const clock = { now: T0 };
  const noWait = async () => {};
  const logger: Logger = {
    error: (m) => logs.push(`error ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    info: (m) => logs.push(`info ${m}`),
    debug: (m) => logs.push(`debug ${m}`),
  };
  const runtime = createRuntime(settings, {
    now: () => clock.now,
    reader: createAvePointClient(settings.avepoint, { retryPolicy: { maxAttempts: 2, baseDelayInMs: 1, maxDelayInMs: 5, maxTotalInMs: 60_000 }, sleep: noWait, logger }),
  });
  return { runtime, clock, cycle: () => runtime.run("jobs", logger) };
}

function failedJob(id: string, objectType: number) {
  simulator.tenant.addJob({
    id,
    state: "Failed",
    startTime: at(-90 * MINUTE_IN_MS),
    finishTime: at(-60 * MINUTE_IN_MS),
    objectType,
    counts: { total: 10, failed: 3, successful: 7, skipped: 0 },
  });
}

describe("email delivery through the runtime", () => {
  it("sends each new alert once by SMTP; the next cycle sends nothing", async () => {
    failedJob("IB-EMAIL-1", 1);
    simulator.tenant.addJob({ id: "IB-OK", state: "Finished", startTime: at(-90 * MINUTE_IN_MS), finishTime: at(-60 * MINUTE_IN_MS), objectType: 2 });
    const { clock, cycle } = runtimeWith();

    const first = await cycle();
    expect(first).toMatchObject({ ok: true, newAlerts: 1, delivery: { delivered: 1, messages: 1, failed: 0 } });
    expect(received).toHaveLength(1);
    const [mail] = received;
    expect(mail?.subject).toBe("[CRITICAL] Backup job failed: Exchange Online (IB-EMAIL-1)");
    expect(mail?.to && !Array.isArray(mail.to) ? mail.to.value.map((v) => v.address) : []).toEqual(["oncall@contoso.com", "backup-team@contoso.com"]);
    expect(mail?.from?.value[0]?.address).toBe("backup-alerts@contoso.com");
    expect(mail?.text).toContain("Job ID: IB-EMAIL-1");
    expect(mail?.html).toContain("IB-EMAIL-1");
    expect(DEFAULT_EMAIL_RECEIVER).toBe("email");

    clock.now = at(5 * MINUTE_IN_MS);
    const second = await cycle();
    expect(second).toMatchObject({ ok: true, newAlerts: 0, delivery: { delivered: 0, messages: 0 } });
    expect(received).toHaveLength(1);
    expect(logs.filter((l) => l.startsWith("error"))).toEqual([]);
  });

  it("a cycle with more alerts than the group threshold sends one digest email", async () => {
    failedJob("IB-DIGEST-1", 1);
    failedJob("IB-DIGEST-2", 2);
    failedJob("IB-DIGEST-3", 3);
    const { cycle } = runtimeWith({ ALERT_GROUP_THRESHOLD: "2" });

    const summary = await cycle();
    expect(summary).toMatchObject({ ok: true, newAlerts: 3, delivery: { delivered: 3, messages: 1 } });
    expect(received).toHaveLength(1);
    expect(received[0]?.subject).toBe("[CRITICAL] 3 backup alerts \u2014 Contoso");
    for (const id of ["IB-DIGEST-1", "IB-DIGEST-2", "IB-DIGEST-3"]) expect(received[0]?.text).toContain(id);
  });
});

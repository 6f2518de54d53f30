/**
 * The outbox against the real ledger on Azurite and a recording Teams
 * webhook over loopback: claims per message, quarantine of what cannot be
 * read or rendered, and the redaction of non-delivery errors. The clock is
 * a variable the receiver moves forward, so "a send takes 3 minutes" is real
 * for the leases without waiting.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { SmtpMailChannel } from "../../shared/receivers/email-smtp.js";
import { afterEach, describe, expect, inject, it } from "vitest";
import { capturingLogger } from "../support/capturing-logger.js";
import { SendPacer } from "../../shared/receivers/pacing.js";
import { WorkflowsWebhookChannel } from "../../shared/receivers/teams-workflows.js";
import type { Channel, DeliveryResult, Receiver, SendOptions } from "../../shared/receivers/channel.js";
import { setAsideAlerts } from "../../shared/alerts/monitoring-rules.js";
import { deliverPending, type OutboxOptions, type OutboxResult } from "../../shared/receivers/outbox.js";
import { AlertLedger, createTableClients, type LedgerTableClients } from "../../shared/ledger/index.js";
import { silentLogger } from "../../shared/logging.js";
import { createAvePointClient } from "../../shared/avepoint/index.js";
import { createRuntime } from "../../shared/pipeline/runtime.js";
import { startPipelineWorld } from "../support/pipeline-harness.js";
import { Secret } from "../../shared/security/secret.js";
import { makeJob, makeJobAlert, RENDER_CONTEXT, TENANT } from "../support/alert-fixtures.js";
import { startRecordingReceiver, type RecordingReceiver } from "../support/recording-receiver.js";
import { webhookUrl } from "../support/webhook-url.js";

const connectionString = inject("azuriteConnectionString");
const T0 = new Date("2026-11-29T09:00:00Z");
const minutes = (n: number) => n * 60_000;

let receiver: RecordingReceiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

function clientsFor(prefix: string): LedgerTableClients {
  return createTableClients({ kind: "connectionString", connectionString: new Secret(connectionString), variable: "ALERTS_STORAGE" }, prefix);
}

function newLedger(prefix: string, clock: { now: Date }): AlertLedger {
  return new AlertLedger(clientsFor(prefix), { now: () => clock.now });
}

/** Two runs (two ledger objects, as two processes would have) on the same fresh tables, with one clock. */
async function twoRunsOnOneLedger(): Promise<{ clock: { now: Date }; ledgerA: AlertLedger; ledgerB: AlertLedger }> {
  const clock = { now: T0 };
  const prefix = `o${randomBytes(5).toString("hex")}`;
  const ledgerA = newLedger(prefix, clock);
  await ledgerA.ensureTables();
  return { clock, ledgerA, ledgerB: newLedger(prefix, clock) };
}

/** A real Workflows channel to the recording receiver; each send first lets `beforeSend` run (move the clock, start another run). */
function slowChannel(url: string, beforeSend: (sendNumber: number) => Promise<void>): Channel {
  const inner = new WorkflowsWebhookChannel({ name: "teams", url: webhookUrl(url), minIntervalInMs: 0, pacer: new SendPacer(), sleep: async () => {}, retryPolicy: { maxAttempts: 1 } });
  let sends = 0;
  return {
    name: inner.name,
    kind: inner.kind,
    async send(payload: object, options?: SendOptions): Promise<DeliveryResult> {
      await beforeSend(++sends);
      return inner.send(payload, options);
    },
  };
}

function run(ledger: AlertLedger, receivers: Receiver[], owner: string, clock: { now: Date }, extra: Partial<OutboxOptions> = {}): Promise<OutboxResult> {
  return deliverPending({
    ledger,
    receivers,
    tenant: TENANT,
    render: RENDER_CONTEXT,
    groupThreshold: 10,
    owner,
    now: () => clock.now,
    unavailableSince: new Map(),
    logger: silentLogger,
    ...extra,
  });
}

const jobIds = ["IB2026112901", "IB2026112902", "IB2026112903"];
const alerts = jobIds.map((id) => makeJobAlert(makeJob({ id })));
const postsNaming = (r: RecordingReceiver, id: string) => r.requests.filter((q) => q.rawBody.includes(id)).length;

describe("a lease covers one send, not a receiver's queue (review D1)", () => {
  it("a second run starting between the first run's slow sends posts nothing twice, and nothing is lost", async () => {
    const rec = (receiver = await startRecordingReceiver());
    const { clock, ledgerA, ledgerB } = await twoRunsOnOneLedger();
    await ledgerA.admit(alerts, ["teams"]);

    let runB: Promise<OutboxResult> | undefined;
    // Run B (the other timer) posts promptly.
    const channelB = slowChannel(rec.url, async () => {});
    // Every send of run A takes 3 minutes; after A's second send run B starts (T0 + 6 min, past a 5-minute lease taken at T0).
    const channelA = slowChannel(rec.url, async (n) => {
      clock.now = new Date(clock.now.getTime() + minutes(3));
      if (n === 3) {
        runB = run(ledgerB, [{ channel: channelB }], "run-b", clock);
        await runB;
      }
    });
    const a = await run(ledgerA, [{ channel: channelA }], "run-a", clock);
    const b = await runB!;

    for (const id of jobIds) expect(postsNaming(rec, id), id).toBe(1);
    expect(a.delivered + b.delivered).toBe(3);
    expect(await ledgerA.pending(TENANT)).toEqual([]);
  });

  it("jobs and license cycles at once, through the pipeline, with a receiver slower than the lease: 0 duplicates, 0 lost", async () => {
    const start = new Date("2026-11-29T10:00:00Z");
    const w = await startPipelineWorld({ azuriteConnectionString: connectionString, start, settings: { ALERT_GROUP_THRESHOLD: "10" } });
    try {
      const ids = Array.from({ length: 6 }, (_, i) => `IB-SLOW-${i + 1}`);
      for (const id of ids) {
        w.simulator.tenant.addJob({ id, state: "Failed", startTime: new Date(start.getTime() - minutes(62)), finishTime: new Date(start.getTime() - minutes(60)), objectType: 1, counts: { total: 10, failed: 3, successful: 7, skipped: 0 } });
      }
      const reader = () => createAvePointClient(w.settings.avepoint, { retryPolicy: { maxAttempts: 2, baseDelayInMs: 1, maxDelayInMs: 1 }, sleep: async () => {}, timeoutInMs: 5_000 });
      let license: Promise<unknown> | undefined;
      // Every post of the jobs timer's run takes 3 minutes (throttled receiver); the license timer fires during its third.
      const jobsChannel = slowChannel(w.receiver.url, async (n) => {
        w.clock.now = new Date(w.clock.now.getTime() + minutes(3));
        if (n === 3) license = licenseRuntime.run("license", silentLogger);
      });
      const jobsRuntime = createRuntime(w.settings, { now: () => w.clock.now, reader: reader(), receivers: [{ channel: jobsChannel }] });
      const licenseRuntime = createRuntime(w.settings, { now: () => w.clock.now, reader: reader(), receivers: [{ channel: slowChannel(w.receiver.url, async () => {}) }] });
      await jobsRuntime.run("jobs", silentLogger);
      await license;
      for (const id of ids) expect(postsNaming(w.receiver, id), id).toBe(1);
      expect(await w.ledger.openDeliveries(w.settings.alerts.tenantName)).toEqual([]);
    } finally {
      await w.stop();
    }
  });

  it("a run whose claim was taken over does not count the alert as delivered", async () => {
    const rec = (receiver = await startRecordingReceiver());
    const { clock, ledgerA, ledgerB } = await twoRunsOnOneLedger();
    await ledgerA.admit(alerts.slice(0, 1), ["teams"]);

    // A's one send outlasts its lease (the receiver holds it 6 minutes); B takes the row over meanwhile.
    let b: OutboxResult | undefined;
    const channelB = slowChannel(rec.url, async () => {});
    const channelA = slowChannel(rec.url, async () => {
      clock.now = new Date(clock.now.getTime() + minutes(6));
      b = await run(ledgerB, [{ channel: channelB }], "run-b", clock);
    });
    const a = await run(ledgerA, [{ channel: channelA }], "run-a", clock);
    expect(b?.delivered).toBe(1);
    expect(a.delivered).toBe(0);
    expect(a.overtaken).toBe(1);
  });
});

describe("what cannot be read or rendered is set aside; the rest of the queue goes on (review D3, D4)", () => {
  async function world() {
    const rec = (receiver = await startRecordingReceiver());
    const clock = { now: T0 };
    const prefix = `o${randomBytes(5).toString("hex")}`;
    const ledger = newLedger(prefix, clock);
    await ledger.ensureTables();
    await ledger.admit(alerts, ["teams"]);
    const channel = new WorkflowsWebhookChannel({ name: "teams", url: webhookUrl(rec.url), minIntervalInMs: 0, pacer: new SendPacer(), sleep: async () => {}, retryPolicy: { maxAttempts: 1 } });
    const admitSetAside: OutboxOptions["admitSetAside"] = (rows) => ledger.admit(setAsideAlerts(TENANT, rows, clock.now), ["teams"]);
    const deliver = () => run(ledger, [{ channel }], `run-${randomBytes(3).toString("hex")}`, clock, { admitSetAside });
    /** Rewrites the stored alert of job `id` (as another build, or a damaged row, would leave it). */
    const rewrite = async (id: string, alertJson: (stored: string) => string) => {
      const table = clientsFor(prefix).alerts;
      for await (const entity of table.listEntities<{ alertJson?: string }>()) {
        if (entity.alertJson?.includes(id)) await table.updateEntity({ partitionKey: entity.partitionKey!, rowKey: entity.rowKey!, alertJson: alertJson(entity.alertJson) }, "Merge");
      }
    };
    return { rec, ledger, deliver, rewrite };
  }

  it("one row among 3 that this build cannot decode: the other 2 are delivered, it is quarantined with its reason and raised once", async () => {
    const w = await world();
    await w.rewrite(jobIds[1]!, (stored) => stored.replace('{"v":1,', '{"v":2,'));

    const first = await w.deliver();
    expect(postsNaming(w.rec, jobIds[0]!)).toBe(1);
    expect(postsNaming(w.rec, jobIds[2]!)).toBe(1);
    expect(first.delivered).toBe(3); // two job alerts and the set-aside notice
    expect(first.setAside).toHaveLength(1);
    expect(first.setAside[0]!.reason).toContain("unknown format");
    const notices = w.rec.requests.filter((r) => r.rawBody.includes("was set aside"));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.rawBody).toContain("unknown format");

    const open = await w.ledger.openWork(TENANT);
    expect(open.records).toEqual([]);
    expect(open.unreadable.map((r) => [r.state, r.receiver])).toEqual([["quarantined", "teams"]]);

    const second = await w.deliver();
    expect(second).toMatchObject({ delivered: 0, setAside: [] });
    expect(w.rec.requests).toHaveLength(3);
  });

  it("a card that cannot be rendered is set aside and does not stall the receiver's queue", async () => {
    const w = await world();
    // Decodes (the codec checks shape, not every field) but the renderer cannot draw it.
    await w.rewrite(jobIds[0]!, (stored) => stored.replace(/"errors":\[[^\]]*\]/, '"errors":null'));

    const first = await w.deliver();
    expect(postsNaming(w.rec, jobIds[1]!)).toBe(1);
    expect(postsNaming(w.rec, jobIds[2]!)).toBe(1);
    expect(first.setAside.map((r) => r.reason)).toEqual([expect.stringContaining("could not be rendered: TypeError")]);
    const [quarantined] = (await w.ledger.openDeliveries(TENANT)).filter((r) => r.state === "quarantined");
    expect(quarantined?.fingerprint).toBe(alerts[0]!.fingerprint);
    expect(quarantined?.lastError).toContain("could not be rendered");
    expect(w.rec.requests.filter((r) => r.rawBody.includes("was set aside"))).toHaveLength(1);

    expect(await w.deliver()).toMatchObject({ delivered: 0, failed: 0, setAside: [] });
  });
});

describe("errors of a failed send are redacted before they are logged, reported or stored (review S3)", () => {
  it("a channel's own error text (not a DeliveryError) with a signed URL and a bearer token", async () => {
    const clock = { now: T0 };
    const prefix = `o${randomBytes(5).toString("hex")}`;
    const ledger = newLedger(prefix, clock);
    await ledger.ensureTables();
    await ledger.admit(alerts.slice(0, 1), ["teams"]);
    const leaky: Channel = {
      name: "teams",
      kind: "teams-workflows",
      send: async () => {
        throw new Error("POST https://prod.example/workflows/x?sp=1&sig=SIGSECRET1234 failed; Authorization: Bearer eyJSECRETTOKEN.abc");
      },
    };
    const logged: string[] = [];
    const result = await run(ledger, [{ channel: leaky }], "run-a", clock, { logger: capturingLogger(logged) });
    expect(result.failed).toBe(1);
    const [row] = await ledger.openDeliveries(TENANT);
    for (const text of [result.errors.join("\n"), row?.lastError ?? "", logged.join("\n")]) {
      expect(text).toContain("failed");
      expect(text).not.toContain("SIGSECRET1234");
      expect(text).not.toContain("eyJSECRETTOKEN");
    }
  });
});

describe("SMTP recipients the server refuses (review D6)", () => {
  /** A plain SMTP server on loopback: `refuse(address, attempt)` answers RCPT TO with that code (or accepts); records who got what. */
  async function smtpServer(refuse: (address: string, attempt: number) => number | undefined) {
    const received: { to: string[]; subject: string }[] = [];
    const rcptAttempts = new Map<string, number>();
    const server = new SMTPServer({
      logger: false,
      authOptional: true,
      hideSTARTTLS: true,
      onRcptTo(address, _session, callback) {
        const attempt = (rcptAttempts.get(address.address) ?? 0) + 1;
        rcptAttempts.set(address.address, attempt);
        const code = refuse(address.address, attempt);
        if (code === undefined) return callback();
        return callback(Object.assign(new Error(code >= 500 ? "No such user here" : "Greylisted, try again later"), { responseCode: code }));
      },
      onData(stream, session, callback) {
        let raw = "";
        stream.on("data", (c: Buffer) => (raw += c.toString("utf8")));
        stream.on("end", () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), subject: /^Subject: (.*)$/m.exec(raw)?.[1] ?? "" });
          callback(null, "queued");
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.server.address() as AddressInfo).port;
    return { port, received, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  async function deliverTwice(refuse: (address: string, attempt: number) => number | undefined) {
    const smtp = await smtpServer(refuse);
    try {
      const clock = { now: T0 };
      const prefix = `o${randomBytes(5).toString("hex")}`;
      const ledger = newLedger(prefix, clock);
      await ledger.ensureTables();
      await ledger.admit(alerts.slice(0, 1), ["email"]);
      const channel = new SmtpMailChannel({
        name: "email",
        host: "127.0.0.1",
        port: smtp.port,
        secure: false,
        requireTls: false,
        from: "backup-alerts@contoso.com",
        recipients: ["oncall@contoso.com", "backup-team@contoso.com", "lead@contoso.com"],
        retryPolicy: { maxAttempts: 1 },
        timeoutInMs: 5_000,
      });
      const results = [];
      for (let cycle = 0; cycle < 2; cycle++) {
        clock.now = new Date(T0.getTime() + minutes(5 * cycle));
        results.push(await run(ledger, [{ channel }], `run-${cycle}`, clock));
      }
      const copies = (address: string) => smtp.received.filter((m) => m.to.includes(address)).length;
      return { results, copies, ledger };
    } finally {
      await smtp.stop();
    }
  }

  it("a recipient refused with 451 and accepted later gets the alert once; the others get it once", async () => {
    const { results, copies } = await deliverTwice((address, attempt) => (address === "backup-team@contoso.com" && attempt === 1 ? 451 : undefined));
    expect(results[0]).toMatchObject({ delivered: 0, failed: 1 });
    expect(results[0]!.errors[0]).toMatch(/refused 1 of 3 recipient\(s\): backup-team@contoso\.com .*451/);
    expect(results[1]).toMatchObject({ delivered: 1, failed: 0 });
    expect([copies("oncall@contoso.com"), copies("backup-team@contoso.com"), copies("lead@contoso.com")]).toEqual([1, 1, 1]);
  });

  it("a recipient refused with 550 is a reported failure every cycle, never silently dropped; the others get it once", async () => {
    const { results, copies, ledger } = await deliverTwice((address) => (address === "lead@contoso.com" ? 550 : undefined));
    expect(results[0]!.errors[0]).toMatch(/lead@contoso\.com .*550.*permanent refusal/);
    // The retry goes to the refused recipient alone, and fails by name again.
    expect(results[1]!.errors[0]).toMatch(/refused 1 of 1 recipient\(s\): lead@contoso\.com .*550.*permanent refusal/);
    for (const r of results) expect(r).toMatchObject({ delivered: 0, failed: 1 });
    expect([copies("oncall@contoso.com"), copies("backup-team@contoso.com"), copies("lead@contoso.com")]).toEqual([1, 1, 0]);
    const [row] = await ledger.openDeliveries(TENANT);
    expect(row?.acceptedBy.sort()).toEqual(["backup-team@contoso.com", "oncall@contoso.com"]);
    expect(row?.lastError).toContain("lead@contoso.com");
  });
});

describe("the ledger, not the watermark, carries admitted alerts (review L1)", () => {
  it("alerts pending for a receiver that is no longer configured stay in the ledger and do not hold the watermark back", async () => {
    const rec = (receiver = await startRecordingReceiver());
    const clock = { now: T0 };
    const ledger = newLedger(`o${randomBytes(5).toString("hex")}`, clock);
    await ledger.ensureTables();
    await ledger.admit(alerts.slice(0, 1), ["old-hook"]);
    const result = await run(ledger, [{ channel: slowChannel(rec.url, async () => {}) }], "run-a", clock);
    expect(result).toMatchObject({ delivered: 0, failed: 0, oldestUndelivered: null });
    expect((await ledger.pending(TENANT)).map((r) => r.receiver)).toEqual(["old-hook"]);
  });
});

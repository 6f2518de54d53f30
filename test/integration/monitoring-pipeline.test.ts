import { afterEach, describe, expect, inject, it } from "vitest";
import { createTestCertificate } from "../support/certificates.js";
import { minutes, startPipelineWorld, type PipelineWorld } from "../support/pipeline-harness.js";
import { startRecordingReceiver, type RecordingReceiver } from "../support/recording-receiver.js";
import { validateAdaptiveCard } from "../support/validate-card.js";
import type { Fault } from "../simulator/faults.js";

// Real time, hour-aligned: the simulator and token provider check certificates against the real clock.
const T0 = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
const DAY = 86_400_000;
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);

let world: PipelineWorld | undefined;
let heartbeat: RecordingReceiver | undefined;
async function start(options: Omit<Parameters<typeof startPipelineWorld>[0], "azuriteConnectionString" | "start"> = {}) {
  world = await startPipelineWorld({ azuriteConnectionString: inject("azuriteConnectionString"), start: T0, ...options });
  return world;
}
afterEach(async () => {
  await world?.stop();
  await heartbeat?.stop();
  world = undefined;
  heartbeat = undefined;
});

function summaries(w: PipelineWorld): string[] {
  return w.receiver.requests.map((r) => (r.body as { summary: string }).summary);
}

function expectValidCards(w: PipelineWorld): void {
  for (const r of w.receiver.requests) {
    const card = (r.body as { attachments: { content: object }[] }).attachments[0]!.content;
    expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
  }
}

const MANY = 10_000;

describe("Monitoring degraded: after N failed cycles in a row, once, then resolved", () => {
  it.each<[string, Fault[], Record<string, string>, string, string]>([
    ["a missing permission (API 403)", [{ target: "jobs", kind: "status", status: 403, times: MANY }], {}, "Credential or permission refused", "admin consent"],
    ["an API outage (503 after retries)", [{ target: "jobs", kind: "status", status: 503, times: MANY }], {}, "AvePoint API unreachable", "service status"],
    ["connections reset (no response)", [{ target: "jobs", kind: "reset", times: MANY }], {}, "AvePoint API unreachable", "Outbound HTTPS"],
    ["a response we cannot read", [{ target: "jobs", kind: "body", body: '{"Unexpected":"shape"}', times: MANY }], {}, "Response not understood", "AVEPOINT"],
    ["a pinned endpoint that moved (404)", [{ target: "jobs", kind: "status", status: 404, times: MANY }], {}, "Endpoint not found (renamed by the vendor?)", "change log"],
    ["every known jobs path answering 404 (auto)", [{ target: "jobs", kind: "status", status: 404, times: MANY }], { AVEPOINT_API_PROFILE: "auto" }, "Endpoint not found (renamed by the vendor?)", "may have renamed it"],
  ])("%s", async (_name, faults, settings, problem, check) => {
    const w = await start({ settings });
    for (const fault of faults) w.simulator.injectFault(fault);

    for (let i = 0; i < 5; i++) {
      w.clock.now = at(minutes(5 * i));
      const s = await w.cycle("jobs");
      expect(s.ok).toBe(false);
      // Nothing before the third failure; one alert from then on, never repeated.
      expect(w.receiver.requests, `after failure ${i + 1}`).toHaveLength(i < 2 ? 0 : 1);
    }
    const [degraded] = summaries(w);
    expect(degraded).toBe("[CRITICAL] Monitoring degraded: jobs monitor failed 3 cycles in a row \u2014 Contoso");
    expect(w.posted()[0]).toContain(problem);
    expect(w.posted()[0]).toContain(check);

    w.simulator.clearFaults();
    w.clock.now = at(minutes(25));
    expect((await w.cycle("jobs")).ok).toBe(true);
    w.clock.now = at(minutes(30));
    await w.cycle("jobs");
    expect(summaries(w)).toEqual([degraded, "[RESOLVED] Jobs monitor works again \u2014 Contoso"]);
    expectValidCards(w);
  });

  it("a missing license permission stops only the license monitor, whose alert names the permission (review D6)", async () => {
    const w = await start({ simulator: { grantedScopes: ["microsoft365backup.jobInfo.read.all"] } });
    w.simulator.tenant.addJob({ id: "IB-PERM-FAIL", state: "Failed", startTime: at(-minutes(30)), finishTime: at(-minutes(20)), objectType: 1 });
    for (let i = 0; i < 3; i++) {
      w.clock.now = at(minutes(5 * i));
      expect((await w.cycle("jobs")).ok).toBe(true);
      expect((await w.cycle("license")).ok).toBe(false);
    }
    expect(summaries(w)).toEqual([
      "[CRITICAL] Backup job failed: Exchange Online (IB-PERM-FAIL) \u2014 Contoso",
      "[CRITICAL] Monitoring degraded: license monitor failed 3 cycles in a row \u2014 Contoso",
    ]);
    expect(w.posted()[1]).toContain("Credential or permission refused");
    expect(w.posted()[1]).toContain("microsoft365backup.subscriptionInfo.read.all");
    expectValidCards(w);
  });

  it("a refused client secret (token endpoint 401) is a credential problem; MONITOR_FAILURE_THRESHOLD is honoured", async () => {
    const w = await start({ settings: { AVEPOINT_CLIENT_SECRET: "not-the-secret", MONITOR_FAILURE_THRESHOLD: "2" } });
    for (let i = 0; i < 3; i++) {
      w.clock.now = at(minutes(5 * i));
      await w.cycle("jobs");
    }
    expect(summaries(w)).toEqual(["[CRITICAL] Monitoring degraded: jobs monitor failed 2 cycles in a row \u2014 Contoso"]);
    const posted = w.posted()[0]!;
    expect(posted).toContain("Credential or permission refused");
    expect(posted).toContain("AvePointAuthError");
    expect(posted).not.toContain("not-the-secret");
  });

  it("a refused credential on both monitors (overlapping cycles): exactly one degraded card naming both, then one Resolved", async () => {
    const w = await start();
    // The token endpoint refuses the credential (401 invalid_client) until it is fixed.
    w.simulator.injectFault({ target: "token", kind: "status", status: 401, body: '{"error":"invalid_client"}', times: MANY });
    // Each timer with its own runtime (different functions), their cycles at the same moments.
    const jobs = w.newRuntime();
    const license = w.newRuntime();
    for (let i = 0; i < 5; i++) {
      w.clock.now = at(minutes(5 * i));
      await Promise.all([w.cycle("jobs", jobs), w.cycle("license", license)]);
    }
    expect(summaries(w)).toEqual(["[CRITICAL] Monitoring degraded: jobs and license monitors failed 3 cycles in a row \u2014 Contoso"]);
    expect(w.posted()[0]).toContain("jobs, license");

    // The credential is fixed: the jobs monitor succeeds first, the notice waits for the license monitor.
    w.simulator.clearFaults();
    w.clock.now = at(minutes(30));
    expect((await w.cycle("jobs", jobs)).ok).toBe(true);
    expect(summaries(w)).toHaveLength(1);
    w.clock.now = at(minutes(35));
    await Promise.all([w.cycle("jobs", jobs), w.cycle("license", license)]);
    w.clock.now = at(minutes(40));
    await Promise.all([w.cycle("jobs", jobs), w.cycle("license", license)]);
    expect(summaries(w)).toEqual([
      "[CRITICAL] Monitoring degraded: jobs and license monitors failed 3 cycles in a row \u2014 Contoso",
      "[RESOLVED] Jobs and license monitors work again \u2014 Contoso",
    ]);
    expectValidCards(w);
  });

  it("a new episode after a resolve alerts again; a cause the license monitor shares joins the open alert", async () => {
    const w = await start();
    const fail = () => w.simulator.injectFault({ target: "any", kind: "status", status: 403, times: MANY });
    let t = 0;
    const cycle = async (monitor: "jobs" | "license") => {
      w.clock.now = at(minutes(5 * t++));
      return w.cycle(monitor);
    };
    fail();
    for (let i = 0; i < 3; i++) await cycle("jobs");
    // The license monitor fails for the same cause: no second alert, it joins the open one.
    await cycle("license");
    w.simulator.clearFaults();
    await cycle("jobs");
    // Resolved only once the license monitor succeeded too.
    expect(summaries(w)).toHaveLength(1);
    await cycle("license");
    fail();
    for (let i = 0; i < 3; i++) await cycle("jobs");
    expect(summaries(w)).toEqual([
      "[CRITICAL] Monitoring degraded: jobs monitor failed 3 cycles in a row \u2014 Contoso",
      "[RESOLVED] Jobs and license monitors work again \u2014 Contoso",
      "[CRITICAL] Monitoring degraded: jobs monitor failed 3 cycles in a row \u2014 Contoso",
    ]);
    const cp = await w.ledger.readCheckpoint("Contoso", "license");
    expect(cp.consecutiveFailures).toBe(0);
  });

  it("is delivered later when the receiver is down at the time, without a second alert", async () => {
    const w = await start();
    w.simulator.injectFault({ target: "jobs", kind: "status", status: 403, times: MANY });
    w.receiver.setDefault({ status: 400 });
    for (let i = 0; i < 4; i++) {
      w.clock.now = at(minutes(5 * i));
      await w.cycle("jobs");
    }
    w.receiver.setDefault({ status: 202 });
    w.clock.now = at(minutes(30));
    await w.cycle("jobs");
    const accepted = w.receiver.requests.filter((_r, i) => i >= w.receiver.requests.length - 1);
    expect((accepted[0]?.body as { summary: string }).summary).toMatch(/^\[CRITICAL\] Monitoring degraded/);
    expect(new Set(w.receiver.requests.map((r) => (r.body as { summary: string }).summary)).size).toBe(1);
  });
});

describe("credential expiry", () => {
  it("warns 30 days, 7 days and 0 days before the certificate expires, once each, read from the certificate", async () => {
    const certificate = createTestCertificate({ notAfter: at(20 * DAY) });
    const w = await start({
      settings: { AVEPOINT_CLIENT_SECRET: "", AVEPOINT_CERTIFICATE: certificate.combinedPem },
      simulator: { certificatePem: certificate.certPem },
    });
    const notices: string[] = [];
    for (const day of [0, 1, 13, 14, 20, 21]) {
      w.clock.now = at(day * DAY);
      const s = await w.cycle("license");
      expect(s.ok, s.error).toBe(true);
      notices.push(...summaries(w).slice(notices.length));
    }
    const date = certificate.notAfter.toISOString().slice(0, 10);
    expect(notices).toEqual([
      `[WARNING] AvePoint certificate expires in 20 days (${date}) \u2014 Contoso`,
      `[CRITICAL] AvePoint certificate expires in 7 days (${date}) \u2014 Contoso`,
      `[CRITICAL] AvePoint certificate expired on ${date} \u2014 Contoso`,
    ]);
    expect(w.posted().join("\n")).not.toContain("PRIVATE KEY");
    expectValidCards(w);
  });

  it("warns before a client secret's configured expiry (AVEPOINT_CLIENT_SECRET_EXPIRES) with CREDENTIAL_WARN_DAYS", async () => {
    const expires = at(10 * DAY).toISOString().slice(0, 10);
    const w = await start({ settings: { AVEPOINT_CLIENT_SECRET_EXPIRES: expires, CREDENTIAL_WARN_DAYS: "5" } });
    for (const day of [0, 4, 6, 7]) {
      w.clock.now = at(day * DAY);
      await w.cycle("license");
    }
    expect(summaries(w)).toHaveLength(1);
    expect(summaries(w)[0]).toMatch(new RegExp(`^\\[CRITICAL\\] AvePoint client secret expires in [45] days \\(${expires}\\)`));
    expect(w.posted()[0]).not.toContain("test-secret-value");
  });
});

describe("a credential notice found before the license read fails", () => {
  it("is still delivered that cycle, and not again once the read works; the failed cycle leaves the checkpoint where it was", async () => {
    const expires = at(3 * DAY).toISOString().slice(0, 10);
    const w = await start({ settings: { AVEPOINT_CLIENT_SECRET_EXPIRES: expires, CREDENTIAL_WARN_DAYS: "5" } });
    w.simulator.injectFault({ target: "license", kind: "status", status: 403, times: MANY });
    w.clock.now = at(0);
    const failed = await w.cycle("license");
    expect(failed.ok).toBe(false);
    expect(failed.checkpointWritten).toBe(true);
    expect(summaries(w)).toHaveLength(1);
    expect(summaries(w)[0]).toMatch(/^\[CRITICAL\] AvePoint client secret expires in [34] days/);

    w.simulator.clearFaults();
    w.clock.now = at(minutes(60));
    expect((await w.cycle("license")).ok).toBe(true);
    // Re-detected (its state was not written by the failed cycle), decided a repeat by the ledger's insert-if-absent: not sent twice.
    expect(summaries(w)).toHaveLength(1);
  });
});

describe("heartbeat", () => {
  it("is pinged after each successful cycle only; its URL never reaches the logs", async () => {
    heartbeat = await startRecordingReceiver();
    const url = `${heartbeat.origin}/ping/5f2a9c1e-secret-check-id`;
    const w = await start({ settings: { HEARTBEAT_URL: url } });
    await w.cycle("jobs");
    expect(heartbeat.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /ping/5f2a9c1e-secret-check-id"]);

    w.simulator.injectFault({ target: "jobs", kind: "status", status: 403 });
    w.clock.now = at(minutes(5));
    await w.cycle("jobs");
    expect(heartbeat.requests).toHaveLength(1);

    heartbeat.setDefault({ status: 500 });
    w.clock.now = at(minutes(10));
    expect((await w.cycle("jobs")).ok).toBe(true);
    expect(heartbeat.requests).toHaveLength(2);
    expect(w.logs.some((l) => l.includes("heartbeat") && l.includes("HTTP 500"))).toBe(true);

    await heartbeat.stop();
    w.clock.now = at(minutes(15));
    expect((await w.cycle("jobs")).ok).toBe(true);
    expect(w.logs.filter((l) => l.includes("heartbeat")).length).toBeGreaterThanOrEqual(2);
    expect(w.logs.join("\n")).not.toContain("secret-check-id");
    heartbeat = undefined;
  });
});

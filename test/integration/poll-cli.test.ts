import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AvePointSimulator } from "../simulator/index.js";
import { startRecordingReceiver, type RecordingReceiver } from "../support/recording-receiver.js";
import { runPoll, runPollOnce } from "../support/run-poll.js";

const poll = (env: Record<string, string>) => runPollOnce(env);

describe("npm run poll -- --once", () => {
  let simulator: AvePointSimulator;
  let receiver: RecordingReceiver;
  let env: Record<string, string>;

  beforeAll(async () => {
    simulator = await AvePointSimulator.start({ clientId: "cli-client", clientSecret: "cli-secret-value" });
    receiver = await startRecordingReceiver();
    env = {
      AVEPOINT_CLIENT_ID: "cli-client",
      AVEPOINT_CLIENT_SECRET: "cli-secret-value",
      AVEPOINT_API_URL: simulator.url,
      AVEPOINT_TOKEN_URL: simulator.tokenUrl,
      ALERTS_STORAGE: inject("azuriteConnectionString"),
      ALERTS_TABLE_PREFIX: `cli${randomBytes(4).toString("hex")}`,
      TEAMS_WEBHOOK_URL: receiver.url,
      ALERT_TENANT_NAME: "Contoso",
    };
  });
  afterAll(async () => {
    await simulator.stop();
    await receiver.stop();
  });

  it("exits 2 listing every configuration problem, before any request", async () => {
    simulator.resetRequests();
    const result = await poll({ AVEPOINT_REGION: "mars", LOG_LEVEL: "chatty", TEAMS_WEBHOOK_URL: "https://contoso.webhook.office.com/x?sig=SECRETSIG" });
    expect(result.code).toBe(2);
    for (const variable of ["AVEPOINT_CLIENT_ID", "AVEPOINT_REGION", "LOG_LEVEL", "TEAMS_WEBHOOK_URL"]) expect(result.stderr).toContain(variable);
    expect(result.stderr).not.toContain("SECRETSIG");
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stdout).toBe("");
    expect(simulator.requests).toHaveLength(0);
  });

  it("exits 0 with one summary line per monitor when everything found was delivered", async () => {
    simulator.tenant.addJob({ id: "IB-CLI-1", state: "Failed", startTime: new Date(Date.now() - 3_600_000), finishTime: new Date(Date.now() - 1_800_000), objectType: 1 });
    const result = await poll(env);
    expect(result.stderr).not.toContain("cli-secret-value");
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^jobs monitor \[Contoso\]: ok; \d+ job\(s\) read; 1 new alert\(s\); 1 delivered/);
    expect(lines[1]).toMatch(/^license monitor \[Contoso\]: ok/);
    expect(receiver.requests.filter((r) => r.rawBody.includes("IB-CLI-1"))).toHaveLength(1);
  });

  it("exits 1 when something could not be delivered, and keeps it for the next run", async () => {
    simulator.tenant.addJob({ id: "IB-CLI-2", state: "Failed", startTime: new Date(Date.now() - 600_000), finishTime: new Date(Date.now() - 300_000), objectType: 1 });
    receiver.setDefault({ status: 404 });
    const failed = await poll(env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/jobs monitor \[Contoso\]: FAILED.*1 pending after failed delivery/);
    expect(failed.stdout + failed.stderr).not.toContain(receiver.sig);

    receiver.setDefault({ status: 202 });
    const retried = await poll(env);
    expect(retried.code, retried.stderr).toBe(0);
    // One refused post (404 is not retried), then exactly one accepted post.
    expect(receiver.requests.filter((r) => r.rawBody.includes("IB-CLI-2"))).toHaveLength(2);
    expect(retried.stdout).toMatch(/jobs monitor \[Contoso\]: ok; .*1 delivered/);
  });

  it("refuses `npm run poll --once` (npm took --once for itself) with a one-line hint, before any request", async () => {
    simulator.resetRequests();
    // What npm passes when the flag comes before `--`: no argument, an npm_config_once variable.
    const result = await runPoll({ ...env, npm_config_once: "true" }, []);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      "poll: npm took --once for itself and would run the scheduler forever; put it after --: npm run poll -- --once",
    ]);
    expect(result.stdout).toBe("");
    expect(simulator.requests).toHaveLength(0);
  });

  it("on schedules, says which schedules it runs, resolved from the settings", async () => {
    const result = await runPoll({ ...env, JOBS_SCHEDULE: "0 0 3 * * *" }, [], /Ctrl\+C stops/);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("running jobsMonitor (0 0 3 * * *), licenseMonitor (0 0 * * * *); Ctrl+C stops");
    expect(result.stderr).not.toContain("%");
  });

  it("exits 1 when AvePoint cannot be read", async () => {
    const result = await poll({ ...env, AVEPOINT_CLIENT_SECRET: "wrong-secret" });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/jobs monitor \[Contoso\]: FAILED.*AvePointAuthError/);
    expect(result.stdout + result.stderr).not.toContain("wrong-secret");
  });
});

/**
 * Routing, fallback and silences end to end: the AvePoint simulator, Azurite
 * and two recording Teams webhooks over loopback, wired from a routing given
 * as ALERT_ROUTES through the same settings parser, receiver builder and
 * runtime production uses. Only waits and the clock are injected.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createAvePointClient } from "../../shared/avepoint/index.js";
import { SendPacer } from "../../shared/receivers/pacing.js";
import { parseSettings } from "../../shared/config/index.js";
import { AlertLedger, createTableClients, type DeliveryRecord } from "../../shared/ledger/index.js";
import { buildReceiver } from "../../shared/receivers/registry.js";
import { createRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import { AvePointSimulator } from "../simulator/index.js";
import { startRecordingReceiver, type RecordingReceiver } from "../support/recording-receiver.js";
import { capturingLogger } from "../support/capturing-logger.js";

const T0 = new Date("2026-11-29T08:00:00Z"); // a Sunday, 09:00 in Berlin
const minutes = (n: number) => n * 60_000;
const at = (offsetInMs: number) => new Date(T0.getTime() + offsetInMs);

interface RoutingWorld {
  simulator: AvePointSimulator;
  hooks: Record<string, RecordingReceiver>;
  ledger: AlertLedger;
  clock: { now: Date };
  logs: string[];
  runtime: Runtime;
  cycle(): ReturnType<Runtime["run"]>;
  /** Bodies posted to one receiver. */
  posted(name: string): string[];
  /** Ledger rows not delivered yet, as `jobId→receiver:state`. */
  rows(): Promise<string[]>;
  /** Every ledger row, delivered ones too, as `jobId→receiver:state`. */
  allRows(): Promise<string[]>;
  stop(): Promise<void>;
}

let world: RoutingWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

async function startWorld(hookNames: string[], routes: (urlFrom: (name: string) => string) => object): Promise<RoutingWorld> {
  const simulator = await AvePointSimulator.start({ clientId: "test-client", clientSecret: "test-secret-value" });
  const hooks: Record<string, RecordingReceiver> = {};
  const hookSettings: Record<string, string> = {};
  const settingOf = (name: string) => `HOOK_${name.toUpperCase().replace(/-/g, "_")}`;
  for (const name of hookNames) {
    hooks[name] = await startRecordingReceiver();
    hookSettings[settingOf(name)] = hooks[name].url;
  }
  const connection = inject("azuriteConnectionString");
  const settings = parseSettings({
    AVEPOINT_CLIENT_ID: "test-client",
    AVEPOINT_CLIENT_SECRET: "test-secret-value",
    AVEPOINT_API_URL: simulator.url,
    AVEPOINT_TOKEN_URL: simulator.tokenUrl,
    ALERTS_STORAGE: connection,
    ALERTS_TABLE_PREFIX: `r${randomBytes(5).toString("hex")}`,
    ALERT_TENANT_NAME: "Contoso",
    ALERT_ROUTES: JSON.stringify(routes(settingOf)),
    ...hookSettings,
  });
  const clock = { now: T0 };
  const logs: string[] = [];
  const logger = capturingLogger(logs, { debug: false });
  const noWait = async () => {};
  const fastRetry = { maxAttempts: 3, baseDelayInMs: 1, maxDelayInMs: 5, maxTotalInMs: 600_000 };
  const pacer = new SendPacer();
  const receivers = settings.routing.receivers.map((spec) =>
    buildReceiver(spec, { settings, logger, workflows: { retryPolicy: fastRetry, sleep: noWait, minIntervalInMs: 0, pacer, timeoutInMs: 2_000 } }),
  );
  const runtime = createRuntime(settings, {
    now: () => clock.now,
    reader: createAvePointClient(settings.avepoint, { retryPolicy: fastRetry, sleep: noWait, logger, timeoutInMs: 2_000 }),
    receivers,
  });
  const tables = createTableClients(settings.storage!, settings.tablePrefix);
  const ledger = new AlertLedger(tables);
  return {
    simulator,
    hooks,
    ledger,
    clock,
    logs,
    runtime,
    cycle: () => runtime.run("jobs", logger),
    posted: (name) => hooks[name]!.requests.map((r) => r.rawBody),
    async rows() {
      const rows: DeliveryRecord[] = await ledger.openDeliveries("Contoso");
      return rows.map((r) => `${"job" in r.alert ? r.alert.job.id : r.alert.kind}→${r.receiver}:${r.state}`).sort();
    },
    async allRows() {
      const rows: string[] = [];
      for await (const e of tables.alerts.listEntities<{ receiver: string; state: string; alertJson?: string }>()) {
        if (e.rowKey?.startsWith("!")) continue; // the ledger's open-work markers
        rows.push(`${/"id":"([^"]+)"/.exec(e.alertJson ?? "")?.[1]}→${e.receiver}:${e.state}`);
      }
      return rows.sort();
    },
    async stop() {
      await simulator.stop();
      for (const hook of Object.values(hooks)) await hook.stop();
    },
  };
}

const mentions = (posted: readonly string[], text: string) => posted.filter((p) => p.includes(text)).length;

function failedJob(w: RoutingWorld, id: string, state = "Failed", objectType = 1): void {
  w.simulator.tenant.addJob({ id, state, startTime: at(-minutes(50)), finishTime: at(-minutes(20)), objectType, counts: { total: 10, failed: 3, successful: 7, skipped: 0 } });
}

describe("fallback when a receiver is down", () => {
  it("sends to the fallback once, then to the recovered primary once; nothing lost, nothing twice", async () => {
    const w = (world = await startWorld(["oncall", "backup"], (urlFrom) => ({
      receivers: {
        oncall: { type: "teams-workflows", urlFrom: urlFrom("oncall"), fallback: "backup" },
        backup: { type: "teams-workflows", urlFrom: urlFrom("backup") },
      },
      default: "oncall",
    })));
    w.hooks["oncall"]!.setDefault({ status: 503, headers: { "Retry-After": "0" } });
    failedJob(w, "IB-DOWN-1");
    failedJob(w, "IB-DOWN-2", "PartiallyFinished", 2);

    // Cycle 1: the primary answers 503 to every try; both alerts reach the fallback.
    const first = await w.cycle();
    expect(first.ok).toBe(false);
    expect(first.delivery).toMatchObject({ delivered: 2, failed: 2 });
    expect(w.hooks["oncall"]!.requests.length).toBeGreaterThanOrEqual(3); // the channel's retries
    expect(mentions(w.posted("oncall"), "IB-DOWN-1")).toBeGreaterThan(0);
    for (const id of ["IB-DOWN-1", "IB-DOWN-2"]) expect(mentions(w.posted("backup"), id)).toBe(1);
    expect(w.logs.some((l) => l.includes("go to its fallback backup"))).toBe(true);
    expect(await w.rows()).toEqual(["IB-DOWN-1→oncall:pending", "IB-DOWN-2→oncall:pending"]);
    // Secrets stay out of the logs, including the fallback's.
    for (const hook of Object.values(w.hooks)) expect(w.logs.join("\n")).not.toContain(hook.sig);

    // Cycle 2: still down; the fallback already has both, so it gets nothing again.
    w.clock.now = at(minutes(5));
    const second = await w.cycle();
    expect(second.delivery).toMatchObject({ delivered: 0, failed: 2 });
    expect(w.posted("backup")).toHaveLength(2);

    // Cycle 3: the primary is back and gets each alert once.
    w.hooks["oncall"]!.setDefault({ status: 202 });
    const before = w.hooks["oncall"]!.requests.length;
    w.clock.now = at(minutes(10));
    const third = await w.cycle();
    expect(third).toMatchObject({ ok: true, delivery: { delivered: 2, failed: 0 } });
    const recovered = w.posted("oncall").slice(before);
    for (const id of ["IB-DOWN-1", "IB-DOWN-2"]) expect(mentions(recovered, id)).toBe(1);
    expect(w.posted("backup")).toHaveLength(2);
    expect(await w.allRows()).toEqual(["IB-DOWN-1→backup:delivered", "IB-DOWN-1→oncall:delivered", "IB-DOWN-2→backup:delivered", "IB-DOWN-2→oncall:delivered"]);

    // Cycle 4: nothing left for anyone.
    w.clock.now = at(minutes(15));
    const fourth = await w.cycle();
    expect(fourth).toMatchObject({ ok: true, delivery: { delivered: 0 } });
    expect(w.posted("oncall").length).toBe(before + 2);
    expect(w.posted("backup")).toHaveLength(2);
  });

  it("a fallback that is down too leaves everything pending for the next cycle", async () => {
    const w = (world = await startWorld(["oncall", "backup"], (urlFrom) => ({
      receivers: {
        oncall: { type: "teams-workflows", urlFrom: urlFrom("oncall"), fallback: "backup" },
        backup: { type: "teams-workflows", urlFrom: urlFrom("backup") },
      },
      default: "oncall",
    })));
    w.hooks["oncall"]!.setDefault({ status: 503 });
    w.hooks["backup"]!.setDefault({ status: 503 });
    failedJob(w, "IB-BOTH-DOWN");
    const first = await w.cycle();
    expect(first.delivery).toMatchObject({ delivered: 0, failed: 2 });
    expect(await w.rows()).toEqual(["IB-BOTH-DOWN→backup:pending", "IB-BOTH-DOWN→oncall:pending"]);

    // Both back: each gets it once, no more.
    w.hooks["oncall"]!.setDefault({ status: 202 });
    w.hooks["backup"]!.setDefault({ status: 202 });
    const [oncallBefore, backupBefore] = [w.hooks["oncall"]!.requests.length, w.hooks["backup"]!.requests.length];
    w.clock.now = at(minutes(5));
    expect(await w.cycle()).toMatchObject({ ok: true, delivery: { delivered: 2 } });
    expect(mentions(w.posted("oncall").slice(oncallBefore), "IB-BOTH-DOWN")).toBe(1);
    expect(mentions(w.posted("backup").slice(backupBefore), "IB-BOTH-DOWN")).toBe(1);
    expect(await w.rows()).toEqual([]);
  });
});

describe("routes and silences", () => {
  it("critical to on-call, warnings to the team channel, each tracked per receiver", async () => {
    const w = (world = await startWorld(["oncall", "team"], (urlFrom) => ({
      receivers: {
        oncall: { type: "teams-workflows", urlFrom: urlFrom("oncall") },
        team: { type: "teams-workflows", urlFrom: urlFrom("team") },
      },
      routes: [
        { matchers: { severity: "critical" }, receivers: ["oncall"], continue: true },
        { matchers: { service: "Exchange Online" }, receivers: ["team"] },
      ],
      default: "team",
    })));
    failedJob(w, "IB-CRIT-EXO", "Failed", 1); // critical, Exchange: on-call, and (continue) the team
    failedJob(w, "IB-CRIT-SPO", "Failed", 2); // critical, SharePoint: on-call only
    failedJob(w, "IB-WARN-SPO", "PartiallyFinished", 2); // warning: no route, the default
    const first = await w.cycle();
    expect(first).toMatchObject({ ok: true, newAlerts: 4, delivery: { delivered: 4 } });
    expect(["IB-CRIT-EXO", "IB-CRIT-SPO", "IB-WARN-SPO"].map((id) => mentions(w.posted("oncall"), id))).toEqual([1, 1, 0]);
    expect(["IB-CRIT-EXO", "IB-CRIT-SPO", "IB-WARN-SPO"].map((id) => mentions(w.posted("team"), id))).toEqual([1, 0, 1]);
  });

  it("a silenced alert is recorded, not sent, does not fire when the silence ends, and is listed once in the summary after it", async () => {
    const w = (world = await startWorld(["oncall"], (urlFrom) => ({
      receivers: { oncall: { type: "teams-workflows", urlFrom: urlFrom("oncall") } },
      default: "oncall",
      silences: [
        { name: "sunday-maintenance", matchers: { service: "Exchange Online" }, weekly: { days: "sunday", start: "08:00", end: "09:30", timeZone: "Europe/Berlin" } },
      ],
    })));
    failedJob(w, "IB-SILENT", "Failed", 1); // Exchange, during the window (09:00 Berlin)
    failedJob(w, "IB-LOUD", "Failed", 2); // SharePoint: not matched by the silence
    const first = await w.cycle();
    expect(first).toMatchObject({ ok: true, delivery: { delivered: 1 } });
    expect(mentions(w.posted("oncall"), "IB-SILENT")).toBe(0);
    expect(mentions(w.posted("oncall"), "IB-LOUD")).toBe(1);
    expect(w.logs.some((l) => l.includes('1 alert(s) silenced by "sunday-maintenance"'))).toBe(true);
    // The silenced one is recorded (so it is known), settled rather than left pending.
    expect(await w.allRows()).toEqual(["IB-LOUD→oncall:delivered", "IB-SILENT→silenced:delivered"]);

    // After the window (09:30 Berlin) the job is still in the read window, but known: no alert of its own,
    // only the one summary of what the window held back (see silence-summary.test.ts).
    w.clock.now = at(minutes(40));
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 1, delivery: { delivered: 1, messages: 1 } });
    expect(w.posted("oncall")[1]).toContain("While silenced (sunday-maintenance");
    // A new Exchange failure after the window is sent.
    w.simulator.tenant.addJob({ id: "IB-AFTER", state: "Failed", startTime: at(minutes(30)), finishTime: at(minutes(42)), objectType: 1 });
    w.clock.now = at(minutes(45));
    expect(await w.cycle()).toMatchObject({ ok: true, newAlerts: 1, delivery: { delivered: 1 } });
    expect(mentions(w.posted("oncall"), "IB-SILENT")).toBe(1); // in the summary only
    expect(mentions(w.posted("oncall"), "IB-AFTER")).toBe(1);
  });
});

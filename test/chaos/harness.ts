/**
 * The seeded fault-injection suite. Each run scripts a fresh tenant on the
 * AvePoint simulator and drives the real pipeline through it over real HTTP:
 *
 *   simulator (AvePoint, faults: 429 / 5xx / slow / truncated / 401)
 *      ▲
 *   pipeline ──► storage proxy (503 / dropped connections / outage) ──► Azurite (its own instance)
 *      │
 *      └──────► receiver gate (kills the child process around the 2xx) ──► recording receiver (5xx / 429 / slow / reset)
 *
 * Most runs are in-process: several cycles on a virtual clock (retry and pacing
 * waits advance it), with faults drawn per cycle and, now and then, two cycles
 * of two "instances" at once against the same ledger (checkpoint 412s, claim
 * races). Every `crashEvery`-th run is a crash run: the real `node
 * dist/cli/poll.js --once` in a child process, configured through its
 * environment, killed at a drawn point (at the receiver's request, between the
 * receiver's 2xx and the child hearing it, just after it heard it, or after a
 * random delay). Every run ends with fault-free drain cycles, then the
 * invariants are checked: see `checkRun` and docs/RELIABILITY.md.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fingerprintOf } from "../../shared/alerts/fingerprint.js";
import { jobIdentity } from "../../shared/alerts/job-rules.js";
import { createAvePointClient } from "../../shared/avepoint/index.js";
import type { BackupJob } from "../../shared/avepoint/model.js";
import { SendPacer } from "../../shared/receivers/pacing.js";
import { WorkflowsWebhookChannel } from "../../shared/receivers/teams-workflows.js";
import { parseSettings, type Settings } from "../../shared/config/index.js";
import { AlertLedger, createTableClients } from "../../shared/ledger/index.js";
import { silentLogger } from "../../shared/logging.js";
import { formatSummary, type CycleSummary } from "../../shared/telemetry/cycle-summary.js";
import { createRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import { DEFAULT_TEAMS_RECEIVER } from "../../shared/config/routing-file.js";
import { Secret } from "../../shared/security/secret.js";
import { AvePointSimulator, type Fault } from "../simulator/index.js";
import { startAzurite, type RunningAzurite } from "../support/azurite.js";
import { startRecordingReceiver, type RecordingReceiver, type ScriptedResponse } from "../support/recording-receiver.js";
import { alertsCarriedBy } from "./delivered-ids.js";
import { EventSequence, startFaultProxy, type FaultProxy, type ProxiedExchange, type RequestAction } from "./fault-proxy.js";
import { SeededRandom } from "./random.js";
import { ScriptedTenant } from "./scripted-tenant.js";
import { VirtualClock } from "./virtual-clock.js";

export const FAULT_KINDS = [
  "avepoint-429",
  "avepoint-5xx",
  "avepoint-timeout",
  "avepoint-truncated",
  "avepoint-401",
  "storage-503",
  "storage-dropped",
  "storage-outage",
  "overlapping-cycles",
  "receiver-5xx",
  "receiver-429",
  "receiver-timeout",
  "receiver-slow-accept",
  "receiver-reset",
  "crash-at-send",
  "crash-after-2xx",
  "crash-after-ack",
  "crash-random",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Why an alert reached the receiver more than once. All but `unexplained` are
 * the named windows of docs/RELIABILITY.md: a crash or a failed ledger write
 * between the receiver's 2xx and the record, and a post the receiver accepted
 * whose answer came after the client had timed out (it is sent again: nothing
 * is lost, at the price of a copy).
 */
export const DUPLICATE_CAUSES = ["crash-after-2xx", "ledger-write-failed-after-2xx", "timeout-after-accept", "unexplained"] as const;
export type DuplicateCause = (typeof DUPLICATE_CAUSES)[number];

export interface ChaosOptions {
  seed: string;
  runs: number;
  /** Every n-th run (the n-th, 2n-th, ...) is a crash run with child processes; 0 = none. Default 5. */
  crashEvery?: number;
  /** Cycles per in-process run, before the drain. Default 4..8. */
  cycles?: { min: number; max: number };
  /** The compiled `cli/poll.js`. Default: found next to this file's build. */
  pollScript?: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /**
   * Breaks the receiver on purpose, to prove the checks catch what they claim to:
   * "answer-lost" drops every other 2xx on its way back (the pipeline cannot know
   * it was delivered: duplicates with no crash behind them), "black-hole" answers
   * 202 without passing the post on (alerts lost).
   */
  sabotage?: "answer-lost" | "black-hole";
  /** Runs only these run numbers (each run draws from SEED#run, so one run reproduces alone). */
  only?: readonly number[];
  /** Per-cycle detail (faults drawn, cycle summaries), for reproducing a failure. */
  trace?: (line: string) => void;
}

export interface ChaosReport {
  seed: string;
  runs: number;
  inProcessRuns: number;
  crashRuns: number;
  cycles: number;
  childProcesses: number;
  /** Child processes killed (some kill points are never reached, e.g. a run with nothing to send). */
  childrenKilled: number;
  faults: Record<FaultKind, number>;
  /** Checkpoint writes that lost to an overlapping cycle (HTTP 409/412). */
  checkpointConflicts: number;
  /** Cycles that reported a read error (AvePoint faults that outlasted the retries, malformed bodies). */
  failedReads: number;
  /** Cycles that threw (Table Storage unavailable). */
  abortedCycles: number;
  /** Alert-worthy job outcomes the scripted tenants produced. */
  alertWorthy: number;
  /** Of them, delivered at least once (a 2xx from the receiver for a post naming the job). */
  delivered: number;
  /** Posts the receiver accepted (2xx). */
  acceptedPosts: number;
  duplicates: Record<DuplicateCause, number>;
  lost: number;
  violations: string[];
  elapsedInMs: number;
}

const MINUTE = 60_000;
/** The ledger's default claim lease (shared/ledger/ledger.ts); drains wait it out. */
const LEASE_IN_MS = 5 * MINUTE;
const TABLE_PREFIX = "chaos";
const CHILD_TIMEOUT_IN_MS = 60_000;
/**
 * Per-request timeout of the in-process clients (production: 30 s; here scaled down with every
 * other wait). Timeout faults answer clearly later than this and never accept. The slow-accept
 * fault accepts the post and answers somewhere around the timeout, as a throttled receiver does:
 * an answer after the timeout is the timeout-after-accept window, counted by the gate seeing the
 * client gone when the 2xx came (a loaded event loop makes such late answers happen on their own too).
 */
const IN_PROCESS_TIMEOUT_IN_MS = 600;
const TIMEOUT_FAULT_DELAY_IN_MS = 800;
const SLOW_ACCEPT_DELAY_IN_MS = { min: 300, max: 1_200 };

type StoragePlan = { kind: "window"; from: number; count: number; mode: "503" | "reset" } | { kind: "outage"; from: number } | null;

type KillPoint = "none" | "at-send" | "after-2xx" | "after-ack" | "random";

interface Phase {
  tag: string;
  run: number;
  kill: KillPoint;
  /** Which of the phase's receiver requests triggers the kill (1-based). */
  killAt: number;
  child?: ChildProcess;
  childExit?: Promise<void>;
  /** Event order of the kill, when there was one. */
  killedSeq?: number;
  /** Event order of each storage request the proxy failed in this phase. */
  storageFailures: number[];
  receiverRequests: number;
}

interface World extends HarnessState {
  azurite: RunningAzurite;
  simulator: AvePointSimulator;
  receiver: RecordingReceiver;
  gate: FaultProxy;
  storage: FaultProxy;
  events: EventSequence;
  /** Connection string that goes through the storage proxy. */
  proxiedConnection: string;
}

/** What the proxies' hooks read and the runs change. */
interface HarnessState {
  phases: Map<string, Phase>;
  phase: Phase | undefined;
  storagePlan: StoragePlan;
  storageRequests: number;
  /** Scripted receiver answers queued and not yet used. */
  receiverScripted: number;
}

function emptyReport(seed: string): ChaosReport {
  return {
    seed,
    runs: 0,
    inProcessRuns: 0,
    crashRuns: 0,
    cycles: 0,
    childProcesses: 0,
    childrenKilled: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    checkpointConflicts: 0,
    failedReads: 0,
    abortedCycles: 0,
    alertWorthy: 0,
    delivered: 0,
    acceptedPosts: 0,
    duplicates: Object.fromEntries(DUPLICATE_CAUSES.map((c) => [c, 0])) as Record<DuplicateCause, number>,
    lost: 0,
    violations: [],
    elapsedInMs: 0,
  };
}

/** The compiled poll entry point: dist/cli/poll.js, from the source tree or from the build. */
export function defaultPollScript(): string {
  const candidates = [
    fileURLToPath(new URL("../../cli/poll.js", import.meta.url)), // dist/test/chaos → dist/cli
    fileURLToPath(new URL("../../dist/cli/poll.js", import.meta.url)), // test/chaos → dist/cli
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`the compiled poll entry point was not found (${candidates.join(", ")}): run \`npm run build\` first`);
  return found;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const report = emptyReport(options.seed);
  const crashEvery = options.crashEvery ?? 5;
  const pollScript = crashEvery > 0 ? (options.pollScript ?? defaultPollScript()) : "";
  const world = await startWorld(options.sabotage);
  const workDir = mkdtempSync(join(tmpdir(), "cba-chaos-"));
  try {
    for (let run = 1; run <= options.runs; run++) {
      if (options.only && !options.only.includes(run)) continue;
      const random = new SeededRandom(`${options.seed}#${run}`);
      const crash = crashEvery > 0 && run % crashEvery === 0;
      const before = report.violations.length;
      if (crash) await crashRun(world, run, random, report, pollScript, workDir);
      else await inProcessRun(world, run, random, report, options.cycles ?? { min: 4, max: 8 }, options.trace);
      report.runs++;
      const newViolations = report.violations.length - before;
      log(`run ${run}/${options.runs} (${crash ? "crash" : "in-process"})${newViolations > 0 ? `: ${newViolations} violation(s)` : ""}`);
    }
  } finally {
    await stopWorld(world);
    rmSync(workDir, { recursive: true, force: true });
  }
  report.elapsedInMs = Date.now() - started;
  return report;
}

// --- The world: Azurite, proxies, simulator, receiver --------------------------------

async function startWorld(sabotage?: ChaosOptions["sabotage"]): Promise<World> {
  const events = new EventSequence();
  const azurite = await startAzurite();
  const simulator = await AvePointSimulator.start();
  const receiver = await startRecordingReceiver();
  const state: HarnessState = { phases: new Map<string, Phase>(), phase: undefined, storagePlan: null, storageRequests: 0, receiverScripted: 0 };
  const storage = await startFaultProxy({
    upstream: `http://127.0.0.1:${azurite.port}`,
    events,
    record: false,
    hooks: { request: () => storageDecision(state, events) },
  });
  const gate = await startFaultProxy({
    upstream: receiver.origin,
    events,
    hooks: {
      request: async (exchange) => {
        const phase = state.phase;
        if (!phase) return { kind: "forward" };
        phase.receiverRequests++;
        if (sabotage === "black-hole") return { kind: "respond", status: 202 };
        if (phase.kill === "at-send" && phase.receiverRequests === phase.killAt) {
          await killChild(events, phase);
          exchange.injected = true;
          return { kind: "reset" };
        }
        return { kind: "forward" };
      },
      response: async (exchange) => {
        const phase = state.phase;
        if (phase?.kill === "after-2xx" && phase.receiverRequests === phase.killAt && isAccepted(exchange)) {
          await killChild(events, phase);
          return "reset";
        }
        if (sabotage === "answer-lost" && isAccepted(exchange) && phase && phase.receiverRequests % 2 === 1) return "reset";
        return "forward";
      },
      delivered: (exchange) => {
        const phase = state.phase;
        if (phase?.kill === "after-ack" && phase.receiverRequests === phase.killAt && isAccepted(exchange)) void killChild(events, phase);
      },
    },
  });
  const proxiedConnection = azurite.connectionString.replace(`:${azurite.port}/`, `:${storage.port}/`);
  // The runs change the state through the world; the hooks read the same object.
  return Object.assign(state, { azurite, simulator, receiver, gate, storage, events, proxiedConnection });
}

async function stopWorld(world: World): Promise<void> {
  await Promise.allSettled([world.gate.stop(), world.storage.stop(), world.simulator.stop(), world.receiver.stop()]);
  await world.azurite.stop();
}

function storageDecision(state: HarnessState, events: EventSequence): RequestAction {
  const n = ++state.storageRequests;
  const plan = state.storagePlan;
  if (!plan) return { kind: "forward" };
  const failing = plan.kind === "outage" ? n >= plan.from : n >= plan.from && n < plan.from + plan.count;
  if (!failing) return { kind: "forward" };
  state.phase?.storageFailures.push(events.next());
  if (plan.kind === "window" && plan.mode === "503") return { kind: "respond", status: 503 };
  return { kind: "reset" };
}

function isAccepted(exchange: ProxiedExchange): boolean {
  return !exchange.injected && exchange.status >= 200 && exchange.status <= 299;
}

function enterPhase(world: World, run: number, label: string, kill: KillPoint = "none", killAt = 1): Phase {
  const phase: Phase = { tag: `r${run}/${label}`, run, kill, killAt, storageFailures: [], receiverRequests: 0 };
  world.phases.set(phase.tag, phase);
  world.phase = phase;
  world.gate.tag = phase.tag;
  world.storageRequests = 0;
  return phase;
}

async function killChild(events: EventSequence, phase: Phase): Promise<void> {
  const child = phase.child;
  if (!child || phase.killedSeq !== undefined || child.exitCode !== null || child.signalCode !== null) return;
  phase.killedSeq = events.next();
  child.kill("SIGKILL");
  await phase.childExit;
}

// --- Settings and runtimes ---------------------------------------------------------------

interface RunConfig {
  tenant: string;
  values: Record<string, string>;
  settings: Settings;
}

function runConfig(world: World, run: number, random: SeededRandom, seedTag: string, groupThreshold: number): RunConfig {
  const tenant = `chaos-${seedTag}-${run}`;
  const values: Record<string, string> = {
    AVEPOINT_CLIENT_ID: "sim-client",
    AVEPOINT_CLIENT_SECRET: "sim-secret",
    AVEPOINT_API_URL: world.simulator.url,
    AVEPOINT_TOKEN_URL: world.simulator.tokenUrl,
    AVEPOINT_API_PROFILE: random.pick(["seed", "current"]),
    AVEPOINT_PAGE_SIZE: String(random.int(2, 10)),
    ALERTS_STORAGE: world.proxiedConnection,
    ALERTS_TABLE_PREFIX: TABLE_PREFIX,
    TEAMS_WEBHOOK_URL: world.receiver.url.replace(world.receiver.origin, world.gate.origin),
    ALERT_TENANT_NAME: tenant,
    ALERT_GROUP_THRESHOLD: String(groupThreshold),
    LOG_LEVEL: "warn",
  };
  return { tenant, values, settings: parseSettings(values) };
}

/** One "instance" of the function app, in process: real client, ledger and channel, on the virtual clock. */
function inProcessRuntime(config: RunConfig, clock: VirtualClock, random: SeededRandom): Runtime {
  const storage = config.settings.storage;
  if (!storage) throw new Error("chaos settings have no storage");
  const ledger = new AlertLedger(
    createTableClients(storage, TABLE_PREFIX, { retryOptions: { maxRetries: 2, retryDelayInMs: 1, maxRetryDelayInMs: 5 } }),
    { now: clock.date, leaseInMs: LEASE_IN_MS },
  );
  const reader = createAvePointClient(config.settings.avepoint, { sleep: clock.sleep, now: clock.now, timeoutInMs: IN_PROCESS_TIMEOUT_IN_MS, random: () => random.next() });
  const webhookUrl = config.settings.teams.webhookUrl;
  if (!webhookUrl) throw new Error("chaos settings have no webhook");
  const channel = new WorkflowsWebhookChannel({
    name: DEFAULT_TEAMS_RECEIVER,
    url: webhookUrl,
    timeoutInMs: IN_PROCESS_TIMEOUT_IN_MS,
    minIntervalInMs: 0,
    sleep: clock.sleep,
    now: clock.now,
    random: () => random.next(),
    pacer: new SendPacer(),
  });
  return createRuntime(config.settings, { now: clock.date, ledger, reader, receivers: [{ channel }] });
}

/** Reads the ledger straight from Azurite (not through the faulty proxy), as of a chosen time. */
class LedgerChecker {
  asOf = new Date(0);
  readonly ledger: AlertLedger;

  constructor(world: World) {
    const clients = createTableClients(
      { kind: "connectionString", connectionString: new Secret(world.azurite.connectionString), variable: "ALERTS_STORAGE" },
      TABLE_PREFIX,
    );
    this.ledger = new AlertLedger(clients, { now: () => this.asOf, leaseInMs: LEASE_IN_MS });
  }
}

// --- Faults -----------------------------------------------------------------------------------

/** Queues one AvePoint fault, landing on the k-th jobs request of the cycle (earlier ones pass untouched). */
function drawAvePointFault(world: World, random: SeededRandom, report: ChaosReport): FaultKind {
  const kind = random.pick<FaultKind>(["avepoint-429", "avepoint-5xx", "avepoint-timeout", "avepoint-truncated", "avepoint-401"]);
  const skip = random.int(0, 6);
  // A "slow" fault of 0 ms is a pass-through that uses up one request.
  if (skip > 0) world.simulator.injectFault({ kind: "slow", delayInMs: 0, target: "jobs", times: skip });
  const times = random.int(1, 6);
  world.simulator.injectFault(avePointFault(kind, times, random));
  report.faults[kind]++;
  return kind;
}

function avePointFault(kind: FaultKind, times: number, random: SeededRandom): Fault {
  switch (kind) {
    case "avepoint-429":
      return { kind: "status", status: 429, retryAfter: String(random.int(1, 5)), target: "jobs", times };
    case "avepoint-5xx":
      return { kind: "status", status: random.pick([500, 502, 503, 504]), target: "jobs", times };
    case "avepoint-timeout":
      // Slower than the client's timeout.
      return { kind: "slow", delayInMs: TIMEOUT_FAULT_DELAY_IN_MS, target: "jobs", times: Math.min(times, 3) };
    case "avepoint-truncated":
      return { kind: "truncated", target: "jobs" };
    default:
      return random.chance(0.5) ? { kind: "invalid-token-after", uses: random.int(0, 2), target: "jobs" } : { kind: "status", status: 401, target: "jobs", times: 2 };
  }
}

function drawStorageFault(world: World, random: SeededRandom, report: ChaosReport): void {
  const kind = random.weighted<FaultKind>([
    ["storage-503", 3],
    ["storage-dropped", 3],
    ["storage-outage", 1],
  ]);
  const from = random.int(1, 20);
  world.storagePlan = kind === "storage-outage" ? { kind: "outage", from } : { kind: "window", from, count: random.int(1, 8), mode: kind === "storage-503" ? "503" : "reset" };
  report.faults[kind]++;
}

function drawReceiverFaults(world: World, random: SeededRandom, report: ChaosReport): void {
  const answers: ScriptedResponse[] = [];
  for (let i = random.int(1, 6); i > 0; i--) {
    const kind = random.pick<FaultKind>(["receiver-5xx", "receiver-429", "receiver-timeout", "receiver-slow-accept", "receiver-reset"]);
    report.faults[kind]++;
    if (kind === "receiver-5xx") answers.push({ status: random.pick([500, 502, 503]) });
    else if (kind === "receiver-429") answers.push({ status: 429, headers: { "retry-after": String(random.int(1, 10)) } });
    // Never accepted: the receiver gives up (504) after the channel's timeout.
    else if (kind === "receiver-timeout") answers.push({ status: 504, delayInMs: TIMEOUT_FAULT_DELAY_IN_MS });
    // Accepted (recorded) at once, answered 202 before or after the client's timeout.
    else if (kind === "receiver-slow-accept") answers.push({ status: 202, delayInMs: random.int(SLOW_ACCEPT_DELAY_IN_MS.min, SLOW_ACCEPT_DELAY_IN_MS.max) });
    else answers.push({ status: 0, destroy: true });
  }
  world.receiver.respondWith(...answers);
  world.receiverScripted += answers.length;
}

/** Scripted answers the cycle did not use would hit the next cycle: use them up on a side path. */
async function settleReceiver(world: World, requestsBefore: number): Promise<void> {
  const used = world.receiver.requests.length - requestsBefore;
  let left = Math.max(0, world.receiverScripted - used);
  world.receiverScripted = 0;
  while (left-- > 0) {
    await fetch(`${world.receiver.origin}/settle`, { method: "POST", body: "{}" }).catch(() => undefined);
  }
}

function clearFaults(world: World): void {
  world.simulator.clearFaults();
  world.storagePlan = null;
}

// --- In-process runs --------------------------------------------------------------------------

interface CycleOutcome {
  summaries: CycleSummary[];
  thrown: unknown[];
}

/** One cycle per runtime, all at once; `monitors[i]` is what runtime i runs (default jobs). */
async function runCycles(runtimes: Runtime[], monitors: readonly ("jobs" | "license")[] = []): Promise<CycleOutcome> {
  const results = await Promise.allSettled(runtimes.map((rt, i) => rt.run(monitors[i] ?? "jobs", silentLogger)));
  const outcome: CycleOutcome = { summaries: [], thrown: [] };
  for (const r of results) {
    if (r.status === "fulfilled") outcome.summaries.push(r.value);
    else outcome.thrown.push(r.reason);
  }
  return outcome;
}

function tally(report: ChaosReport, outcome: CycleOutcome, overlapping: boolean): void {
  report.cycles += outcome.summaries.length + outcome.thrown.length;
  report.abortedCycles += outcome.thrown.length;
  for (const s of outcome.summaries) {
    if (s.error !== undefined) report.failedReads++;
    if (overlapping && !s.checkpointWritten) report.checkpointConflicts++;
  }
}

async function inProcessRun(
  world: World,
  run: number,
  random: SeededRandom,
  report: ChaosReport,
  cycles: { min: number; max: number },
  trace: (line: string) => void = () => {},
): Promise<void> {
  report.inProcessRuns++;
  const clock = new VirtualClock(Date.UTC(2030, 0, 1) + run * 86_400_000 + random.int(0, 3_600_000));
  world.simulator.options = { now: clock.now };
  world.simulator.resetRequests();
  const config = runConfig(world, run, random, report.seed, random.int(1, 5));
  const scripted = new ScriptedTenant(world.simulator.tenant, random.fork("tenant"));
  const instances = [inProcessRuntime(config, clock, random.fork("a")), inProcessRuntime(config, clock, random.fork("b"))];
  const checker = new LedgerChecker(world);
  await checker.ledger.ensureTables();
  const faults = random.fork("faults");

  let previous = clock.ms - 10 * MINUTE;
  const total = random.int(cycles.min, cycles.max);
  for (let c = 1; c <= total; c++) {
    clock.advance(5 * MINUTE + random.int(0, 30_000));
    scripted.step(clock.ms, previous);
    previous = clock.ms;
    const cycleStart = clock.date();
    enterPhase(world, run, `c${c}`);
    const receiverBefore = world.receiver.requests.length;

    const avepointFault = faults.chance(0.4) ? drawAvePointFault(world, faults, report) : undefined;
    if (faults.chance(0.3)) drawStorageFault(world, faults, report);
    if (faults.chance(0.35)) drawReceiverFaults(world, faults, report);
    const overlapping = faults.chance(0.25);
    if (overlapping) report.faults["overlapping-cycles"]++;
    // The other instance is another worker's jobs timer, or the license timer (a different function, so it overlaps for real); both deliver the tenant's pending alerts.
    const other = overlapping && faults.chance(0.5) ? "license" : "jobs";

    const cpBefore = await checker.ledger.readCheckpoint(config.tenant, "jobs");
    trace(`run ${run} cycle ${c} at ${cycleStart.toISOString()}: avepoint ${avepointFault ?? "-"}, storage ${JSON.stringify(world.storagePlan)}, receiver answers queued ${world.receiverScripted}, overlapping ${overlapping}`);
    const outcome = await runCycles(overlapping ? instances : [instances[0]!], ["jobs", other]);
    for (const s of outcome.summaries) trace(`  ${formatSummary(s)}; checkpoint written ${s.checkpointWritten}`);
    for (const t of outcome.thrown) trace(`  threw ${t instanceof Error ? `${t.name}: ${t.message}` : String(t)}`);
    const truncatedServed = avepointFault === "avepoint-truncated" && world.simulator.pendingFaults === 0;
    clearFaults(world);
    await settleReceiver(world, receiverBefore);
    tally(report, outcome, overlapping);

    const label = `run ${run} cycle ${c}`;
    await checkCheckpoint(checker, config, scripted, cycleStart, label, report, cpBefore.etag);
    if (truncatedServed && outcome.thrown.length === 0) {
      // A response we do not understand fails the read loudly and does not move the watermark.
      if (!outcome.summaries.some((s) => s.error?.includes("MalformedResponseError"))) {
        report.violations.push(`${label}: a truncated jobs page was served but no cycle reported a MalformedResponseError`);
      }
      const cpAfter = await checker.ledger.readCheckpoint(config.tenant, "jobs");
      if (!overlapping && cpAfter.watermark?.getTime() !== cpBefore.watermark?.getTime()) {
        report.violations.push(`${label}: the watermark moved although the jobs read failed on a truncated page`);
      }
    }
  }

  // Drain: no faults, every running job finishes, leases run out; deliver what is left.
  scripted.finishAll(clock.ms);
  await drain(world, run, [instances[0]!], clock, checker, config, scripted, report);
  await checkRun(world, run, scripted, report);
}

async function drain(
  world: World,
  run: number,
  runtimes: Runtime[],
  clock: VirtualClock,
  checker: LedgerChecker,
  config: RunConfig,
  scripted: ScriptedTenant,
  report: ChaosReport,
): Promise<void> {
  clearFaults(world);
  for (let d = 1; d <= 5; d++) {
    clock.advance(LEASE_IN_MS + MINUTE);
    const cycleStart = clock.date();
    enterPhase(world, run, `drain${d}`);
    const before = await checker.ledger.readCheckpoint(config.tenant, "jobs");
    const outcome = await runCycles(runtimes);
    tally(report, outcome, false);
    await checkCheckpoint(checker, config, scripted, cycleStart, `run ${run} drain ${d}`, report, before.etag);
    checker.asOf = clock.date();
    const open = await checker.ledger.openDeliveries(config.tenant);
    if (outcome.thrown.length === 0 && outcome.summaries.every((s) => s.ok) && open.length === 0) return;
  }
  const open = await checker.ledger.openDeliveries(config.tenant);
  report.violations.push(`run ${run}: ${open.length} alert(s) still undelivered after 5 fault-free drain cycles (states: ${open.map((r) => r.state).join(", ")})`);
}

// --- Crash runs: the real poll entry point in a child process ------------------------------------

async function crashRun(world: World, run: number, random: SeededRandom, report: ChaosReport, pollScript: string, workDir: string): Promise<void> {
  report.crashRuns++;
  world.simulator.options = {};
  world.simulator.resetRequests();
  clearFaults(world);
  // Few posts per child: the real channel spaces posts a second apart.
  const config = runConfig(world, run, random, report.seed, random.int(2, 3));
  const scripted = new ScriptedTenant(world.simulator.tenant, random.fork("tenant"));
  const checker = new LedgerChecker(world);
  await checker.ledger.ensureTables();
  const now = Date.now();
  for (let i = random.int(3, 8); i > 0; i--) {
    const start = now - random.int(10, 120) * MINUTE;
    scripted.add(start, random.chance(0.8) ? start + random.int(1, 9) * MINUTE : now + 60 * MINUTE, now);
  }

  const children = random.int(1, 2);
  for (let k = 1; k <= children; k++) {
    if (k > 1) scripted.finishAll(Date.now() - 1000);
    const kill = random.weighted<KillPoint>([
      ["at-send", 3],
      ["after-2xx", 4],
      ["after-ack", 3],
      ["random", 3],
      ["none", 1],
    ]);
    if (kill !== "none") report.faults[`crash-${kill}`]++;
    const phase = enterPhase(world, run, `child${k}`, kill, random.int(1, 2));
    const before = await checker.ledger.readCheckpoint(config.tenant, "jobs");
    const spawnedAt = new Date();
    const outcome = await runChild(world, phase, config, pollScript, workDir, kill === "random" ? random.int(100, 2500) : undefined);
    report.childProcesses++;
    if (phase.killedSeq !== undefined) report.childrenKilled++;
    if (phase.killedSeq === undefined && outcome.code !== 0) {
      report.violations.push(`run ${run} child ${k}: exited with ${outcome.code ?? outcome.signal} without being killed: ${outcome.stderr.slice(-500)}`);
    }
    await checkCheckpoint(checker, config, scripted, spawnedAt, `run ${run} child ${k}`, report, before.etag);
  }

  scripted.finishAll(Date.now() - 1000);
  const clock = new VirtualClock(Date.now());
  const drainRuntime = inProcessRuntime(config, clock, random.fork("drain"));
  await drain(world, run, [drainRuntime], clock, checker, config, scripted, report);
  await checkRun(world, run, scripted, report);
}

interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

async function runChild(world: World, phase: Phase, config: RunConfig, pollScript: string, workDir: string, killAfterInMs: number | undefined): Promise<ChildOutcome> {
  const env: Record<string, string> = { ...config.values };
  for (const name of ["PATH", "HOME", "TMPDIR", "SystemRoot"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const child = spawn(process.execPath, [pollScript, "--once"], { cwd: workDir, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<ChildOutcome>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
  phase.child = child;
  phase.childExit = exited.then(() => undefined);
  const timers: NodeJS.Timeout[] = [];
  // The random kill point is a delay by design: it lands wherever the child happens to be.
  if (killAfterInMs !== undefined) timers.push(setTimeout(() => void killChild(world.events, phase), killAfterInMs));
  timers.push(
    setTimeout(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    }, CHILD_TIMEOUT_IN_MS),
  );
  const outcome = await exited;
  timers.forEach(clearTimeout);
  return { ...outcome, stderr };
}

// --- Invariants -------------------------------------------------------------------------------------

function fingerprintOfJob(tenant: string, id: string, state: string): string {
  const job = { id, state, rawState: state, startTime: null } as unknown as BackupJob;
  return fingerprintOf(jobIdentity(tenant, job));
}

/**
 * After every cycle or child process that wrote the checkpoint:
 * - the checkpoint is never ahead of undelivered work: no alert waiting in the
 *   ledger (as of the cycle's start) has an event time before the watermark;
 * - a cycle that moved the checkpoint had every alert-worthy job final at
 *   that time safely in the ledger.
 */
async function checkCheckpoint(
  checker: LedgerChecker,
  config: RunConfig,
  scripted: ScriptedTenant,
  cycleStart: Date,
  label: string,
  report: ChaosReport,
  etagBefore: string | undefined,
): Promise<void> {
  const cp = await checker.ledger.readCheckpoint(config.tenant, "jobs");
  // Only a checkpoint this cycle wrote is judged: alerts admitted later may carry older event times
  // (a recovery, a job listed late) without the checkpoint having been ahead when it was written.
  if (!cp.watermark || cp.etag === etagBefore) return;
  checker.asOf = cycleStart;
  const pending = await checker.ledger.pending(config.tenant);
  const floor = (cp.lastSuccessAt?.getTime() ?? 0) - config.settings.jobs.lookbackHours * 3_600_000;
  for (const record of pending) {
    if (record.eventTime < cp.watermark && record.eventTime.getTime() >= floor) {
      report.violations.push(
        `${label}: the checkpoint (watermark ${cp.watermark.toISOString()}) is ahead of undelivered alert ${record.fingerprint} (event ${record.eventTime.toISOString()}, ${record.state})`,
      );
    }
  }
  if (cp.lastSuccessAt && cp.lastSuccessAt.getTime() >= cycleStart.getTime()) {
    const known = await checker.ledger.knownFingerprints(config.tenant, new Date(0));
    for (const job of scripted.alertWorthy(cycleStart.getTime())) {
      if (!known.has(fingerprintOfJob(config.tenant, job.id, job.outcome))) {
        report.violations.push(`${label}: the checkpoint moved on (last success ${cp.lastSuccessAt.toISOString()}) but ${job.outcome} job ${job.id} has no ledger entry`);
      }
    }
  }
}

/** After the drain: every alert-worthy outcome delivered at least once; every duplicate explained. */
async function checkRun(world: World, run: number, scripted: ScriptedTenant, report: ChaosReport): Promise<void> {
  const prefix = `r${run}/`;
  const accepted = world.gate.exchanges.filter((e) => e.tag.startsWith(prefix) && isAccepted(e));
  report.acceptedPosts += accepted.length;

  // The receiver recorded every accepted post exactly as the gate passed it on.
  const recorded = new Map<string, number>();
  for (const r of world.receiver.requests) recorded.set(r.rawBody, (recorded.get(r.rawBody) ?? 0) + 1);
  for (const e of accepted) {
    const n = recorded.get(e.requestBody) ?? 0;
    if (n === 0) report.violations.push(`run ${run}: the gate saw a 2xx for a post the receiver did not record`);
    else recorded.set(e.requestBody, n - 1);
  }

  const deliveries = new Map<string, ProxiedExchange[]>();
  for (const e of accepted) {
    let payload: unknown;
    try {
      payload = JSON.parse(e.requestBody) as unknown;
    } catch {
      report.violations.push(`run ${run}: a post the receiver accepted is not JSON`);
      continue;
    }
    const carried = alertsCarriedBy(payload);
    for (const id of carried.jobAlerts) deliveries.set(`job:${id}`, [...(deliveries.get(`job:${id}`) ?? []), e]);
    for (const id of carried.recoveries) deliveries.set(`recovery:${id}`, [...(deliveries.get(`recovery:${id}`) ?? []), e]);
  }

  const worthy = scripted.alertWorthy();
  report.alertWorthy += worthy.length;
  for (const job of worthy) {
    if (deliveries.has(`job:${job.id}`)) report.delivered++;
    else {
      report.lost++;
      report.violations.push(`run ${run}: ${job.outcome} job ${job.id} (finished ${new Date(job.finishMs).toISOString()}) was never delivered`);
    }
  }
  const worthyIds = new Set(worthy.map((j) => `job:${j.id}`));
  for (const [key, list] of deliveries) {
    if (key.startsWith("job:") && !worthyIds.has(key)) report.violations.push(`run ${run}: an alert was delivered for ${key}, which never reached an alert-worthy state`);
    const ordered = [...list].sort((a, b) => a.answeredSeq - b.answeredSeq);
    // A copy whose 2xx came after the client's timeout was sent again by the retry; that retry can be answered first.
    let lateAnswers = ordered.filter(answeredAfterTimeout).length;
    for (const earlier of ordered.slice(0, -1)) {
      // A late copy explains its own resend, not a second one as well.
      if (answeredAfterTimeout(earlier)) lateAnswers--;
      let cause = duplicateCause(world, earlier);
      if (cause === "unexplained" && lateAnswers > 0) {
        cause = "timeout-after-accept";
        lateAnswers--;
      }
      report.duplicates[cause]++;
      if (cause === "unexplained") {
        report.violations.push(`run ${run}: ${key} was delivered ${list.length} times (in ${ordered.map((e) => e.tag).join(", ")}); the copy accepted in ${earlier.tag} (event ${earlier.answeredSeq}, answered after ${earlier.answeredAfterMs} ms, ${earlier.delivered ? "handed to the client" : "not handed to the client"}) was followed by another without a crash or ledger failure after it`);
      }
    }
  }
}

/**
 * The proxy's clock for an exchange starts when the request arrives; the client's timeout started
 * earlier, before it connected. On a loaded event loop the client runs ahead by tens of ms, so an
 * answer the proxy timed just under the timeout (seen: 599 ms against 600 ms) can still find the
 * client gone without the proxy noticing (the abort lands after the 2xx was written).
 */
const CLIENT_CLOCK_LEAD_IN_MS = 50;

/** The receiver accepted the post but its answer came when the client had given up (its timeout): the client retries. */
function answeredAfterTimeout(exchange: ProxiedExchange): boolean {
  return exchange.clientGone || exchange.answeredAfterMs >= IN_PROCESS_TIMEOUT_IN_MS - CLIENT_CLOCK_LEAD_IN_MS;
}

/** Why a post the receiver accepted was sent again later. */
function duplicateCause(world: World, delivery: ProxiedExchange): DuplicateCause {
  const phase = world.phases.get(delivery.tag);
  if (!phase) return "unexplained";
  if (phase.killedSeq !== undefined && phase.killedSeq > delivery.answeredSeq) return "crash-after-2xx";
  if (phase.storageFailures.some((seq) => seq > delivery.answeredSeq)) return "ledger-write-failed-after-2xx";
  if (answeredAfterTimeout(delivery)) return "timeout-after-accept";
  return "unexplained";
}

// --- The table -------------------------------------------------------------------------------------

export function formatReport(report: ChaosReport): string {
  const rows: [string, string][] = [
    ["seed", report.seed],
    ["runs", `${report.runs} (${report.inProcessRuns} in-process, ${report.crashRuns} with child processes)`],
    ["cycles", `${report.cycles} in-process, ${report.childProcesses} child processes (${report.childrenKilled} killed)`],
    ...FAULT_KINDS.map((k): [string, string] => [`  fault ${k}`, String(report.faults[k])]),
    ["checkpoint conflicts (409/412)", String(report.checkpointConflicts)],
    ["reads failed loudly", String(report.failedReads)],
    ["cycles aborted (storage)", String(report.abortedCycles)],
    ["alert-worthy job outcomes", String(report.alertWorthy)],
    ["delivered at least once", String(report.delivered)],
    ["posts accepted (2xx)", String(report.acceptedPosts)],
    ...DUPLICATE_CAUSES.map((c): [string, string] => [`  duplicates: ${c}`, String(report.duplicates[c])]),
    ["lost", String(report.lost)],
    ["invariant violations", String(report.violations.length)],
    ["wall time", `${(report.elapsedInMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`);
  const out = [`| ${"".padEnd(width)} | chaos |`, `| ${"-".repeat(width)} | --- |`, ...lines];
  if (report.violations.length > 0) out.push("", "Violations:", ...report.violations.slice(0, 50).map((v) => `- ${v}`));
  return out.join("\n");
}

/**
 * The real parts a benchmark cycle talks to, all on loopback: Azurite (Table
 * Storage, its own process), the AvePoint simulator and a recording webhook
 * (this process), and a worker process that runs the application's cycles.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AvePointSimulator } from "../test/simulator/index.js";
import { startAzurite, type RunningAzurite } from "../test/support/azurite.js";
import { startRecordingReceiver, type RecordingReceiver } from "../test/support/recording-receiver.js";
import type { CycleMeasurement, DigestMeasurement, WorkerReply, WorkerRequest } from "./protocol.js";

const CLIENT_ID = "bench-client";
const CLIENT_SECRET = "bench-secret-not-a-real-credential";
/** The simulator caps PageSize here, like the API's documented maximum. */
export const SIMULATOR_PAGE_CAP = 1000;

export interface Services {
  azurite: RunningAzurite;
  simulator: AvePointSimulator;
  receiver: RecordingReceiver;
  stop(): Promise<void>;
}

export async function startServices(): Promise<Services> {
  const azurite = await startAzurite();
  const simulator = await AvePointSimulator.start({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, pageCap: SIMULATOR_PAGE_CAP });
  const receiver = await startRecordingReceiver();
  return {
    azurite,
    simulator,
    receiver,
    async stop() {
      await Promise.allSettled([receiver.stop(), simulator.stop(), azurite.stop()]);
    },
  };
}

export interface ScenarioSettings {
  /** A fresh table prefix per scenario: every scenario starts from an empty ledger. */
  tablePrefix: string;
  pageSize: number;
  lookbackHours?: number;
  /** AVEPOINT_API_PROFILE; default the application's (`auto`). */
  profile?: "auto" | "seed" | "current";
}

/** Settings as a deployment would give them, pointed at the local services. */
export function settingValues(services: Services, scenario: ScenarioSettings): Record<string, string> {
  return {
    AVEPOINT_CLIENT_ID: CLIENT_ID,
    AVEPOINT_CLIENT_SECRET: CLIENT_SECRET,
    AVEPOINT_API_URL: services.simulator.url,
    AVEPOINT_TOKEN_URL: services.simulator.tokenUrl,
    AVEPOINT_PAGE_SIZE: String(scenario.pageSize),
    ALERTS_STORAGE: services.azurite.connectionString,
    ALERTS_TABLE_PREFIX: scenario.tablePrefix,
    TEAMS_WEBHOOK_URL: services.receiver.url,
    ALERT_TENANT_NAME: "Bench",
    JOBS_LOOKBACK_HOURS: String(scenario.lookbackHours ?? 24),
    LOG_LEVEL: "warn",
    ...(scenario.profile !== undefined ? { AVEPOINT_API_PROFILE: scenario.profile } : {}),
  };
}

/** What one cycle cost on every side: the worker's own numbers plus what the simulator and the receiver saw. */
export interface CycleCost extends CycleMeasurement {
  /**
   * token: token requests; calibration: unfiltered jobs pages and jobs paths that answered 404 (what `auto` learns with);
   * jobsPages: windowed jobs pages; serviceListings: per-service (ObjectType) pages; other: license, schedule, unusual activity.
   */
  avepoint: { token: number; calibration: number; jobsPages: number; serviceListings: number; other: number; total: number };
  posts: number;
  postBytes: number;
  largestPostBytes: number;
}

/** A worker process running the application's cycles against the services. */
export class CycleWorker {
  readonly #child: ChildProcess;
  readonly #services: Services;

  private constructor(child: ChildProcess, services: Services) {
    this.#child = child;
    this.#services = services;
  }

  static async start(services: Services, values: Record<string, string>): Promise<CycleWorker> {
    const script = fileURLToPath(new URL("./cycle-worker.js", import.meta.url));
    const child = fork(script, [], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const worker = new CycleWorker(child, services);
    await worker.#call({ type: "init", values });
    return worker;
  }

  /** Runs one cycle at `nowMs` and counts the requests it caused on every side. */
  async cycle(nowMs: number): Promise<CycleCost> {
    const { simulator, receiver } = this.#services;
    simulator.resetRequests();
    receiver.requests.length = 0;
    const reply = await this.#call({ type: "cycle", nowMs });
    if (reply.type !== "cycle") throw new Error(`unexpected worker reply ${reply.type}`);
    const m = reply.measurement;
    if (!m.ok) throw new Error(`the benchmark cycle failed: ${m.error ?? `${m.delivered} delivered, not everything`}`);
    let token = 0;
    let calibration = 0;
    let jobsPages = 0;
    let serviceListings = 0;
    let other = 0;
    const has = (r: { query: Record<string, string> }, name: string) => Object.keys(r.query).some((k) => k.toLowerCase() === name);
    for (const r of simulator.requests) {
      if (r.path.toLowerCase().endsWith("/connect/token")) token++;
      else if (!has(r, "pageindex")) other++;
      else if (r.status === 404 || !has(r, "starttime")) calibration++;
      else if (has(r, "objecttype")) serviceListings++;
      else jobsPages++;
    }
    const sizes = receiver.requests.map((r) => Buffer.byteLength(r.rawBody));
    return {
      ...m,
      avepoint: { token, calibration, jobsPages, serviceListings, other, total: simulator.requests.length },
      posts: sizes.length,
      postBytes: sizes.reduce((a, b) => a + b, 0),
      largestPostBytes: Math.max(0, ...sizes),
    };
  }

  async digest(): Promise<DigestMeasurement> {
    const reply = await this.#call({ type: "digest" });
    if (reply.type !== "digest") throw new Error(`unexpected worker reply ${reply.type}`);
    return reply.measurement;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.disconnect();
    await exited;
  }

  #call(request: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        cleanup();
        if (reply.type === "error") reject(new Error(`benchmark worker: ${reply.message}`));
        else resolve(reply);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`benchmark worker exited (code ${code ?? "none"}) during ${request.type}`));
      };
      const cleanup = () => {
        this.#child.off("message", onMessage);
        this.#child.off("exit", onExit);
      };
      this.#child.on("message", onMessage);
      this.#child.once("exit", onExit);
      this.#child.send(request);
    });
  }
}

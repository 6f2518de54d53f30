import { spawn, execFile, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, createServer } from "node:net";
import { dirname, join } from "node:path";

/**
 * Runs the Azurite Table service as a child process on a free loopback port,
 * in memory, for the test suite and the local demo. No vitest imports here:
 * this file is compiled with the project.
 */

/** Azurite's documented development account; not a secret. */
export const DEV_ACCOUNT_NAME = "devstoreaccount1";
export const DEV_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteOptions {
  /** Loopback address to listen on. Default 127.0.0.1. */
  host?: string;
  /** How long to wait for the service to accept connections. Default 20 s. */
  startTimeoutInMs?: number;
}

export interface RunningAzurite {
  /** Explicit connection string (account key + TableEndpoint), usable by `createTableClients`. */
  connectionString: string;
  /** `http://host:port/devstoreaccount1` */
  tableEndpoint: string;
  port: number;
  /** Kills the process; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
  /** stop() then start on the same port. In-memory data is lost (meant for fault tests). */
  restart(): Promise<void>;
}

export class AzuriteStartError extends Error {
  override readonly name = "AzuriteStartError";
}

/**
 * The child reads its stdin until end-of-file and exits then: stdin is a pipe
 * from this process, so the pipe closes however this process ends (even
 * SIGKILL, when no exit handler runs) and Azurite never outlives it.
 */
const PARENT_WATCHDOG = 'data:text/javascript,process.stdin.on("end",()=>process.exit(0));process.stdin.on("error",()=>process.exit(0));process.stdin.resume();';

const STOP_GRACE_IN_MS = 3_000;
const PROBE_INTERVAL_IN_MS = 25;
const OUTPUT_TAIL_CHARS = 4_000;

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? "127.0.0.1";
  const startTimeoutInMs = options.startTimeoutInMs ?? 20_000;
  const script = azuriteTableScript();
  const flags = await supportedFlags(script);

  const first = await launchOnFreePort({ script, flags, host, startTimeoutInMs });
  const port = first.port;
  let child = first.child;

  const tableEndpoint = `http://${urlHost(host)}:${port}/${DEV_ACCOUNT_NAME}`;
  const stop = async (): Promise<void> => {
    await terminate(child);
  };

  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT_NAME};AccountKey=${DEV_ACCOUNT_KEY};TableEndpoint=${tableEndpoint};`,
    tableEndpoint,
    port,
    stop,
    async restart() {
      await stop();
      child = await launch({ script, flags, host, port, startTimeoutInMs });
    },
  };
}

/** Another process may take the free port between our probe and Azurite's bind; a fresh port then is enough. */
async function launchOnFreePort(options: Omit<LaunchOptions, "port">): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(options.host);
    try {
      return { child: await launch({ ...options, port }), port };
    } catch (err) {
      if (attempt >= 3 || !(err instanceof AzuriteStartError) || !err.message.includes("EADDRINUSE")) throw err;
    }
  }
}

interface LaunchOptions {
  script: string;
  flags: string[];
  host: string;
  port: number;
  startTimeoutInMs: number;
}

async function launch({ script, flags, host, port, startTimeoutInMs }: LaunchOptions): Promise<ChildProcess> {
  const args = ["--import", PARENT_WATCHDOG, script, "--tableHost", host, "--tablePort", String(port), ...flags];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // Belt and braces next to the stdin watchdog: a normal exit kills it at once.
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));

  const failure: { reason: string | null } = { reason: null };
  child.once("exit", (code, signal) => {
    failure.reason = `exited early (code ${code ?? "none"}, signal ${signal ?? "none"})`;
  });
  child.once("error", (err) => {
    failure.reason = `could not be spawned: ${err.message}`;
  });

  const deadline = Date.now() + startTimeoutInMs;
  for (;;) {
    if (failure.reason !== null) {
      throw new AzuriteStartError(`Azurite on ${host}:${port} ${failure.reason}. Output:\n${output}`);
    }
    if (await accepts(host, port)) return child;
    if (Date.now() > deadline) {
      await terminate(child);
      throw new AzuriteStartError(`Azurite on ${host}:${port} did not accept connections within ${startTimeoutInMs} ms. Output:\n${output}`);
    }
    await delay(PROBE_INTERVAL_IN_MS);
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_IN_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The `azurite-table` bin, found through the package's own manifest (its path moved between versions). */
function azuriteTableScript(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve("azurite/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin?: Record<string, string> };
  const bin = manifest.bin?.["azurite-table"];
  if (!bin) throw new AzuriteStartError(`the installed azurite package (${manifestPath}) has no azurite-table bin`);
  return join(dirname(manifestPath), bin);
}

const flagCache = new Map<string, Promise<string[]>>();

/** Our flags, minus the ones this Azurite version does not know (older ones lack --disableTelemetry). */
function supportedFlags(script: string): Promise<string[]> {
  let flags = flagCache.get(script);
  if (!flags) {
    flags = new Promise<string[]>((resolve) => {
      execFile(process.execPath, [script, "--help"], { timeout: 10_000 }, (_err, stdout) => {
        const wanted = ["--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent"];
        if (stdout.includes("--disableTelemetry")) wanted.push("--disableTelemetry");
        resolve(wanted);
      });
    });
    flagCache.set(script, flags);
  }
  return flags;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new AzuriteStartError(`no free port on ${host}`))));
    });
  });
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

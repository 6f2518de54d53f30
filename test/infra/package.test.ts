/**
 * What ships: `npm run package` is run as a user runs it, and its zip is
 * opened and checked: every registered function, host.json, no devDependency,
 * the size budget, and code that runs where nothing is installed (as in Azure,
 * where no npm install happens).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PACKAGE_BUDGET_BYTES, packageFiles } from "../../cli/package.js";
import { AvePointSimulator } from "../simulator/index.js";
import { startRecordingReceiver } from "../support/recording-receiver.js";
import { unzip } from "../support/unzip.js";
import { REPO_ROOT } from "./bicep-tree.js";

const run = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { imports: { path: string; kind: string }[]; inputs: Record<string, unknown>; entryPoint?: string }>;
}

const projectJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The package a node_modules path belongs to (`@scope/name` or `name`). */
function packageOf(input: string): string | undefined {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(input)?.[1] ?? /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
}

/** Names @azure/functions reports registering, in test mode, when the given entry files are imported in a fresh process. */
async function registeredFunctions(cwd: string, entries: string[], env: Record<string, string> = {}): Promise<string[]> {
  const program = `for (const entry of ${JSON.stringify(entries)}) await import(new URL(entry, "file://" + process.cwd() + "/").href);`;
  const { stderr } = await run(process.execPath, ["--input-type=module", "-e", program], { cwd, env: { PATH: process.env["PATH"] ?? "", ...env } });
  return [...stderr.matchAll(/register function "([^"]+)"/g)].map((m) => m[1]!).sort();
}

describe("npm run package", () => {
  let stdout: string;
  let files: Map<string, Buffer>;
  let archiveSize: number;
  /** The zip extracted into an empty folder: no node_modules anywhere above it. */
  let extracted: string;

  beforeAll(async () => {
    ({ stdout } = await run(NPM, ["run", "--silent", "package"], { cwd: REPO_ROOT }));
    const archive = readFileSync(join(REPO_ROOT, "dist", "package.zip"));
    archiveSize = archive.length;
    files = unzip(archive);
    extracted = mkdtempSync(join(tmpdir(), "cba-package-"));
    for (const [name, data] of files) {
      mkdirSync(dirname(join(extracted, name)), { recursive: true });
      writeFileSync(join(extracted, name), data);
    }
  }, 120_000);

  it("prints the zip's size against its budget", () => {
    expect(stdout).toMatch(/^dist\/package\.zip: \d+\.\d MB zipped \(budget 15\.0 MB\), \d+ files, [\d.]+ MB unpacked, 4 function entries/);
  });

  it("stays within the 15 MB budget", () => {
    expect(archiveSize).toBeGreaterThan(0);
    expect(archiveSize).toBeLessThanOrEqual(PACKAGE_BUDGET_BYTES);
  });

  it("holds host.json as in the project, and a package.json with main and no dependencies to install", () => {
    expect(files.get("host.json")?.toString("utf8")).toBe(readFileSync(join(REPO_ROOT, "host.json"), "utf8"));
    const pkg = JSON.parse(files.get("package.json")!.toString("utf8")) as Record<string, unknown>;
    expect(pkg).toMatchObject({ type: "module", main: projectJson.main });
    for (const key of ["dependencies", "devDependencies", "scripts", "overrides"]) expect(pkg, key).not.toHaveProperty(key);
    expect([...files.keys()].filter((name) => name.includes("node_modules/"))).toEqual([]);
  });

  it("stages the same files in dist/package/, the folder azd and Core Tools publish", () => {
    for (const [name, data] of files) expect(readFileSync(join(REPO_ROOT, "dist", "package", name)).equals(data), name).toBe(true);
    const staged = readdirSync(join(REPO_ROOT, "dist", "package"), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(join(REPO_ROOT, "dist", "package"), join(entry.parentPath, entry.name)).split(sep).join("/"));
    expect(staged.sort()).toEqual([...files.keys()].sort());
  });

  it("registers, from the package alone, every function the sources register", async () => {
    const main = projectJson.main.replace(/\*\.js$/, "");
    const packaged = [...files.keys()].filter((name) => name.startsWith(main) && name.endsWith(".js") && !name.slice(main.length).includes("/"));
    const bot = { TEAMS_BOT_APP_ID: "00000000-0000-0000-0000-000000000001" };
    const fromSources = await registeredFunctions(REPO_ROOT, ["health", "jobsMonitor", "licenseMonitor", "messages"].map((n) => `dist/functions/${n}.js`), bot);
    expect(fromSources).toEqual(["health", "jobsMonitor", "licenseMonitor", "messages"]);
    expect(await registeredFunctions(extracted, packaged, bot)).toEqual(fromSources);
    // The anonymous bot endpoint exists only where a bot is configured.
    expect(await registeredFunctions(extracted, packaged)).toEqual(["health", "jobsMonitor", "licenseMonitor"]);
  });

  it("bundles no devDependency (vitest, azurite, typescript, playwright-core and the rest)", () => {
    const meta = JSON.parse(readFileSync(join(REPO_ROOT, "dist", "bundle", "meta.json"), "utf8")) as Metafile;
    const bundled = new Set(Object.keys(meta.inputs).map(packageOf).filter((p): p is string => p !== undefined));
    expect(bundled.size).toBeGreaterThan(5);
    // npm marks each installed package that only the devDependencies need ("dev": true); a
    // devDependency that a dependency also needs (@opentelemetry/sdk-metrics) is production code.
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
    const installedAt = (input: string) => /^(node_modules\/(?:.*\/node_modules\/)?(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
    const devOnly = Object.keys(meta.inputs).filter((input) => {
      const at = installedAt(input);
      return at !== undefined && lock.packages[at]?.dev === true;
    });
    expect(devOnly).toEqual([]);
    expect(lock.packages["node_modules/vitest"]?.dev).toBe(true);
    // And no file of the package is named after one.
    expect([...files.keys()].filter((name) => ["vitest", "azurite", "typescript", "playwright-core"].some((dev) => name.includes(dev)))).toEqual([]);
  });

  it("keeps the bot SDK, the telemetry exporter, nodemailer and node-forge out of what a timer loads", () => {
    const meta = JSON.parse(readFileSync(join(REPO_ROOT, "dist", "bundle", "meta.json"), "utf8")) as Metafile;
    const lazy = ["botbuilder", "@microsoft/teams-ai", "@azure/monitor-opentelemetry", "nodemailer", "node-forge", "@azure/identity"];
    for (const entry of ["jobsMonitor", "licenseMonitor", "health"]) {
      const loaded = new Set<string>();
      const visit = (output: string) => {
        if (loaded.has(output)) return;
        loaded.add(output);
        for (const i of meta.outputs[output]?.imports ?? []) if (i.kind === "import-statement") visit(i.path);
      };
      visit(`dist/bundle/functions/${entry}.js`);
      const packages = new Set([...loaded].flatMap((o) => Object.keys(meta.outputs[o]?.inputs ?? {}).map(packageOf)));
      expect(packages.has("@azure/functions"), entry).toBe(true);
      expect(lazy.filter((name) => packages.has(name)), entry).toEqual([]);
    }
    // They are in the package all the same, as chunks loaded on first use.
    const all = new Set(Object.keys(meta.inputs).map(packageOf));
    expect(lazy.filter((name) => !all.has(name))).toEqual([]);
  });

  it("imports every file of the package where no node_modules exists", async () => {
    const modules = [...files.keys()].filter((name) => name.endsWith(".js"));
    expect(modules.length).toBeGreaterThan(4);
    const program = [
      `const failures = [];`,
      `for (const m of ${JSON.stringify(modules)}) { try { await import(new URL(m, "file://" + process.cwd() + "/").href); } catch (e) { failures.push(m + ": " + e.message); } }`,
      `process.stdout.write(JSON.stringify(failures)); process.exit(0);`,
    ].join("\n");
    const { stdout: out } = await run(process.execPath, ["--input-type=module", "-e", program], { cwd: extracted, env: { PATH: process.env["PATH"] ?? "" } });
    expect(JSON.parse(out)).toEqual([]);
  });

  it("names TypeScript lines in stack traces (source maps, with --enable-source-maps as deployed)", async () => {
    // With no settings, the jobs monitor's first invocation throws the configuration error from the settings loader.
    const program = [
      `const { jobsMonitor } = await import(new URL(${JSON.stringify(`${projectJson.main.replace("*", "jobsMonitor")}`)}, "file://" + process.cwd() + "/").href);`,
      `const context = { log() {}, warn() {}, error() {}, info() {}, debug() {}, trace() {}, invocationId: "x", functionName: "jobsMonitor" };`,
      `try { await jobsMonitor({ isPastDue: false }, context); } catch (e) { process.stdout.write(String(e.stack)); }`,
      `process.exit(0);`,
    ].join("\n");
    const { stdout: stack } = await run(process.execPath, ["--enable-source-maps", "--input-type=module", "-e", program], { cwd: extracted, env: { PATH: process.env["PATH"] ?? "" } });
    expect(stack).toContain("ConfigError");
    expect(stack).toMatch(/shared\/config\/[a-z-]+\.ts:\d+:\d+/);
  });

  describe("runs a jobs cycle from the package alone, as the Functions worker would", () => {
    let simulator: AvePointSimulator;
    let receiver: Awaited<ReturnType<typeof startRecordingReceiver>>;
    beforeAll(async () => {
      simulator = await AvePointSimulator.start({ clientId: "package-client", clientSecret: "package-secret-value" });
      receiver = await startRecordingReceiver();
    });
    afterAll(async () => {
      await simulator.stop();
      await receiver.stop();
    });

    it("reads the simulator, keeps the ledger in Azurite and delivers the failed job once", async () => {
      simulator.tenant.addJob({ id: "IB-PACKAGE-1", state: "Failed", startTime: new Date(Date.now() - 3_600_000), finishTime: new Date(Date.now() - 1_800_000), objectType: 1 });
      const entry = projectJson.main.replace("*", "jobsMonitor");
      const program = [
        `const { jobsMonitor } = await import(new URL(${JSON.stringify(entry)}, "file://" + process.cwd() + "/").href);`,
        `const sink = { log() {}, info() {}, debug() {}, trace() {}, warn: (...a) => console.error(...a), error: (...a) => console.error(...a), invocationId: "1", functionName: "jobsMonitor" };`,
        `const summary = await jobsMonitor({ isPastDue: false }, sink);`,
        `process.stdout.write(JSON.stringify({ ok: summary.ok, delivered: summary.delivery.delivered }));`,
        `process.exit(0);`,
      ].join("\n");
      const env = {
        PATH: process.env["PATH"] ?? "",
        AVEPOINT_CLIENT_ID: "package-client",
        AVEPOINT_CLIENT_SECRET: "package-secret-value",
        AVEPOINT_API_URL: simulator.url,
        AVEPOINT_TOKEN_URL: simulator.tokenUrl,
        ALERTS_STORAGE: inject("azuriteConnectionString"),
        ALERTS_TABLE_PREFIX: `pkg${randomBytes(4).toString("hex")}`,
        TEAMS_WEBHOOK_URL: receiver.url,
        ALERT_TENANT_NAME: "Contoso",
      };
      const { stdout: out, stderr } = await run(process.execPath, ["--enable-source-maps", "--input-type=module", "-e", program], { cwd: extracted, env });
      expect(JSON.parse(out), stderr).toEqual({ ok: true, delivered: 1 });
      expect(receiver.requests.filter((r) => r.rawBody.includes("IB-PACKAGE-1"))).toHaveLength(1);
    });
    it("loads the bot SDK chunk on the first Bot Framework call and refuses an unsigned activity with 401", async () => {
      const entry = projectJson.main.replace("*", "messages");
      const activity = { type: "message", id: "1", text: "hello", channelId: "msteams", serviceUrl: "http://127.0.0.1:9/", from: { id: "29:mallory" }, recipient: { id: "28:bot" }, conversation: { id: "a:1" } };
      const program = [
        `const { messages } = await import(new URL(${JSON.stringify(entry)}, "file://" + process.cwd() + "/").href);`,
        `const sink = { log() {}, info() {}, debug() {}, trace() {}, warn() {}, error: (...a) => console.error(...a), invocationId: "1", functionName: "messages" };`,
        `const request = new Request("https://func.example/api/messages", { method: "POST", headers: { "content-type": "application/json" }, body: ${JSON.stringify(JSON.stringify(activity))} });`,
        `const response = await messages(request, sink);`,
        `process.stdout.write(String(response.status));`,
        `process.exit(0);`,
      ].join("\n");
      const env = {
        PATH: process.env["PATH"] ?? "",
        AVEPOINT_CLIENT_ID: "package-client",
        AVEPOINT_CLIENT_SECRET: "package-secret-value",
        ALERTS_STORAGE: inject("azuriteConnectionString"),
        ALERTS_TABLE_PREFIX: `pkgbot${randomBytes(4).toString("hex")}`,
        TEAMS_BOT_APP_ID: "11111111-2222-3333-4444-555555555555",
        TEAMS_BOT_APP_PASSWORD: "bot-password-never-shown",
        TEAMS_BOT_TENANT_ID: "8a6f3b2e-4c1d-4e5f-9a7b-0c1d2e3f4a5b",
      };
      const { stdout: status, stderr } = await run(process.execPath, ["--input-type=module", "-e", program], { cwd: extracted, env });
      expect(status, stderr).toBe("401");
    });
  });
});

describe("the package's files", () => {
  it("include a routing file kept at the project root, where ALERT_ROUTES_FILE finds it in Azure (/home/site/wwwroot)", () => {
    const root = mkdtempSync(join(tmpdir(), "cba-project-"));
    mkdirSync(join(root, "dist", "bundle", "functions"), { recursive: true });
    writeFileSync(join(root, "dist", "bundle", "functions", "jobsMonitor.js"), "export {};\n");
    writeFileSync(join(root, "dist", "bundle", "meta.json"), "{}");
    writeFileSync(join(root, "host.json"), "{}");
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "x", version: "1.0.0", type: "module", main: "dist/bundle/functions/*.js", devDependencies: { vitest: "1" } }));
    expect(packageFiles(root).map((f) => f.name)).toEqual(["host.json", "package.json", "dist/bundle/functions/jobsMonitor.js"]);
    writeFileSync(join(root, "routes.yaml"), "receivers: []\n");
    expect(packageFiles(root).map((f) => f.name)).toEqual(["host.json", "package.json", "routes.yaml", "dist/bundle/functions/jobsMonitor.js"]);
  });
});

/**
 * `npm start` as a newcomer meets it: the compiled demo (npm test builds first)
 * in a bare environment, then the operator commands it prints, run as printed
 * against it from the repository folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
const START = new URL("../../dist/cli/start.js", import.meta.url).pathname;
const SCRIPTS = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> }).scripts;
const BARE_ENV = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "" };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): Promise<Run> & { output: () => string } {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return Object.assign(done, { output: () => stdout + stderr });
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutInMs: number): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A printed `VAR=value … npm run NAME [-- args]` line as the shell runs it,
 * with the npm script's own command in place of `npm run NAME` minus its build
 * step (the suite built already, and a rebuild here would rewrite dist/ under
 * the other test files).
 */
function asRun(line: string): string {
  const match = /^(.*?)npm run ([\w:-]+)(?: -- (.*))?$/.exec(line.trim());
  if (!match) throw new Error(`not an npm run command: ${line}`);
  const [, env, name, args] = match;
  const script = SCRIPTS[name!];
  if (!script) throw new Error(`package.json has no script "${name}"`);
  const command = script.split("&&").at(-1)!.trim();
  return `${env}${command}${args ? ` ${args}` : ""}`;
}

function runPrinted(line: string): Promise<Run> {
  return collect(spawn("sh", ["-c", asRun(line)], { cwd: ROOT, env: BARE_ENV }));
}

describe("npm start (the demo)", () => {
  let demo: ChildProcess;
  let output: Promise<Run> & { output: () => string };

  beforeAll(async () => {
    demo = spawn(process.execPath, [START], { cwd: ROOT, env: { ...BARE_ENV, DEMO_PORT: "0" } });
    output = collect(demo);
    await until("the demo to say it is ready", () => (/Ctrl\+C stops/.test(output.output()) ? true : undefined), 60_000);
  }, 70_000);

  afterAll(async () => {
    demo.kill("SIGINT");
    expect((await output).stderr).toContain("[demo] stopped");
  });

  it("prints the inbox first, then Azurite's endpoint, then three commands that work as printed", async () => {
    const text = output.output();
    const urls = text.match(/https?:\/\/[^\s'"]+/g) ?? [];
    expect(urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const inbox = urls[0]!.replace(/\/$/, "");
    expect(text).toMatch(/Azurite \(Table Storage, in memory\): http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\n/);
    const commands = text.split("\n").filter((l) => /npm run /.test(l)).map((l) => l.trim());
    expect(commands.map((c) => /npm run (.*)$/.exec(c)![1])).toEqual(["status", "poll -- --once", "send-test-alert"]);

    // The first jobs cycle delivers a single failed job (not a digest); only the license notice may come before it.
    const firstTwo = await until(
      "the first two cards in the inbox",
      async () => {
        const { messages } = (await (await fetch(`${inbox}/inbox.json`)).json()) as { messages: { payload: { summary?: string } }[] };
        return messages.length >= 2 ? messages.slice(0, 2).map((m) => m.payload.summary ?? "") : undefined;
      },
      30_000,
    );
    expect(firstTwo.filter((s) => /^\[CRITICAL\] Backup job failed: Exchange Online \(/.test(s))).toHaveLength(1);
    // Neither a digest of old news nor a recovery comes first.
    expect(firstTwo.filter((s) => /^\[RESOLVED\]|backup alerts:/.test(s))).toEqual([]);

    // The demo runs both monitors once at start; status is healthy once both first cycles are done.
    await until(
      "the first jobs and license cycles",
      () => (/^\S+ jobs monitor \[Contoso \(demo\)\]: ok/m.test(output.output()) && /^\S+ license monitor \[Contoso \(demo\)\]: ok/m.test(output.output()) ? true : undefined),
      30_000,
    );
    const [status, pollOnce, testAlert] = commands as [string, string, string];
    const statusRun = await runPrinted(status);
    expect(statusRun.code, statusRun.stderr).toBe(0);
    expect(statusRun.stdout).toContain("Ledger: ALERTS_STORAGE (");
    expect(statusRun.stdout).toContain("tenant Contoso (demo)");
    expect(statusRun.stdout).toMatch(/^jobs +ok/m);

    const pollRun = await runPrinted(pollOnce);
    expect(pollRun.code, pollRun.stdout + pollRun.stderr).toBe(0);
    expect(pollRun.stdout).toMatch(/^jobs monitor \[Contoso \(demo\)\]: ok/m);
    expect(pollRun.stdout).toMatch(/^license monitor \[Contoso \(demo\)\]: ok/m);

    const before = ((await (await fetch(`${inbox}/inbox.json`)).json()) as { messages: unknown[] }).messages.length;
    const testRun = await runPrinted(testAlert);
    expect(testRun.code, testRun.stderr).toBe(0);
    expect(testRun.stdout).toMatch(/^OK +teams \(teams-workflows\): status 202/);
    const after = ((await (await fetch(`${inbox}/inbox.json`)).json()) as { messages: { payload: { summary?: string } }[] }).messages;
    expect(after.length).toBeGreaterThan(before);
    expect(after.some((m) => m.payload.summary?.startsWith("[TEST] Test alert from Cloud Backup Alerts"))).toBe(true);
  }, 90_000);
});

describe("npm start with the inbox port taken", () => {
  let blocker: Server;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it("says so in one line, without a stack trace (unless DEBUG is set), before starting anything", async () => {
    const port = String((blocker.address() as { port: number }).port);
    const run = await collect(spawn(process.execPath, [START], { cwd: ROOT, env: { ...BARE_ENV, DEMO_PORT: port } }));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`port ${port} on 127.0.0.1 is in use (the Azure Functions host also uses 7071); choose another with DEMO_PORT\n`);
    expect(run.stdout).toBe("");
    const debug = await collect(spawn(process.execPath, [START], { cwd: ROOT, env: { ...BARE_ENV, DEMO_PORT: port, DEBUG: "1" } }));
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/InboxStartError: port \d+ .*\n\s+at /);
  }, 30_000);
});

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const POLL = new URL("../../dist/cli/poll.js", import.meta.url).pathname;

export interface PollResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run poll -- --once` as a user runs it: the compiled entry point (npm test
 * builds first), configured only through environment variables (PATH and
 * `env`), in an empty working directory so no local.settings.json is read.
 */
export function runPollOnce(env: Record<string, string>, extraArgs: readonly string[] = []): Promise<PollResult> {
  return runPoll(env, ["--once", ...extraArgs]);
}

/**
 * `npm run poll` with exactly `args`. With `stopWhen`, the scheduler is
 * stopped (SIGINT, as Ctrl+C) once stderr matches it.
 */
export function runPoll(env: Record<string, string>, args: readonly string[], stopWhen?: RegExp): Promise<PollResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [POLL, ...args], {
      cwd: mkdtempSync(join(tmpdir(), "cba-poll-")),
      env: { PATH: process.env["PATH"] ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stopWhen?.test(stderr)) child.kill("SIGINT");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

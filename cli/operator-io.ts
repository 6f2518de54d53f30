/**
 * What the operator commands (`send-test-alert`, `status`, `check-config`) share: where they
 * read settings from and write to, injectable so tests run them in-process.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, loadSettings, type LoadOptions, type Settings } from "../shared/config/index.js";
import { Secret } from "../shared/security/secret.js";
import { InboxStartError } from "./inbox-server.js";

export interface OperatorIo {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Folder of local.settings.json; default the working directory; null skips it. */
  localSettingsDir?: string | null;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now?: () => Date;
}

export const processIo: OperatorIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Every Secret inside the settings (webhook URLs, client secrets, keys...): what output must never contain. */
export function secretsIn(value: unknown, found: Secret[] = [], seen = new Set<unknown>()): Secret[] {
  if (value instanceof Secret) found.push(value);
  else if (typeof value === "object" && value !== null && !seen.has(value) && !(value instanceof Date)) {
    seen.add(value);
    for (const v of Object.values(value)) secretsIn(v, found, seen);
  }
  return found;
}

/** The value of `--name value` or `--name=value`: undefined when the flag is absent, null when it has no value. */
export function argValue(argv: string[], name: string): string | undefined | null {
  const at = argv.indexOf(name);
  if (at >= 0) return argv[at + 1] === undefined || argv[at + 1]!.startsWith("--") ? null : argv[at + 1];
  return argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

/**
 * The settings from `io` (`requireAvePoint: false` for a command that needs neither
 * AvePoint nor the ledger); a ConfigError is written to stderr and gives undefined
 * (the command exits 2).
 */
export function loadOperatorSettings(io: OperatorIo, options: Pick<LoadOptions, "requireAvePoint"> = {}): Settings | undefined {
  try {
    return loadSettings({ ...options, ...(io.env ? { env: io.env } : {}), ...(io.localSettingsDir !== undefined ? { localSettingsDir: io.localSettingsDir } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return undefined;
    }
    throw err;
  }
}

/**
 * What a command prints when it stops on an error. Errors the user fixes (a
 * setting, a port in use) say what to do, and a stack trace would bury that:
 * stack traces only with DEBUG set.
 */
export function describeFailure(err: unknown, env: Record<string, string | undefined> = process.env): string {
  if (!(err instanceof Error)) return String(err);
  if (env["DEBUG"]) return err.stack ?? `${err.name}: ${err.message}`;
  return err instanceof ConfigError || err instanceof InboxStartError ? err.message : `${err.name}: ${err.message}`;
}

/** Whether the module at `metaUrl` is the script node was started with (its URL percent-encodes spaces and the like). */
export function isEntryPoint(metaUrl: string): boolean {
  return process.argv[1] !== undefined && metaUrl === pathToFileURL(resolve(process.argv[1])).href;
}

/** Runs `main` when the file is the entry point, exiting with its code. */
export function runAsScript(metaUrl: string, main: (argv: string[]) => Promise<number>): void {
  if (!isEntryPoint(metaUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${describeFailure(err)}\n`);
      process.exit(1);
    },
  );
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./problems.js";
import { parseSettings, type ParseOptions, type Settings } from "./settings.js";

export interface LoadOptions extends ParseOptions {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Folder holding local.settings.json; defaults to the working directory. Null skips the file. */
  localSettingsDir?: string | null;
}

/**
 * Reads `local.settings.json` `Values` (what `func start` reads), if present,
 * beneath the environment (environment variables win), as a flat map.
 */
export function readSettingValues(options: Pick<LoadOptions, "env" | "localSettingsDir"> = {}): Record<string, string | undefined> {
  const env = options.env ?? process.env;
  const dir = options.localSettingsDir === undefined ? process.cwd() : options.localSettingsDir;
  const merged: Record<string, string | undefined> = {};
  if (dir !== null) Object.assign(merged, readLocalSettings(join(dir, "local.settings.json")));
  for (const [k, v] of Object.entries(env)) {
    // An empty environment variable counts as unset, so it does not hide the file's value.
    if (v !== undefined && v.trim() !== "") merged[k] = v;
  }
  return merged;
}

function readLocalSettings(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError([{ variable: "local.settings.json", message: `cannot be read: ${(err as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ variable: "local.settings.json", message: `is not valid JSON: ${(err as Error).message}` }]);
  }
  const values = (parsed as { Values?: unknown } | null)?.Values;
  if (values === undefined) return {};
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new ConfigError([{ variable: "local.settings.json", message: `"Values" must be an object of strings` }]);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
  }
  return out;
}

/** The one way the application reads its settings. Throws ConfigError listing every problem. */
export function loadSettings(options: LoadOptions = {}): Settings {
  return parseSettings(readSettingValues(options), options);
}

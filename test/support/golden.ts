import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** test/golden/ */
export const GOLDEN_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "golden");

/**
 * The expected text of test/golden/<relativePath>, to compare exactly with
 * `actual`. Only with UPDATE_GOLDEN=1 is `actual` written as the new
 * expectation (then review the diff); a missing file is an error otherwise.
 */
export function golden(relativePath: string, actual: string): string {
  const file = join(GOLDEN_ROOT, relativePath);
  if (process.env["UPDATE_GOLDEN"] === "1") {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return actual;
  }
  if (!existsSync(file)) throw new Error(`Golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it, then review it.`);
  return readFileSync(file, "utf8");
}

/** JSON as the golden files hold it: two-space indent, trailing newline. */
export function goldenJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

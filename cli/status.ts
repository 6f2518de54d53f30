/**
 * `npm run status [-- --json]`: where each monitor stands (last successful
 * cycle, watermark, failures, tracked jobs, open failures) and every delivery
 * not made yet, read from the ledger. The same report GET /api/health serves.
 * Needs only the ledger's storage settings.
 *
 * Exit codes: 0 every monitor healthy; 1 a monitor is stale, or the ledger
 * could not be read; 2 configuration error.
 */
import { ConfigError, loadSettings, type Settings } from "../shared/config/index.js";
import { redact } from "../shared/security/secret.js";
import { createRuntime } from "../shared/runtime.js";
import { formatStatusText } from "../shared/status.js";
import { processIo, runAsScript, secretsIn, type OperatorIo } from "./operator-io.js";

export async function main(argv: string[], io: OperatorIo = processIo): Promise<number> {
  const json = argv.includes("--json");
  let settings: Settings;
  try {
    settings = loadSettings({
      requireAvePoint: false,
      ...(io.env ? { env: io.env } : {}),
      ...(io.localSettingsDir !== undefined ? { localSettingsDir: io.localSettingsDir } : {}),
    });
    if (!settings.storage) {
      throw new ConfigError([{ variable: "AzureWebJobsStorage, ALERTS_STORAGE_CONNECTION, ALERTS_STORAGE_ACCOUNT_URL", message: "no storage for the alert ledger: status reads it" }]);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  try {
    const report = await createRuntime(settings, io.now ? { now: io.now } : {}).status();
    io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : formatStatusText(report));
    return report.healthy ? 0 : 1;
  } catch (err) {
    io.stderr(`the status could not be read: ${redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err), secretsIn(settings))}\n`);
    return 1;
  }
}

runAsScript(import.meta.url, main);

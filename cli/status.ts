/**
 * `npm run status [-- --json]`: where each monitor stands (last successful
 * cycle, watermark, failures, tracked jobs, open failures) and every delivery
 * not made yet, read from the ledger. The same report GET /api/health serves.
 * Needs only the ledger's storage settings.
 *
 * Exit codes: 0 every monitor healthy; 1 a monitor is stale, or the ledger
 * could not be read; 2 configuration error.
 */
import { ConfigError } from "../shared/config/index.js";
import { storageOrigin, storageVariable } from "../shared/ledger/clients.js";
import { describeError } from "../shared/security/secret.js";
import { createRuntime } from "../shared/pipeline/runtime.js";
import { formatStatusText } from "../shared/pipeline/status.js";
import { loadOperatorSettings, processIo, runAsScript, secretsIn, type OperatorIo } from "./operator-io.js";

export async function main(argv: string[], io: OperatorIo = processIo): Promise<number> {
  const json = argv.includes("--json");
  const settings = loadOperatorSettings(io, { requireAvePoint: false });
  if (!settings) return 2;
  const storage = settings.storage;
  if (!storage) {
    io.stderr(`${new ConfigError([{ variable: "AzureWebJobsStorage, ALERTS_STORAGE", message: "no storage for the alert ledger: status reads it" }]).message}\n`);
    return 2;
  }
  try {
    const report = await createRuntime(settings, io.now ? { now: io.now } : {}).status();
    // Two settings can name the storage; say which one was read, so a surprising answer can be traced.
    const source = `Ledger: ${storageVariable(storage)} (Table Storage at ${storageOrigin(storage)}, tables ${settings.tablePrefix}*)\n`;
    io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : source + formatStatusText(report));
    return report.healthy ? 0 : 1;
  } catch (err) {
    io.stderr(`the status could not be read: ${describeError(err, secretsIn(settings))}\n`);
    return 1;
  }
}

runAsScript(import.meta.url, main);

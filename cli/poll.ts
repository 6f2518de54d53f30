/**
 * `npm run poll -- --once`: every monitor once with the configured settings
 * (environment variables, then local.settings.json). One summary line per
 * monitor on stdout; logs on stderr.
 * Exit codes: 0 everything found was delivered; 1 something could not be read
 * or delivered (it stays pending for the next run); 2 configuration error.
 * Without --once: the monitors on their schedules until Ctrl+C; with --now
 * also once right away (as the host's runOnStartup would).
 */
import { ConfigError, loadSettings, readSettingValues, type Settings } from "../shared/config/index.js";
import { runAsScript } from "./operator-io.js";
import { invokeTimer, loadTimerRegistrations, outcomeLine, resolveSchedule, runOnSchedules } from "./runner.js";

const LEVELS: Record<string, string> = { error: "error", warning: "warn", information: "info", debug: "debug", trace: "debug" };

export async function main(argv: string[]): Promise<number> {
  const once = argv.includes("--once");
  // `npm run poll --once` (no `--`) hands the flag to npm, which passes it on only as
  // npm_config_once: without this check the scheduler would run forever instead of once.
  if (!once && process.env["npm_config_once"] !== undefined) {
    process.stderr.write("poll: npm took --once for itself and would run the scheduler forever; put it after --: npm run poll -- --once\n");
    return 2;
  }
  const only = argv.find((a) => a.startsWith("--monitor="))?.slice("--monitor=".length);
  let settings: Settings;
  try {
    // Validated here first so a bad setting stops us before any request.
    settings = loadSettings();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = (level: string, line: string) => process.stderr.write(`[${LEVELS[level] ?? level}] ${line}\n`);
  const registrations = (await loadTimerRegistrations()).filter((r) => !only || r.name.toLowerCase().startsWith(only.toLowerCase()));

  if (once) {
    let ok = true;
    for (const registration of registrations) {
      const outcome = await invokeTimer(registration, log);
      process.stdout.write(`${outcomeLine(outcome)}\n`);
      if (outcome.error instanceof ConfigError) return 2;
      ok &&= outcome.ok;
    }
    return ok ? 0 : 1;
  }

  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  // The host needs %JOBS_SCHEDULE% set; here the documented defaults apply when it is not.
  const values = { ...readSettingValues(), JOBS_SCHEDULE: settings.jobs.schedule, LICENSE_SCHEDULE: settings.license.schedule };
  process.stderr.write(`running ${registrations.map((r) => `${r.name} (${resolveSchedule(String(r.options.schedule), values)})`).join(", ")}; Ctrl+C stops\n`);
  await runOnSchedules(registrations, values, {
    signal: controller.signal,
    runAtStart: argv.includes("--now"),
    log,
    onOutcome: (o) => process.stdout.write(`${new Date().toISOString()} ${outcomeLine(o)}\n`),
  });
  return 0;
}

runAsScript(import.meta.url, main);

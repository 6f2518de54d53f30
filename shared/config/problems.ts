/**
 * How a bad setting is reported. Kept apart from settings.ts so the parts
 * that check settings of their own (config/routing-file.ts, ledger/clients.ts)
 * can name a problem without importing the whole parser (no import circle).
 */

/** One problem with one setting; never contains the setting's value when it is a secret. */
export interface SettingProblem {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly SettingProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join("\n"),
    );
  }
}

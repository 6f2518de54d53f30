import { expect } from "vitest";
import { ConfigError, parseSettings, type SettingProblem } from "../../shared/config/settings.js";

type ParseOptions = Parameters<typeof parseSettings>[1];

/** Every problem parseSettings reports for these values; none when they parse. Any other error is not swallowed. */
export function settingProblems(values: Record<string, string>, options?: ParseOptions): SettingProblem[] {
  try {
    parseSettings(values, options);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
}

/** The same, as "VARIABLE: message" lines. */
export function settingProblemLines(values: Record<string, string>, options?: ParseOptions): string[] {
  return settingProblems(values, options).map((p) => `${p.variable}: ${p.message}`);
}

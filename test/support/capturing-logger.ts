import type { Logger } from "../../shared/logging.js";

/** A Logger that appends `level message {data}` lines to `lines` (tests read them back, e.g. to check no secret leaks). */
export function capturingLogger(lines: string[], options: { debug?: boolean } = {}): Logger {
  const write = (level: string) => (message: string, data?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${data ? JSON.stringify(data) : ""}`);
  };
  return { error: write("error"), warn: write("warn"), info: write("info"), debug: options.debug === false ? () => {} : write("debug") };
}

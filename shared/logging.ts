import type { LogLevel } from "./config/settings.js";
import { redact } from "./security/secret.js";

/** The logging surface the application uses; InvocationContext and console both fit behind it. */
export interface Logger {
  error(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  debug(message: string, data?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

interface LogSink {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug?(...args: unknown[]): void;
  log?(...args: unknown[]): void;
}

/**
 * A logger over any sink (console, an InvocationContext) that drops lines below
 * the level and passes every line through `redact`, so a secret that slipped
 * into a message or its data still does not reach the log.
 */
export function createLogger(sink: LogSink, level: LogLevel = "info", secrets: () => Iterable<string | undefined> = () => []): Logger {
  const write = (lvl: LogLevel, message: string, data?: Record<string, unknown>) => {
    if (ORDER[lvl] > ORDER[level]) return;
    const text = data === undefined ? message : `${message} ${JSON.stringify(data)}`;
    const line = redact(text, secrets());
    const fn = lvl === "debug" ? (sink.debug ?? sink.log ?? sink.info) : sink[lvl];
    fn.call(sink, line);
  };
  return {
    error: (m, d) => write("error", m, d),
    warn: (m, d) => write("warn", m, d),
    info: (m, d) => write("info", m, d),
    debug: (m, d) => write("debug", m, d),
  };
}

/** A logger that keeps nothing (for tools that report on their own). */
export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

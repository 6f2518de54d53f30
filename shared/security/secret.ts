import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A value that must never reach a log line, an error message or a card:
 * client secrets, certificate keys, access tokens, webhook URLs.
 * Every accidental way of printing it (template strings, JSON.stringify,
 * console.log / util.inspect) yields "[redacted]"; only `reveal()` gives the value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** An error as one line ("Name: message") for logs, reports and storage, with secrets redacted. */
export function describeError(err: unknown, secrets: Iterable<Secret | string | undefined> = []): string {
  return redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err), secrets);
}

/**
 * Removes every known secret value, and credential-looking URL query parameters
 * (`sig=`, `code=`, `access_token=`...), from text before it is logged or shown.
 */
export function redact(text: string, secrets: Iterable<Secret | string | undefined> = []): string {
  let out = text;
  for (const s of secrets) {
    const value = s instanceof Secret ? s.reveal() : s;
    if (value && value.length >= 4) out = out.split(value).join(REDACTED);
  }
  return out
    .replace(/([?&](?:sig|code|access_token|token|client_secret|client_assertion|key)=)[^&\s"'<>]+/gi, `$1${REDACTED}`)
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${REDACTED}`);
}

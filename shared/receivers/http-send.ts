import { DEFAULT_TIMEOUT_IN_MS, httpRequest, NetworkError, type HttpResponse } from "../http/request.js";
import { isRetryableStatus, parseRetryAfter, withRetry } from "../http/retry.js";
import { attemptsIn, DeliveryError, retryTiming, type DeliveryResult, type RetryTiming, type RetryTimingOptions } from "./channel.js";
import { processWidePacer, type SendPacer } from "./pacing.js";

/**
 * The send flow of the channels that POST one JSON request per delivery
 * (Teams Workflows webhook, Graph sendMail): paced per destination, retried
 * by the shared retrier, every failure turned into a DeliveryError that says
 * what to do. The channel brings the request and the words.
 *
 * Status decision table:
 *   2xx                         delivered
 *   408, 429, 5xx, no answer    retried (Retry-After honoured, and held for every sender to that destination), then DeliveryError(retryable)
 *   other                       DeliveryError(not retryable), in the channel's words for the status
 *   anything else thrown        not retried: a DeliveryError passes through as it is, another error is "failed unexpectedly" (retryable)
 */

/** How a channel sends; fixed when it is built. */
export interface HttpSendSettings extends RetryTiming {
  /** Least time between two requests to one pacing key. */
  minIntervalInMs: number;
  /** Per request. */
  timeoutInMs: number;
  pacer: SendPacer;
}

/** The options of a channel that sends with sendWithRetry; each channel documents its own minIntervalInMs. */
export interface HttpSendOptions extends RetryTimingOptions {
  minIntervalInMs?: number;
  /** Per request. Default 30 000 ms (shared/http/request.ts). */
  timeoutInMs?: number;
  /** Defaults to the one pacer shared by every channel in the process. */
  pacer?: SendPacer;
}

/** Defaults: retryTiming's, the given interval, DEFAULT_TIMEOUT_IN_MS, the process-wide pacer. */
export function httpSendSettings(options: HttpSendOptions, defaultMinIntervalInMs: number): HttpSendSettings {
  return {
    ...retryTiming(options),
    minIntervalInMs: options.minIntervalInMs ?? defaultMinIntervalInMs,
    timeoutInMs: options.timeoutInMs ?? DEFAULT_TIMEOUT_IN_MS,
    pacer: options.pacer ?? processWidePacer,
  };
}

/** What a channel says about a send that failed; each text starts with its receiver label. */
interface HttpFailureText {
  /** Starts "failed unexpectedly" messages. */
  label: string;
  /** No answer after every try; `reason` is redacted. */
  unreachable(tries: string, reason: string): string;
  /**
   * Still 408, 429 or 5xx after every try. `quoted` is `: "<detail>"` or empty;
   * `askedToWait` is ` It asked to wait N s.` or empty.
   */
  throttled(status: number, tries: string, quoted: string, askedToWait: string): string;
  /** Any other answer that is not 2xx: what the status means and what to fix. */
  refused(status: number, quoted: string): string;
}

/** One delivery: a JSON POST. */
interface HttpSend {
  /** The channel's name: `receiver` of errors and log fields. */
  receiver: string;
  /**
   * The destination whose limit sends share (a workflow, a mailbox): requests
   * to it keep minIntervalInMs apart, and a Retry-After holds every sender to it.
   * It stays in the pacer and is never logged.
   */
  pacingKey: string;
  url: string;
  body: string;
  /** Fixed, or asked before every try after the pacing wait (a token may change between tries). */
  headers: Record<string, string> | ((attempt: number, abortSignal: AbortSignal | undefined) => Promise<Record<string, string>>);
  /** Response headers that carry the receiver's id for the delivery; the first present wins. */
  messageIdHeaders: readonly string[];
  /** Removes the channel's secrets from any text it writes. */
  redact: (text: string) => string;
  /** The JSON error text of a refusing response, if it has one. */
  errorText: (json: unknown) => string | undefined;
  /** When a refusing response is not JSON, its HTML tags are removed: only from an HTML answer, or always. */
  stripTags: "html" | "always";
  /** Starts the retry warning: `<retryLogPrefix> 2 was answered HTTP 503; retrying in 1000 ms`. */
  retryLogPrefix: string;
  /** The debug line of an accepted delivery. */
  acceptedLog: (status: number) => string;
  failure: HttpFailureText;
}

/** How much of a refusing response's body an error quotes. */
const DETAIL_MAX_CHARS = 300;

/** A response the receiver gave that was not a 2xx; internal to the retry loop. */
class UnacceptedResponse extends Error {
  override readonly name = "UnacceptedResponse";
  constructor(readonly response: HttpResponse) {
    super(`HTTP ${response.status}`);
  }
}

/**
 * Sends `send`, retrying as the table above says. Resolves once the receiver
 * accepted it; rejects with a DeliveryError, or with the signal's reason when
 * `abortSignal` cancelled it (a cancelled send is the caller's decision, not a
 * receiver failure).
 */
export async function sendWithRetry(settings: HttpSendSettings, send: HttpSend, abortSignal?: AbortSignal): Promise<DeliveryResult> {
  const { now, sleep, pacer, logger } = settings;
  const started = now();
  let attempts = 0;
  try {
    const response = await withRetry(
      async (attempt) => {
        attempts = attempt;
        await pacer.waitForSlot(send.pacingKey, settings.minIntervalInMs, { now, sleep }, abortSignal);
        const headers = typeof send.headers === "function" ? await send.headers(attempt, abortSignal) : send.headers;
        const response = await httpRequest({
          url: send.url,
          method: "POST",
          headers,
          body: send.body,
          timeoutInMs: settings.timeoutInMs,
          ...(abortSignal ? { abortSignal } : {}),
        });
        if (response.status < 200 || response.status > 299) throw new UnacceptedResponse(response);
        return response;
      },
      {
        policy: settings.retryPolicy,
        classify: (error) => classify(error, settings, send.pacingKey),
        sleep,
        now,
        ...(settings.random ? { random: settings.random } : {}),
        ...(abortSignal ? { abortSignal } : {}),
        onRetry: ({ attempt, delayInMs, error }) => {
          logger.warn(`${send.retryLogPrefix} ${attempt} ${describeFailure(error, send.redact)}; retrying in ${delayInMs} ms`, {
            receiver: send.receiver,
            attempt,
            delayInMs,
            ...(error instanceof UnacceptedResponse ? { status: error.response.status } : {}),
          });
        },
      },
    );
    const messageId = send.messageIdHeaders.reduce<string | null>((found, header) => found ?? response.headers.get(header), null);
    const result: DeliveryResult = { status: response.status, attempts, elapsedInMs: now() - started };
    if (messageId) result.messageId = messageId;
    logger.debug(send.acceptedLog(response.status), { receiver: send.receiver, attempts });
    return result;
  } catch (error) {
    if (abortSignal?.aborted) throw error;
    throw toDeliveryError(error, attempts, now() - started, settings, send);
  }
}

function classify(error: unknown, settings: HttpSendSettings, pacingKey: string): { retry: boolean; retryAfterInMs?: number } {
  if (error instanceof NetworkError) return { retry: true };
  // Anything else thrown in a try is not retried: Graph's token, for one, comes from an identity library that retries its own requests.
  if (!(error instanceof UnacceptedResponse) || !isRetryableStatus(error.response.status)) return { retry: false };
  const retryAfterInMs = parseRetryAfter(error.response.headers.get("retry-after"), settings.now());
  if (retryAfterInMs === undefined) return { retry: true };
  // Throttling is per destination: other channels sending there wait too (bounded like one retry wait).
  settings.pacer.holdUntil(pacingKey, settings.now() + Math.min(retryAfterInMs, settings.retryPolicy.maxDelayInMs));
  return { retry: true, retryAfterInMs };
}

function describeFailure(error: unknown, redact: (text: string) => string): string {
  if (error instanceof UnacceptedResponse) return `was answered HTTP ${error.response.status}`;
  if (error instanceof NetworkError) return `got no answer (${redact(error.message)})`;
  return `failed (${redact(error instanceof Error ? error.message : String(error))})`;
}

function toDeliveryError(error: unknown, attempts: number, elapsedInMs: number, settings: HttpSendSettings, send: HttpSend): Error {
  if (error instanceof DeliveryError) return error;
  const { failure, redact } = send;
  const tries = attemptsIn(attempts, elapsedInMs);
  const base = { receiver: send.receiver, attempts };

  if (error instanceof NetworkError) {
    return new DeliveryError(failure.unreachable(tries, redact(error.message)), { ...base, retryable: true, cause: error });
  }
  if (!(error instanceof UnacceptedResponse)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new DeliveryError(`${failure.label} failed unexpectedly: ${redact(reason)}`, { ...base, retryable: true });
  }

  const { status, text, headers } = error.response;
  const detail = responseDetail(text, send.stripTags === "always" || headers.get("content-type")?.includes("html") === true, send);
  const quoted = detail ? `: "${detail}"` : "";
  const withStatus = { ...base, status };
  if (isRetryableStatus(status)) {
    const retryAfterInMs = parseRetryAfter(headers.get("retry-after"), settings.now());
    const askedToWait = retryAfterInMs === undefined ? "" : ` It asked to wait ${Math.ceil(retryAfterInMs / 1000)} s.`;
    return new DeliveryError(failure.throttled(status, tries, quoted, askedToWait), { ...withStatus, retryable: true });
  }
  return new DeliveryError(failure.refused(status, quoted), { ...withStatus, retryable: false });
}

/** The useful part of a refusing response: its JSON error text if there is one, else the text; one line, redacted and short. */
function responseDetail(text: string, stripTags: boolean, send: Pick<HttpSend, "errorText" | "redact">): string {
  let detail = text.trim();
  if (!detail) return "";
  try {
    detail = send.errorText(JSON.parse(detail)) ?? detail;
  } catch {
    if (stripTags) detail = detail.replace(/<[^>]*>/g, " ");
  }
  detail = send.redact(detail.replace(/\s+/g, " ").trim());
  return detail.length > DETAIL_MAX_CHARS ? `${detail.slice(0, DETAIL_MAX_CHARS - 1)}…` : detail;
}

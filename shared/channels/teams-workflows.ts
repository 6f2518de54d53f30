import { inspect } from "node:util";
import { describeWebhookUrlProblem } from "../config/settings.js";
import { DEFAULT_TIMEOUT_IN_MS, httpRequest, NetworkError, type HttpResponse } from "../http/request.js";
import { DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, sleep as timerSleep, withRetry, type RetryPolicy } from "../http/retry.js";
import { silentLogger, type Logger } from "../logging.js";
import { redact, type Secret } from "../security/secret.js";
import { ChannelConfigError, DeliveryError, type Channel, type DeliveryResult, type SendOptions } from "./delivery.js";
import { processWidePacer, type SendPacer } from "./pacing.js";

/**
 * Delivers to a Teams Workflows webhook ("Post to a channel when a webhook
 * request is received"): one JSON POST per alert, any 2xx is acceptance
 * (Workflows answers 202 once the run is queued).
 *
 * Status decision table:
 *   2xx                   delivered
 *   408, 429, 5xx, no answer   retried by the shared retrier (Retry-After honoured), then DeliveryError(retryable)
 *   400                   DeliveryError: the workflow refused the payload (its error text, redacted)
 *   401, 403, 404         DeliveryError: the workflow was deleted, turned off or lost its owner's access
 *   other 3xx/4xx         DeliveryError naming the status
 *
 * The URL carries its own credential (`sig=`), so it is kept in a private
 * Secret: errors and logs name the receiver, never the URL.
 */

export interface WorkflowsWebhookChannelOptions {
  /** Permanent receiver id; names the channel in logs and errors. */
  name: string;
  /** The webhook URL the workflow gave; already checked by the settings parser, checked again here. */
  url: Secret;
  /** Defaults: shared/http/retry.ts DEFAULT_RETRY_POLICY (5 tries, at most 120 s). */
  retryPolicy?: Partial<RetryPolicy>;
  /** Least time between two POSTs to this URL from this process. Default 1000 ms. */
  minIntervalInMs?: number;
  /** Per request. Default 30 000 ms (shared/http/request.ts). */
  timeoutInMs?: number;
  /** Injected for tests; defaults to a timer. Used for pacing and retry waits. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests; defaults to Date.now. */
  now?: () => number;
  /** Injected for tests; the retrier's jitter. Defaults to Math.random. */
  random?: () => number;
  /** Retries are logged at warn. Defaults to a logger that keeps nothing. */
  logger?: Logger;
  /** Defaults to the one pacer shared by every channel in the process. */
  pacer?: SendPacer;
}

export const DEFAULT_MIN_INTERVAL_IN_MS = 1000;

/** How much of a refusing response's body an error quotes. */
const DETAIL_MAX_CHARS = 300;

const CHECK_WORKFLOW_ADVICE =
  "In Teams, open the channel's ... menu > Workflows (or Power Automate > My flows) and check that the " +
  '"Post to a channel when a webhook request is received" workflow still exists, is turned on, and that its owner ' +
  "still has access to the team and channel. If it was deleted, create it again and store the new URL as this receiver's " +
  "webhook URL (TEAMS_WEBHOOK_URL by default, kept in Key Vault).";

/** A response the receiver gave that was not a 2xx; internal to the retry loop. */
class UnacceptedResponse extends Error {
  override readonly name = "UnacceptedResponse";
  constructor(readonly response: HttpResponse) {
    super(`HTTP ${response.status}`);
  }
}

export class WorkflowsWebhookChannel implements Channel {
  readonly kind = "teams-workflows" as const;
  readonly name: string;
  readonly #url: Secret;
  /** Values redact() must remove: the whole URL and its signature on its own. */
  readonly #secrets: string[];
  readonly #retryPolicy: RetryPolicy;
  readonly #minIntervalInMs: number;
  readonly #timeoutInMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #now: () => number;
  readonly #random: (() => number) | undefined;
  readonly #logger: Logger;
  readonly #pacer: SendPacer;

  constructor(options: WorkflowsWebhookChannelOptions) {
    const name = typeof options.name === "string" ? options.name.trim() : "";
    if (!name) throw new ChannelConfigError("", "a Teams Workflows receiver needs a name (its permanent receiver id)");
    this.name = name;
    const problem = describeWebhookUrlProblem(options.url.reveal());
    if (problem) throw new ChannelConfigError(name, `Teams Workflows receiver "${name}": the webhook URL ${problem}`);
    this.#url = options.url;
    this.#secrets = secretPartsOf(options.url.reveal());

    this.#minIntervalInMs = options.minIntervalInMs ?? DEFAULT_MIN_INTERVAL_IN_MS;
    if (!Number.isFinite(this.#minIntervalInMs) || this.#minIntervalInMs < 0) {
      throw new ChannelConfigError(name, `Teams Workflows receiver "${name}": minIntervalInMs must be a number of ms, 0 or more`);
    }
    this.#timeoutInMs = options.timeoutInMs ?? DEFAULT_TIMEOUT_IN_MS;
    if (!Number.isFinite(this.#timeoutInMs) || this.#timeoutInMs <= 0) {
      throw new ChannelConfigError(name, `Teams Workflows receiver "${name}": timeoutInMs must be a positive number of ms`);
    }
    this.#retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    if (!Number.isInteger(this.#retryPolicy.maxAttempts) || this.#retryPolicy.maxAttempts < 1) {
      throw new ChannelConfigError(name, `Teams Workflows receiver "${name}": retryPolicy.maxAttempts must be a whole number, 1 or more`);
    }
    this.#sleep = options.sleep ?? timerSleep;
    this.#now = options.now ?? Date.now;
    this.#random = options.random;
    this.#logger = options.logger ?? silentLogger;
    this.#pacer = options.pacer ?? processWidePacer;
  }

  async send(payload: object, options: SendOptions = {}): Promise<DeliveryResult> {
    const { abortSignal } = options;
    abortSignal?.throwIfAborted();
    const body = this.#serialize(payload);
    const url = this.#url.reveal();
    const started = this.#now();
    let attempts = 0;

    try {
      const response = await withRetry(
        async (attempt) => {
          attempts = attempt;
          await this.#pacer.waitForSlot(url, this.#minIntervalInMs, { now: this.#now, sleep: this.#sleep }, abortSignal);
          const response = await httpRequest({
            url,
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body,
            timeoutInMs: this.#timeoutInMs,
            ...(abortSignal ? { abortSignal } : {}),
          });
          if (response.status < 200 || response.status > 299) throw new UnacceptedResponse(response);
          return response;
        },
        {
          policy: this.#retryPolicy,
          classify: (error) => this.#classify(error),
          sleep: this.#sleep,
          now: this.#now,
          ...(this.#random ? { random: this.#random } : {}),
          ...(abortSignal ? { abortSignal } : {}),
          onRetry: ({ attempt, delayInMs, error }) => {
            this.#logger.warn(`Teams Workflows receiver "${this.name}": attempt ${attempt} ${this.#describeFailure(error)}; retrying in ${delayInMs} ms`, {
              receiver: this.name,
              attempt,
              delayInMs,
              ...(error instanceof UnacceptedResponse ? { status: error.response.status } : {}),
            });
          },
        },
      );
      const messageId = response.headers.get("x-ms-workflow-run-id") ?? response.headers.get("x-ms-request-id") ?? undefined;
      const result: DeliveryResult = { status: response.status, attempts, elapsedInMs: this.#now() - started };
      if (messageId) result.messageId = messageId;
      this.#logger.debug(`Teams Workflows receiver "${this.name}" accepted the alert (HTTP ${response.status})`, { receiver: this.name, attempts });
      return result;
    } catch (error) {
      // A cancelled send is the caller's decision, not a receiver failure: hand back the signal's reason.
      if (abortSignal?.aborted) throw error;
      throw this.#toDeliveryError(error, attempts, this.#now() - started);
    }
  }

  toString(): string {
    return `WorkflowsWebhookChannel(${this.name})`;
  }

  toJSON(): { name: string; kind: "teams-workflows" } {
    return { name: this.name, kind: this.kind };
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #serialize(payload: object): string {
    let body: string | undefined;
    try {
      body = JSON.stringify(payload);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new DeliveryError(`Teams Workflows receiver "${this.name}": the payload is not JSON (${this.#redact(reason)}); this is a bug in the card renderer`, {
        receiver: this.name,
        retryable: false,
        attempts: 0,
      });
    }
    if (body === undefined) {
      throw new DeliveryError(`Teams Workflows receiver "${this.name}": the payload serialised to nothing; this is a bug in the card renderer`, {
        receiver: this.name,
        retryable: false,
        attempts: 0,
      });
    }
    return body;
  }

  #classify(error: unknown): { retry: boolean; retryAfterInMs?: number } {
    if (error instanceof NetworkError) return { retry: true };
    if (!(error instanceof UnacceptedResponse) || !isRetryableStatus(error.response.status)) return { retry: false };
    const retryAfterInMs = parseRetryAfter(error.response.headers.get("retry-after"), this.#now());
    if (retryAfterInMs === undefined) return { retry: true };
    // Throttling is per webhook: other channels posting to this URL wait too (bounded like one retry wait).
    this.#pacer.holdUntil(this.#url.reveal(), this.#now() + Math.min(retryAfterInMs, this.#retryPolicy.maxDelayInMs));
    return { retry: true, retryAfterInMs };
  }

  #describeFailure(error: unknown): string {
    if (error instanceof UnacceptedResponse) return `was answered HTTP ${error.response.status}`;
    if (error instanceof NetworkError) return `got no answer (${this.#redact(error.message)})`;
    return `failed (${this.#redact(error instanceof Error ? error.message : String(error))})`;
  }

  #toDeliveryError(error: unknown, attempts: number, elapsedInMs: number): Error {
    if (error instanceof DeliveryError) return error;
    const receiver = `Teams Workflows receiver "${this.name}"`;
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"} in ${(elapsedInMs / 1000).toFixed(1)} s`;

    if (error instanceof NetworkError) {
      return new DeliveryError(
        `${receiver} could not be reached after ${tries}: ${this.#redact(error.message)}. ` +
          "Check that this machine can open HTTPS connections to the workflow's host; the alert was not delivered and can be sent again later.",
        { receiver: this.name, retryable: true, attempts, cause: error },
      );
    }
    if (!(error instanceof UnacceptedResponse)) {
      const reason = error instanceof Error ? error.message : String(error);
      return new DeliveryError(`${receiver} failed unexpectedly: ${this.#redact(reason)}`, { receiver: this.name, retryable: true, attempts });
    }

    const { status, text, headers } = error.response;
    const detail = this.#responseDetail(text, headers.get("content-type"));
    const quoted = detail ? `: "${detail}"` : "";
    const base = { receiver: this.name, status, attempts };

    if (isRetryableStatus(status)) {
      const retryAfterInMs = parseRetryAfter(headers.get("retry-after"), this.#now());
      const askedToWait = retryAfterInMs === undefined ? "" : ` It asked to wait ${Math.ceil(retryAfterInMs / 1000)} s.`;
      return new DeliveryError(
        `${receiver} still answered HTTP ${status} after ${tries}${quoted}.${askedToWait} ` +
          "The workflow service is throttling or unavailable; the alert was not delivered and can be sent again later.",
        { ...base, retryable: true },
      );
    }
    switch (status) {
      case 400:
        return new DeliveryError(
          `${receiver} refused the payload (HTTP 400)${quoted}. The workflow's trigger did not accept the message: ` +
            'check that the workflow is "Post to a channel when a webhook request is received" (it expects a message with an Adaptive Card attachment) ' +
            "and look at its run history in Power Automate.",
          { ...base, retryable: false },
        );
      case 401:
      case 403:
      case 404:
        return new DeliveryError(
          `${receiver} answered HTTP ${status}${quoted}: the webhook URL no longer works. Its workflow was deleted or turned off, ` +
            `or the workflow's owner lost access. ${CHECK_WORKFLOW_ADVICE}`,
          { ...base, retryable: false },
        );
      case 413:
        return new DeliveryError(
          `${receiver} refused the payload as too large (HTTP 413)${quoted}. Teams messages are limited to about 28 KB; the card must be made smaller.`,
          { ...base, retryable: false },
        );
    }
    if (status >= 300 && status < 400) {
      return new DeliveryError(
        `${receiver} answered with a redirect (HTTP ${status}), which is not followed: a credential URL must not be sent elsewhere. ` +
          "Use the exact URL the workflow's trigger shows.",
        { ...base, retryable: false },
      );
    }
    return new DeliveryError(`${receiver} refused the request (HTTP ${status})${quoted}.`, { ...base, retryable: false });
  }

  /** The useful part of a refusing response: a JSON error message if there is one, else the text; redacted and short. */
  #responseDetail(text: string, contentType: string | null): string {
    let detail = text.trim();
    if (!detail) return "";
    try {
      detail = errorTextOf(JSON.parse(detail)) ?? detail;
    } catch {
      if (contentType?.includes("html")) detail = detail.replace(/<[^>]*>/g, " ");
    }
    detail = this.#redact(detail.replace(/\s+/g, " ").trim());
    return detail.length > DETAIL_MAX_CHARS ? `${detail.slice(0, DETAIL_MAX_CHARS - 1)}…` : detail;
  }

  #redact(text: string): string {
    return redact(text, this.#secrets);
  }
}

/** Workflows and Logic Apps answer `{"error":{"code":"...","message":"..."}}`; other gateways `{"message":"..."}`. */
function errorTextOf(json: unknown): string | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const record = json as Record<string, unknown>;
  const error = record["error"];
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null) {
    const { code, message } = error as Record<string, unknown>;
    if (typeof message === "string") return typeof code === "string" ? `${code}: ${message}` : message;
    if (typeof code === "string") return code;
  }
  if (typeof record["message"] === "string") return record["message"];
  return undefined;
}

/** The URL, and its signature alone: a response body may echo either. */
function secretPartsOf(url: string): string[] {
  const parts = [url];
  try {
    const parsed = new URL(url);
    parts.push(parsed.href);
    const sig = parsed.searchParams.get("sig");
    if (sig) parts.push(sig, encodeURIComponent(sig));
  } catch {
    // Already rejected by describeWebhookUrlProblem.
  }
  return parts;
}

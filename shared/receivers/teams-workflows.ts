import { createHash } from "node:crypto";
import type { WebhookUrl } from "../config/webhook-url.js";
import { redact } from "../security/secret.js";
import { ChannelConfigError, DeliveryError, PrintSafeChannel, receiverNameOf, type DeliveryResult, type SendOptions } from "./channel.js";
import { httpSendSettings, sendWithRetry, type HttpSendOptions, type HttpSendSettings } from "./http-send.js";

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
 * Secret: errors and logs name the receiver, never the URL. It was checked
 * once, where it was read (config/webhook-url.ts): a WebhookUrl is made nowhere else.
 */

export interface WorkflowsWebhookChannelOptions extends HttpSendOptions {
  /** Permanent receiver id; names the channel in logs and errors. */
  name: string;
  /** The webhook URL the workflow gave, as the settings checked it. */
  url: WebhookUrl;
  /** Least time between two POSTs to this URL from this process. Default 250 ms (DEFAULT_MIN_INTERVAL_IN_MS). */
  minIntervalInMs?: number;
}

/**
 * Why 250 ms (at most 4 posts a second to one URL), checked December 2026:
 * - Power Automate documents no per-second limit for the "When a Teams webhook
 *   request is received" trigger. Its limits are counted per flow over 5 minutes
 *   and 24 hours by the owner's performance profile, under a platform ceiling of
 *   100,000 requests per 5 minutes (learn.microsoft.com/power-automate/limits-and-config,
 *   /power-platform/admin/api-request-limits-allocations); a flow throttled for
 *   14 days in a row is turned off (/power-automate/guidance/coding-guidelines/understand-limits).
 *   A digest costs the flow one run, far inside those.
 * - The flow then posts to the channel through Teams, whose rate limits are not
 *   published as numbers ("subject to change": back off on 429,
 *   /microsoftteams/platform/bots/how-to/rate-limit). The only documented figure for
 *   posting to a channel by webhook is the retired Incoming Webhook's: more than
 *   four requests in one second are throttled (/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook).
 * So posts keep to that figure, and a 429's Retry-After holds every sender to this URL (http-send.ts).
 */
const DEFAULT_MIN_INTERVAL_IN_MS = 250;

const CHECK_WORKFLOW_ADVICE =
  "In Teams, open the channel's ... menu > Workflows (or Power Automate > My flows) and check that the " +
  '"Post to a channel when a webhook request is received" workflow still exists, is turned on, and that its owner ' +
  "still has access to the team and channel. If it was deleted, create it again and store the new URL as this receiver's " +
  "webhook URL (TEAMS_WEBHOOK_URL by default, kept in Key Vault).";

export class WorkflowsWebhookChannel extends PrintSafeChannel<"teams-workflows"> {
  readonly kind = "teams-workflows" as const;
  readonly name: string;
  readonly #url: WebhookUrl;
  readonly #pacingKey: string;
  /** Values redact() must remove: the whole URL and its signature on its own. */
  readonly #secrets: string[];
  readonly #settings: HttpSendSettings;

  constructor(options: WorkflowsWebhookChannelOptions) {
    super("WorkflowsWebhookChannel");
    const name = receiverNameOf(options.name, "a Teams Workflows receiver");
    this.name = name;
    this.#url = options.url;
    this.#secrets = secretPartsOf(options.url.reveal());
    // Pacing is per workflow, shared by every channel posting to it; the pacer holds a digest, never the credential.
    this.#pacingKey = `workflow:${createHash("sha256").update(options.url.reveal()).digest("hex")}`;

    const settings = httpSendSettings(options, DEFAULT_MIN_INTERVAL_IN_MS);
    if (!Number.isFinite(settings.minIntervalInMs) || settings.minIntervalInMs < 0) {
      throw new ChannelConfigError(name, `Teams Workflows receiver "${name}": minIntervalInMs must be a number of ms, 0 or more`);
    }
    if (!Number.isFinite(settings.timeoutInMs) || settings.timeoutInMs <= 0) {
      throw new ChannelConfigError(name, `Teams Workflows receiver "${name}": timeoutInMs must be a positive number of ms`);
    }
    if (!Number.isInteger(settings.retryPolicy.maxAttempts) || settings.retryPolicy.maxAttempts < 1) {
      throw new ChannelConfigError(name, `Teams Workflows receiver "${name}": retryPolicy.maxAttempts must be a whole number, 1 or more`);
    }
    this.#settings = settings;
  }

  async send(payload: object, options: SendOptions = {}): Promise<DeliveryResult> {
    const { abortSignal } = options;
    abortSignal?.throwIfAborted();
    const body = this.#serialize(payload);
    const url = this.#url.reveal();
    const receiver = `Teams Workflows receiver "${this.name}"`;
    return sendWithRetry(
      this.#settings,
      {
        receiver: this.name,
        pacingKey: this.#pacingKey,
        url,
        body,
        headers: { "Content-Type": "application/json" },
        messageIdHeaders: ["x-ms-workflow-run-id", "x-ms-request-id"],
        redact: (text) => this.#redact(text),
        errorText: errorTextOf,
        stripTags: "html",
        retryLogPrefix: `${receiver}: attempt`,
        acceptedLog: (status) => `${receiver} accepted the alert (HTTP ${status})`,
        failure: {
          label: receiver,
          unreachable: (tries, reason) =>
            `${receiver} could not be reached after ${tries}: ${reason}. ` +
            "Check that this machine can open HTTPS connections to the workflow's host; the alert was not delivered and can be sent again later.",
          throttled: (status, tries, quoted, askedToWait) =>
            `${receiver} still answered HTTP ${status} after ${tries}${quoted}.${askedToWait} ` +
            "The workflow service is throttling or unavailable; the alert was not delivered and can be sent again later.",
          refused: (status, quoted) => refusal(receiver, status, quoted),
        },
      },
      abortSignal,
    );
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

  #redact(text: string): string {
    return redact(text, this.#secrets);
  }
}

/** What a final answer other than 2xx, 408, 429 and 5xx means for a Workflows webhook. */
function refusal(receiver: string, status: number, quoted: string): string {
  switch (status) {
    case 400:
      return (
        `${receiver} refused the payload (HTTP 400)${quoted}. The workflow's trigger did not accept the message: ` +
        'check that the workflow is "Post to a channel when a webhook request is received" (it expects a message with an Adaptive Card attachment) ' +
        "and look at its run history in Power Automate."
      );
    case 401:
    case 403:
    case 404:
      return (
        `${receiver} answered HTTP ${status}${quoted}: the webhook URL no longer works. Its workflow was deleted or turned off, ` +
        `or the workflow's owner lost access. ${CHECK_WORKFLOW_ADVICE}`
      );
    case 413:
      return `${receiver} refused the payload as too large (HTTP 413)${quoted}. Teams messages are limited to about 28 KB; the card must be made smaller.`;
  }
  if (status >= 300 && status < 400) {
    return (
      `${receiver} answered with a redirect (HTTP ${status}), which is not followed: a credential URL must not be sent elsewhere. ` +
      "Use the exact URL the workflow's trigger shows."
    );
  }
  return `${receiver} refused the request (HTTP ${status})${quoted}.`;
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
    // Not reached: a WebhookUrl parses (config/webhook-url.ts).
  }
  return parts;
}

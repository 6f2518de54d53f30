import { inspect } from "node:util";
import type { TokenCredential } from "@azure/identity";
import { lazyCredential, type LazyCredential } from "../security/lazy-credential.js";
import { DEFAULT_GRAPH_BASE_URL, isEmailAddress, type GraphCredentialSettings } from "../config/email.js";
import { isAllowedUrl } from "../config/environment.js";
import { DEFAULT_TIMEOUT_IN_MS, httpRequest, NetworkError, type HttpResponse } from "../http/request.js";
import { DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, sleep as timerSleep, withRetry, type RetryPolicy } from "../http/retry.js";
import { silentLogger, type Logger } from "../logging.js";
import { isEmailMessage, type EmailMessage } from "../render/email.js";
import { redact } from "../security/secret.js";
import { ChannelConfigError, DeliveryError, type Channel, type DeliveryResult, type SendOptions } from "./delivery.js";
import { processWidePacer, type SendPacer } from "./pacing.js";

/**
 * Sends alert emails with Microsoft Graph: `POST /v1.0/users/{sender}/sendMail`
 * with an app-only token (application permission Mail.Send). Graph answers
 * 202 once Exchange has accepted the message for delivery.
 *
 * Graph's JSON sendMail carries one body, so the HTML is sent; Exchange adds
 * the plain-text alternative itself when it delivers to the internet. (The
 * SMTP channel sends both parts of EmailMessage.)
 *
 * Status decision table:
 *   2xx                      delivered
 *   408, 429, 5xx, no answer retried by the shared retrier (Retry-After honoured), then DeliveryError(retryable)
 *   400                      DeliveryError: Graph refused the message (its error code and text)
 *   401                      DeliveryError: the token was refused (wrong tenant or app)
 *   403                      DeliveryError: Mail.Send not granted, or not for this mailbox (Exchange RBAC for Applications)
 *   404                      DeliveryError: the sender is not a mailbox of this tenant
 *   other                    DeliveryError naming the status
 * A token that cannot be had is a DeliveryError too: retryable unless the
 * identity platform refused the credential itself.
 *
 * The access token lives only in the Authorization header: it is never logged,
 * and any text quoted from a response is redacted of it.
 */

export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/**
 * Exchange Online accepts about 30 messages a minute from one mailbox; this
 * process stays under it. Digests keep the count low in the first place.
 */
export const DEFAULT_GRAPH_MIN_INTERVAL_IN_MS = 2000;

export interface GraphMailChannelOptions {
  /** Permanent receiver id; names the channel in logs and errors. */
  name: string;
  /** The mailbox that sends (EMAIL_FROM): user principal name or object id. */
  sender: string;
  recipients: readonly string[];
  /** App-only credential for Graph: ClientSecretCredential, ClientCertificateCredential or ManagedIdentityCredential (see createGraphCredential). */
  credential: TokenCredential;
  /** Default https://graph.microsoft.com; national clouds and tests set their own. */
  graphBaseUrl?: string;
  /** Default `GRAPH_SCOPE`. National clouds use their Graph host's `/.default`. */
  scope?: string;
  /** Defaults: shared/http/retry.ts DEFAULT_RETRY_POLICY. */
  retryPolicy?: Partial<RetryPolicy>;
  /** Least time between two sends from this mailbox in this process. Default 2000 ms. */
  minIntervalInMs?: number;
  /** Per request. Default 30 000 ms. */
  timeoutInMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** Retries are logged at warn. Defaults to a logger that keeps nothing. */
  logger?: Logger;
  pacer?: SendPacer;
}

/** Tokens remembered for redaction. */
const REMEMBERED_TOKENS = 8;

/** How much of a refusing response an error quotes. */
const DETAIL_MAX_CHARS = 300;

const RBAC_ADVICE =
  "Grant the app the Microsoft Graph application permission Mail.Send limited to this mailbox with Exchange RBAC for Applications " +
  "(Exchange Online PowerShell: New-ServicePrincipal for the app, New-ManagementScope for the sending mailbox, " +
  'New-ManagementRoleAssignment -Role "Application Mail.Send" -App <app id> -CustomResourceScope <scope>); ' +
  "see the README's Email section. Changes can take up to an hour to apply.";

/** A non-2xx answer from Graph; internal to the retry loop. */
class UnacceptedResponse extends Error {
  override readonly name = "UnacceptedResponse";
  constructor(readonly response: HttpResponse) {
    super(`HTTP ${response.status}`);
  }
}

/** The credential could not give a token; internal to the retry loop. */
class TokenUnavailable extends Error {
  override readonly name = "TokenUnavailable";
  constructor(
    readonly reason: string,
    readonly retryable: boolean,
  ) {
    super(reason);
  }
}

export class GraphMailChannel implements Channel {
  readonly kind = "email" as const;
  readonly name: string;
  readonly #sender: string;
  readonly #recipients: readonly string[];
  readonly #credential: TokenCredential;
  readonly #url: string;
  readonly #scope: string;
  readonly #retryPolicy: RetryPolicy;
  readonly #minIntervalInMs: number;
  readonly #timeoutInMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #now: () => number;
  readonly #random: (() => number) | undefined;
  readonly #logger: Logger;
  readonly #pacer: SendPacer;
  /** Tokens handed out in this process, so no text this channel writes can carry one. */
  readonly #tokens = new Set<string>();

  constructor(options: GraphMailChannelOptions) {
    const name = typeof options.name === "string" ? options.name.trim() : "";
    if (!name) throw new ChannelConfigError("", "an email receiver needs a name (its permanent receiver id)");
    this.name = name;
    const label = `Email receiver "${name}"`;
    if (!isEmailAddress(options.sender)) throw new ChannelConfigError(name, `${label}: the sender "${options.sender}" is not a mailbox address (EMAIL_FROM)`);
    if (options.recipients.length === 0) throw new ChannelConfigError(name, `${label}: no recipients (EMAIL_TO)`);
    const bad = options.recipients.find((r) => !isEmailAddress(r));
    if (bad !== undefined) throw new ChannelConfigError(name, `${label}: "${bad}" is not an email address (EMAIL_TO)`);
    const base = (options.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, "");
    if (!isAllowedUrl(base)) throw new ChannelConfigError(name, `${label}: the Graph base URL must be https (plain http only to localhost)`);
    this.#sender = options.sender;
    this.#recipients = [...options.recipients];
    this.#credential = options.credential;
    this.#url = `${base}/v1.0/users/${encodeURIComponent(options.sender)}/sendMail`;
    this.#scope = options.scope ?? GRAPH_SCOPE;
    this.#retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    this.#minIntervalInMs = options.minIntervalInMs ?? DEFAULT_GRAPH_MIN_INTERVAL_IN_MS;
    this.#timeoutInMs = options.timeoutInMs ?? DEFAULT_TIMEOUT_IN_MS;
    this.#sleep = options.sleep ?? timerSleep;
    this.#now = options.now ?? Date.now;
    this.#random = options.random;
    this.#logger = options.logger ?? silentLogger;
    this.#pacer = options.pacer ?? processWidePacer;
  }

  async send(payload: object, options: SendOptions = {}): Promise<DeliveryResult> {
    const { abortSignal } = options;
    abortSignal?.throwIfAborted();
    if (!isEmailMessage(payload)) {
      throw new DeliveryError(`Email receiver "${this.name}": the payload is not an email message (subject, html, text); this is a bug in the outbox`, {
        receiver: this.name,
        retryable: false,
        attempts: 0,
      });
    }
    const body = JSON.stringify(this.#graphMessage(payload));
    const started = this.#now();
    let attempts = 0;
    try {
      const response = await withRetry(
        async (attempt) => {
          attempts = attempt;
          await this.#pacer.waitForSlot(`graph-mail:${this.#sender.toLowerCase()}`, this.#minIntervalInMs, { now: this.#now, sleep: this.#sleep }, abortSignal);
          const token = await this.#token(abortSignal);
          const response = await httpRequest({
            url: this.#url,
            method: "POST",
            headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
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
            this.#logger.warn(`Email receiver "${this.name}": Graph attempt ${attempt} ${this.#describeFailure(error)}; retrying in ${delayInMs} ms`, {
              receiver: this.name,
              attempt,
              delayInMs,
              ...(error instanceof UnacceptedResponse ? { status: error.response.status } : {}),
            });
          },
        },
      );
      const result: DeliveryResult = { status: response.status, attempts, elapsedInMs: this.#now() - started };
      const requestId = response.headers.get("request-id") ?? response.headers.get("client-request-id");
      if (requestId) result.messageId = requestId;
      this.#logger.debug(`Email receiver "${this.name}": Graph accepted the message (HTTP ${response.status})`, { receiver: this.name, attempts });
      return result;
    } catch (error) {
      if (abortSignal?.aborted) throw error;
      throw this.#toDeliveryError(error, attempts, this.#now() - started);
    }
  }

  toString(): string {
    return `GraphMailChannel(${this.name})`;
  }

  toJSON(): { name: string; kind: "email" } {
    return { name: this.name, kind: this.kind };
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #graphMessage(message: EmailMessage): object {
    return {
      message: {
        subject: message.subject,
        body: { contentType: "HTML", content: message.html },
        toRecipients: this.#recipients.map((address) => ({ emailAddress: { address } })),
      },
      // An unattended sender's Sent Items would only grow; the ledger is the record.
      saveToSentItems: false,
    };
  }

  async #token(abortSignal: AbortSignal | undefined): Promise<string> {
    let token: string | undefined;
    try {
      const access = await this.#credential.getToken(this.#scope, abortSignal ? { abortSignal } : {});
      token = access?.token;
    } catch (error) {
      if (abortSignal?.aborted) throw error;
      const name = error instanceof Error ? error.name : "";
      const status = (error as { statusCode?: unknown }).statusCode;
      // The identity platform refusing the credential (bad secret, unknown app) will refuse it again;
      // an unreachable endpoint or a managed identity that is not there yet may come back.
      const refused = name === "CredentialUnavailableError" || (name === "AuthenticationError" && typeof status === "number" && status >= 400 && status < 500);
      const reason = error instanceof Error ? error.message : String(error);
      throw new TokenUnavailable(this.#redact(reason), !refused);
    }
    if (!token) throw new TokenUnavailable("the credential returned no token", true);
    this.#tokens.add(token);
    // Tokens live about an hour; the last few are all a response could still echo.
    if (this.#tokens.size > REMEMBERED_TOKENS) this.#tokens.delete(this.#tokens.values().next().value ?? "");
    return token;
  }

  #classify(error: unknown): { retry: boolean; retryAfterInMs?: number } {
    if (error instanceof NetworkError) return { retry: true };
    // The identity library retries its own requests; another round here would only double the wait.
    if (error instanceof TokenUnavailable) return { retry: false };
    if (!(error instanceof UnacceptedResponse) || !isRetryableStatus(error.response.status)) return { retry: false };
    const retryAfterInMs = parseRetryAfter(error.response.headers.get("retry-after"), this.#now());
    if (retryAfterInMs === undefined) return { retry: true };
    this.#pacer.holdUntil(`graph-mail:${this.#sender.toLowerCase()}`, this.#now() + Math.min(retryAfterInMs, this.#retryPolicy.maxDelayInMs));
    return { retry: true, retryAfterInMs };
  }

  #describeFailure(error: unknown): string {
    if (error instanceof UnacceptedResponse) return `was answered HTTP ${error.response.status}`;
    if (error instanceof NetworkError) return `got no answer (${this.#redact(error.message)})`;
    return `failed (${this.#redact(error instanceof Error ? error.message : String(error))})`;
  }

  #toDeliveryError(error: unknown, attempts: number, elapsedInMs: number): Error {
    if (error instanceof DeliveryError) return error;
    const receiver = `Email receiver "${this.name}" (Graph, sender ${this.#sender})`;
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"} in ${(elapsedInMs / 1000).toFixed(1)} s`;
    const base = { receiver: this.name, attempts };

    if (error instanceof TokenUnavailable) {
      return new DeliveryError(
        `${receiver} could not get a Microsoft Graph token: ${error.reason}. ` +
          (error.retryable
            ? "The identity endpoint was unreachable or failed; the alert was not delivered and can be sent again later."
            : "Check EMAIL_GRAPH_TENANT_ID, EMAIL_GRAPH_CLIENT_ID and the client secret or certificate (or, without them, that the app's managed identity is enabled and AZURE_CLIENT_ID names it)."),
        { ...base, retryable: error.retryable },
      );
    }
    if (error instanceof NetworkError) {
      return new DeliveryError(
        `${receiver} could not reach Microsoft Graph after ${tries}: ${this.#redact(error.message)}. ` +
          "Check that this machine can open HTTPS connections to graph.microsoft.com; the alert was not delivered and can be sent again later.",
        { ...base, retryable: true, cause: error },
      );
    }
    if (!(error instanceof UnacceptedResponse)) {
      const reason = error instanceof Error ? error.message : String(error);
      return new DeliveryError(`${receiver} failed unexpectedly: ${this.#redact(reason)}`, { ...base, retryable: true });
    }

    const { status, text, headers } = error.response;
    const detail = this.#responseDetail(text);
    const quoted = detail ? `: "${detail}"` : "";
    const withStatus = { ...base, status };
    if (isRetryableStatus(status)) {
      const retryAfterInMs = parseRetryAfter(headers.get("retry-after"), this.#now());
      const askedToWait = retryAfterInMs === undefined ? "" : ` It asked to wait ${Math.ceil(retryAfterInMs / 1000)} s.`;
      return new DeliveryError(
        `${receiver}: Microsoft Graph still answered HTTP ${status} after ${tries}${quoted}.${askedToWait} ` +
          "Graph is throttling this mailbox or unavailable; the alert was not delivered and can be sent again later.",
        { ...withStatus, retryable: true },
      );
    }
    switch (status) {
      case 400:
        return new DeliveryError(
          `${receiver}: Microsoft Graph refused the message (HTTP 400)${quoted}. Check the addresses in EMAIL_TO and EMAIL_FROM.`,
          { ...withStatus, retryable: false },
        );
      case 401:
        return new DeliveryError(
          `${receiver}: Microsoft Graph refused the token (HTTP 401)${quoted}. The token is not for Graph or not for this tenant: ` +
            "check EMAIL_GRAPH_TENANT_ID (the tenant that owns the mailbox) and EMAIL_GRAPH_CLIENT_ID.",
          { ...withStatus, retryable: false },
        );
      case 403:
        return new DeliveryError(
          `${receiver}: Microsoft Graph denied sending as ${this.#sender} (HTTP 403)${quoted}. The app has no Mail.Send application permission, ` +
            `or it is not allowed for this mailbox. ${RBAC_ADVICE}`,
          { ...withStatus, retryable: false },
        );
      case 404:
        return new DeliveryError(
          `${receiver}: Microsoft Graph found no mailbox ${this.#sender} (HTTP 404)${quoted}. EMAIL_FROM must be a mailbox of the tenant ` +
            "(a user or shared mailbox with Exchange Online), written as its primary address.",
          { ...withStatus, retryable: false },
        );
      case 413:
        return new DeliveryError(`${receiver}: Microsoft Graph refused the message as too large (HTTP 413)${quoted}.`, { ...withStatus, retryable: false });
    }
    return new DeliveryError(`${receiver}: Microsoft Graph refused the request (HTTP ${status})${quoted}.`, { ...withStatus, retryable: false });
  }

  /** Graph answers `{"error":{"code":"ErrorAccessDenied","message":"..."}}`; quoted short and redacted. */
  #responseDetail(text: string): string {
    let detail = text.trim();
    if (!detail) return "";
    try {
      const json = JSON.parse(detail) as { error?: { code?: unknown; message?: unknown } };
      const code = typeof json.error?.code === "string" ? json.error.code : undefined;
      const message = typeof json.error?.message === "string" ? json.error.message : undefined;
      if (code || message) detail = [code, message].filter(Boolean).join(": ");
    } catch {
      detail = detail.replace(/<[^>]*>/g, " ");
    }
    detail = this.#redact(detail.replace(/\s+/g, " ").trim());
    return detail.length > DETAIL_MAX_CHARS ? `${detail.slice(0, DETAIL_MAX_CHARS - 1)}…` : detail;
  }

  #redact(text: string): string {
    return redact(text, this.#tokens);
  }
}

/**
 * The credential the settings ask for. Secret and certificate are an app
 * registration's; without either the app's managed identity signs in
 * (user-assigned when AZURE_CLIENT_ID names it).
 */
export function createGraphCredential(settings: GraphCredentialSettings): LazyCredential {
  return lazyCredential((identity) => {
    switch (settings.kind) {
      case "secret":
        return new identity.ClientSecretCredential(settings.tenantId, settings.clientId, settings.secret.reveal());
      case "certificate":
        return new identity.ClientCertificateCredential(settings.tenantId, settings.clientId, { certificate: settings.pem.reveal() });
      case "managedIdentity":
        return settings.clientId ? new identity.ManagedIdentityCredential({ clientId: settings.clientId }) : new identity.ManagedIdentityCredential();
    }
  });
}

import type { TokenCredential } from "@azure/identity";
import { lazyCredential, type LazyCredential } from "../security/lazy-credential.js";
import { DEFAULT_GRAPH_BASE_URL, isEmailAddress, type GraphCredentialSettings } from "../config/email.js";
import { isAllowedUrl } from "../config/environment.js";
import type { EmailMessage } from "../render/email.js";
import { redact } from "../security/secret.js";
import { ChannelConfigError, DeliveryError, PrintSafeChannel, receiverNameOf, type DeliveryResult, type SendOptions } from "./channel.js";
import { checkRecipients, emailMessageOf } from "./email-receiver.js";
import { httpSendSettings, sendWithRetry, type HttpSendOptions, type HttpSendSettings } from "./http-send.js";

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
const DEFAULT_GRAPH_MIN_INTERVAL_IN_MS = 2000;

export interface GraphMailChannelOptions extends HttpSendOptions {
  /** Permanent receiver id; names the channel in logs and errors. */
  name: string;
  /** The mailbox that sends (EMAIL_FROM): user principal name or object id. */
  sender: string;
  recipients: readonly string[];
  /** App-only credential for Graph: ClientSecretCredential, ClientCertificateCredential or ManagedIdentityCredential (see createGraphCredential). */
  credential: TokenCredential;
  /** Default https://graph.microsoft.com; national clouds and tests set their own. */
  graphBaseUrl?: string;
  /** Least time between two sends from this mailbox in this process. Default 2000 ms. */
  minIntervalInMs?: number;
}

/** Tokens remembered for redaction. */
const REMEMBERED_TOKENS = 8;

const RBAC_ADVICE =
  "Grant the app the Microsoft Graph application permission Mail.Send limited to this mailbox with Exchange RBAC for Applications " +
  "(Exchange Online PowerShell: New-ServicePrincipal for the app, New-ManagementScope for the sending mailbox, " +
  'New-ManagementRoleAssignment -Role "Application Mail.Send" -App <app id> -CustomResourceScope <scope>); ' +
  "see docs/RECEIVERS.md, section Email. Changes can take up to an hour to apply.";

export class GraphMailChannel extends PrintSafeChannel<"email"> {
  readonly kind = "email" as const;
  readonly name: string;
  readonly #sender: string;
  readonly #recipients: readonly string[];
  readonly #credential: TokenCredential;
  readonly #url: string;
  readonly #settings: HttpSendSettings;
  /** Tokens handed out in this process, so no text this channel writes can carry one. */
  readonly #tokens = new Set<string>();

  constructor(options: GraphMailChannelOptions) {
    super("GraphMailChannel");
    const name = receiverNameOf(options.name, "an email receiver");
    this.name = name;
    const label = `Email receiver "${name}"`;
    if (!isEmailAddress(options.sender)) throw new ChannelConfigError(name, `${label}: the sender "${options.sender}" is not a mailbox address (EMAIL_FROM)`);
    checkRecipients(name, options.recipients);
    const base = (options.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, "");
    if (!isAllowedUrl(base)) throw new ChannelConfigError(name, `${label}: the Graph base URL must be https (plain http only to localhost)`);
    this.#sender = options.sender;
    this.#recipients = [...options.recipients];
    this.#credential = options.credential;
    this.#url = `${base}/v1.0/users/${encodeURIComponent(options.sender)}/sendMail`;
    this.#settings = httpSendSettings(options, DEFAULT_GRAPH_MIN_INTERVAL_IN_MS);
  }

  async send(payload: object, options: SendOptions = {}): Promise<DeliveryResult> {
    const { abortSignal } = options;
    abortSignal?.throwIfAborted();
    const message = emailMessageOf(this.name, payload);
    const receiver = `Email receiver "${this.name}" (Graph, sender ${this.#sender})`;
    return sendWithRetry(
      this.#settings,
      {
        receiver: this.name,
        pacingKey: `graph-mail:${this.#sender.toLowerCase()}`,
        url: this.#url,
        body: JSON.stringify(this.#graphMessage(message)),
        headers: async (attempt, signal) => ({ Authorization: `Bearer ${await this.#token(receiver, attempt, signal)}`, "Content-Type": "application/json" }),
        messageIdHeaders: ["request-id", "client-request-id"],
        redact: (text) => this.#redact(text),
        errorText: graphErrorText,
        stripTags: "always",
        retryLogPrefix: `Email receiver "${this.name}": Graph attempt`,
        acceptedLog: (status) => `Email receiver "${this.name}": Graph accepted the message (HTTP ${status})`,
        failure: {
          label: receiver,
          unreachable: (tries, reason) =>
            `${receiver} could not reach Microsoft Graph after ${tries}: ${reason}. ` +
            "Check that this machine can open HTTPS connections to graph.microsoft.com; the alert was not delivered and can be sent again later.",
          throttled: (status, tries, quoted, askedToWait) =>
            `${receiver}: Microsoft Graph still answered HTTP ${status} after ${tries}${quoted}.${askedToWait} ` +
            "Graph is throttling this mailbox or unavailable; the alert was not delivered and can be sent again later.",
          refused: (status, quoted) => this.#refusal(receiver, status, quoted),
        },
      },
      abortSignal,
    );
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

  /**
   * A token for this try. One that cannot be had ends the send with a DeliveryError: the identity
   * library retries its own requests, so the send does not try again (retryable tells the outbox).
   */
  async #token(receiver: string, attempt: number, abortSignal: AbortSignal | undefined): Promise<string> {
    let token: string | undefined;
    try {
      const access = await this.#credential.getToken(GRAPH_SCOPE, abortSignal ? { abortSignal } : {});
      token = access?.token;
    } catch (error) {
      if (abortSignal?.aborted) throw error;
      const name = error instanceof Error ? error.name : "";
      const status = (error as { statusCode?: unknown }).statusCode;
      // The identity platform refusing the credential (bad secret, unknown app) will refuse it again;
      // an unreachable endpoint or a managed identity that is not there yet may come back.
      const refused = name === "CredentialUnavailableError" || (name === "AuthenticationError" && typeof status === "number" && status >= 400 && status < 500);
      const reason = error instanceof Error ? error.message : String(error);
      throw tokenUnavailable(receiver, this.name, attempt, this.#redact(reason), !refused);
    }
    if (!token) throw tokenUnavailable(receiver, this.name, attempt, "the credential returned no token", true);
    this.#tokens.add(token);
    // Tokens live about an hour; the last few are all a response could still echo.
    if (this.#tokens.size > REMEMBERED_TOKENS) this.#tokens.delete(this.#tokens.values().next().value ?? "");
    return token;
  }

  /** What a final answer other than 2xx, 408, 429 and 5xx means for sendMail. */
  #refusal(receiver: string, status: number, quoted: string): string {
    switch (status) {
      case 400:
        return `${receiver}: Microsoft Graph refused the message (HTTP 400)${quoted}. Check the addresses in EMAIL_TO and EMAIL_FROM.`;
      case 401:
        return (
          `${receiver}: Microsoft Graph refused the token (HTTP 401)${quoted}. The token is not for Graph or not for this tenant: ` +
          "check EMAIL_GRAPH_TENANT_ID (the tenant that owns the mailbox) and EMAIL_GRAPH_CLIENT_ID."
        );
      case 403:
        return (
          `${receiver}: Microsoft Graph denied sending as ${this.#sender} (HTTP 403)${quoted}. The app has no Mail.Send application permission, ` +
          `or it is not allowed for this mailbox. ${RBAC_ADVICE}`
        );
      case 404:
        return (
          `${receiver}: Microsoft Graph found no mailbox ${this.#sender} (HTTP 404)${quoted}. EMAIL_FROM must be a mailbox of the tenant ` +
          "(a user or shared mailbox with Exchange Online), written as its primary address."
        );
      case 413:
        return `${receiver}: Microsoft Graph refused the message as too large (HTTP 413)${quoted}.`;
    }
    return `${receiver}: Microsoft Graph refused the request (HTTP ${status})${quoted}.`;
  }

  #redact(text: string): string {
    return redact(text, this.#tokens);
  }
}

function tokenUnavailable(receiver: string, name: string, attempts: number, reason: string, retryable: boolean): DeliveryError {
  return new DeliveryError(
    `${receiver} could not get a Microsoft Graph token: ${reason}. ` +
      (retryable
        ? "The identity endpoint was unreachable or failed; the alert was not delivered and can be sent again later."
        : "Check EMAIL_GRAPH_TENANT_ID, EMAIL_GRAPH_CLIENT_ID and the client secret or certificate (or, without them, that the app's managed identity is enabled and AZURE_CLIENT_ID names it)."),
    { receiver: name, attempts, retryable },
  );
}

/** Graph answers `{"error":{"code":"ErrorAccessDenied","message":"..."}}`: its code and message. */
function graphErrorText(json: unknown): string | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const { error } = json as { error?: { code?: unknown; message?: unknown } };
  const code = typeof error?.code === "string" ? error.code : undefined;
  const message = typeof error?.message === "string" ? error.message : undefined;
  return code || message ? [code, message].filter(Boolean).join(": ") : undefined;
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

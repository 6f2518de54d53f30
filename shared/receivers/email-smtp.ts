import type { ConnectionOptions } from "node:tls";
import type { Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { isEmailAddress } from "../config/email.js";
import { withRetry } from "../http/retry.js";
import { redact, type Secret } from "../security/secret.js";
import { attemptsIn, ChannelConfigError, DeliveryError, PrintSafeChannel, receiverNameOf, retryTiming, type DeliveryResult, type RetryTiming, type RetryTimingOptions, type SendOptions } from "./channel.js";
import { checkRecipients, emailMessageOf } from "./email-receiver.js";

/**
 * Sends alert emails through an SMTP server (nodemailer): a multipart message
 * with the HTML body and its plain-text alternative. For those without Graph,
 * and for local runs.
 *
 * Failure decision table (nodemailer's error codes):
 *   EAUTH, ENOAUTH            DeliveryError, not retried: the server refused the user name or password
 *   ETLS, EREQUIRETLS         DeliveryError, not retried: no STARTTLS, or the TLS handshake failed
 *   a 5xx reply (permanent)   DeliveryError, not retried: the server refused sender, recipients or message
 *   connection refused/reset, timeouts, DNS, 4xx replies
 *                             retried by the shared retrier, then DeliveryError(retryable)
 *   some recipients refused   (the server took the message for the others) DeliveryError
 *                             naming them, with `accepted` = the others: the outbox keeps
 *                             the alert pending and the next try goes to the refused ones
 *                             only; retryable when every refusal was a 4xx
 *
 * The password is kept in a Secret and handed to nodemailer only; errors and
 * logs name the server and the user, never the password.
 */

export interface SmtpMailChannelOptions extends RetryTimingOptions {
  /** Permanent receiver id; names the channel in logs and errors. */
  name: string;
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). */
  secure: boolean;
  /** Refuse to send unless the server upgrades with STARTTLS. Ignored with `secure`. */
  requireTls: boolean;
  auth?: { user: string; password: Secret };
  /**
   * SMTP AUTH XOAUTH2 instead of a password (Exchange Online without basic
   * auth): `token` gives a current access token for `user`'s server, asked
   * for on every new connection (the credential caches and refreshes it).
   */
  oauth2?: { user: string; token: () => Promise<string> };
  from: string;
  recipients: readonly string[];
  /**
   * Extra TLS options (a private CA). Tests pass `rejectUnauthorized: false`
   * for their self-signed server; production never should.
   */
  tls?: ConnectionOptions;
  /** Connect, greeting and socket inactivity timeout. Default 30 000 ms. */
  timeoutInMs?: number;
}

const DEFAULT_SMTP_TIMEOUT_IN_MS = 30_000;

/** The nodemailer error fields this channel reads. */
interface SmtpFailure {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
  message: string;
}

function failureOf(error: unknown): SmtpFailure {
  if (!(error instanceof Error)) return { message: String(error) };
  const e = error as Error & Partial<Record<"code" | "responseCode" | "permanent", unknown>>;
  return {
    message: e.message,
    ...(typeof e.code === "string" ? { code: e.code } : {}),
    ...(typeof e.responseCode === "number" ? { responseCode: e.responseCode } : {}),
    ...(typeof e.permanent === "boolean" ? { permanent: e.permanent } : {}),
  };
}

const NOT_RETRIED_CODES = new Set(["EAUTH", "ENOAUTH", "ETLS", "EREQUIRETLS", "ECONFIG", "EMAXRECIPIENTS"]);

/** Whether another try may succeed. */
function isRetryable(failure: SmtpFailure): boolean {
  if (failure.code !== undefined && NOT_RETRIED_CODES.has(failure.code)) return false;
  if (failure.permanent !== undefined) return !failure.permanent;
  if (failure.responseCode !== undefined) return failure.responseCode < 500 || failure.responseCode === 503;
  return true;
}

export class SmtpMailChannel extends PrintSafeChannel<"email"> {
  readonly kind = "email" as const;
  readonly name: string;
  readonly #server: string;
  readonly #from: string;
  readonly #recipients: readonly string[];
  readonly #password: Secret | undefined;
  readonly #user: string | undefined;
  readonly #oauth2: SmtpMailChannelOptions["oauth2"];
  readonly #transportOptions: SMTPTransport.Options;
  /** nodemailer is imported on the first send: a process that never mails (every timer without SMTP) never loads it. */
  #transport: Promise<Transporter<SMTPTransport.SentMessageInfo>> | undefined;
  readonly #retry: RetryTiming;

  constructor(options: SmtpMailChannelOptions) {
    super("SmtpMailChannel");
    const name = receiverNameOf(options.name, "an email receiver");
    this.name = name;
    const label = `Email receiver "${name}"`;
    if (!options.host) throw new ChannelConfigError(name, `${label}: no SMTP server (SMTP_HOST)`);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new ChannelConfigError(name, `${label}: the SMTP port must be 1-65535`);
    if (!isEmailAddress(options.from)) throw new ChannelConfigError(name, `${label}: the sender "${options.from}" is not an email address (EMAIL_FROM)`);
    checkRecipients(name, options.recipients);

    this.#server = `${options.host}:${options.port}`;
    this.#from = options.from;
    this.#recipients = [...options.recipients];
    this.#password = options.auth?.password;
    this.#oauth2 = options.oauth2;
    this.#user = options.auth?.user ?? options.oauth2?.user;
    const timeoutInMs = options.timeoutInMs ?? DEFAULT_SMTP_TIMEOUT_IN_MS;
    this.#transportOptions = {
      host: options.host,
      port: options.port,
      secure: options.secure,
      requireTLS: !options.secure && options.requireTls,
      ...(options.auth ? { auth: { user: options.auth.user, pass: options.auth.password.reveal() } } : {}),
      ...(options.oauth2 ? { auth: { type: "OAuth2" as const, user: options.oauth2.user } } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      connectionTimeout: timeoutInMs,
      greetingTimeout: timeoutInMs,
      socketTimeout: timeoutInMs,
      // Nothing in an alert is a file or a URL to fetch; refuse both outright.
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
      debug: false,
    };
    this.#retry = retryTiming(options);
  }

  async send(payload: object, options: SendOptions = {}): Promise<DeliveryResult> {
    const { abortSignal } = options;
    abortSignal?.throwIfAborted();
    const message = emailMessageOf(this.name, payload);
    const started = this.#retry.now();
    // Recipients that took this message in an earlier try are not sent it again.
    const recipients = this.#recipients.filter((r) => !options.skipDestinations?.has(r));
    if (recipients.length === 0) return { status: 250, attempts: 0, elapsedInMs: 0 };
    let attempts = 0;
    let info: { response?: string; messageId?: string; accepted?: unknown[]; rejected?: unknown[]; rejectedErrors?: unknown[] };
    try {
      info = await withRetry(
        async (attempt) => {
          attempts = attempt;
          const transport = await this.#transportOnce();
          return await transport.sendMail({
            from: this.#from,
            to: recipients,
            subject: message.subject,
            text: message.text,
            html: message.html,
            // Out-of-office and other auto-replies must not answer an unattended sender.
            headers: { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" },
            ...(abortSignal ? { signal: abortSignal } : {}),
          });
        },
        {
          policy: this.#retry.retryPolicy,
          classify: (error) => ({ retry: isRetryable(failureOf(error)) }),
          sleep: this.#retry.sleep,
          now: this.#retry.now,
          ...(this.#retry.random ? { random: this.#retry.random } : {}),
          ...(abortSignal ? { abortSignal } : {}),
          onRetry: ({ attempt, delayInMs, error }) => {
            this.#retry.logger.warn(`Email receiver "${this.name}": SMTP attempt ${attempt} failed (${this.#describe(failureOf(error))}); retrying in ${delayInMs} ms`, {
              receiver: this.name,
              attempt,
              delayInMs,
            });
          },
        },
      );
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason ?? error;
      const everyoneRefused = (error as { rejected?: unknown }).rejected;
      if (Array.isArray(everyoneRefused) && everyoneRefused.length > 0) {
        throw this.#refusedRecipients(everyoneRefused.map(String), (error as { rejectedErrors?: unknown[] }).rejectedErrors ?? [], recipients, attempts);
      }
      throw this.#toDeliveryError(failureOf(error), attempts, this.#retry.now() - started);
    }
    // nodemailer resolves when at least one recipient was accepted: the refused ones are not delivered.
    const refused = (info.rejected ?? []).map(String);
    if (refused.length > 0) throw this.#refusedRecipients(refused, info.rejectedErrors ?? [], recipients, attempts);
    const status = Number(/^\d{3}/.exec(info.response ?? "")?.[0] ?? 250);
    const result: DeliveryResult = { status, attempts, elapsedInMs: this.#retry.now() - started };
    if (info.messageId) result.messageId = info.messageId;
    this.#retry.logger.debug(`Email receiver "${this.name}": ${this.#server} accepted the message`, { receiver: this.name, attempts });
    return result;
  }

  /** The server took the message for some recipients and refused others: a failure for those, naming each with the server's reply. */
  #refusedRecipients(refused: string[], errors: unknown[], sentTo: string[], attempts: number): DeliveryError {
    const failures = errors.map(failureOf);
    const permanent = failures.some((f) => !isRetryable(f));
    const accepted = sentTo.filter((r) => !refused.includes(r));
    const replies = failures.map((f) => this.#describe(f)).join("; ");
    const what = permanent
      ? "A permanent refusal (5xx) will not pass by itself: check EMAIL_TO and the server's policy for these addresses."
      : "A temporary refusal (4xx, e.g. greylisting): the next cycle sends it to them again.";
    const others = accepted.length > 0 ? "The others have the alert and do not get it again; it stays pending for the refused ones." : "It stays pending.";
    const message = `Email receiver "${this.name}" (SMTP ${this.#server}) refused ${refused.length} of ${sentTo.length} recipient(s): ${refused.join(", ")} (${replies}). ${others} ${what}`;
    const status = failures.find((f) => f.responseCode !== undefined)?.responseCode;
    return new DeliveryError(message, { receiver: this.name, retryable: !permanent, attempts, accepted, ...(status !== undefined ? { status } : {}) });
  }

  /** Releases pooled sockets (none are kept between sends; safe to call any time). */
  close(): void {
    // A transport that never loaded has nothing to close (and its failure was reported by the send).
    void this.#transport?.then((transport) => transport.close(), () => undefined);
  }

  #transportOnce(): Promise<Transporter<SMTPTransport.SentMessageInfo>> {
    this.#transport ??= import("nodemailer").then(({ createTransport }) => {
      const transport = createTransport(this.#transportOptions);
      const oauth2 = this.#oauth2;
      if (oauth2) {
        // nodemailer asks this callback whenever it needs a token; it never sees the credential itself.
        transport.set("oauth2_provision_cb", (_user: string, _renew: boolean, done: (error: Error | null, accessToken?: string) => void) => {
          oauth2.token().then(
            (token) => done(null, token),
            (error: unknown) => done(Object.assign(new Error(`no access token for SMTP XOAUTH2: ${error instanceof Error ? error.message : String(error)}`), { code: "EAUTH" })),
          );
        });
      }
      return transport;
    });
    return this.#transport;
  }

  #describe(failure: SmtpFailure): string {
    const code = failure.code ? `${failure.code}: ` : "";
    return this.#redact(`${code}${failure.message}`.replace(/\s+/g, " ").trim());
  }

  #toDeliveryError(failure: SmtpFailure, attempts: number, elapsedInMs: number): DeliveryError {
    const receiver = `Email receiver "${this.name}" (SMTP ${this.#server})`;
    const tries = attemptsIn(attempts, elapsedInMs);
    const retryable = isRetryable(failure);
    const what = this.#describe(failure);
    const options = { receiver: this.name, retryable, attempts, ...(failure.responseCode !== undefined ? { status: failure.responseCode } : {}) };
    switch (failure.code) {
      case "EAUTH":
        return new DeliveryError(
          `${receiver} refused the login of user "${this.#user ?? ""}" (${what}). ${this.#oauth2 !== undefined ? "With SMTP_AUTH=oauth2: check the app's credential, its SMTP.SendAsApp permission and its Exchange mailbox permission on SMTP_USER." : "Check SMTP_USER and SMTP_PASSWORD, and that the account may send through this server (SMTP AUTH enabled)."}`,
          options,
        );
      case "ENOAUTH":
        return new DeliveryError(`${receiver} requires a login: set SMTP_USER and SMTP_PASSWORD (${what}).`, options);
      case "ETLS":
      case "EREQUIRETLS":
        return new DeliveryError(
          `${receiver}: TLS could not be established (${what}). The server must offer STARTTLS (SMTP_REQUIRE_TLS=true), or use SMTP_SECURE=true for a port with implicit TLS (465), and present a certificate this machine trusts.`,
          options,
        );
    }
    if (!retryable) {
      return new DeliveryError(`${receiver} refused the message (${what}). Check EMAIL_FROM (the server may not let this account send as it) and EMAIL_TO.`, options);
    }
    return new DeliveryError(
      `${receiver} could not take the message after ${tries} (${what}). The alert was not delivered and can be sent again later; check that SMTP_HOST and SMTP_PORT are right and reachable.`,
      options,
    );
  }

  #redact(text: string): string {
    return redact(text, [this.#password]);
  }
}

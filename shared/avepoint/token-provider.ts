/**
 * Access tokens for the AvePoint Graph API: OAuth2 client credentials with a
 * client secret or a certificate-signed client assertion. Tokens are cached
 * until shortly before they expire, concurrent callers share one request, and
 * a token the API rejected is replaced once (see AvePointClient).
 */
import type { AvePointCredential } from "../config/settings.js";
import { httpRequest, NetworkError, safeOrigin } from "../http/request.js";
import { isRetryableStatus, parseRetryAfter, withRetry, type RetryPolicy } from "../http/retry.js";
import { silentLogger, type Logger } from "../logging.js";
import { redact, Secret } from "../security/secret.js";
import { loadClientCertificate, type ClientCertificate } from "./certificate.js";
import { AvePointAuthError } from "./errors.js";

/** Read backup jobs: all the jobs monitor needs. */
export const JOBS_SCOPE = "microsoft365backup.jobInfo.read.all";
/** Read license consumption: all the license monitor needs. Each has its own token, so one missing grant stops only its monitor. */
export const LICENSE_SCOPE = "microsoft365backup.subscriptionInfo.read.all";
/** Both monitors' permissions (what an app registration should be granted). */
const AVEPOINT_SCOPES = `${JOBS_SCOPE} ${LICENSE_SCOPE}`;
/** Read backup settings (the backup frequency); requested only by the features that need it. */
export const SETTINGS_SCOPE = "microsoft365backup.settings.read.all";
/** Read unusual-activity detections; requested only by the features that need it. */
export const UNUSUAL_ACTIVITY_SCOPE = "microsoft365backup.unusualActivity.read.all";
const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Refresh this long before expiry (or at half the lifetime for short-lived tokens). */
const TOKEN_REFRESH_MARGIN_IN_MS = 5 * 60_000;
/** Lifetime assumed when the token endpoint omits expires_in: short, so a wrong guess costs little. */
const DEFAULT_TOKEN_LIFETIME_IN_MS = 10 * 60_000;

/** How requests to AvePoint are sent and retried; shared by the token provider and the client. */
export interface AvePointTransportOptions {
  /** Retries of API and token requests. Default: shared/http/retry.ts DEFAULT_RETRY_POLICY. */
  retryPolicy?: Partial<RetryPolicy>;
  /** Waits between retries; injected by tests. Default setTimeout. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Per-request timeout. Default 30 s (the HTTP helper's default). */
  timeoutInMs?: number;
  /** Retries at warn, pages and tokens at debug. Default silent. */
  logger?: Logger;
  /** Epoch ms, for token expiry and assertion times. Default Date.now. */
  now?: () => number;
  /** Jitter source. Default Math.random. */
  random?: () => number;
}

interface TokenProviderOptions extends AvePointTransportOptions {
  tokenUrl: string;
  clientId: string;
  credential: AvePointCredential;
  /** Default: both Cloud Backup for Microsoft 365 read scopes. */
  scope?: string;
}

interface CachedToken {
  token: Secret;
  /** Epoch ms after which the token is no longer handed out. */
  refreshAt: number;
}

export class AvePointTokenProvider {
  readonly #options: TokenProviderOptions;
  readonly #now: () => number;
  readonly #logger: Logger;
  #cached: CachedToken | null = null;
  #pending: Promise<CachedToken> | null = null;
  #certificate: Promise<ClientCertificate> | null = null;

  constructor(options: TokenProviderOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
  }

  /** A valid access token, from cache when it is not about to expire. */
  async getToken(options: { abortSignal?: AbortSignal } = {}): Promise<Secret> {
    const cached = this.#cached;
    if (cached && this.#now() < cached.refreshAt) return cached.token;
    return (await this.#shared(options.abortSignal)).token;
  }

  /**
   * A new token after the API rejected `rejected`. When another caller has
   * already replaced it, that newer token is returned without a second request.
   */
  async refreshToken(rejected: Secret, options: { abortSignal?: AbortSignal } = {}): Promise<Secret> {
    const cached = this.#cached;
    if (cached && cached.token.reveal() !== rejected.reveal() && this.#now() < cached.refreshAt) return cached.token;
    if (cached && cached.token.reveal() === rejected.reveal()) this.#cached = null;
    return (await this.#shared(options.abortSignal)).token;
  }

  /** The certificate's expiry, or null when a client secret is used. */
  async certificateNotAfter(): Promise<Date | null> {
    if (this.#options.credential.kind !== "certificate") return null;
    return (await this.#loadCertificate()).notAfter;
  }

  /** One token request at a time, shared by every caller waiting for it; one caller giving up does not cancel it for the others. */
  #shared(abortSignal: AbortSignal | undefined): Promise<CachedToken> {
    if (!this.#pending) {
      this.#pending = this.#requestToken()
        .then((token) => {
          this.#cached = token;
          return token;
        })
        .finally(() => {
          this.#pending = null;
        });
    }
    return abortable(this.#pending, abortSignal);
  }

  #loadCertificate(): Promise<ClientCertificate> {
    const credential = this.#options.credential;
    if (credential.kind !== "certificate") throw new Error("no certificate configured");
    if (!this.#certificate) {
      this.#certificate = loadClientCertificate(credential);
      // A failed load (wrong password, missing file) is retried on the next call rather than cached forever.
      this.#certificate.catch(() => {
        this.#certificate = null;
      });
    }
    return this.#certificate;
  }

  async #requestToken(): Promise<CachedToken> {
    const { tokenUrl, clientId, credential } = this.#options;
    const origin = safeOrigin(tokenUrl);
    const certificate = credential.kind === "certificate" ? await this.#loadCertificate() : null;
    // Values that must never reach a log line or error, collected for redaction of anything the server echoes.
    const secrets: string[] = credential.kind === "secret" ? [credential.secret.reveal()] : [];

    return withRetry(
      async () => {
        const form = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, scope: this.#options.scope ?? AVEPOINT_SCOPES });
        if (credential.kind === "secret") {
          form.set("client_secret", credential.secret.reveal());
        } else if (certificate) {
          // A fresh assertion per attempt: each has its own jti and a short validity.
          const assertion = certificate.signAssertion({ clientId, audience: tokenUrl, now: this.#now() });
          secrets.push(assertion);
          form.set("client_assertion_type", CLIENT_ASSERTION_TYPE);
          form.set("client_assertion", assertion);
        }
        const requestedAt = this.#now();
        const response = await httpRequest({
          url: tokenUrl,
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: form.toString(),
          ...(this.#options.timeoutInMs !== undefined ? { timeoutInMs: this.#options.timeoutInMs } : {}),
        });
        return readTokenResponse(response.status, response.text, response.headers, origin, requestedAt, secrets);
      },
      {
        ...(this.#options.retryPolicy ? { policy: this.#options.retryPolicy } : {}),
        ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
        ...(this.#options.random ? { random: this.#options.random } : {}),
        classify: classifyTokenFailure,
        onRetry: ({ attempt, delayInMs, error }) =>
          this.#logger.warn("AvePoint token request failed; retrying", { tokenOrigin: origin, attempt, delayInMs, reason: describeFailure(error) }),
      },
    ).then(
      (token) => {
        this.#logger.debug("AvePoint access token acquired", { tokenOrigin: origin, validForSeconds: Math.round((token.refreshAt - this.#now()) / 1000) });
        return token;
      },
      (error: unknown) => {
        // Retries exhausted: surface what the token endpoint said, not the retry wrapper.
        throw error instanceof RetryableTokenFailure ? error.authError : error;
      },
    );
  }
}

/** A token-endpoint failure worth retrying: transport, 408, 429, 5xx. */
class RetryableTokenFailure extends Error {
  override readonly name = "RetryableTokenFailure";
  constructor(
    readonly authError: AvePointAuthError,
    readonly retryAfterInMs: number | undefined,
  ) {
    super(authError.message);
  }
}

function classifyTokenFailure(error: unknown): { retry: boolean; retryAfterInMs?: number } {
  if (error instanceof NetworkError) return { retry: true };
  if (error instanceof RetryableTokenFailure) return error.retryAfterInMs !== undefined ? { retry: true, retryAfterInMs: error.retryAfterInMs } : { retry: true };
  return { retry: false };
}

function describeFailure(error: unknown): string {
  if (error instanceof RetryableTokenFailure) return `HTTP ${error.authError.status ?? "?"}`;
  return error instanceof Error ? error.message : String(error);
}

function readTokenResponse(status: number, text: string, headers: Headers, origin: string, requestedAt: number, secrets: string[]): CachedToken {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const textField = (name: string): string | null => {
    const v = fields[name];
    return typeof v === "string" && v.trim() !== "" ? redact(v.trim().slice(0, 300), secrets) : null;
  };

  if (status < 200 || status > 299) {
    const authError = new AvePointAuthError({ tokenOrigin: origin, status, error: textField("error"), errorDescription: textField("error_description") });
    if (isRetryableStatus(status)) throw new RetryableTokenFailure(authError, parseRetryAfter(headers.get("retry-after")));
    throw authError;
  }
  const accessToken = fields["access_token"];
  if (typeof accessToken !== "string" || accessToken.trim() === "") {
    throw new AvePointAuthError({
      tokenOrigin: origin,
      status: null,
      detail: body === undefined ? "the answer is not JSON" : "the answer has no access_token",
    });
  }
  const tokenType = fields["token_type"];
  if (typeof tokenType === "string" && tokenType.toLowerCase() !== "bearer") {
    throw new AvePointAuthError({ tokenOrigin: origin, status: null, detail: `token_type is "${tokenType.slice(0, 40)}", expected Bearer` });
  }
  const expiresIn = Number(fields["expires_in"]);
  const lifetimeInMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_TOKEN_LIFETIME_IN_MS;
  // Counted from when the request was sent, so network time only makes us refresh earlier.
  const margin = Math.min(TOKEN_REFRESH_MARGIN_IN_MS, lifetimeInMs / 2);
  return { token: new Secret(accessToken), refreshAt: requestedAt + lifetimeInMs - margin };
}

/** Waits for a shared promise, but lets this caller stop waiting when its own signal aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

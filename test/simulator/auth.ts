/**
 * The simulated AvePoint identity service: `POST /connect/token` (client credentials
 * with a client secret or a certificate-signed client assertion) and bearer-token
 * checks for the API endpoints. Tokens are random opaque strings held in memory.
 * Error descriptions never contain a secret, an assertion or a token.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { verifyClientAssertion } from "./client-assertion.js";

export const JOB_INFO_SCOPE = "microsoft365backup.jobInfo.read.all";
export const SUBSCRIPTION_INFO_SCOPE = "microsoft365backup.subscriptionInfo.read.all";
export const SETTINGS_SCOPE = "microsoft365backup.settings.read.all";
export const UNUSUAL_ACTIVITY_SCOPE = "microsoft365backup.unusualActivity.read.all";
export const KNOWN_SCOPES: readonly string[] = [JOB_INFO_SCOPE, SUBSCRIPTION_INFO_SCOPE, SETTINGS_SCOPE, UNUSUAL_ACTIVITY_SCOPE];

export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const ASSERTION_SKEW_IN_MS = 60_000;

export interface AuthSettings {
  clientId: string;
  clientSecret: string;
  certificatePem: string | undefined;
  tokenLifetimeSeconds: number;
  tokenUrl: string;
  nowMs: number;
  /** Scopes the app registration holds (default: all known). */
  grantedScopes?: readonly string[] | undefined;
  /**
   * What happens to a requested scope the app does not hold: `refuse` answers
   * invalid_scope (as Entra ID does), `omit` issues a token without it (the API then answers 403).
   */
  ungrantedScopes?: "refuse" | "omit" | undefined;
}

export type OAuthErrorCode = "invalid_client" | "invalid_request" | "invalid_scope" | "unsupported_grant_type";

export type TokenEndpointResult =
  | { ok: true; body: { token_type: "Bearer"; expires_in: number; ext_expires_in: number; access_token: string; scope: string } }
  | { ok: false; status: 400; body: { error: OAuthErrorCode; error_description: string } };

export interface IssuedToken {
  scopes: ReadonlySet<string>;
  expiresAtMs: number;
  /** API calls made with this token so far. */
  uses: number;
  /** The token is refused once `uses` reaches this (an `invalid-token-after` fault). */
  useLimit: number | undefined;
}

export type BearerCheck =
  | { ok: true; token: IssuedToken }
  | { ok: false; status: 401 | 403; error: "invalid_token" | "insufficient_scope"; description: string };

function secretsEqual(given: string, expected: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function failure(error: OAuthErrorCode, description: string): TokenEndpointResult {
  return { ok: false, status: 400, body: { error, error_description: description } };
}

export class TokenAuthority {
  private readonly tokens = new Map<string, IssuedToken>();
  /** jti → assertion expiry, to refuse replayed assertions. */
  private readonly seenAssertionIds = new Map<string, number>();

  /** Handles the form of a token request. `useLimit` comes from an `invalid-token-after` fault. */
  issue(form: URLSearchParams, settings: AuthSettings, useLimit?: number): TokenEndpointResult {
    const grantType = form.get("grant_type");
    if (!grantType) return failure("invalid_request", "grant_type is required");
    if (grantType !== "client_credentials") return failure("unsupported_grant_type", "only grant_type=client_credentials is supported");

    const clientCheck = this.authenticateClient(form, settings);
    if (clientCheck) return clientCheck;

    const requested = (form.get("scope") ?? "").split(" ").filter((s) => s.length > 0);
    if (requested.length === 0) return failure("invalid_scope", `scope is required: ${KNOWN_SCOPES.join(" and/or ")}`);
    const unknown = requested.filter((s) => !KNOWN_SCOPES.includes(s));
    if (unknown.length > 0) return failure("invalid_scope", `scope not granted to this app: ${unknown.join(" ")}`);
    const granted = settings.grantedScopes ?? KNOWN_SCOPES;
    const missing = requested.filter((s) => !granted.includes(s));
    if (missing.length > 0 && settings.ungrantedScopes !== "omit") return failure("invalid_scope", `scope not granted to this app: ${missing.join(" ")}`);
    const issued = requested.filter((s) => granted.includes(s));

    const accessToken = randomBytes(32).toString("base64url");
    this.tokens.set(accessToken, {
      scopes: new Set(issued),
      expiresAtMs: settings.nowMs + settings.tokenLifetimeSeconds * 1000,
      uses: 0,
      useLimit,
    });
    return {
      ok: true,
      body: {
        token_type: "Bearer",
        expires_in: settings.tokenLifetimeSeconds,
        ext_expires_in: settings.tokenLifetimeSeconds,
        access_token: accessToken,
        scope: issued.join(" "),
      },
    };
  }

  /** Returns a failure when the client is not who it says, undefined when it is. */
  private authenticateClient(form: URLSearchParams, settings: AuthSettings): TokenEndpointResult | undefined {
    const clientId = form.get("client_id");
    if (clientId !== null && clientId !== settings.clientId) return failure("invalid_client", "unknown client_id");

    const assertionType = form.get("client_assertion_type");
    const assertion = form.get("client_assertion");
    if (assertionType !== null || assertion !== null) {
      if (assertionType !== JWT_BEARER_ASSERTION_TYPE) return failure("invalid_request", `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
      if (!assertion) return failure("invalid_request", "client_assertion is required");
      if (!settings.certificatePem) return failure("invalid_client", "this app has no certificate credential registered");
      const verdict = verifyClientAssertion(assertion, {
        clientId: settings.clientId,
        audience: settings.tokenUrl,
        certificatePem: settings.certificatePem,
        nowMs: settings.nowMs,
        skewInMs: ASSERTION_SKEW_IN_MS,
      });
      if (!verdict.ok) return failure("invalid_client", verdict.reason);
      this.forgetExpiredAssertions(settings.nowMs);
      if (this.seenAssertionIds.has(verdict.jti)) return failure("invalid_client", "client_assertion jti was already used");
      this.seenAssertionIds.set(verdict.jti, verdict.expiresAtMs);
      return undefined;
    }

    if (clientId === null) return failure("invalid_request", "client_id is required");
    const secret = form.get("client_secret");
    if (!secret) return failure("invalid_client", "client_secret or client_assertion is required");
    if (!secretsEqual(secret, settings.clientSecret)) return failure("invalid_client", "invalid client secret");
    return undefined;
  }

  private forgetExpiredAssertions(nowMs: number): void {
    for (const [jti, expiresAtMs] of this.seenAssertionIds) {
      if (expiresAtMs + ASSERTION_SKEW_IN_MS < nowMs) this.seenAssertionIds.delete(jti);
    }
  }

  /**
   * Checks an `Authorization` header for an API call and counts the use.
   * `limitUses` (an `invalid-token-after` fault on this request) lets the presented
   * token serve that many more calls, this one included.
   */
  check(authorization: string | undefined, requiredScope: string, nowMs: number, limitUses?: number): BearerCheck {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match) return { ok: false, status: 401, error: "invalid_token", description: "an Authorization: Bearer <token> header is required" };
    const token = this.tokens.get(match[1]!);
    if (!token) return { ok: false, status: 401, error: "invalid_token", description: "the access token is not valid" };
    if (token.expiresAtMs <= nowMs) return { ok: false, status: 401, error: "invalid_token", description: "the access token has expired" };
    if (limitUses !== undefined) token.useLimit = token.uses + limitUses;
    if (token.useLimit !== undefined && token.uses >= token.useLimit) {
      return { ok: false, status: 401, error: "invalid_token", description: "the access token has been revoked" };
    }
    if (!token.scopes.has(requiredScope)) {
      return { ok: false, status: 403, error: "insufficient_scope", description: `the access token lacks the ${requiredScope} permission` };
    }
    token.uses += 1;
    return { ok: true, token };
  }
}

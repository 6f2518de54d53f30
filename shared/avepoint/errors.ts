/**
 * One error class per way talking to AvePoint can fail, each with a stable
 * `name` callers can switch on. None of them ever carries a client secret,
 * a client assertion, a private key or an access token: messages are built
 * from statuses, origins, paths and what the server said about itself.
 */

/** The token endpoint refused to issue a token, or answered with something that is not a token. */
export class AvePointAuthError extends Error {
  override readonly name = "AvePointAuthError";
  /** HTTP status of the token endpoint; null when it answered 2xx without a usable token. */
  readonly status: number | null;
  /** OAuth2 `error` code, when the endpoint gave one (e.g. invalid_client). */
  readonly error: string | null;
  /** OAuth2 `error_description`, when given. */
  readonly errorDescription: string | null;

  constructor(options: { tokenOrigin: string; status: number | null; error?: string | null; errorDescription?: string | null; detail?: string }) {
    const said = [options.error, options.errorDescription].filter(Boolean).join(": ");
    super(
      `AvePoint token endpoint ${options.tokenOrigin} ` +
        (options.status !== null ? `refused the request with HTTP ${options.status}` : "did not return a usable token") +
        (said ? ` (${said})` : "") +
        (options.detail ? `: ${options.detail}` : "") +
        ". Check AVEPOINT_CLIENT_ID, the credential (secret or certificate), AVEPOINT_ENVIRONMENT / AVEPOINT_TOKEN_URL, and that the app registration has the Cloud Backup for Microsoft 365 permissions.",
    );
    this.status = options.status;
    this.error = options.error ?? null;
    this.errorDescription = options.errorDescription ?? null;
  }
}

/** The certificate (PEM or PFX) could not be read or used to sign a client assertion. */
export class AvePointCertificateError extends Error {
  override readonly name = "AvePointCertificateError";
  constructor(message: string) {
    super(message);
  }
}

/** The API answered with a non-2xx status (HTTP, or the envelope's `statusCode`). */
export class AvePointApiError extends Error {
  override readonly name: string = "AvePointApiError";
  readonly status: number;
  /** URL path of the request, without query string. */
  readonly path: string;
  readonly requestId: string | null;
  readonly traceId: string | null;
  /** Milliseconds the server asked us to wait (Retry-After), when it did. */
  readonly retryAfterInMs: number | undefined;

  constructor(options: {
    status: number;
    path: string;
    requestId?: string | null;
    traceId?: string | null;
    serverMessage?: string | null;
    retryAfterInMs?: number;
  }) {
    const ids = [options.requestId ? `requestId ${options.requestId}` : "", options.traceId ? `traceId ${options.traceId}` : ""]
      .filter(Boolean)
      .join(", ");
    super(
      `AvePoint API ${options.path} answered HTTP ${options.status}` +
        (options.serverMessage ? `: ${options.serverMessage}` : "") +
        (ids ? ` (${ids})` : ""),
    );
    this.status = options.status;
    this.path = options.path;
    this.requestId = options.requestId ?? null;
    this.traceId = options.traceId ?? null;
    this.retryAfterInMs = options.retryAfterInMs;
  }
}

/**
 * A response we do not understand: not JSON, truncated, the wrong shape, an
 * unreadable time or counter. Never read as "no jobs" or zero.
 */
export class MalformedResponseError extends Error {
  override readonly name: string = "MalformedResponseError";
  /** Which response: a page index (0-based), a next link (path and query), or "license". */
  readonly page: number | string;
  /** What was wrong, naming the property. */
  readonly detail: string;

  constructor(page: number | string, detail: string) {
    super(`AvePoint returned a response we cannot read (${describePage(page)}): ${detail}`);
    this.page = page;
    this.detail = detail;
  }
}

/** A NextLink pointing away from the API host: following it would hand the bearer token to another origin. */
export class UnsafeNextLinkError extends Error {
  override readonly name = "UnsafeNextLinkError";
  constructor(
    readonly linkOrigin: string,
    readonly apiOrigin: string,
  ) {
    super(`AvePoint returned a NextLink to ${linkOrigin}, which is not the API host ${apiOrigin}; it was not followed (the access token must not leave the API host).`);
  }
}

/** More pages than the guard allows: the server is most likely looping (same page or NextLink again and again). */
export class PageLimitExceededError extends Error {
  override readonly name = "PageLimitExceededError";
  constructor(
    readonly maxPages: number,
    readonly jobsRead: number,
  ) {
    super(
      `AvePoint job listing stopped after ${maxPages} pages (${jobsRead} jobs read) without reaching the end; the server is probably returning the same page again. Raise maxPages only if the window really holds that many jobs.`,
    );
  }
}

function describePage(page: number | string): string {
  return typeof page === "number" ? `page ${page}` : page === "license" ? "license consumption" : `page ${page}`;
}

/**
 * The app registration lacks the permission an optional endpoint needs: the
 * token endpoint refused the extra scope, or the API answered 403. Callers
 * treat the feature as not permitted (one info line), not as an outage.
 */
export class AvePointPermissionError extends Error {
  override readonly name = "AvePointPermissionError";
  constructor(
    /** The permission (scope) that is missing, e.g. microsoft365backup.unusualActivity.read.all. */
    readonly scope: string,
    /** What refused it: the token endpoint or the API. */
    readonly refusedBy: "token-endpoint" | "api",
    readonly status: number | null,
  ) {
    super(
      `The AvePoint app registration is not granted ${scope} (${refusedBy === "api" ? `the API answered HTTP ${status ?? "?"}` : `the token endpoint refused the scope${status !== null ? ` with HTTP ${status}` : ""}`}). Add the permission in AvePoint Online Services > App registration to use this feature.`,
    );
  }
}

/**
 * Every path the client knows for an endpoint answered 404 (or the pinned one
 * did): the vendor has most likely renamed it again, as it did four times
 * between October 2024 and October 2025.
 */
export class AvePointPathNotFoundError extends AvePointApiError {
  override readonly name = "AvePointPathNotFoundError";
  constructor(
    readonly endpoint: "jobs" | "license",
    readonly paths: readonly string[],
  ) {
    super({
      status: 404,
      path: paths[paths.length - 1] ?? "",
      serverMessage: `the ${endpoint} endpoint answered 404 on ${paths.length === 1 ? "its path" : `every known path (${paths.join(", ")})`}; the vendor may have renamed it. Check AvePoint's API change log and AVEPOINT_API_PROFILE`,
    });
  }
}

/** A listing that ended with fewer distinct jobs than its TotalCount: jobs would be lost silently. */
export class IncompleteListingError extends MalformedResponseError {
  override readonly name = "IncompleteListingError";
  constructor(
    readonly distinctJobs: number,
    readonly totalCount: number,
  ) {
    super("listing", `the listing ended after ${distinctJobs} distinct jobs, but TotalCount says ${totalCount}; no job was taken as read`);
  }
}

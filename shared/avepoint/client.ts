/**
 * The AvePoint Cloud Backup for Microsoft 365 client: complete, paged job
 * listings and license consumption, in either API profile, over one retrier
 * and one HTTP helper. Everything it returns is the typed model; everything
 * it cannot read is a typed error.
 */
import type { AvePointCredential, Settings } from "../config/settings.js";
import { httpRequest, NetworkError, safeOrigin, type HttpResponse } from "../http/request.js";
import { isRetryableStatus, parseRetryAfter, withRetry, type RetryDecision } from "../http/retry.js";
import { silentLogger, type Logger } from "../logging.js";
import { redact, type Secret } from "../security/secret.js";
import { AvePointApiError, AvePointAuthError, AvePointPermissionError, MalformedResponseError, PageLimitExceededError, UnsafeNextLinkError } from "./errors.js";
import type { BackupFrequency, BackupJob, JobPage, JobQuery, LicenseUsage, UnusualActivityCounts } from "./model.js";
import { parseBackupFrequency, parseJobPage, parseLicenseUsage, parseUnusualActivity, readErrorBody } from "./normalize.js";
import { API_PROFILE_DEFINITIONS, jobQueryParameters, type ApiProfile, type ApiProfileDefinition } from "./profiles.js";
import { AVEPOINT_SCOPES, AvePointTokenProvider, SETTINGS_SCOPE, UNUSUAL_ACTIVITY_SCOPE, type AvePointTransportOptions } from "./token-provider.js";

/** Pages read at most in one listing before it is taken for a loop. */
export const DEFAULT_MAX_PAGES = 1000;
export const DEFAULT_PAGE_SIZE = 100;

export interface AvePointClientOptions extends AvePointTransportOptions {
  /** API base URL, e.g. https://graph-us.avepointonlineservices.com. */
  apiUrl: string;
  tokenUrl: string;
  clientId: string;
  credential: AvePointCredential;
  /** Default "seed". */
  profile?: ApiProfile;
  /** Jobs per page requested. Default 100. */
  pageSize?: number;
  /**
   * Told of every API request once it is answered or has failed in transport:
   * each retry and the re-send after a 401 count, token requests do not.
   * Callers count requests and latency with it (shared/telemetry/).
   */
  onRequest?: (info: AvePointRequestInfo) => void;
}

/** One API request as sent, for observers (never the URL's query or any header). */
export interface AvePointRequestInfo {
  path: string;
  /** The HTTP status; null when no response came (refused, reset, timed out). */
  status: number | null;
  elapsedInMs: number;
}

export interface ListJobPagesOptions {
  /** Overrides the client's page size for this listing. */
  pageSize?: number;
  abortSignal?: AbortSignal;
  /** Guard against servers that page forever. Default 1000. */
  maxPages?: number;
}

export interface RequestOptions {
  abortSignal?: AbortSignal;
}

/** The detection window of an unusual-activity query. */
export interface UnusualActivityQuery {
  startTime: Date;
  finishTime: Date;
}

/** The endpoint exists only in the current API profile. */
export class UnsupportedByProfileError extends Error {
  override readonly name = "UnsupportedByProfileError";
  constructor(readonly feature: string, readonly profile: string) {
    super(`${feature} is only available with AVEPOINT_API_PROFILE=current (this client uses ${profile})`);
  }
}

/** Where the next page is: by index (PageIndex) or by the link the server gave. */
export type PageLink = { kind: "index"; pageIndex: number } | { kind: "next"; url: URL };

export class AvePointClient {
  readonly profile: ApiProfileDefinition;
  readonly pageSize: number;
  readonly #apiBase: URL;
  readonly #options: AvePointClientOptions;
  readonly #tokens: AvePointTokenProvider;
  /** Tokens with one extra scope each, made only when an optional endpoint is first called. */
  readonly #scopedTokens = new Map<string, AvePointTokenProvider>();
  readonly #logger: Logger;

  constructor(options: AvePointClientOptions) {
    this.#options = options;
    this.profile = API_PROFILE_DEFINITIONS[options.profile ?? "seed"];
    this.pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_SIZE);
    this.#apiBase = new URL(options.apiUrl.replace(/\/+$/, "") + "/");
    this.#logger = options.logger ?? silentLogger;
    this.#tokens = new AvePointTokenProvider({
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      credential: options.credential,
      logger: this.#logger,
      ...pick(options, ["retryPolicy", "sleep", "timeoutInMs", "now", "random", "readFile"]),
    });
  }

  /**
   * Every job in the query's window, page by page. Follows NextLink when the
   * server gives one (same origin only); otherwise asks for PageIndex + 1 until
   * TotalCount jobs are read or a page comes back short or empty.
   */
  listJobPages(query: JobQuery, options: ListJobPagesOptions = {}): AsyncIterableIterator<JobPage> {
    return this.#pages(query, options);
  }

  /** Every job of the window, one at a time, over the same pages as listJobPages. */
  listJobs(query: JobQuery, options: ListJobPagesOptions = {}): AsyncIterableIterator<BackupJob> {
    return this.#jobs(query, options);
  }

  async getLicenseUsage(options: RequestOptions = {}): Promise<LicenseUsage> {
    const url = this.#resolvePath(this.profile.licensePath);
    const response = await this.#get(url, options.abortSignal);
    const usage = parseLicenseUsage(response.text, {
      page: "license",
      path: url.pathname,
      durationUnit: this.profile.durationUnit,
      requestId: requestIdHeader(response.headers),
    });
    this.#logger.debug("AvePoint license consumption read", { path: url.pathname, elapsedInMs: Math.round(response.elapsedInMs) });
    return usage;
  }

  /**
   * Today's backup schedule per service (current profile; permission
   * microsoft365backup.settings.read.all, requested only here).
   * Throws AvePointPermissionError when the app registration lacks it.
   */
  async getBackupFrequency(options: RequestOptions = {}): Promise<BackupFrequency[]> {
    const path = this.profile.backupFrequencyPath;
    if (!path) throw new UnsupportedByProfileError("The backup frequency", this.profile.name);
    const url = this.#resolvePath(path);
    const response = await this.#get(url, options.abortSignal, SETTINGS_SCOPE);
    return parseBackupFrequency(response.text, { page: "backup frequency", path: url.pathname, durationUnit: this.profile.durationUnit, requestId: requestIdHeader(response.headers) });
  }

  /**
   * Unusual-activity counts per service detected in the window (current
   * profile; permission microsoft365backup.unusualActivity.read.all, requested
   * only here). Throws AvePointPermissionError when the app registration lacks it.
   */
  async getUnusualActivity(query: UnusualActivityQuery, options: RequestOptions = {}): Promise<UnusualActivityCounts[]> {
    const path = this.profile.unusualActivityPath;
    if (!path) throw new UnsupportedByProfileError("Unusual-activity data", this.profile.name);
    const params = new URLSearchParams({ StartTime: this.profile.encodeTime(query.startTime), FinishTime: this.profile.encodeTime(query.finishTime) });
    const url = this.#resolvePath(path, params);
    const response = await this.#get(url, options.abortSignal, UNUSUAL_ACTIVITY_SCOPE);
    return parseUnusualActivity(response.text, { page: "unusual activity", path: url.pathname, durationUnit: this.profile.durationUnit, requestId: requestIdHeader(response.headers) });
  }

  /** The token provider for a request: the base scopes, or the base scopes plus one optional permission. */
  #tokensFor(extraScope: string | undefined): AvePointTokenProvider {
    if (extraScope === undefined) return this.#tokens;
    let provider = this.#scopedTokens.get(extraScope);
    if (!provider) {
      const options = this.#options;
      provider = new AvePointTokenProvider({
        tokenUrl: options.tokenUrl,
        clientId: options.clientId,
        credential: options.credential,
        logger: this.#logger,
        scope: `${AVEPOINT_SCOPES} ${extraScope}`,
        ...pick(options, ["retryPolicy", "sleep", "timeoutInMs", "now", "random", "readFile"]),
      });
      this.#scopedTokens.set(extraScope, provider);
    }
    return provider;
  }

  /** When the certificate credential expires (null with a client secret); loads the certificate if needed. */
  certificateNotAfter(): Promise<Date | null> {
    return this.#tokens.certificateNotAfter();
  }

  async *#jobs(query: JobQuery, options: ListJobPagesOptions): AsyncGenerator<BackupJob, void, undefined> {
    for await (const page of this.#pages(query, options)) yield* page.jobs;
  }

  async *#pages(query: JobQuery, options: ListJobPagesOptions): AsyncGenerator<JobPage, void, undefined> {
    const asked = checkPageSize(options.pageSize ?? this.pageSize);
    const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    // The server may cap PageSize below what was asked: a first page shorter than asked tells the real size.
    let honoured = asked;
    let jobsRead = 0;
    let link: PageLink = { kind: "index", pageIndex: 0 };
    for (let pagesRead = 0; ; ) {
      if (pagesRead >= maxPages) throw new PageLimitExceededError(maxPages, jobsRead);
      const { page, url } = await this.#getPage(link, query, asked, options.abortSignal);
      pagesRead++;
      jobsRead += page.jobs.length;
      if (pagesRead === 1 && page.jobs.length > 0 && page.jobs.length < asked) honoured = page.jobs.length;

      let next: PageLink | null;
      if (page.nextLink) {
        next = { kind: "next", url: this.#checkNextLink(page.nextLink, url, pageLabel(link)) };
      } else {
        const empty = page.jobs.length === 0;
        const allRead = page.totalCount !== null && jobsRead >= page.totalCount;
        const short = pagesRead > 1 && page.jobs.length < honoured;
        next = empty || allRead || short ? null : { kind: "index", pageIndex: pagesRead };
      }
      yield page;
      if (!next) return;
      link = next;
    }
  }

  /** One page: the single place a jobs request is built, sent and read. */
  async #getPage(link: PageLink, query: JobQuery, pageSize: number, abortSignal: AbortSignal | undefined): Promise<{ page: JobPage; url: URL }> {
    const url =
      link.kind === "next"
        ? link.url
        : this.#resolvePath(this.profile.jobsPath, jobQueryParameters(this.profile, query, link.pageIndex, pageSize));
    const label = pageLabel(link);
    const response = await this.#get(url, abortSignal);
    const page = parseJobPage(response.text, {
      page: label,
      path: url.pathname,
      durationUnit: this.profile.durationUnit,
      requestId: requestIdHeader(response.headers),
      ...(query.objectType !== undefined ? { service: query.objectType } : {}),
    });
    this.#logger.debug("AvePoint jobs page read", {
      page: label,
      jobs: page.jobs.length,
      totalCount: page.totalCount,
      nextLink: page.nextLink !== null,
      elapsedInMs: Math.round(response.elapsedInMs),
    });
    return { page, url };
  }

  /** A NextLink may be absolute or relative, but must stay on the API's origin: the bearer token goes with it. */
  #checkNextLink(nextLink: string, current: URL, page: number | string): URL {
    let resolved: URL;
    try {
      resolved = new URL(nextLink, current);
    } catch {
      throw new MalformedResponseError(page, `NextLink ${JSON.stringify(redact(nextLink.slice(0, 100)))} is not a URL`);
    }
    if (resolved.origin !== this.#apiBase.origin) throw new UnsafeNextLinkError(safeOrigin(resolved.href), this.#apiBase.origin);
    return resolved;
  }

  #resolvePath(path: string, query?: URLSearchParams): URL {
    const url = new URL(path.replace(/^\/+/, ""), this.#apiBase);
    if (query) url.search = query.toString();
    return url;
  }

  /**
   * GET with the bearer token, retried on transport errors, 408, 429 and 5xx
   * (honouring Retry-After). A 401 gets one new token and one more try.
   */
  async #get(url: URL, abortSignal: AbortSignal | undefined, extraScope?: string): Promise<HttpResponse> {
    const path = url.pathname;
    const tokens = this.#tokensFor(extraScope);
    let refreshedAfter401 = false;
    const onRequest = this.#options.onRequest;
    const send = async (token: Secret): Promise<HttpResponse> => {
      const started = performance.now();
      try {
        const response = await httpRequest({
          url: url.href,
          headers: { authorization: `Bearer ${token.reveal()}`, accept: "application/json" },
          ...(this.#options.timeoutInMs !== undefined ? { timeoutInMs: this.#options.timeoutInMs } : {}),
          ...(abortSignal ? { abortSignal } : {}),
        });
        onRequest?.({ path, status: response.status, elapsedInMs: response.elapsedInMs });
        return response;
      } catch (err) {
        onRequest?.({ path, status: null, elapsedInMs: performance.now() - started });
        throw err;
      }
    };
    return withRetry(
      async () => {
        let token: Secret;
        try {
          token = await tokens.getToken(abortSignal ? { abortSignal } : {});
        } catch (err) {
          // The base scopes work (the jobs listing uses them): a refused extra scope is a missing permission, not an outage.
          if (extraScope !== undefined && err instanceof AvePointAuthError && err.status !== null && err.status >= 400 && err.status < 500) {
            throw new AvePointPermissionError(extraScope, "token-endpoint", err.status);
          }
          throw err;
        }
        let response = await send(token);
        if (response.status === 401 && !refreshedAfter401) {
          refreshedAfter401 = true;
          this.#logger.warn("AvePoint API refused the access token; requesting a new one and trying again", { path });
          response = await send(await tokens.refreshToken(token, abortSignal ? { abortSignal } : {}));
        }
        if (response.status >= 200 && response.status <= 299) return response;
        if (extraScope !== undefined && response.status === 403) throw new AvePointPermissionError(extraScope, "api", 403);
        // Retry-After dates are on the server's wall clock, so they are compared with the real one.
        throw apiError(response, path, Date.now());
      },
      {
        classify: classifyApiFailure,
        ...(this.#options.retryPolicy ? { policy: this.#options.retryPolicy } : {}),
        ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
        ...(this.#options.random ? { random: this.#options.random } : {}),
        ...(abortSignal ? { abortSignal } : {}),
        onRetry: ({ attempt, delayInMs, error }) =>
          this.#logger.warn("AvePoint API request failed; retrying", {
            path,
            attempt,
            delayInMs,
            reason: error instanceof AvePointApiError ? `HTTP ${error.status}` : error instanceof Error ? error.message : String(error),
          }),
      },
    );
  }
}

/** Builds a client from validated settings; `extra` carries what tests and tools inject. */
export function createAvePointClient(
  settings: Settings["avepoint"],
  extra: Omit<Partial<AvePointClientOptions>, "apiUrl" | "tokenUrl" | "clientId" | "credential"> = {},
): AvePointClient {
  return new AvePointClient({
    apiUrl: settings.apiUrl,
    tokenUrl: settings.tokenUrl,
    clientId: settings.clientId,
    credential: settings.credential,
    profile: settings.profile,
    pageSize: settings.pageSize,
    ...extra,
  });
}

function classifyApiFailure(error: unknown): RetryDecision {
  if (error instanceof NetworkError) return { retry: true };
  if (error instanceof AvePointApiError && isRetryableStatus(error.status)) {
    return error.retryAfterInMs !== undefined ? { retry: true, retryAfterInMs: error.retryAfterInMs } : { retry: true };
  }
  // Auth failures were already retried by the token provider; malformed bodies and other 4xx will not improve.
  return { retry: false };
}

function apiError(response: HttpResponse, path: string, now: number): AvePointApiError {
  const info = readErrorBody(response.text);
  const retryAfterInMs = parseRetryAfter(response.headers.get("retry-after"), now);
  return new AvePointApiError({
    status: response.status,
    path,
    requestId: info.requestId ?? requestIdHeader(response.headers),
    traceId: info.traceId,
    serverMessage: info.message ? redact(info.message) : null,
    ...(retryAfterInMs !== undefined ? { retryAfterInMs } : {}),
  });
}

function requestIdHeader(headers: Headers): string | null {
  return headers.get("x-request-id") ?? headers.get("request-id") ?? headers.get("x-ms-request-id");
}

/** How errors and logs name a page: its index, or the link's path and query (credential-looking parameters redacted). */
function pageLabel(link: PageLink): number | string {
  return link.kind === "index" ? link.pageIndex : redact(`${link.url.pathname}${link.url.search}`);
}

function checkPageSize(pageSize: number): number {
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`page size must be a whole number of at least 1 (got ${pageSize})`);
  return pageSize;
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

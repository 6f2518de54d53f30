/**
 * The AvePoint Cloud Backup for Microsoft 365 client: complete, paged job
 * listings and license consumption, in any API revision, over one retrier
 * and one HTTP helper. Everything it returns is the typed model; everything
 * it cannot read is a typed error.
 *
 * What the documents leave open it learns from the service and reports as a
 * ServiceReading (kept in the checkpoint by the pipeline): which revision's
 * paths answer, how query times are written, where PageIndex starts, and
 * whether running jobs are listed. See docs/AVEPOINT.md, "How it reads AvePoint".
 */
import type { AvePointCredential, Settings } from "../config/settings.js";
import { httpRequest, NetworkError, safeOrigin, type HttpResponse } from "../http/request.js";
import { isRetryableStatus, parseRetryAfter, withRetry, type RetryDecision } from "../http/retry.js";
import { silentLogger, type Logger } from "../logging.js";
import { redact, type Secret } from "../security/secret.js";
import {
  AvePointApiError,
  AvePointAuthError,
  AvePointPathNotFoundError,
  AvePointPermissionError,
  IncompleteListingError,
  MalformedResponseError,
  PageLimitExceededError,
} from "./errors.js";
import type { BackupFrequency, BackupJob, JobPage, JobQuery, LicenseUsage, UnusualActivityCounts } from "./model.js";
import { parseBackupFrequency, parseJobPage, parseLicenseUsage, parseUnusualActivity, readEnvelopeStatus, readErrorBody, type TimeEncoding } from "./normalize.js";
import { API_REVISIONS, jobQueryParameters, pinnedRevision, revisionNamed, windowParameters, type ApiProfile, type ApiRevision } from "./profiles.js";
import { JOBS_SCOPE, LICENSE_SCOPE, AvePointTokenProvider, SETTINGS_SCOPE, UNUSUAL_ACTIVITY_SCOPE, type AvePointTransportOptions } from "./token-provider.js";
import type { ServiceReading } from "./service-reading.js";

/** Pages read at most in one listing before it is taken for a loop. */
const DEFAULT_MAX_PAGES = 1000;
const DEFAULT_PAGE_SIZE = 100;
/** Pages of one listing in flight at once when not told (the settings default, AVEPOINT_PAGE_CONCURRENCY, is 4). */
const DEFAULT_PAGE_CONCURRENCY = 1;

export interface AvePointClientOptions extends AvePointTransportOptions {
  /** API base URL, e.g. https://graph-us.avepointonlineservices.com. */
  apiUrl: string;
  tokenUrl: string;
  clientId: string;
  credential: AvePointCredential;
  /** Default "seed" here (settings default to "auto"): a pinned revision, or "auto" to find the one that answers. */
  profile?: ApiProfile;
  /** Jobs per page requested. Default 100. */
  pageSize?: number;
  /**
   * Pages of one listing requested at once, once its TotalCount and page base are
   * known (so which pages exist is known). Each is retried on its own (429 waits
   * its Retry-After); pages are still handed on in order. Default 1: one after another.
   */
  pageConcurrency?: number;
  /** Multi-Geo location of the backup schedule (AVEPOINT_LOCATION); absent = the central location. */
  location?: string;
  /**
   * Told of every API request once it is answered or has failed in transport:
   * each retry and the re-send after a 401 count, token requests do not.
   * Callers count requests and latency with it (shared/telemetry/).
   */
  onRequest?: (info: AvePointRequestInfo) => void;
}

/** One API request as sent, for observers (never the URL's query or any header). */
interface AvePointRequestInfo {
  path: string;
  /** The HTTP status; null when no response came (refused, reset, timed out). */
  status: number | null;
  elapsedInMs: number;
}

interface ListJobPagesOptions {
  /** Overrides the client's page size for this listing. */
  pageSize?: number;
  abortSignal?: AbortSignal;
  /** Guard against servers that page forever. Default 1000. */
  maxPages?: number;
  /** Overrides the client's pageConcurrency for this listing (1 when the caller stops after the first page). */
  pageConcurrency?: number;
}

interface RequestOptions {
  abortSignal?: AbortSignal;
}

/** The detection window of an unusual-activity query. */
interface UnusualActivityQuery {
  startTime: Date;
  finishTime: Date;
}

/** The endpoint exists only in the current API revision. */
class UnsupportedByProfileError extends Error {
  override readonly name = "UnsupportedByProfileError";
  constructor(readonly feature: string, readonly profile: string) {
    super(`${feature} is only available in the current API revision (this client uses ${profile})`);
  }
}

/** The response of one request, with the path it was sent to. */
interface Answer {
  response: HttpResponse;
  url: URL;
}

/** Where the next page is: by index (PageIndex) or by the link the server gave. */
type PageLink = { kind: "index"; pageIndex: number } | { kind: "next"; url: URL };

export class AvePointClient {
  /** "auto", or the pinned revision's name. */
  readonly profile: ApiProfile;
  readonly pageSize: number;
  readonly #apiBase: URL;
  readonly #options: AvePointClientOptions;
  /** One token per permission, made when first needed: a missing grant stops only what needs it. */
  readonly #tokens = new Map<string, AvePointTokenProvider>();
  readonly #logger: Logger;
  readonly #pinned: ApiRevision | undefined;
  /** What the service has shown so far; see ServiceReading. */
  #reading: ServiceReading = {};
  /** An unusable NextLink is reported once per client, then paging goes on by PageIndex. */
  #warnedNextLink = false;

  constructor(options: AvePointClientOptions) {
    this.#options = options;
    this.profile = options.profile ?? "seed";
    this.#pinned = pinnedRevision(this.profile);
    this.pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_SIZE);
    this.#apiBase = new URL(options.apiUrl.replace(/\/+$/, "") + "/");
    this.#logger = options.logger ?? silentLogger;
    if (this.#pinned) this.#reading = { jobsRevision: this.#pinned.name, licenseRevision: this.#pinned.name };
  }

  /** What the client has learned about the service so far (a copy; JSON, for the checkpoint). */
  reading(): ServiceReading {
    return { ...this.#reading };
  }

  /**
   * Takes what an earlier run learned (the checkpoint's copy). What this client
   * already knows wins; a pinned profile keeps its revision.
   */
  adoptReading(stored: ServiceReading): void {
    const earlier = { ...stored };
    if (this.#pinned) {
      delete earlier.jobsRevision;
      delete earlier.licenseRevision;
    }
    this.#reading = { ...earlier, ...this.#reading };
  }

  /**
   * Finds the jobs path and the query time encoding now (with `auto`: the
   * requests a first listing would make before it), for `check-config --online`.
   */
  async learn(options: RequestOptions = {}): Promise<ServiceReading> {
    await this.#jobsRevision(options.abortSignal);
    return this.reading();
  }

  /** The revision whose jobs path answers (null until found). */
  get revision(): string | null {
    return this.#reading.jobsRevision ?? null;
  }

  /** The revision the current-only endpoints (schedule, unusual activity) belong to, when it is known to answer. */
  #currentRevision(): ApiRevision | undefined {
    const revision = revisionNamed(this.#reading.jobsRevision);
    return revision?.backupFrequencyPath ? revision : undefined;
  }

  /**
   * License consumption (permission microsoft365backup.subscriptionInfo.read.all only).
   * With `auto`, the license paths are asked newest first like the jobs paths.
   */
  async getLicenseUsage(options: RequestOptions = {}): Promise<LicenseUsage> {
    const candidates = API_REVISIONS.filter((r) => r.licensePath !== undefined);
    const { answer, revision } = await this.#discover("license", candidates, (r) => this.#resolvePath(r.licensePath as string), LICENSE_SCOPE, options.abortSignal);
    const { response, url } = answer;
    const usage = parseLicenseUsage(response.text, {
      page: "license",
      path: url.pathname,
      durationUnit: revision.durationUnit,
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
    const revision = this.#currentRevision();
    if (!revision?.backupFrequencyPath) throw new UnsupportedByProfileError("The backup frequency", this.revision ?? this.profile);
    const location = this.#options.location;
    const url = this.#resolvePath(revision.backupFrequencyPath, location !== undefined ? new URLSearchParams({ Location: location }) : undefined);
    const response = await this.#get(url, options.abortSignal, SETTINGS_SCOPE);
    return parseBackupFrequency(response.text, { page: "backup frequency", path: url.pathname, durationUnit: revision.durationUnit, requestId: requestIdHeader(response.headers) });
  }

  /**
   * Unusual-activity counts per service detected in the window (current
   * profile; permission microsoft365backup.unusualActivity.read.all, requested
   * only here). Throws AvePointPermissionError when the app registration lacks it.
   */
  async getUnusualActivity(query: UnusualActivityQuery, options: RequestOptions = {}): Promise<UnusualActivityCounts[]> {
    const revision = this.#currentRevision();
    if (!revision?.unusualActivityPath) throw new UnsupportedByProfileError("Unusual-activity data", this.revision ?? this.profile);
    const times = this.#reading.queryTimes === "date" ? "date" : revision.queryTimes;
    const params = new URLSearchParams(windowParameters(times, query));
    const url = this.#resolvePath(revision.unusualActivityPath, params);
    const response = await this.#get(url, options.abortSignal, UNUSUAL_ACTIVITY_SCOPE);
    return parseUnusualActivity(response.text, { page: "unusual activity", path: url.pathname, durationUnit: revision.durationUnit, requestId: requestIdHeader(response.headers) });
  }

  /** The token provider of one permission (scope), made on first use. */
  #tokensFor(scope: string): AvePointTokenProvider {
    let provider = this.#tokens.get(scope);
    if (!provider) {
      const options = this.#options;
      provider = new AvePointTokenProvider({
        tokenUrl: options.tokenUrl,
        clientId: options.clientId,
        credential: options.credential,
        logger: this.#logger,
        scope,
        ...pick(options, ["retryPolicy", "sleep", "timeoutInMs", "now", "random"]),
      });
      this.#tokens.set(scope, provider);
    }
    return provider;
  }

  /** When the certificate credential expires (null with a client secret); loads the certificate if needed. */
  certificateNotAfter(): Promise<Date | null> {
    return this.#tokensFor(JOBS_SCOPE).certificateNotAfter();
  }

  /**
   * The first answer of an endpoint: from the remembered (or pinned) revision,
   * or, with `auto`, from the newest revision whose path does not answer 404.
   * A remembered path that starts answering 404 is forgotten and the others are
   * asked again in the same call. Every 404 costs one request.
   */
  async #discover(
    endpoint: "jobs" | "license",
    candidates: readonly ApiRevision[],
    urlOf: (revision: ApiRevision) => URL,
    scope: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<{ answer: Answer; revision: ApiRevision }> {
    const key = endpoint === "jobs" ? "jobsRevision" : "licenseRevision";
    const known = revisionNamed(this.#reading[key]);
    const order = this.#pinned ? [this.#pinned] : known ? [known, ...candidates.filter((r) => r !== known)] : candidates;
    const tried: string[] = [];
    for (const revision of order) {
      const url = urlOf(revision);
      try {
        const answer = { response: await this.#get(url, abortSignal, scope), url };
        if (this.#reading[key] !== revision.name) {
          this.#logger.info(`AvePoint ${endpoint} answer on the ${revision.name} revision's path`, { path: url.pathname, profile: this.profile });
          this.#reading[key] = revision.name;
        }
        return { answer, revision };
      } catch (err) {
        if (!(err instanceof AvePointApiError) || err.status !== 404) throw err;
        tried.push(url.pathname);
        // Expected while looking; worth a warning only when the path had answered before.
        if (this.#reading[key] === revision.name) {
          delete this.#reading[key];
          this.#logger.warn(`AvePoint ${endpoint} path answered 404 after answering before; looking for the path that answers now`, { path: url.pathname });
        } else {
          this.#logger.info(`AvePoint ${endpoint} path answered 404`, { path: url.pathname });
        }
      }
    }
    throw new AvePointPathNotFoundError(endpoint, tried);
  }

  /**
   * How query times are written. Learned once with `auto`: one unfiltered page of
   * one job, whose StartTime shows the service's encoding (ticks, epoch s or ms,
   * ISO, dates). It is also the request that finds the jobs path. An empty
   * tenant shows nothing: the revision's default is used and the next listing asks again.
   */
  async #jobsRevision(abortSignal: AbortSignal | undefined): Promise<ApiRevision> {
    const known = this.#pinned ?? revisionNamed(this.#reading.jobsRevision);
    if (known && (this.#pinned || this.#reading.queryTimes !== undefined)) return known;
    const base = this.#reading.pageBase ?? 0;
    const { answer, revision } = await this.#discover(
      "jobs",
      API_REVISIONS,
      (r) => this.#resolvePath(r.jobsPath, jobQueryParameters(r.queryTimes, undefined, base, 1)),
      JOBS_SCOPE,
      abortSignal,
    );
    const page = this.#readPage(answer, "calibration", revision);
    const encoding = page.encodings[0];
    if (encoding !== undefined) {
      this.#reading.queryTimes = encoding;
      this.#logger.info("AvePoint times learned from the service", { queryTimes: this.#reading.queryTimes });
    }
    return revision;
  }

  /** Every job of the window, one at a time, over the same pages as listJobPages. */
  async *listJobs(query: JobQuery, options: ListJobPagesOptions = {}): AsyncGenerator<BackupJob, void, undefined> {
    for await (const page of this.listJobPages(query, options)) yield* page.jobs;
  }

  /**
   * Every job in the query's window, page by page. Follows NextLink when the
   * server gives one (same origin only); otherwise asks for PageIndex + 1 until
   * TotalCount jobs are read or a page comes back short or empty.
   */
  async *listJobPages(query: JobQuery, options: ListJobPagesOptions = {}): AsyncGenerator<JobPage, void, undefined> {
    let rediscovered = false;
    for (;;) {
      const revision = await this.#jobsRevision(options.abortSignal);
      const times = this.#reading.queryTimes ?? revision.queryTimes;
      // Asking again is safe only before a page went out: the caller must not see a job twice.
      let yielded = false;
      try {
        for await (const page of this.#listing(revision, times, query, options)) {
          yielded = true;
          yield page;
        }
        return;
      } catch (err) {
        if (yielded || !(err instanceof AvePointApiError) || err instanceof AvePointPathNotFoundError) throw err;
        if (err.status === 404 && this.#pinned) throw new AvePointPathNotFoundError("jobs", [err.path]);
        // A remembered path that now answers 404: the vendor renamed it; find the one that answers and learn it afresh.
        if (err.status === 404 && !rediscovered) {
          rediscovered = true;
          this.#reading = { ...(this.#reading.licenseRevision !== undefined ? { licenseRevision: this.#reading.licenseRevision } : {}) };
          continue;
        }
        // A full date-time refused: the current request samples send dates only.
        if (err.status === 400 && times === "iso") {
          this.#logger.warn("AvePoint refused a full date-time in the jobs query; asking by whole days and filtering on this side", { path: err.path });
          this.#reading.queryTimes = "date";
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * One listing, page by page. Follows a NextLink on the API's own host and jobs
   * path; otherwise asks for PageIndex + 1 until TotalCount distinct jobs are read
   * or a page comes back short or empty. A listing that ends short of TotalCount
   * fails. The first time a second page is read, it tells whether PageIndex
   * starts at 0 or 1 (a 1-based server serves its first page for 0 and 1 alike).
   */
  async *#listing(revision: ApiRevision, times: TimeEncoding, query: JobQuery, options: ListJobPagesOptions): AsyncGenerator<JobPage, void, undefined> {
    const asked = checkPageSize(options.pageSize ?? this.pageSize);
    const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    const base = this.#reading.pageBase ?? 0;
    const window = times === "date" ? query : undefined;
    // The server may cap PageSize below what was asked: a first page shorter than asked tells the real size.
    let honoured = asked;
    let jobsRead = 0;
    const seen = new Set<string>();
    let firstIds: string[] = [];
    let link: PageLink = { kind: "index", pageIndex: base };
    // Pages requested ahead (by index), once TotalCount says which exist; a failure surfaces when its turn comes.
    const ahead = new Map<number, Promise<HttpResponse>>();
    const concurrency = Math.max(1, Math.floor(options.pageConcurrency ?? this.#options.pageConcurrency ?? DEFAULT_PAGE_CONCURRENCY));
    const indexUrl = (pageIndex: number) => this.#resolvePath(revision.jobsPath, jobQueryParameters(times, query, pageIndex, asked));
    for (let pagesRead = 0; ; ) {
      if (pagesRead >= maxPages) throw new PageLimitExceededError(maxPages, jobsRead);
      const url: URL = link.kind === "next" ? link.url : indexUrl(link.pageIndex);
      const early = link.kind === "index" ? ahead.get(link.pageIndex) : undefined;
      if (link.kind === "index") ahead.delete(link.pageIndex);
      const answer = { response: await (early ?? this.#get(url, options.abortSignal, JOBS_SCOPE)), url };
      const read = this.#readPage(answer, pageLabel(link), revision, query.objectType);
      const page = read.page;
      pagesRead++;
      jobsRead += page.jobs.length;
      const ids = page.jobs.map((j) => j.id).filter((id): id is string => id !== null);
      if (pagesRead === 1) {
        firstIds = ids;
        if (page.jobs.length > 0 && page.jobs.length < asked) honoured = page.jobs.length;
      }
      const fresh = page.jobs.filter((j) => j.id === null || !seen.has(j.id));
      const repeated = page.jobs.length > 0 && fresh.length === 0;
      // Only the page that showed a 1-based server is an expected repeat; any other means the server loops.
      let baseShown = false;
      if (pagesRead === 2 && this.#reading.pageBase === undefined && link.kind === "index") {
        baseShown = repeated && sameIds(ids, firstIds);
        this.#reading.pageBase = baseShown ? 1 : 0;
        if (baseShown) this.#logger.info("AvePoint PageIndex counts from 1 (index 0 and 1 gave the same page)");
      }
      for (const job of fresh) seen.add(job.id ?? `\u0000anonymous-${seen.size}`);
      if (page.jobs.some((j) => j.state === "InProgress") && this.#reading.runningListed !== true) {
        this.#reading.runningListed = true;
        this.#logger.info("AvePoint lists running jobs (a job In Progress was listed)");
      }

      const total = page.totalCount;
      const allRead = total !== null && seen.size >= total;
      const nextLink: URL | null = page.nextLink ? this.#usableNextLink(page.nextLink, url, revision, pageLabel(link)) : null;
      let next: PageLink | null;
      if (page.jobs.length === 0 || allRead) next = null;
      else if (repeated && !baseShown) next = null; // the server repeats itself: stop here, the count below decides
      else if (nextLink) next = { kind: "next", url: nextLink };
      else if (total === null && pagesRead > 1 && page.jobs.length < honoured) next = null;
      else next = { kind: "index", pageIndex: (link.kind === "index" ? link.pageIndex : base + pagesRead - 1) + 1 };
      // With TotalCount and the page base known and no NextLink to follow, the pages still to come are known:
      // keep up to `concurrency` of them in flight while this one is handed on.
      const pageBase = this.#reading.pageBase;
      if (concurrency > 1 && next?.kind === "index" && nextLink === null && total !== null && pageBase !== undefined) {
        const last = Math.min(pageBase + Math.ceil(total / honoured) - 1, next.pageIndex + (maxPages - pagesRead) - 1);
        for (let index = next.pageIndex; index < next.pageIndex + concurrency && index <= last; index++) {
          if (ahead.has(index)) continue;
          const request = this.#get(indexUrl(index), options.abortSignal, JOBS_SCOPE);
          request.catch(() => undefined); // awaited (and its error thrown) when its turn comes, or never if the listing ends first
          ahead.set(index, request);
        }
      }
      if (fresh.length > 0 || pagesRead === 1) yield { ...page, jobs: window ? fresh.filter((j) => overlaps(j, window)) : fresh };
      if (!next) {
        if (total !== null && seen.size < total) throw new IncompleteListingError(seen.size, total);
        return;
      }
      link = next;
    }
  }

  /** Reads one jobs response, and the time encoding its first jobs show. */
  #readPage(answer: Answer, label: number | string, revision: ApiRevision, service?: JobQuery["objectType"]): { page: JobPage; encodings: TimeEncoding[] } {
    const { response, url } = answer;
    const encodings: TimeEncoding[] = [];
    const page = parseJobPage(response.text, {
      page: label,
      path: url.pathname,
      durationUnit: revision.durationUnit,
      requestId: requestIdHeader(response.headers),
      onTimeEncoding: (e) => encodings.push(e),
      ...(service !== undefined ? { service } : {}),
    });
    this.#logger.debug("AvePoint jobs page read", {
      page: label,
      jobs: page.jobs.length,
      totalCount: page.totalCount,
      nextLink: page.nextLink !== null,
      elapsedInMs: Math.round(response.elapsedInMs),
    });
    return { page, encodings };
  }

  /**
   * A NextLink may be absolute or relative, but the bearer token goes with it:
   * it is followed only on the API's origin and the jobs path. Otherwise (a
   * backend's own address, another host) it is ignored with one warning and
   * paging goes on by PageIndex on the configured host.
   */
  #usableNextLink(nextLink: string, current: URL, revision: ApiRevision, page: number | string): URL | null {
    let resolved: URL;
    try {
      resolved = new URL(nextLink, current);
    } catch {
      throw new MalformedResponseError(page, `NextLink ${JSON.stringify(redact(nextLink.slice(0, 100)))} is not a URL`);
    }
    const samePath = resolved.pathname.replace(/\/+$/, "").toLowerCase() === current.pathname.replace(/\/+$/, "").toLowerCase();
    if (resolved.origin === this.#apiBase.origin && samePath && resolved.pathname.toLowerCase().endsWith(revision.jobsPath.toLowerCase())) return resolved;
    if (!this.#warnedNextLink) {
      this.#warnedNextLink = true;
      this.#logger.warn("AvePoint sent a NextLink to another host or path; it is not followed (the token stays on the API host), pages are read by PageIndex", {
        linkOrigin: safeOrigin(resolved.href),
        apiOrigin: this.#apiBase.origin,
      });
    }
    return null;
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
  async #get(url: URL, abortSignal: AbortSignal | undefined, scope: string): Promise<HttpResponse> {
    const path = url.pathname;
    const tokens = this.#tokensFor(scope);
    // The jobs and license scopes are what the monitors need; the others are optional features.
    const optional = scope !== JOBS_SCOPE && scope !== LICENSE_SCOPE;
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
          // A refused scope is a missing permission, not an outage (an optional one: any 4xx, since the base scopes work).
          const refused = err instanceof AvePointAuthError && err.status !== null && err.status >= 400 && err.status < 500 && (optional || err.error === "invalid_scope");
          if (refused) throw new AvePointPermissionError(scope, "token-endpoint", err.status);
          throw err;
        }
        let response = await send(token);
        if (response.status === 401 && !refreshedAfter401) {
          refreshedAfter401 = true;
          this.#logger.warn("AvePoint API refused the access token; requesting a new one and trying again", { path });
          response = await send(await tokens.refreshToken(token, abortSignal ? { abortSignal } : {}));
        }
        if (response.status >= 200 && response.status <= 299) {
          // An envelope saying 429 / 5xx in an HTTP 200 is retried like the HTTP status.
          const enveloped = readEnvelopeStatus(response.text);
          if (enveloped !== undefined && isRetryableStatus(enveloped)) throw apiError({ ...response, status: enveloped }, path, Date.now());
          return response;
        }
        if (optional && response.status === 403) throw new AvePointPermissionError(scope, "api", 403);
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
    ...(settings.pageConcurrency !== undefined ? { pageConcurrency: settings.pageConcurrency } : {}),
    ...(settings.location !== undefined ? { location: settings.location } : {}),
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

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length > 0 && a.length === b.length && a.every((id, i) => id === b[i]);
}

/** Whether a job's run [start, finish or still running] touches the window (for listings asked by whole days). */
function overlaps(job: BackupJob, window: JobQuery): boolean {
  const start = job.startTime?.getTime();
  const finish = job.finishTime?.getTime();
  if (start !== undefined && start > window.finishTime.getTime()) return false;
  return finish === undefined || finish >= window.startTime.getTime();
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

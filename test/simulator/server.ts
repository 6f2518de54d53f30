/**
 * A real HTTP server (127.0.0.1, port 0) that behaves like AvePoint's identity service
 * and Cloud Backup for Microsoft 365 Graph API in both API profiles:
 *
 *   POST /connect/token                                token (client secret or client assertion)
 *   GET  /cloudbackup/jobs, /cloudbackup/licenseconsumption                 seed profile
 *   GET  /backup/m365/cloudbackupjobs, /backup/m365/cloudbackuplicenseconsumption  current profile
 *
 * Used by the client's tests, the local demo (`npm start`) and benchmarks.
 */
import { randomBytes } from "node:crypto";
import { STATUS_CODES, createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { JOB_INFO_SCOPE, SETTINGS_SCOPE, SUBSCRIPTION_INFO_SCOPE, TokenAuthority, UNUSUAL_ACTIVITY_SCOPE } from "./auth.js";
import { FaultQueue } from "./faults.js";
import type { EndpointKind, Fault } from "./faults.js";
import { defaultQueryTimes, nextLinkFor, pageOf, parseJobsRequest, queryParam, selectJobs } from "./jobs-query.js";
import type { NextLinkMode, QueryTimes, WindowReading } from "./jobs-query.js";
import { licenseTimeFormat, resolveStyle, shapeBackupFrequency, shapeError, shapeJobPage, shapeLicense, shapeUnusualActivity } from "./style.js";
import type { ApiProfile, EnvelopeIds, ResponseStyle } from "./style.js";
import { SimulatedTenant } from "./tenant.js";

export interface SimulatorOptions {
  /** Default 'sim-client'. */
  clientId?: string;
  /** The accepted client secret. Default 'sim-secret'. */
  clientSecret?: string;
  /** When set, client assertions signed by this certificate's key are accepted. */
  certificatePem?: string;
  /** `expires_in` of issued tokens. Default 3600. */
  tokenLifetimeSeconds?: number;
  /** Clock (epoch ms) for token expiry, assertion checks, running-job durations and the request log. Default Date.now. */
  now?: () => number;
  /** Overrides of the response shape; the defaults depend on the profile of the path (see style.ts). */
  style?: Partial<ResponseStyle>;
  /** The server caps PageSize to this. Default 1000. */
  pageCap?: number;
  /** How the server links the next page. Default: seed 'absent', current 'absolute'. */
  nextLink?: NextLinkMode;
  /** Include TotalCount / metadata.totalCount. Default true. */
  totalCount?: boolean;
  /** Scopes the app registration holds. Default: all four Cloud Backup read scopes. */
  grantedScopes?: readonly string[];
  /** A requested scope the app does not hold: `refuse` (invalid_scope, default) or `omit` (token without it; the API answers 403). */
  ungrantedScopes?: "refuse" | "omit";
  /** How StartTime / FinishTime are read (see jobs-query.ts). Default: seed paths `epoch`, current paths `iso`. */
  queryTimes?: QueryTimes;
  /** 1: PageIndex counts from 1 and 0 is read as 1. Default 0. */
  pageBase?: 0 | 1;
  /** What the window filters on. Default `start`. */
  window?: WindowReading;
  /** False: jobs not yet final are in no listing. Default true. */
  runningListed?: boolean;
  /**
   * The API revisions whose paths answer; every other jobs or license path answers 404, as after a rename.
   * Default: `seed` and `current` (see REVISION_ROUTES).
   */
  revisions?: readonly SimRevision[];
}

/** The jobs path's names over time (AvePoint/cloud-api change log), oldest first; license paths only where documented. */
export const REVISION_ROUTES = {
  seed: { jobs: "/cloudbackup/jobs", license: "/cloudbackup/licenseconsumption", profile: "seed" },
  getjobs: { jobs: "/cloudbackup/getjobs", profile: "seed" },
  "m365-getjobs": { jobs: "/backup/m365/cloudbackup/getjobs", profile: "current" },
  "m365-jobs": { jobs: "/backup/m365/jobs", profile: "current" },
  current: { jobs: "/backup/m365/cloudbackupjobs", license: "/backup/m365/cloudbackuplicenseconsumption", profile: "current" },
} as const satisfies Record<string, { jobs: string; license?: string; profile: ApiProfile }>;
export type SimRevision = keyof typeof REVISION_ROUTES;
const DEFAULT_REVISIONS: readonly SimRevision[] = ["seed", "current"];

export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** Query parameters with the names as sent. The token request's form body is never recorded. */
  query: Record<string, string>;
  /** Response status; 0 when the connection was reset without a response. */
  status: number;
  /** API call: a valid bearer token was presented. Token call: the client authenticated. */
  authorized: boolean;
  /** Simulator clock (`options.now`) when the request arrived. */
  at: number;
}

interface Route {
  kind: EndpointKind;
  profile: ApiProfile | undefined;
}

const ROUTES: Record<string, Route> = {
  "/connect/token": { kind: "token", profile: undefined },
  "/backup/m365/settings/backup/frequency": { kind: "frequency", profile: "current" },
  "/backup/m365/cloudbackupunusualactivitydata": { kind: "unusual-activity", profile: "current" },
};

const SCOPE_OF: Record<string, string> = {
  jobs: JOB_INFO_SCOPE,
  license: SUBSCRIPTION_INFO_SCOPE,
  frequency: SETTINGS_SCOPE,
  "unusual-activity": UNUSUAL_ACTIVITY_SCOPE,
};

/** Paths match case-insensitively and with or without a trailing slash, as the vendor's ASP.NET routing does. */
function routeOf(pathname: string, revisions: readonly SimRevision[]): Route {
  const key = pathname.toLowerCase().replace(/\/+$/, "");
  for (const name of revisions) {
    const revision: { jobs: string; license?: string; profile: ApiProfile } = REVISION_ROUTES[name];
    if (key === revision.jobs) return { kind: "jobs", profile: revision.profile };
    if (key === revision.license) return { kind: "license", profile: revision.profile };
  }
  return ROUTES[key] ?? { kind: "other", profile: undefined };
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  authorized: boolean;
}

const MAX_FORM_BYTES = 64 * 1024;
const JSON_TYPE = "application/json; charset=utf-8";

function json(status: number, value: unknown, authorized: boolean, headers: Record<string, string> = {}): Reply {
  return { status, headers: { "content-type": JSON_TYPE, ...headers }, body: JSON.stringify(value), authorized };
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export class AvePointSimulator {
  readonly tenant = new SimulatedTenant();
  readonly requests: RecordedRequest[] = [];
  /** Mutable at runtime: tests flip style, nextLink and pageCap between calls. */
  options: SimulatorOptions;

  private readonly faults = new FaultQueue();
  private readonly auth = new TokenAuthority();
  private readonly pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly connectionId = randomBytes(8).toString("hex").toUpperCase().slice(0, 13);
  private requestCounter = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    options: SimulatorOptions,
  ) {
    this.options = options;
  }

  static async start(options: SimulatorOptions = {}): Promise<AvePointSimulator> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const simulator = new AvePointSimulator(server, `http://127.0.0.1:${port}`, options);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      simulator.handle(req, res).catch((err: unknown) => {
        // A bug in the simulator must show up in the test that hit it, not hang it.
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": JSON_TYPE });
          res.end(JSON.stringify({ statusCode: 500, message: `simulator error: ${err instanceof Error ? err.message : String(err)}` }));
        } else {
          res.destroy();
        }
      });
    });
    return simulator;
  }

  get tokenUrl(): string {
    return `${this.url}/connect/token`;
  }

  resetRequests(): void {
    this.requests.length = 0;
  }

  /** Queues a fault; see {@link Fault}. */
  injectFault(fault: Fault): void {
    this.faults.add(fault);
  }

  /** Faults still waiting for a matching request. */
  get pendingFaults(): number {
    return this.faults.pending;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  async stop(): Promise<void> {
    for (const pending of this.pendingDelays) {
      clearTimeout(pending.timer);
      pending.resolve();
    }
    this.pendingDelays.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const pending = {
        timer: setTimeout(() => {
          this.pendingDelays.delete(pending);
          resolve();
        }, ms),
        resolve,
      };
      this.pendingDelays.add(pending);
    });
  }

  private envelopeIds(): EnvelopeIds {
    this.requestCounter += 1;
    return {
      requestId: `${this.connectionId}:${String(this.requestCounter).padStart(8, "0")}`,
      traceId: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`,
      timestamp: new Date(this.now()).toISOString(),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const route = routeOf(url.pathname, this.options.revisions ?? DEFAULT_REVISIONS);
    const entry: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      authorized: false,
      at: this.now(),
    };
    this.requests.push(entry);

    const fault = this.faults.take(route.kind);
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {};
      const body = fault.body ?? JSON.stringify({ statusCode: fault.status, message: STATUS_CODES[fault.status] ?? "simulated failure" });
      this.send(res, entry, { status: fault.status, headers: { "content-type": JSON_TYPE, ...headers }, body, authorized: false });
      return;
    }
    if (fault?.kind === "body") {
      this.send(res, entry, { status: fault.status ?? 200, headers: { "content-type": JSON_TYPE }, body: fault.body, authorized: false });
      return;
    }
    if (fault?.kind === "slow") await this.delay(fault.delayInMs);

    const reply = await this.reply(req, url, route, fault?.kind === "invalid-token-after" ? fault.uses : undefined);
    if (fault?.kind === "truncated") reply.body = reply.body.slice(0, Math.floor(reply.body.length / 2));
    this.send(res, entry, reply);
  }

  private send(res: ServerResponse, entry: RecordedRequest, reply: Reply): void {
    entry.status = reply.status;
    entry.authorized = reply.authorized;
    if (res.destroyed) return;
    res.writeHead(reply.status, { ...reply.headers, "content-length": String(Buffer.byteLength(reply.body)) });
    res.end(reply.body);
  }

  private async reply(req: IncomingMessage, url: URL, route: Route, limitUses: number | undefined): Promise<Reply> {
    if (route.kind === "token") {
      if (req.method !== "POST") return json(405, { error: "invalid_request", error_description: "use POST" }, false, { allow: "POST" });
      return this.tokenReply(req, limitUses);
    }
    if (route.kind === "other" || route.profile === undefined) {
      return json(404, { statusCode: 404, message: `no such endpoint: ${url.pathname}` }, false);
    }
    const profile = route.profile;
    const style = resolveStyle(profile, this.options.style);
    const ids = this.envelopeIds();
    if (req.method !== "GET") return json(405, shapeError(405, "use GET", style, ids), false, { allow: "GET" });

    const scope = SCOPE_OF[route.kind] ?? JOB_INFO_SCOPE;
    const nowMs = this.now();
    const check = this.auth.check(req.headers.authorization, scope, nowMs, limitUses);
    if (!check.ok) {
      return json(check.status, shapeError(check.status, check.description, style, ids), false, {
        "www-authenticate": `Bearer error="${check.error}", error_description="${check.description}"`,
      });
    }

    if (route.kind === "license") {
      return json(200, shapeLicense(this.tenant.license, style, licenseTimeFormat(this.options.style), ids), true);
    }
    if (route.kind === "frequency") return json(200, shapeBackupFrequency(this.tenant.backupFrequency, style, ids), true);
    if (route.kind === "unusual-activity") {
      // Both bounds are required (unusual-activities.md); dates or ISO times, read as UTC.
      const bound = (name: string): number | undefined => {
        const raw = queryParam(url.searchParams, name);
        if (!raw) return undefined;
        const ms = Date.parse(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(raw) ? `${raw}Z` : raw);
        return Number.isNaN(ms) ? undefined : ms;
      };
      const startMs = bound("StartTime");
      const finishMs = bound("FinishTime");
      if (startMs === undefined || finishMs === undefined) return json(400, shapeError(400, "StartTime and FinishTime are required UTC times such as 2024-01-01", style, ids), true);
      const inWindow = this.tenant.unusualActivities.filter((a) => a.detectedAt.getTime() >= startMs && a.detectedAt.getTime() <= finishMs);
      return json(200, shapeUnusualActivity(inWindow, style, ids), true);
    }

    const pageBase = this.options.pageBase ?? 0;
    const parsed = parseJobsRequest(url.searchParams, this.options.queryTimes ?? defaultQueryTimes(profile), this.options.pageCap ?? 1000, pageBase);
    if (!parsed.ok) return json(400, shapeError(400, parsed.message, style, ids), true);
    const selected = selectJobs(this.tenant.jobs, parsed.request, { window: this.options.window ?? "start", runningListed: this.options.runningListed ?? true });
    const page = pageOf(selected, parsed.request);
    const mode = this.options.nextLink ?? (profile === "seed" ? "absent" : "absolute");
    const nextLink =
      mode === "absent" ? undefined : page.hasMore ? nextLinkFor(mode, this.url, url.pathname, url.searchParams, parsed.request, profile, pageBase) : "";
    const totalCount = this.options.totalCount === false ? undefined : selected.length;
    return json(200, shapeJobPage({ jobs: page.jobs, totalCount, nextLink }, nowMs, style, ids), true);
  }

  private async tokenReply(req: IncomingMessage, useLimit: number | undefined): Promise<Reply> {
    const noStore = { "cache-control": "no-store", pragma: "no-cache" };
    const contentType = (req.headers["content-type"] ?? "").toLowerCase();
    if (!contentType.startsWith("application/x-www-form-urlencoded")) {
      return json(400, { error: "invalid_request", error_description: "Content-Type must be application/x-www-form-urlencoded" }, false, noStore);
    }
    const body = await readBody(req);
    if (body === undefined) return json(400, { error: "invalid_request", error_description: "request body too large" }, false, noStore);
    const result = this.auth.issue(
      new URLSearchParams(body),
      {
        clientId: this.options.clientId ?? "sim-client",
        clientSecret: this.options.clientSecret ?? "sim-secret",
        certificatePem: this.options.certificatePem,
        tokenLifetimeSeconds: this.options.tokenLifetimeSeconds ?? 3600,
        tokenUrl: this.tokenUrl,
        nowMs: this.now(),
        grantedScopes: this.options.grantedScopes,
        ungrantedScopes: this.options.ungrantedScopes,
      },
      useLimit,
    );
    return result.ok ? json(200, result.body, true, noStore) : json(result.status, result.body, false, noStore);
  }
}

/**
 * The typed Settings, composed from the rows of schema.ts: each function
 * below takes the values as read there and adds the rules that join several
 * settings (one credential, the bot, email, receivers and routing,
 * escalation, storage). Every problem is collected and reported at once,
 * each naming its variable; secret values are never echoed. The values
 * come from the environment over local.settings.json (loadSettings, at the
 * end).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Secret } from "../security/secret.js";
// Runs up to avepoint/ for the service-name type only (see schema.ts).
import type { ServiceId } from "../avepoint/model.js";
import { parseEmailSettings, type EmailSettings } from "./email.js";
import type { WebhookUrl } from "./webhook-url.js";
import { ConfigError, type SettingProblem } from "./problems.js";
import type { StorageSettings } from "./storage.js";
import { DEFAULT_EMAIL_RECEIVER, DEFAULT_TEAMS_BOT_RECEIVER, DEFAULT_TEAMS_RECEIVER, parseRouting, type ReceiverSpec, type Routing } from "./routing-file.js";
import {
  ALERTABLE_JOB_STATES,
  type API_PROFILES,
  type BOT_APP_TYPES,
  type JOB_TYPES,
  JOBS_OVERLAP_MINUTES,
  LICENSE_HYSTERESIS_PERCENT,
  type LOG_LEVELS,
  readSettingRows,
  type ReadSettings,
  UNRESOLVED_REFERENCE,
} from "./schema.js";
import {
  apiUrlFor,
  defaultRegionFor,
  environmentOfRegion,
  GUID,
  TOKEN_URLS,
  type AvePointEnvironment,
  type AvePointLocation,
  type AvePointRegion,
} from "./environment.js";

export type ApiProfile = (typeof API_PROFILES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type AlertableJobState = (typeof ALERTABLE_JOB_STATES)[number];
type JobTypeName = keyof typeof JOB_TYPES;
export { ConfigError, type SettingProblem };
export type { StorageSettings };

export type AvePointCredential =
  | { kind: "secret"; secret: Secret }
  /** PEM text (certificate + key) or PFX bytes, with the password when there is one. */
  | { kind: "certificate"; source: "value" | "file"; pem?: Secret; path?: string; password?: Secret };

export interface Settings {
  avepoint: {
    clientId: string;
    credential: AvePointCredential;
    environment: AvePointEnvironment;
    region: AvePointRegion;
    /** Multi-Geo location whose backup schedule is read (AVEPOINT_LOCATION); absent = the central location. */
    location?: AvePointLocation;
    apiUrl: string;
    tokenUrl: string;
    profile: ApiProfile;
    pageSize: number;
    /** Pages of one listing requested at once once its TotalCount is known (AVEPOINT_PAGE_CONCURRENCY); absent = one after another. */
    pageConcurrency?: number;
    portalUrl: string;
  };
  logLevel: LogLevel;
  jobs: {
    schedule: string;
    lookbackHours: number;
    overlapMinutes: number;
    alertStates: AlertableJobState[];
    /** Empty = every job type (one query with no JobType filter). */
    jobTypes: JobTypeName[];
  };
  /** Backup health rules (README "Backup health rules"); 0 / null switches a rule off. */
  health: HealthSettings;
  alerts: {
    tenantName: string;
    groupThreshold: number;
    sendResolved: boolean;
  };
  license: {
    schedule: string;
    warnPercent: number;
    criticalPercent: number;
    hysteresisPercent: number;
    remindHours: number;
  };
  teams: { webhookUrl?: WebhookUrl };
  /** Email delivery (receiver `email`); absent when EMAIL_TO is unset. */
  email?: EmailSettings;
  /** Receivers, routes and silences: from ALERT_ROUTES_FILE / ALERT_ROUTES, else the default route of the receivers above. */
  routing: Routing;
  /** The interactive Teams bot (receiver `teams-bot`); absent when TEAMS_BOT_APP_ID is unset. */
  bot?: BotSettings;
  storage?: StorageSettings;
  tablePrefix: string;
  /** Days delivered ledger rows are kept beyond the jobs lookback (LEDGER_RETENTION_DAYS). */
  ledgerRetentionDays: number;
  /** Watching the monitor itself: degraded alerts, credential expiry, heartbeat. */
  monitoring: MonitoringSettings;
}

interface MonitoringSettings {
  /** Failed cycles in a row before "Monitoring degraded" (MONITOR_FAILURE_THRESHOLD). */
  failureThreshold: number;
  /** Days before a credential's expiry the first warning goes out (CREDENTIAL_WARN_DAYS). */
  credentialWarnDays: number;
  /** AVEPOINT_CLIENT_SECRET_EXPIRES: when the client secret runs out (a certificate's expiry is read from it). */
  clientSecretExpiresAt?: Date;
  /** HEARTBEAT_URL: pinged after each successful cycle (a dead man's switch); a credential. */
  heartbeatUrl?: Secret;
}

type BotAppType = (typeof BOT_APP_TYPES)[number];

export interface BotSettings {
  appId: string;
  appType: BotAppType;
  /** TEAMS_BOT_TENANT_ID: the Entra tenant of the bot's registration or identity (a GUID). */
  tenantId: string;
  /**
   * TEAMS_BOT_ALLOWED_TENANTS (default: tenantId), lower case: the Teams
   * tenants whose installs, messages and button presses the bot handles.
   */
  allowedTenants: string[];
  /** A client secret or a PEM certificate + key; none for UserAssignedMSI. */
  credential?: { kind: "secret"; secret: Secret } | { kind: "certificate"; pem: Secret };
  /** Escalation of critical bot alerts nobody acknowledged (only bot cards can be acknowledged). */
  escalation: EscalationSettings;
}

export interface EscalationSettings {
  /** ESCALATE_AFTER_MINUTES (default 30); 0 = no escalation. */
  afterMinutes: number;
  /** ESCALATION_RECEIVER: a receiver of the routing; absent = the bot receiver that posted the card. */
  receiver?: string;
  /** ONCALL_UPN: user principal name @mentioned on the escalation. */
  oncallUpn?: string;
}


interface ParseOptions {
  /**
   * Whether the monitors will run: AvePoint credentials, ledger storage and a
   * receiver are then required (false only for tooling such as the demo).
   */
  requireAvePoint?: boolean;
}

type Problem = (variable: string, message: string) => void;

/** Parses settings from a flat name → value map; throws ConfigError listing every problem. */
export function parseSettings(raw: Record<string, string | undefined>, options: ParseOptions = {}): Settings {
  const problems: SettingProblem[] = [];
  const problem: Problem = (variable, message) => problems.push({ variable, message });
  const read = readSettingRows(raw, problems);
  const v = read.values;
  const requireAvePoint = options.requireAvePoint ?? true;

  const avepoint = avePointSettings(read, problem, requireAvePoint);
  const jobs = {
    schedule: v.JOBS_SCHEDULE,
    lookbackHours: v.JOBS_LOOKBACK_HOURS,
    overlapMinutes: JOBS_OVERLAP_MINUTES,
    alertStates: v.ALERT_JOB_STATES ?? [...ALERTABLE_JOB_STATES],
    jobTypes: v.ALERT_JOB_TYPES ?? [],
  };
  const health: HealthSettings = {
    backupMaxAgeHours: v.BACKUP_MAX_AGE_HOURS,
    watchServices: v.WATCH_SERVICES ?? null,
    backupStartGraceMinutes: v.BACKUP_START_GRACE_MINUTES,
    jobMaxRuntimeHours: v.JOB_MAX_RUNTIME_HOURS,
    jobFailedObjectsPercent: v.JOB_FAILED_OBJECTS_PERCENT ?? null,
    jobSkippedGrowthRuns: v.JOB_SKIPPED_GROWTH_RUNS,
    unusualActivity: v.ALERT_UNUSUAL_ACTIVITY,
  };
  const alerts = { tenantName: v.ALERT_TENANT_NAME, groupThreshold: v.ALERT_GROUP_THRESHOLD, sendResolved: v.ALERT_SEND_RESOLVED };
  const license = {
    schedule: v.LICENSE_SCHEDULE,
    warnPercent: v.LICENSE_WARN_PERCENT,
    criticalPercent: v.LICENSE_CRITICAL_PERCENT,
    hysteresisPercent: LICENSE_HYSTERESIS_PERCENT,
    remindHours: v.LICENSE_REMIND_HOURS,
  };
  if (license.warnPercent > license.criticalPercent) {
    problem("LICENSE_WARN_PERCENT", `must not be above LICENSE_CRITICAL_PERCENT (${license.warnPercent} > ${license.criticalPercent})`);
  }
  const teams: Settings["teams"] = v.TEAMS_WEBHOOK_URL ? { webhookUrl: v.TEAMS_WEBHOOK_URL } : {};
  const bot = botSettings(read, problem);
  const email = parseEmailSettings(v, read.given, problem);
  const routing = routingSettings(read, problem, { raw, teams, email, bot });
  const storage = storageSettings(read, problem);
  const monitoring = monitoringSettings(read, problem);

  if (requireAvePoint && !storage && !problems.some((p) => /STORAGE/i.test(p.variable))) {
    problem(
      "AzureWebJobsStorage, ALERTS_STORAGE",
      "no storage for the alert ledger: set ALERTS_STORAGE to a connection string (UseDevelopmentStorage=true for Azurite) or to a table endpoint reached with a managed identity",
    );
  }
  if (requireAvePoint && routing.source === "default" && !read.given("TEAMS_WEBHOOK_URL") && !read.given("TEAMS_BOT_APP_ID") && !read.given("EMAIL_TO")) {
    problem("TEAMS_WEBHOOK_URL, EMAIL_TO", "no receiver: set the Teams Workflows webhook URL alerts are posted to, and/or the email recipients");
  }

  // "Set one of A, B" says nothing new when A is set but its reference did not resolve.
  const unresolved = new Set(problems.filter((p) => p.message === UNRESOLVED_REFERENCE).map((p) => p.variable));
  const relevant = problems.filter((p) => p.message === UNRESOLVED_REFERENCE || !p.variable.split(", ").some((name) => unresolved.has(name)));
  if (relevant.length > 0) throw new ConfigError(relevant);

  return {
    avepoint,
    logLevel: v.LOG_LEVEL,
    jobs,
    health,
    alerts,
    license,
    teams,
    ...(bot ? { bot } : {}),
    ...(email ? { email } : {}),
    routing,
    ...(storage ? { storage } : {}),
    tablePrefix: v.ALERTS_TABLE_PREFIX,
    ledgerRetentionDays: v.LEDGER_RETENTION_DAYS,
    monitoring,
  };
}

/** The AvePoint app registration, its one credential, and where the API and its identity service live. */
function avePointSettings({ values: v, given }: ReadSettings, problem: Problem, requireAvePoint: boolean): Settings["avepoint"] {
  const clientId = v.AVEPOINT_CLIENT_ID ?? "";
  if (requireAvePoint && !clientId) problem("AVEPOINT_CLIENT_ID", "is required: the application (client) id of the AvePoint app registration");

  const credentials = (["AVEPOINT_CLIENT_SECRET", "AVEPOINT_CERTIFICATE", "AVEPOINT_CERTIFICATE_PATH"] as const).filter(given);
  const password = v.AVEPOINT_CERTIFICATE_PASSWORD ? { password: v.AVEPOINT_CERTIFICATE_PASSWORD } : {};
  let credential: AvePointCredential = { kind: "secret", secret: new Secret("") };
  if (credentials.length > 1) {
    problem(credentials.join(", "), `give exactly one credential: a client secret, or a certificate (AVEPOINT_CERTIFICATE or AVEPOINT_CERTIFICATE_PATH); ${credentials.length} are set`);
  } else if (credentials.length === 0) {
    if (requireAvePoint) problem("AVEPOINT_CLIENT_SECRET, AVEPOINT_CERTIFICATE, AVEPOINT_CERTIFICATE_PATH", "no credential: set a client secret or a certificate");
  } else if (v.AVEPOINT_CLIENT_SECRET) {
    credential = { kind: "secret", secret: v.AVEPOINT_CLIENT_SECRET };
    if (v.AVEPOINT_CERTIFICATE_PASSWORD) {
      problem("AVEPOINT_CERTIFICATE_PASSWORD", "is set but no certificate is: remove it, or use a certificate instead of AVEPOINT_CLIENT_SECRET");
    }
  } else if (v.AVEPOINT_CERTIFICATE) {
    credential = { kind: "certificate", source: "value", pem: v.AVEPOINT_CERTIFICATE, ...password };
  } else if (v.AVEPOINT_CERTIFICATE_PATH) {
    credential = { kind: "certificate", source: "file", path: v.AVEPOINT_CERTIFICATE_PATH, ...password };
  }

  const environment = v.AVEPOINT_ENVIRONMENT;
  const region = v.AVEPOINT_REGION ?? defaultRegionFor(environment);
  // A commercial token does not open the Gov API host (and the other way round): both must name one environment.
  if (!given("AVEPOINT_API_URL") && !given("AVEPOINT_TOKEN_URL") && environmentOfRegion(region) !== environment) {
    problem(
      "AVEPOINT_REGION",
      `the ${region} data center belongs to the ${environmentOfRegion(region)} environment, but AVEPOINT_ENVIRONMENT is ${environment}; set AVEPOINT_ENVIRONMENT=${environmentOfRegion(region)} or a region of ${environment}`,
    );
  }
  return {
    clientId,
    credential,
    environment,
    region,
    ...(v.AVEPOINT_LOCATION !== undefined ? { location: v.AVEPOINT_LOCATION } : {}),
    apiUrl: v.AVEPOINT_API_URL ?? apiUrlFor(region),
    tokenUrl: v.AVEPOINT_TOKEN_URL ?? TOKEN_URLS[environment],
    profile: v.AVEPOINT_API_PROFILE,
    pageSize: v.AVEPOINT_PAGE_SIZE,
    pageConcurrency: v.AVEPOINT_PAGE_CONCURRENCY,
    portalUrl: v.AVEPOINT_PORTAL_URL,
  };
}

/** The interactive Teams bot (TEAMS_BOT_APP_ID), its tenants, its one credential and its escalation. */
function botSettings({ values: v, given }: ReadSettings, problem: Problem): BotSettings | undefined {
  const escalation: EscalationSettings = { afterMinutes: v.ESCALATE_AFTER_MINUTES, ...(v.ONCALL_UPN ? { oncallUpn: v.ONCALL_UPN } : {}) };
  if (v.TEAMS_BOT_APP_ID === undefined) {
    for (const name of ["TEAMS_BOT_TENANT_ID", "TEAMS_BOT_ALLOWED_TENANTS", "TEAMS_BOT_APP_PASSWORD", "TEAMS_BOT_CERTIFICATE"] as const) {
      if (given(name)) problem(name, "is set but TEAMS_BOT_APP_ID is not: set the bot's app id, or remove it");
    }
    // Escalation needs an acknowledgement to wait for, and only bot cards can be acknowledged.
    for (const name of ["ESCALATION_RECEIVER", "ONCALL_UPN"] as const) {
      if (given(name)) problem(name, "is set but TEAMS_BOT_APP_ID is not: escalation applies to alerts the Teams bot posted (only those can be acknowledged); set up the bot, or remove it");
    }
    return undefined;
  }
  // SingleTenant unless told: Azure has not created multi-tenant bots since July 2025 (MultiTenant is for older registrations).
  const appType = v.TEAMS_BOT_APP_TYPE ?? "SingleTenant";
  const tenantId = v.TEAMS_BOT_TENANT_ID?.toLowerCase() ?? "";
  if (!tenantId) problem("TEAMS_BOT_TENANT_ID", "is required: the Entra tenant id (a GUID) of the bot's app registration or managed identity; only this tenant's Teams can use the bot unless TEAMS_BOT_ALLOWED_TENANTS says otherwise");
  else if (!GUID.test(tenantId)) problem("TEAMS_BOT_TENANT_ID", `must be the tenant id as a GUID, as Teams sends it with every activity (got "${tenantId.slice(0, 60)}")`);
  const allowedTenants = v.TEAMS_BOT_ALLOWED_TENANTS === undefined ? [tenantId] : v.TEAMS_BOT_ALLOWED_TENANTS.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
  const notTenants = allowedTenants.filter((t) => !GUID.test(t));
  if (v.TEAMS_BOT_ALLOWED_TENANTS !== undefined && (allowedTenants.length === 0 || notTenants.length > 0)) {
    problem("TEAMS_BOT_ALLOWED_TENANTS", `must be a comma-separated list of tenant ids (GUIDs)${notTenants.length > 0 ? `; not a tenant id: ${notTenants.map((t) => `"${t.slice(0, 40)}"`).join(", ")}` : ""}`);
  }
  const bot: BotSettings = { appId: v.TEAMS_BOT_APP_ID, appType, tenantId, allowedTenants, escalation };
  const secrets = (["TEAMS_BOT_APP_PASSWORD", "TEAMS_BOT_CERTIFICATE"] as const).filter(given);
  if (appType === "UserAssignedMSI") {
    if (secrets.length > 0) problem(secrets.join(", "), "must be unset for UserAssignedMSI: the bot signs in as the managed identity");
  } else if (secrets.length !== 1) {
    problem("TEAMS_BOT_APP_PASSWORD, TEAMS_BOT_CERTIFICATE", `give exactly one credential for the bot's app registration (${secrets.length} set), or use TEAMS_BOT_APP_TYPE=UserAssignedMSI`);
  } else if (v.TEAMS_BOT_APP_PASSWORD) {
    bot.credential = { kind: "secret", secret: v.TEAMS_BOT_APP_PASSWORD };
  } else if (v.TEAMS_BOT_CERTIFICATE) {
    bot.credential = { kind: "certificate", pem: v.TEAMS_BOT_CERTIFICATE };
  }
  return bot;
}

/** Receivers, routes and silences; the escalation receiver must be one of them. */
function routingSettings(
  { values: v, given }: ReadSettings,
  problem: Problem,
  parts: { raw: Record<string, string | undefined>; teams: Settings["teams"]; email: EmailSettings | undefined; bot: BotSettings | undefined },
): Routing {
  const { raw, teams, email, bot } = parts;
  // `raw`: a receiver's urlFrom may name any setting.
  const routed = parseRouting({ values: raw });
  for (const p of routed?.problems ?? []) problem(p.variable, p.message);
  const routing = routed?.routing ?? defaultRouting({ ...(teams.webhookUrl ? { teamsWebhookUrl: teams.webhookUrl } : {}), ...(email ? { emailTo: email.to } : {}), teamsBot: bot !== undefined });
  if (bot && v.ESCALATION_RECEIVER !== undefined) {
    const names = routing.receivers.map((r) => r.name);
    if (names.includes(v.ESCALATION_RECEIVER)) bot.escalation.receiver = v.ESCALATION_RECEIVER;
    else problem("ESCALATION_RECEIVER", `"${v.ESCALATION_RECEIVER.slice(0, 40)}" is not a receiver; the receivers are ${names.join(", ") || "none"} (${routing.source === "default" ? "from TEAMS_WEBHOOK_URL, EMAIL_TO and TEAMS_BOT_APP_ID" : `declared in ${routing.source}`})`);
  }
  if (routing.source !== "default") {
    for (const r of routing.receivers) {
      if (r.type === "email" && !email && !given("EMAIL_TO")) {
        problem(routing.source, `receivers.${r.name}: an email receiver needs the email settings: set EMAIL_FROM and EMAIL_TO (the \`email\` receiver's recipients), and Graph or SMTP`);
      }
      if (r.type === "teams-bot" && !given("TEAMS_BOT_APP_ID")) {
        problem(routing.source, `receivers.${r.name}: a teams-bot receiver needs the bot's settings: set TEAMS_BOT_APP_ID (and its credential)`);
      }
    }
  }
  return routing;
}

/** Without a routing file: every configured receiver is the default route, under its permanent name. */
export function defaultRouting(configured: { teamsWebhookUrl?: WebhookUrl; emailTo?: readonly string[]; teamsBot?: boolean }): Routing {
  const receivers: ReceiverSpec[] = [];
  if (configured.teamsWebhookUrl) {
    receivers.push({ name: DEFAULT_TEAMS_RECEIVER, type: "teams-workflows", url: configured.teamsWebhookUrl, urlFrom: "TEAMS_WEBHOOK_URL" });
  }
  if (configured.emailTo && configured.emailTo.length > 0) receivers.push({ name: DEFAULT_EMAIL_RECEIVER, type: "email", to: [...configured.emailTo] });
  if (configured.teamsBot) receivers.push({ name: DEFAULT_TEAMS_BOT_RECEIVER, type: "teams-bot" });
  return { source: "default", receivers, routes: [], defaultReceivers: receivers.map((r) => r.name), silences: [] };
}

/**
 * The ledger's Table Storage: ALERTS_STORAGE (a table endpoint with a managed
 * identity, or a connection string), else the host's AzureWebJobsStorage when
 * it is a connection string. ALERTS_STORAGE given but refused: no fallback.
 */
function storageSettings({ values: v, given }: ReadSettings, problem: Problem): StorageSettings | undefined {
  let storage: StorageSettings | undefined;
  const target = v.ALERTS_STORAGE;
  if (given("ALERTS_STORAGE")) {
    if (target?.kind === "accountUrl") storage = { ...target, ...(v.AZURE_CLIENT_ID ? { managedIdentityClientId: v.AZURE_CLIENT_ID } : {}) };
    else if (target) storage = { ...target, variable: "ALERTS_STORAGE" };
  } else if (v.AzureWebJobsStorage !== undefined && v.AzureWebJobsStorage.includes("=")) {
    storage = { kind: "connectionString", connectionString: new Secret(v.AzureWebJobsStorage), variable: "AzureWebJobsStorage" };
  }
  if (storage?.kind === "connectionString") {
    const value = storage.connectionString.reveal();
    if (value !== "UseDevelopmentStorage=true" && !/(AccountName|TableEndpoint)=/i.test(value)) {
      problem(storage.variable, "is not a storage connection string (expected AccountName=... or TableEndpoint=...)");
    }
  }
  return storage;
}

/** Watching the monitor itself: degraded alerts, credential expiry, heartbeat. */
function monitoringSettings({ values: v }: ReadSettings, problem: Problem): MonitoringSettings {
  const monitoring: MonitoringSettings = { failureThreshold: v.MONITOR_FAILURE_THRESHOLD, credentialWarnDays: v.CREDENTIAL_WARN_DAYS };
  if (v.AVEPOINT_CLIENT_SECRET_EXPIRES) {
    if (v.AVEPOINT_CLIENT_SECRET === undefined) problem("AVEPOINT_CLIENT_SECRET_EXPIRES", "is set but no AVEPOINT_CLIENT_SECRET is: a certificate's expiry is read from the certificate itself");
    else monitoring.clientSecretExpiresAt = v.AVEPOINT_CLIENT_SECRET_EXPIRES;
  }
  if (v.HEARTBEAT_URL) monitoring.heartbeatUrl = v.HEARTBEAT_URL;
  return monitoring;
}

interface HealthSettings {
  /** BACKUP_MAX_AGE_HOURS: a watched service with no successful backup for this long alerts; 0 = off. */
  backupMaxAgeHours: number;
  /** WATCH_SERVICES: null = every service that had a successful backup lately ("auto"). */
  watchServices: ServiceId[] | null;
  /** BACKUP_START_GRACE_MINUTES: a scheduled backup not started this long after its time alerts (current profile); 0 = off. */
  backupStartGraceMinutes: number;
  /** JOB_MAX_RUNTIME_HOURS: a job In Progress for longer alerts; 0 = off. */
  jobMaxRuntimeHours: number;
  /** JOB_FAILED_OBJECTS_PERCENT: a job with more failed + skipped objects (percent of its total) alerts; null = off. */
  jobFailedObjectsPercent: number | null;
  /** JOB_SKIPPED_GROWTH_RUNS: a service skipping more objects in this many runs in a row alerts; 0 = off. */
  jobSkippedGrowthRuns: number;
  /** ALERT_UNUSUAL_ACTIVITY: read Cloud Backup's unusual-activity counts (current profile, extra permission). */
  unusualActivity: boolean;
}

// --- Where the values come from ----------------------------------------------

export interface LoadOptions extends ParseOptions {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Folder holding local.settings.json; defaults to the working directory. Null skips the file. */
  localSettingsDir?: string | null;
}

/**
 * Reads `local.settings.json` `Values` (what `func start` reads), if present,
 * beneath the environment (environment variables win), as a flat map.
 */
export function readSettingValues(options: Pick<LoadOptions, "env" | "localSettingsDir"> = {}): Record<string, string | undefined> {
  const env = options.env ?? process.env;
  const dir = options.localSettingsDir === undefined ? process.cwd() : options.localSettingsDir;
  const merged: Record<string, string | undefined> = {};
  if (dir !== null) Object.assign(merged, readLocalSettings(join(dir, "local.settings.json")));
  for (const [k, v] of Object.entries(env)) {
    // An empty environment variable counts as unset, so it does not hide the file's value.
    if (v !== undefined && v.trim() !== "") merged[k] = v;
  }
  return merged;
}

function readLocalSettings(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError([{ variable: "local.settings.json", message: `cannot be read: ${(err as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ variable: "local.settings.json", message: `is not valid JSON: ${(err as Error).message}` }]);
  }
  const values = (parsed as { Values?: unknown } | null)?.Values;
  if (values === undefined) return {};
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new ConfigError([{ variable: "local.settings.json", message: `"Values" must be an object of strings` }]);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
  }
  return out;
}

/** The one way the application reads its settings. Throws ConfigError listing every problem. */
export function loadSettings(options: LoadOptions = {}): Settings {
  return parseSettings(readSettingValues(options), options);
}

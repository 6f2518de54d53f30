/**
 * Every setting the application reads, one row each: how its value is read
 * (and so checked), its default, what it means, who sets it in Azure and
 * whether it holds a credential. From this one table come the parse of the
 * raw values (every problem named by its variable), docs/SETTINGS.md
 * (`npm run docs:settings`) and the infra tests' cross-check against the
 * Bicep. Rules that join several settings (credentials, receivers, email,
 * bot, routing, escalation, storage) are small functions in settings.ts,
 * on top of the rows read here. Adding a setting means adding a row here.
 */
import { Secret } from "../security/secret.js";
// Runs up to avepoint/ for its list of service names (JOBS_SERVICES and friends name them); nothing else.
import { SERVICES, type ServiceId } from "../avepoint/model.js";
import { parseSchedule } from "./ncrontab.js";
import { checkWebhookUrl, type WebhookUrl } from "./webhook-url.js";
import { DEFAULT_GRAPH_BASE_URL, SMTP_AUTH_KINDS } from "./email.js";
import type { SettingProblem } from "./problems.js";
import { AVEPOINT_ENVIRONMENTS, AVEPOINT_LOCATIONS, AVEPOINT_REGIONS, isAllowedUrl } from "./environment.js";

export const API_PROFILES = ["auto", "seed", "current"] as const;
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
/** Final job states that can alert (In Progress and Finished never do). */
export const ALERTABLE_JOB_STATES = ["Failed", "FinishedException", "PartiallyFinished"] as const;
/** The API's JobType enum (0 = All is what "no filter" means). */
export const JOB_TYPES = { Backup: 1, Restore: 2, Export: 3, Delete: 4, Retention: 5 } as const;
const JOB_TYPE_NAMES = Object.keys(JOB_TYPES) as (keyof typeof JOB_TYPES)[];
export const BOT_APP_TYPES = ["MultiTenant", "SingleTenant", "UserAssignedMSI"] as const;

/** Who sets a setting in Azure: the Bicep (`infra`), the platform itself, or only local runs. */
type Scope = "infra" | "platform" | "local-only";

/**
 * Reads one value (trimmed, never empty). Names each problem through
 * `problem` and returns undefined when it refuses the value: the setting's
 * default then stands in, so one refusal does not hide the others.
 */
type Read<T> = ((value: string, problem: (message: string) => void) => T | undefined) & {
  /** What the reader accepts, for docs/SETTINGS.md when the description does not say it (a number range). */
  readonly range?: string;
};

interface SettingRow<V> {
  /** What it means, for docs/SETTINGS.md. */
  readonly description: string;
  /** The default as docs/SETTINGS.md shows it; undefined = no default. */
  readonly shown?: string;
  /** The values accepted, when the reader knows them (a number range). */
  readonly range?: string;
  readonly scope: Scope;
  /** Holds a credential: never echoed, stored in Key Vault in Azure. */
  readonly secret?: boolean;
  /** The value Settings is composed from; `value` undefined = unset. */
  parse(value: string | undefined, problem: (message: string) => void): V;
}

interface Info {
  description: string;
  shown?: string;
  scope: Scope;
  secret?: boolean;
}

/** A setting without a default: undefined when unset or refused. */
function row<T>(read: Read<T>, info: Info): SettingRow<T | undefined> {
  return { ...rangeOf(read), ...info, parse: (value, problem) => (value === undefined ? undefined : read(value, problem)) };
}

function withDefault<T extends string | number | boolean>(read: Read<T>, fallback: T, info: Info): SettingRow<T> {
  return { shown: String(fallback), ...rangeOf(read), ...info, parse: (value, problem) => (value === undefined ? fallback : (read(value, problem) ?? fallback)) };
}

function rangeOf(read: Read<unknown>): { range?: string } {
  return read.range === undefined ? {} : { range: read.range };
}

// --- Readers -----------------------------------------------------------------

const text: Read<string> = (value) => value;
const secret: Read<Secret> = (value) => new Secret(value);

function int(min: number, max: number): Read<number> {
  const read = (value: string, problem: (message: string) => void) => {
    const n = Number(value);
    if (/^-?\d+$/.test(value) && Number.isSafeInteger(n) && n >= min && n <= max) return n;
    problem(`must be a whole number from ${min} to ${max} (got "${value}")`);
    return undefined;
  };
  return Object.assign(read, { range: `${min}-${max}` });
}

const percent: Read<number> = (value, problem) => {
  const n = Number(value);
  if (Number.isFinite(n) && n > 0 && n <= 1000) return n;
  problem(`must be a number of percent above 0 and at most 1000 (got "${value}")`);
  return undefined;
};

const percentBelow100: Read<number> = (value, problem) => {
  const n = Number(value);
  if (Number.isFinite(n) && n >= 0 && n < 100) return n;
  problem(`must be a number of percent from 0 to below 100, or unset for off (got "${value}")`);
  return undefined;
};

const bool: Read<boolean> = (value, problem) => {
  const lower = value.toLowerCase();
  if (["true", "1", "yes", "on"].includes(lower)) return true;
  if (["false", "0", "no", "off"].includes(lower)) return false;
  problem(`must be true or false (got "${value}")`);
  return undefined;
};

/** One of the allowed words, compared without case; returned as the list spells it. */
function oneOf<T extends string>(allowed: readonly T[]): Read<T> {
  return (value, problem) => {
    const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (!match) problem(`must be one of ${allowed.join(", ")} (got "${value}")`);
    return match;
  };
}

/** A comma-separated list of allowed words (spaces, _ and - ignored), without repeats. */
function listOf<T extends string>(allowed: readonly T[]): Read<T[]> {
  return (value, problem) => {
    const out: T[] = [];
    let refused = false;
    for (const item of value.split(",").map((s) => s.trim()).filter(Boolean)) {
      const norm = item.replace(/[\s_-]/g, "").toLowerCase();
      const match = allowed.find((a) => a.toLowerCase() === norm);
      if (!match) {
        problem(`"${item}" is not one of ${allowed.join(", ")}`);
        refused = true;
      } else if (!out.includes(match)) out.push(match);
    }
    if (out.length === 0 && !refused) problem("lists nothing; leave it unset for the default");
    return refused || out.length === 0 ? undefined : out;
  };
}

const URL_RULE = "must be an https URL (plain http only to 127.0.0.1, localhost or [::1])";

/** https, or http to this machine; without trailing slashes. */
function url(): Read<string> {
  return (value, problem) => {
    if (isAllowedUrl(value)) return value.replace(/\/+$/, "");
    problem(`${URL_RULE} (got "${value}")`);
    return undefined;
  };
}

/** A URL that carries a credential: checked as a URL, never quoted. */
const secretUrl: Read<Secret> = (value, problem) => {
  if (isAllowedUrl(value)) return new Secret(value.replace(/\/+$/, ""));
  problem(URL_RULE);
  return undefined;
};

/**
 * ALERTS_STORAGE, told by its shape: a table endpoint URL (reached with the
 * managed identity) or a connection string (anything with "="). Never quoted:
 * a connection string holds the account key.
 */
const tableStorage: Read<{ kind: "accountUrl"; url: string } | { kind: "connectionString"; connectionString: Secret }> = (value, problem) => {
  if (/^https?:\/\//i.test(value)) {
    if (isAllowedUrl(value)) return { kind: "accountUrl", url: value.replace(/\/+$/, "") };
    problem(`is a table endpoint, so it ${URL_RULE}`);
    return undefined;
  }
  if (value.includes("=")) return { kind: "connectionString", connectionString: new Secret(value) };
  problem(
    "must be the table endpoint (https://<account>.table.core.windows.net, reached with the managed identity) or a connection string (AccountName=...;AccountKey=..., or UseDevelopmentStorage=true for Azurite)",
  );
  return undefined;
};

/** A Teams Workflows webhook URL (a credential): the one check, config/webhook-url.ts. */
const webhookUrl: Read<WebhookUrl> = (value, problem) => {
  const checked = checkWebhookUrl(value);
  if ("problem" in checked) problem(checked.problem);
  return "url" in checked ? checked.url : undefined;
};

/** A PEM certificate with its private key; `\n` written as two characters is read as a line break (app settings are one line). */
const pem: Read<Secret> = (value, problem) => {
  const text = value.replace(/\\n/g, "\n");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || !/-----BEGIN CERTIFICATE-----/.test(text)) {
    problem("must hold a PEM certificate and its private key (-----BEGIN CERTIFICATE----- and -----BEGIN ... PRIVATE KEY-----)");
  }
  return new Secret(text);
};

const schedule: Read<string> = (value, problem) => {
  // NCRONTAB as Azure Functions reads it: six fields (with seconds), or a TimeSpan such as 00:05:00.
  try {
    parseSchedule(value);
  } catch (err) {
    problem(`must be a six-field NCRONTAB expression such as "0 */5 * * * *": ${(err as Error).message}`);
  }
  return value;
};

const tenantLabel: Read<string> = (value, problem) => {
  if (value.length > 100 || /[\\/#?\u0000-\u001f\u007f-\u009f]/.test(value)) {
    problem("must be at most 100 characters without / \\ # ? or control characters (it keys the ledger)");
  }
  return value;
};

const tablePrefix: Read<string> = (value, problem) => {
  if (!/^[A-Za-z][A-Za-z0-9]{0,29}$/.test(value)) problem("must start with a letter and hold only letters and digits, at most 30");
  return value;
};

/** A user principal name as Entra ID accepts it (user@domain); also safe inside Teams' `<at>` mention text. */
const UPN_PATTERN = /^[A-Za-z0-9'_!#^~+-]+(?:\.[A-Za-z0-9'_!#^~+-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

const upn: Read<string> = (value, problem) => {
  if (value.length <= 113 && UPN_PATTERN.test(value)) return value;
  problem("must be a user principal name such as oncall@contoso.com (the Teams user to @mention on an escalation)");
  return undefined;
};

/** A date (end of that day, UTC) or a full ISO time with an offset. */
const expiry: Read<Date> = (value, problem) => {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T23:59:59Z`) : /^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isFinite(at.getTime())) return at;
  problem(`must be an ISO date such as 2027-03-31 (got "${value}")`);
  return undefined;
};

/** Names compared without case, spaces or punctuation; "Exchange" for "Exchange Online", "Groups" for "Microsoft 365 Groups". */
function serviceKeys(name: string): string[] {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  return [key, key.replace(/online$/, ""), key.replace(/^microsoft365/, "")];
}

/** WATCH_SERVICES: "auto" → null (every service with a successful backup lately); else services by name or ObjectType number. */
const services: Read<ServiceId[] | null> = (value, problem) => {
  if (value.toLowerCase() === "auto") return null;
  const services: ServiceId[] = [];
  const unknown: string[] = [];
  for (const item of value.split(",").map((v) => v.trim()).filter((v) => v !== "")) {
    const byNumber = /^\d+$/.test(item) && Object.hasOwn(SERVICES, item) ? (Number(item) as ServiceId) : undefined;
    const key = item.toLowerCase().replace(/[^a-z0-9]/g, "");
    const byName = (Object.entries(SERVICES) as [string, string][]).find(([, name]) => serviceKeys(name).includes(key));
    const service = byNumber ?? (byName ? (Number(byName[0]) as ServiceId) : undefined);
    if (service === undefined) unknown.push(item);
    else if (!services.includes(service)) services.push(service);
  }
  if (unknown.length === 0 && services.length > 0) return services;
  problem(`must be "auto" or a comma-separated list of services (${Object.values(SERVICES).join(", ")}) or their numbers 1-12${unknown.length > 0 ? `; not known: ${unknown.map((u) => `"${u.slice(0, 40)}"`).join(", ")}` : ""}`);
  return undefined;
};

// --- The table ---------------------------------------------------------------

const SCHEMA = {
  // AvePoint connection
  AVEPOINT_CLIENT_ID: row(text, { description: "Application (client) id of the AvePoint app registration", scope: "infra" }),
  AVEPOINT_CLIENT_SECRET: row(secret, { description: "Client secret of the app registration (give this or a certificate)", scope: "infra", secret: true }),
  AVEPOINT_CERTIFICATE_PATH: row(text, { description: "Path of a PEM (certificate + private key) or PFX file", scope: "local-only" }),
  AVEPOINT_CERTIFICATE_PASSWORD: row(secret, { description: "Password of the PFX file or encrypted PEM key", scope: "local-only", secret: true }),
  AVEPOINT_CERTIFICATE: row(pem, { description: "The PEM (certificate + private key) as a value, e.g. from a Key Vault reference", scope: "infra", secret: true }),
  AVEPOINT_ENVIRONMENT: withDefault(oneOf(AVEPOINT_ENVIRONMENTS), "commercial", { description: "`commercial`, `gov`, `aos2` or `fedramp`: picks the token URL", scope: "infra" }),
  AVEPOINT_REGION: row(oneOf(AVEPOINT_REGIONS), { description: "Data center (`us`, `au`, `sg`, `ca`, `ne`, `we`, `fr`, `de`, `jp`, `kr`, `ch`, `uk`, `uae`, `za`, `qa`, `gov`, `aos2`, `gcp-au`, `gcp-jp`, `gcp-us`, `gcp-we`, `gcp-kr`, `fedramp`): picks the API URL", shown: "`us` (`gov`, `aos2`, `fedramp` for those environments)", scope: "infra" }),
  AVEPOINT_LOCATION: row(oneOf(AVEPOINT_LOCATIONS), { description: "Multi-Geo tenants: the location whose backup schedule the missed-start rule reads (`NAM`, `EUR`, `GBR`, `JPN`, `APC`, ... as AvePoint names them); job listings always cover every location", shown: "the central location", scope: "infra" }),
  AVEPOINT_API_URL: row(url(), { description: "Explicit API base URL (overrides the region)", shown: "derived from the region", scope: "infra" }),
  AVEPOINT_TOKEN_URL: row(url(), { description: "Explicit token URL (overrides the environment)", shown: "derived from the environment", scope: "infra" }),
  AVEPOINT_API_PROFILE: withDefault(oneOf(API_PROFILES), "auto", { description: "`auto` (find the revision whose paths answer, today's first, and learn how it reads times and pages; see How it reads AvePoint), or pin `current` (`/backup/m365/...`, ISO times) or `seed` (the pre-Dec-2024 `/cloudbackup/...`, epoch times)", scope: "infra" }),
  AVEPOINT_PAGE_SIZE: withDefault(int(1, 1000), 100, { description: "Jobs requested per page", scope: "infra" }),
  AVEPOINT_PAGE_CONCURRENCY: withDefault(int(1, 16), 4, { description: "Pages of one jobs listing requested at once once its first page gave TotalCount (1 = one after another); each honours 429 and Retry-After", scope: "infra" }),
  AVEPOINT_PORTAL_URL: withDefault(url(), "https://www.avepointonlineservices.com", { description: "Where the card's button leads", scope: "infra" }),
  LOG_LEVEL: withDefault(oneOf(LOG_LEVELS), "info", { description: "`error`, `warn`, `info` or `debug`", scope: "infra" }),
  // Jobs monitor
  JOBS_SCHEDULE: withDefault(schedule, "0 */5 * * * *", { description: "NCRONTAB schedule of the jobs monitor", scope: "infra" }),
  JOBS_LOOKBACK_HOURS: withDefault(int(1, 720), 24, { description: "How far back the first cycle reads, in hours", scope: "infra" }),
  ALERT_JOB_STATES: row(listOf(ALERTABLE_JOB_STATES), { description: "Comma-separated final states that alert: `Failed`, `FinishedException`, `PartiallyFinished`", shown: "all three", scope: "infra" }),
  ALERT_JOB_TYPES: row(listOf(JOB_TYPE_NAMES), { description: "Comma-separated job types to watch: `Backup`, `Restore`, `Export`, `Delete`, `Retention`", shown: "all", scope: "infra" }),
  // Backup health rules
  BACKUP_MAX_AGE_HOURS: withDefault(int(0, 24 * 30), 26, { description: "Alert (critical) when a watched service has had no successful backup for this many hours (0 = off)", scope: "infra" }),
  WATCH_SERVICES: row(services, { description: "Services the missed-backup rule watches: `auto` (every service with a successful backup lately) or a comma-separated list such as `Exchange Online, SharePoint Online, OneDrive, Teams`", shown: "auto", scope: "infra" }),
  BACKUP_START_GRACE_MINUTES: withDefault(int(0, 24 * 60), 120, { description: "Alert when a scheduled backup has not started this many minutes after its scheduled time (`current` profile; 0 = off)", scope: "infra" }),
  JOB_MAX_RUNTIME_HOURS: withDefault(int(0, 24 * 30), 12, { description: "Alert (warning) when a job has been In Progress for longer than this many hours (0 = off)", scope: "infra" }),
  JOB_FAILED_OBJECTS_PERCENT: row(percentBelow100, { description: "Alert (warning) when a finished job's failed + skipped objects exceed this percent of its total (unset = off)", shown: "off", scope: "infra" }),
  JOB_SKIPPED_GROWTH_RUNS: withDefault(int(0, 18), 3, { description: "Alert (warning) when a service skips more objects in this many backup runs in a row (0 = off)", scope: "infra" }),
  ALERT_UNUSUAL_ACTIVITY: withDefault(bool, true, { description: "Alert (critical) when Cloud Backup's unusual-activity or ransomware counts rise (`current` profile; needs the permission `microsoft365backup.unusualActivity.read.all`)", scope: "infra" }),
  // Alerts
  ALERT_TENANT_NAME: withDefault(tenantLabel, "default", { description: "Tenant label shown on every alert (and the ledger partition)", scope: "infra" }),
  ALERT_GROUP_THRESHOLD: withDefault(int(1, 1000), 3, { description: "More new alerts than this for one destination in one cycle are sent as a digest", scope: "infra" }),
  ALERT_SEND_RESOLVED: withDefault(bool, true, { description: "Post a \"Resolved\" card when a service with an open failure backs up successfully again", scope: "infra" }),
  // License monitor
  LICENSE_SCHEDULE: withDefault(schedule, "0 0 * * * *", { description: "NCRONTAB schedule of the license monitor", scope: "infra" }),
  LICENSE_WARN_PERCENT: withDefault(percent, 90, { description: "Seats or storage use at which a warning is sent", scope: "infra" }),
  LICENSE_CRITICAL_PERCENT: withDefault(percent, 100, { description: "Seats or storage use at which a critical alert is sent", scope: "infra" }),
  LICENSE_REMIND_HOURS: withDefault(int(0, 24 * 365), 24, { description: "Remind about a metric still critical every N hours (0 = never)", scope: "infra" }),
  // Delivery: Teams
  TEAMS_WEBHOOK_URL: row(webhookUrl, { description: "Teams Workflows webhook URL (a credential: keep it in Key Vault)", scope: "infra", secret: true }),
  TEAMS_BOT_APP_ID: row(text, { description: "Microsoft App id of the Teams bot (Azure Bot); set it to deliver through the bot as receiver `teams-bot`", scope: "infra" }),
  TEAMS_BOT_APP_TYPE: row(oneOf(BOT_APP_TYPES), { description: "How the bot signs in: `SingleTenant` (when unset), `UserAssignedMSI` (the app id is then the managed identity's client id; what deployBot sets up) or `MultiTenant` (legacy registrations from before August 2025 only)", scope: "infra" }),
  TEAMS_BOT_TENANT_ID: row(text, { description: "Entra tenant id (GUID) of the bot's app registration or identity; required with TEAMS_BOT_APP_ID", scope: "infra" }),
  TEAMS_BOT_ALLOWED_TENANTS: row(text, { description: "Comma-separated tenant ids (GUIDs) whose Teams may install and use the bot; activities from any other tenant are refused and logged", shown: "TEAMS_BOT_TENANT_ID", scope: "infra" }),
  TEAMS_BOT_APP_PASSWORD: row(secret, { description: "Client secret of the bot's app registration (`SingleTenant`/`MultiTenant`; or use a certificate)", scope: "infra", secret: true }),
  TEAMS_BOT_CERTIFICATE: row(pem, { description: "PEM certificate and private key of the bot's app registration, instead of a client secret", scope: "infra", secret: true }),
  ESCALATE_AFTER_MINUTES: withDefault(int(0, 7 * 24 * 60), 30, { description: "Escalate a critical alert the Teams bot posted when nobody acknowledged it within this many minutes, once (0 = off; only bot cards can be acknowledged)", scope: "infra" }),
  ESCALATION_RECEIVER: row(text, { description: "Receiver an escalation goes to: a receiver of the routing (or `teams`, `email`, `teams-bot` without one); when unset, the card is posted again through the bot", scope: "infra" }),
  ONCALL_UPN: row(upn, { description: "User principal name (oncall@contoso.com) @mentioned on an escalation in Teams and named in its email", scope: "infra" }),
  // Delivery: email
  EMAIL_TO: row(text, { description: "Comma-separated email addresses alerts are sent to (receiver `email`); empty: no email", scope: "infra" }),
  EMAIL_FROM: row(text, { description: "Mailbox alerts are sent from (required with EMAIL_TO)", scope: "infra" }),
  EMAIL_GRAPH_TENANT_ID: row(text, { description: "Entra tenant id of the app registration that sends mail (with a client secret or certificate)", scope: "infra" }),
  EMAIL_GRAPH_CLIENT_ID: row(text, { description: "Application (client) id of that app registration; without a secret or certificate the managed identity (AZURE_CLIENT_ID) sends", scope: "infra" }),
  EMAIL_GRAPH_CLIENT_SECRET: row(secret, { description: "Client secret of the app registration that sends mail", scope: "infra", secret: true }),
  EMAIL_GRAPH_CERTIFICATE: row(pem, { description: "PEM certificate and private key of the app registration that sends mail, instead of a secret", scope: "infra", secret: true }),
  EMAIL_GRAPH_BASE_URL: withDefault(url(), DEFAULT_GRAPH_BASE_URL, { description: "Microsoft Graph endpoint (national clouds, tests)", scope: "infra" }),
  SMTP_HOST: row(text, { description: "SMTP server: when set, email goes through SMTP instead of Microsoft Graph", scope: "infra" }),
  SMTP_PORT: row(int(1, 65535), { description: "SMTP port", shown: "587 (465 with SMTP_SECURE)", scope: "infra" }),
  SMTP_SECURE: withDefault(bool, false, { description: "Implicit TLS from the first byte (port 465)", scope: "infra" }),
  SMTP_REQUIRE_TLS: withDefault(bool, true, { description: "Refuse to send unless the server upgrades with STARTTLS (must stay true with a password, except to localhost)", scope: "infra" }),
  SMTP_USER: row(text, { description: "SMTP user name (with SMTP_PASSWORD; with `SMTP_AUTH=oauth2` the mailbox to sign in as, default EMAIL_FROM)", scope: "infra" }),
  SMTP_PASSWORD: row(secret, { description: "SMTP password", scope: "infra", secret: true }),
  SMTP_AUTH: row(oneOf(SMTP_AUTH_KINDS), { description: "`password` (SMTP_USER/SMTP_PASSWORD, for relays other than Exchange Online) or `oauth2` (XOAUTH2 with a token from the app's credential, as for Graph: for Exchange Online)", shown: "`password`", scope: "infra" }),
  // Routing
  ALERT_ROUTES_FILE: row(text, { description: "Path of a routing file (JSON or YAML): named receivers, routes by kind, severity, service and tenant, fallbacks, silences (see Routing)", shown: "none: TEAMS_WEBHOOK_URL and/or EMAIL_TO form the default route", scope: "infra" }),
  ALERT_ROUTES: row(text, { description: "The routing as inline JSON, instead of a file; name webhook URLs with `urlFrom` (a setting holding a Key Vault reference), never inline", shown: "none", scope: "infra" }),
  // Monitoring the monitor
  MONITOR_FAILURE_THRESHOLD: withDefault(int(1, 1000), 3, { description: "Failed cycles in a row of one monitor before a \"Monitoring degraded\" alert (kind `monitoring`)", scope: "infra" }),
  CREDENTIAL_WARN_DAYS: withDefault(int(1, 365), 30, { description: "Days before the AvePoint certificate or client secret expires that the first warning is sent (then 7 days before, then when expired)", scope: "infra" }),
  AVEPOINT_CLIENT_SECRET_EXPIRES: row(expiry, { description: "Expiry date of the AvePoint client secret (ISO date, e.g. `2027-03-31`), for the expiry warning; a certificate's expiry is read from the certificate", scope: "infra" }),
  HEARTBEAT_URL: row(secretUrl, { description: "URL pinged (GET) after each successful cycle: a dead man's switch such as healthchecks.io", scope: "infra", secret: true }),
  // Telemetry: read by the Functions host and by the metrics exporter (telemetry/export.ts reads them from
  // the environment itself, before settings are loaded, and only to decide whether and how to export).
  APPLICATIONINSIGHTS_CONNECTION_STRING: row(text, { description: "Application Insights connection string; when set, the cycle metrics are exported there as well as the host's logs", scope: "platform" }),
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: row(text, { description: "`Authorization=AAD;ClientId=<id>`: the host and the metrics exporter sign in to Application Insights as that managed identity", scope: "platform" }),
  // Storage
  AzureWebJobsStorage: row(text, { description: "Storage connection string (used for the ledger unless ALERTS_STORAGE is set)", scope: "platform" }),
  ALERTS_STORAGE: row(tableStorage, {
    description:
      "The ledger's Table Storage, told by its shape: the account's table endpoint (`https://acct.table.core.windows.net`), reached with the managed identity (AZURE_CLIENT_ID), or, for local runs, a connection string (`AccountName=...`, `UseDevelopmentStorage=true` for Azurite; a credential, never echoed)",
    shown: "AzureWebJobsStorage, when it is a connection string",
    scope: "infra",
  }),
  AZURE_CLIENT_ID: row(text, { description: "Client id of the user-assigned managed identity used for storage", scope: "infra" }),
  ALERTS_TABLE_PREFIX: withDefault(tablePrefix, "cba", { description: "Prefix of the ledger's table names", scope: "infra" }),
  LEDGER_RETENTION_DAYS: withDefault(int(1, 3650), 30, { description: "Days a delivered alert is kept in the ledger beyond `JOBS_LOOKBACK_HOURS`; older delivered rows are removed, open ones never", scope: "infra" }),
} satisfies Record<string, SettingRow<unknown>>;

type SettingName = keyof typeof SCHEMA;
/** Each setting as read: its reader's type, or undefined when it has no default and is unset (or refused). */
type SettingValues = { [K in SettingName]: ReturnType<(typeof SCHEMA)[K]["parse"]> };

const NAMES = Object.keys(SCHEMA) as SettingName[];
/** The names the parser reads. */
export const SCHEMA_VARIABLES: readonly string[] = NAMES;

/** A row as the settings table and the infra tests see it. */
interface SettingInfo {
  readonly name: string;
  readonly description: string;
  readonly default?: string;
  readonly range?: string;
  readonly secret?: boolean;
  readonly scope: Scope;
}

export const SETTINGS: readonly SettingInfo[] = NAMES.map((name) => {
  const { description, shown, range, secret, scope } = SCHEMA[name] as SettingRow<unknown>;
  return { name, description, scope, ...(shown !== undefined ? { default: shown } : {}), ...(range ? { range } : {}), ...(secret ? { secret } : {}) };
});

/** How far before the watermark later cycles read again (jobs can appear late in the listing); was JOBS_OVERLAP_MINUTES. */
export const JOBS_OVERLAP_MINUTES = 15;
/** Points below the warning threshold a license metric must fall to count as resolved; was LICENSE_HYSTERESIS_PERCENT. */
export const LICENSE_HYSTERESIS_PERCENT = 2;

/**
 * Settings this version no longer reads, each with what took its place.
 * Still set (a deployment upgraded in place keeps its app settings), one is
 * refused rather than ignored: nobody should tune a setting that does nothing,
 * or lose silently what it pointed to. docs/SETTINGS.md lists them too.
 */
export const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
  JOBS_OVERLAP_MINUTES: `later cycles always read from ${JOBS_OVERLAP_MINUTES} minutes before the watermark`,
  EMAIL_TRANSPORT: "email goes through SMTP when SMTP_HOST is set, else through Microsoft Graph",
  LICENSE_HYSTERESIS_PERCENT: `a license metric counts as resolved once it falls ${LICENSE_HYSTERESIS_PERCENT} points below the warning threshold`,
  ALERTS_STORAGE_CONNECTION: "the ledger's storage is now ALERTS_STORAGE, set to this connection string",
  ALERTS_STORAGE_ACCOUNT_URL: "the ledger's storage is now ALERTS_STORAGE, set to this table endpoint (still reached with the managed identity)",
};

const KEY_VAULT_REFERENCE = "@Microsoft.KeyVault(";
export const UNRESOLVED_REFERENCE =
  "Key Vault reference not resolved: the secret it names does not exist or the app's identity cannot read it " +
  "(the deployment grants Key Vault Secrets User). Create the secret (docs/DEPLOY.md, \"After the first deployment\"), or remove the setting if that receiver is not used";

export interface ReadSettings {
  values: SettingValues;
  /** Whether a setting was given (not empty, not an unresolved reference), even when its value was refused. */
  given(name: SettingName): boolean;
}

/**
 * Reads every row from a flat name → value map, naming each problem by its
 * variable. An empty value counts as unset (Azure app settings often hold "").
 */
export function readSettingRows(raw: Record<string, string | undefined>, problems: SettingProblem[]): ReadSettings {
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const name of NAMES) {
    let value = typeof raw[name] === "string" ? raw[name].trim() || undefined : undefined;
    // App Service hands an unresolved Key Vault reference to the app as its own
    // text. Said as what it is, and the value treated as unset, so no reader
    // takes it for a malformed URL or, worse, sends it as a credential.
    if (value?.startsWith(KEY_VAULT_REFERENCE)) {
      problems.push({ variable: name, message: UNRESOLVED_REFERENCE });
      value = undefined;
    }
    if (value !== undefined) given.add(name);
    values[name] = (SCHEMA[name] as SettingRow<unknown>).parse(value, (message) => problems.push({ variable: name, message }));
  }
  for (const [name, replacement] of Object.entries(REMOVED_SETTINGS)) {
    if (raw[name]?.trim()) problems.push({ variable: name, message: `was removed: ${replacement}; remove the setting` });
  }
  return { values: values as SettingValues, given: (name) => given.has(name) };
}

import { z } from "zod";
import { Secret } from "../security/secret.js";
import { SERVICES, type ServiceId } from "../avepoint/model.js";
import { parseSchedule } from "./ncrontab.js";
import { parseEmailSettings, type EmailSettings } from "./email.js";
import { checkWebhookUrl, type WebhookUrl } from "./webhook-url.js";
import { ConfigError, type SettingProblem } from "./problems.js";
import type { StorageSettings } from "./storage.js";
import { parseRouting, type Routing } from "../routing/config.js";
import {
  AVEPOINT_ENVIRONMENTS,
  AVEPOINT_LOCATIONS,
  AVEPOINT_REGIONS,
  environmentOfRegion,
  type AvePointLocation,
  apiUrlFor,
  defaultRegionFor,
  isAllowedUrl,
  TOKEN_URLS,
  type AvePointEnvironment,
  type AvePointRegion,
} from "./environment.js";

export { ConfigError, type SettingProblem };
export type { StorageSettings };

export const API_PROFILES = ["auto", "seed", "current"] as const;
export type ApiProfile = (typeof API_PROFILES)[number];

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Final job states that can alert (In Progress and Finished never do). */
export const ALERTABLE_JOB_STATES = ["Failed", "FinishedException", "PartiallyFinished"] as const;
export type AlertableJobState = (typeof ALERTABLE_JOB_STATES)[number];

/** The API's JobType enum (0 = All is what "no filter" means). */
export const JOB_TYPES = { Backup: 1, Restore: 2, Export: 3, Delete: 4, Retention: 5 } as const;
export type JobTypeName = keyof typeof JOB_TYPES;

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

export interface MonitoringSettings {
  /** Failed cycles in a row before "Monitoring degraded" (MONITOR_FAILURE_THRESHOLD). */
  failureThreshold: number;
  /** Days before a credential's expiry the first warning goes out (CREDENTIAL_WARN_DAYS). */
  credentialWarnDays: number;
  /** AVEPOINT_CLIENT_SECRET_EXPIRES: when the client secret runs out (a certificate's expiry is read from it). */
  clientSecretExpiresAt?: Date;
  /** HEARTBEAT_URL: pinged after each successful cycle (a dead man's switch); a credential. */
  heartbeatUrl?: Secret;
}

export const BOT_APP_TYPES = ["MultiTenant", "SingleTenant", "UserAssignedMSI"] as const;

/** An Entra tenant id as Teams sends it in channelData.tenant.id. */
const TENANT_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export type BotAppType = (typeof BOT_APP_TYPES)[number];

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

/** A user principal name as Entra ID accepts it (user@domain); also safe inside Teams' `<at>` mention text. */
export const UPN_PATTERN = /^[A-Za-z0-9'_!#^~+-]+(?:\.[A-Za-z0-9'_!#^~+-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

// An empty value counts as unset (Azure app settings often hold "").
const optionalText = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : typeof v === "string" ? v.trim() : v),
  z.string().optional(),
);

const rawSchema = z.object({
  AVEPOINT_CLIENT_ID: optionalText,
  AVEPOINT_CLIENT_SECRET: optionalText,
  AVEPOINT_CERTIFICATE_PATH: optionalText,
  AVEPOINT_CERTIFICATE_PASSWORD: optionalText,
  AVEPOINT_CERTIFICATE: optionalText,
  AVEPOINT_ENVIRONMENT: optionalText,
  AVEPOINT_REGION: optionalText,
  AVEPOINT_LOCATION: optionalText,
  AVEPOINT_API_URL: optionalText,
  AVEPOINT_TOKEN_URL: optionalText,
  AVEPOINT_API_PROFILE: optionalText,
  AVEPOINT_PAGE_SIZE: optionalText,
  AVEPOINT_PAGE_CONCURRENCY: optionalText,
  AVEPOINT_PORTAL_URL: optionalText,
  LOG_LEVEL: optionalText,
  JOBS_SCHEDULE: optionalText,
  JOBS_LOOKBACK_HOURS: optionalText,
  JOBS_OVERLAP_MINUTES: optionalText,
  ALERT_JOB_STATES: optionalText,
  ALERT_JOB_TYPES: optionalText,
  BACKUP_MAX_AGE_HOURS: optionalText,
  WATCH_SERVICES: optionalText,
  BACKUP_START_GRACE_MINUTES: optionalText,
  JOB_MAX_RUNTIME_HOURS: optionalText,
  JOB_FAILED_OBJECTS_PERCENT: optionalText,
  JOB_SKIPPED_GROWTH_RUNS: optionalText,
  ALERT_UNUSUAL_ACTIVITY: optionalText,
  ALERT_TENANT_NAME: optionalText,
  ALERT_GROUP_THRESHOLD: optionalText,
  ALERT_SEND_RESOLVED: optionalText,
  LICENSE_SCHEDULE: optionalText,
  LICENSE_WARN_PERCENT: optionalText,
  LICENSE_CRITICAL_PERCENT: optionalText,
  LICENSE_HYSTERESIS_PERCENT: optionalText,
  LICENSE_REMIND_HOURS: optionalText,
  TEAMS_WEBHOOK_URL: optionalText,
  EMAIL_TO: optionalText,
  ALERT_ROUTES_FILE: optionalText,
  ALERT_ROUTES: optionalText,
  EMAIL_FROM: optionalText,
  EMAIL_TRANSPORT: optionalText,
  EMAIL_GRAPH_TENANT_ID: optionalText,
  EMAIL_GRAPH_CLIENT_ID: optionalText,
  EMAIL_GRAPH_CLIENT_SECRET: optionalText,
  EMAIL_GRAPH_CERTIFICATE: optionalText,
  EMAIL_GRAPH_BASE_URL: optionalText,
  SMTP_HOST: optionalText,
  SMTP_PORT: optionalText,
  SMTP_SECURE: optionalText,
  SMTP_REQUIRE_TLS: optionalText,
  SMTP_USER: optionalText,
  SMTP_PASSWORD: optionalText,
  SMTP_AUTH: optionalText,
  TEAMS_BOT_APP_ID: optionalText,
  TEAMS_BOT_APP_TYPE: optionalText,
  TEAMS_BOT_TENANT_ID: optionalText,
  TEAMS_BOT_ALLOWED_TENANTS: optionalText,
  TEAMS_BOT_APP_PASSWORD: optionalText,
  TEAMS_BOT_CERTIFICATE: optionalText,
  ESCALATE_AFTER_MINUTES: optionalText,
  ESCALATION_RECEIVER: optionalText,
  ONCALL_UPN: optionalText,
  AzureWebJobsStorage: optionalText,
  ALERTS_STORAGE_CONNECTION: optionalText,
  ALERTS_STORAGE_ACCOUNT_URL: optionalText,
  AZURE_CLIENT_ID: optionalText,
  ALERTS_TABLE_PREFIX: optionalText,
  LEDGER_RETENTION_DAYS: optionalText,
  MONITOR_FAILURE_THRESHOLD: optionalText,
  CREDENTIAL_WARN_DAYS: optionalText,
  AVEPOINT_CLIENT_SECRET_EXPIRES: optionalText,
  HEARTBEAT_URL: optionalText,
});
type Raw = z.infer<typeof rawSchema>;

export const SCHEMA_VARIABLES: readonly string[] = Object.keys(rawSchema.shape);

export interface ParseOptions {
  /**
   * Whether the monitors will run: AvePoint credentials, ledger storage and a
   * receiver are then required (false only for tooling such as the demo).
   */
  requireAvePoint?: boolean;
}

const KEY_VAULT_REFERENCE = "@Microsoft.KeyVault(";
const UNRESOLVED_REFERENCE =
  "Key Vault reference not resolved: the secret it names does not exist or the app's identity cannot read it " +
  "(the deployment grants Key Vault Secrets User). Create the secret (docs/DEPLOY.md, \"After the first deployment\"), or remove the setting if that receiver is not used";

/**
 * Parses settings from a flat name → value map. Every problem is collected and
 * reported at once, each naming its variable; secret values are never echoed.
 */
export function parseSettings(values: Record<string, string | undefined>, options: ParseOptions = {}): Settings {
  const problems: SettingProblem[] = [];
  const problem = (variable: string, message: string) => problems.push({ variable, message });
  // App Service hands an unresolved Key Vault reference to the app as its own
  // text. Said as what it is, and the value treated as unset, so no check below
  // reads it as a malformed URL or, worse, sends it as a credential.
  const resolved: Record<string, string | undefined> = { ...values };
  for (const variable of Object.keys(rawSchema.shape)) {
    if (!values[variable]?.trim().startsWith(KEY_VAULT_REFERENCE)) continue;
    problem(variable, UNRESOLVED_REFERENCE);
    delete resolved[variable];
  }
  const raw: Raw = rawSchema.parse(resolved);

  const oneOf = <T extends string>(variable: keyof Raw, allowed: readonly T[], fallback: T): T => {
    const value = raw[variable];
    if (value === undefined) return fallback;
    const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (!match) problem(variable, `must be one of ${allowed.join(", ")} (got "${value}")`);
    return match ?? fallback;
  };
  const integer = (variable: keyof Raw, fallback: number, min: number, max: number): number => {
    const value = raw[variable];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      problem(variable, `must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return n;
  };
  const percent = (variable: keyof Raw, fallback: number): number => {
    const value = raw[variable];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 1000) {
      problem(variable, `must be a number of percent above 0 and at most 1000 (got "${value}")`);
      return fallback;
    }
    return n;
  };
  const bool = (variable: keyof Raw, fallback: boolean): boolean => {
    const value = raw[variable]?.toLowerCase();
    if (value === undefined) return fallback;
    if (["true", "1", "yes", "on"].includes(value)) return true;
    if (["false", "0", "no", "off"].includes(value)) return false;
    problem(variable, `must be true or false (got "${raw[variable]}")`);
    return fallback;
  };
  const url = (variable: keyof Raw, secret = false): string | undefined => {
    const value = raw[variable];
    if (value === undefined) return undefined;
    if (!isAllowedUrl(value)) {
      problem(
        variable,
        `must be an https URL (plain http only to 127.0.0.1, localhost or [::1])${secret ? "" : ` (got "${value}")`}`,
      );
      return undefined;
    }
    return value.replace(/\/+$/, "");
  };
  const list = <T extends string>(variable: keyof Raw, allowed: readonly T[]): T[] | undefined => {
    const value = raw[variable];
    if (value === undefined) return undefined;
    const out: T[] = [];
    for (const item of value.split(",").map((s) => s.trim()).filter(Boolean)) {
      const norm = item.replace(/[\s_-]/g, "").toLowerCase();
      const match = allowed.find((a) => a.toLowerCase() === norm);
      if (!match) problem(variable, `"${item}" is not one of ${allowed.join(", ")}`);
      else if (!out.includes(match)) out.push(match);
    }
    if (out.length === 0 && !problems.some((p) => p.variable === variable)) {
      problem(variable, `lists nothing; leave it unset for the default`);
    }
    return out;
  };
  const schedule = (variable: keyof Raw, fallback: string): string => {
    const value = raw[variable] ?? fallback;
    // NCRONTAB as Azure Functions reads it: six fields (with seconds), or a TimeSpan such as 00:05:00.
    try {
      parseSchedule(value);
    } catch (err) {
      problem(variable, `must be a six-field NCRONTAB expression such as "0 */5 * * * *": ${(err as Error).message}`);
    }
    return value;
  };

  // --- AvePoint ------------------------------------------------------------
  const requireAvePoint = options.requireAvePoint ?? true;
  const clientId = raw.AVEPOINT_CLIENT_ID ?? "";
  if (requireAvePoint && !clientId) problem("AVEPOINT_CLIENT_ID", "is required: the application (client) id of the AvePoint app registration");

  const given = (["AVEPOINT_CLIENT_SECRET", "AVEPOINT_CERTIFICATE", "AVEPOINT_CERTIFICATE_PATH"] as const).filter(
    (v) => raw[v] !== undefined,
  );
  let credential: AvePointCredential = { kind: "secret", secret: new Secret("") };
  if (given.length > 1) {
    problem(given.join(", "), `give exactly one credential: a client secret, or a certificate (AVEPOINT_CERTIFICATE or AVEPOINT_CERTIFICATE_PATH); ${given.length} are set`);
  } else if (given.length === 0) {
    if (requireAvePoint) {
      problem("AVEPOINT_CLIENT_SECRET, AVEPOINT_CERTIFICATE, AVEPOINT_CERTIFICATE_PATH", "no credential: set a client secret or a certificate");
    }
  } else if (raw.AVEPOINT_CLIENT_SECRET !== undefined) {
    credential = { kind: "secret", secret: new Secret(raw.AVEPOINT_CLIENT_SECRET) };
    if (raw.AVEPOINT_CERTIFICATE_PASSWORD !== undefined) {
      problem("AVEPOINT_CERTIFICATE_PASSWORD", "is set but no certificate is: remove it, or use a certificate instead of AVEPOINT_CLIENT_SECRET");
    }
  } else if (raw.AVEPOINT_CERTIFICATE !== undefined) {
    const pem = raw.AVEPOINT_CERTIFICATE.replace(/\\n/g, "\n");
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem) || !/-----BEGIN CERTIFICATE-----/.test(pem)) {
      problem("AVEPOINT_CERTIFICATE", "must hold a PEM certificate and its private key (-----BEGIN CERTIFICATE----- and -----BEGIN ... PRIVATE KEY-----)");
    }
    credential = {
      kind: "certificate",
      source: "value",
      pem: new Secret(pem),
      ...(raw.AVEPOINT_CERTIFICATE_PASSWORD !== undefined ? { password: new Secret(raw.AVEPOINT_CERTIFICATE_PASSWORD) } : {}),
    };
  } else if (raw.AVEPOINT_CERTIFICATE_PATH !== undefined) {
    credential = {
      kind: "certificate",
      source: "file",
      path: raw.AVEPOINT_CERTIFICATE_PATH,
      ...(raw.AVEPOINT_CERTIFICATE_PASSWORD !== undefined ? { password: new Secret(raw.AVEPOINT_CERTIFICATE_PASSWORD) } : {}),
    };
  }

  const environment = oneOf("AVEPOINT_ENVIRONMENT", AVEPOINT_ENVIRONMENTS, "commercial");
  const region = oneOf("AVEPOINT_REGION", AVEPOINT_REGIONS, defaultRegionFor(environment));
  const apiUrl = url("AVEPOINT_API_URL") ?? apiUrlFor(region);
  const tokenUrl = url("AVEPOINT_TOKEN_URL") ?? TOKEN_URLS[environment];
  // A commercial token does not open the Gov API host (and the other way round): both must name one environment.
  if (raw.AVEPOINT_API_URL === undefined && raw.AVEPOINT_TOKEN_URL === undefined && environmentOfRegion(region) !== environment) {
    problem(
      "AVEPOINT_REGION",
      `the ${region} data center belongs to the ${environmentOfRegion(region)} environment, but AVEPOINT_ENVIRONMENT is ${environment}; set AVEPOINT_ENVIRONMENT=${environmentOfRegion(region)} or a region of ${environment}`,
    );
  }
  const location = raw.AVEPOINT_LOCATION === undefined ? undefined : oneOf("AVEPOINT_LOCATION", AVEPOINT_LOCATIONS, "PrimaryGeoLocation");
  const profile = oneOf("AVEPOINT_API_PROFILE", API_PROFILES, "auto");
  const pageSize = integer("AVEPOINT_PAGE_SIZE", 100, 1, 1000);
  const pageConcurrency = integer("AVEPOINT_PAGE_CONCURRENCY", 4, 1, 16);
  const portalUrl = url("AVEPOINT_PORTAL_URL") ?? "https://www.avepointonlineservices.com";
  const logLevel = oneOf("LOG_LEVEL", LOG_LEVELS, "info");

  // --- Jobs ----------------------------------------------------------------
  const jobs = {
    schedule: schedule("JOBS_SCHEDULE", "0 */5 * * * *"),
    lookbackHours: integer("JOBS_LOOKBACK_HOURS", 24, 1, 720),
    overlapMinutes: integer("JOBS_OVERLAP_MINUTES", 15, 0, 1440),
    alertStates: list("ALERT_JOB_STATES", ALERTABLE_JOB_STATES) ?? [...ALERTABLE_JOB_STATES],
    jobTypes: list("ALERT_JOB_TYPES", Object.keys(JOB_TYPES) as JobTypeName[]) ?? [],
  };

  // --- Backup health rules -------------------------------------------------
  const watchServices = parseWatchServices(raw.WATCH_SERVICES);
  if (typeof watchServices === "string") problem("WATCH_SERVICES", watchServices);
  const failedObjectsPercent = raw.JOB_FAILED_OBJECTS_PERCENT === undefined ? null : Number(raw.JOB_FAILED_OBJECTS_PERCENT);
  if (failedObjectsPercent !== null && !(Number.isFinite(failedObjectsPercent) && failedObjectsPercent >= 0 && failedObjectsPercent < 100)) {
    problem("JOB_FAILED_OBJECTS_PERCENT", `must be a number of percent from 0 to below 100, or unset for off (got "${raw.JOB_FAILED_OBJECTS_PERCENT}")`);
  }
  const health: HealthSettings = {
    backupMaxAgeHours: integer("BACKUP_MAX_AGE_HOURS", 26, 0, 24 * 30),
    watchServices: typeof watchServices === "string" ? null : watchServices,
    backupStartGraceMinutes: integer("BACKUP_START_GRACE_MINUTES", 120, 0, 24 * 60),
    jobMaxRuntimeHours: integer("JOB_MAX_RUNTIME_HOURS", 12, 0, 24 * 30),
    jobFailedObjectsPercent: failedObjectsPercent !== null && Number.isFinite(failedObjectsPercent) ? failedObjectsPercent : null,
    jobSkippedGrowthRuns: integer("JOB_SKIPPED_GROWTH_RUNS", 3, 0, 18),
    unusualActivity: bool("ALERT_UNUSUAL_ACTIVITY", true),
  };

  // --- Alerts --------------------------------------------------------------
  const tenantName = raw.ALERT_TENANT_NAME ?? "default";
  if (tenantName.length > 100 || /[\\/#?\u0000-\u001f\u007f-\u009f]/.test(tenantName)) {
    problem("ALERT_TENANT_NAME", "must be at most 100 characters without / \\ # ? or control characters (it keys the ledger)");
  }
  const alerts = {
    tenantName,
    groupThreshold: integer("ALERT_GROUP_THRESHOLD", 3, 1, 1000),
    sendResolved: bool("ALERT_SEND_RESOLVED", true),
  };

  // --- License -------------------------------------------------------------
  const license = {
    schedule: schedule("LICENSE_SCHEDULE", "0 0 * * * *"),
    warnPercent: percent("LICENSE_WARN_PERCENT", 90),
    criticalPercent: percent("LICENSE_CRITICAL_PERCENT", 100),
    hysteresisPercent: integer("LICENSE_HYSTERESIS_PERCENT", 2, 0, 50),
    remindHours: integer("LICENSE_REMIND_HOURS", 24, 0, 24 * 365),
  };
  if (license.warnPercent > license.criticalPercent) {
    problem("LICENSE_WARN_PERCENT", `must not be above LICENSE_CRITICAL_PERCENT (${license.warnPercent} > ${license.criticalPercent})`);
  }

  // --- Delivery ------------------------------------------------------------
  const teams: Settings["teams"] = {};
  if (raw.TEAMS_WEBHOOK_URL !== undefined) {
    const webhook = checkWebhookUrl(raw.TEAMS_WEBHOOK_URL);
    if ("problem" in webhook) problem("TEAMS_WEBHOOK_URL", webhook.problem);
    else teams.webhookUrl = webhook.url;
  }

  // --- Teams bot -----------------------------------------------------------
  let bot: BotSettings | undefined;
  // SingleTenant unless told: Azure has not created multi-tenant bots since July 2025 (MultiTenant is for older registrations).
  const botAppType = oneOf("TEAMS_BOT_APP_TYPE", BOT_APP_TYPES, "SingleTenant");
  const escalation: EscalationSettings = { afterMinutes: integer("ESCALATE_AFTER_MINUTES", 30, 0, 7 * 24 * 60) };
  if (raw.ONCALL_UPN !== undefined) {
    if (raw.ONCALL_UPN.length > 113 || !UPN_PATTERN.test(raw.ONCALL_UPN)) problem("ONCALL_UPN", "must be a user principal name such as oncall@contoso.com (the Teams user to @mention on an escalation)");
    else escalation.oncallUpn = raw.ONCALL_UPN;
  }
  if (raw.TEAMS_BOT_APP_ID !== undefined) {
    const tenantId = raw.TEAMS_BOT_TENANT_ID?.toLowerCase() ?? "";
    if (!tenantId) problem("TEAMS_BOT_TENANT_ID", "is required: the Entra tenant id (a GUID) of the bot's app registration or managed identity; only this tenant's Teams can use the bot unless TEAMS_BOT_ALLOWED_TENANTS says otherwise");
    else if (!TENANT_GUID.test(tenantId)) problem("TEAMS_BOT_TENANT_ID", `must be the tenant id as a GUID, as Teams sends it with every activity (got "${tenantId.slice(0, 60)}")`);
    const allowedTenants = raw.TEAMS_BOT_ALLOWED_TENANTS === undefined ? [tenantId] : raw.TEAMS_BOT_ALLOWED_TENANTS.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
    const notTenants = allowedTenants.filter((t) => !TENANT_GUID.test(t));
    if (raw.TEAMS_BOT_ALLOWED_TENANTS !== undefined && (allowedTenants.length === 0 || notTenants.length > 0)) {
      problem("TEAMS_BOT_ALLOWED_TENANTS", `must be a comma-separated list of tenant ids (GUIDs)${notTenants.length > 0 ? `; not a tenant id: ${notTenants.map((t) => `"${t.slice(0, 40)}"`).join(", ")}` : ""}`);
    }
    bot = { appId: raw.TEAMS_BOT_APP_ID, appType: botAppType, tenantId, allowedTenants, escalation };
    const botSecrets = (["TEAMS_BOT_APP_PASSWORD", "TEAMS_BOT_CERTIFICATE"] as const).filter((v) => raw[v] !== undefined);
    if (botAppType === "UserAssignedMSI") {
      if (botSecrets.length > 0) problem(botSecrets.join(", "), "must be unset for UserAssignedMSI: the bot signs in as the managed identity");
    } else if (botSecrets.length !== 1) {
      problem("TEAMS_BOT_APP_PASSWORD, TEAMS_BOT_CERTIFICATE", `give exactly one credential for the bot's app registration (${botSecrets.length} set), or use TEAMS_BOT_APP_TYPE=UserAssignedMSI`);
    } else if (raw.TEAMS_BOT_APP_PASSWORD !== undefined) {
      bot.credential = { kind: "secret", secret: new Secret(raw.TEAMS_BOT_APP_PASSWORD) };
    } else if (raw.TEAMS_BOT_CERTIFICATE !== undefined) {
      const pem = raw.TEAMS_BOT_CERTIFICATE.replace(/\\n/g, "\n");
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem) || !/-----BEGIN CERTIFICATE-----/.test(pem)) {
        problem("TEAMS_BOT_CERTIFICATE", "must hold a PEM certificate and its private key (-----BEGIN CERTIFICATE----- and -----BEGIN ... PRIVATE KEY-----)");
      }
      bot.credential = { kind: "certificate", pem: new Secret(pem) };
    }
  } else {
    for (const v of ["TEAMS_BOT_TENANT_ID", "TEAMS_BOT_ALLOWED_TENANTS", "TEAMS_BOT_APP_PASSWORD", "TEAMS_BOT_CERTIFICATE"] as const) {
      if (raw[v] !== undefined) problem(v, "is set but TEAMS_BOT_APP_ID is not: set the bot's app id, or remove it");
    }
    // Escalation needs an acknowledgement to wait for, and only bot cards can be acknowledged.
    for (const v of ["ESCALATION_RECEIVER", "ONCALL_UPN"] as const) {
      if (raw[v] !== undefined) problem(v, "is set but TEAMS_BOT_APP_ID is not: escalation applies to alerts the Teams bot posted (only those can be acknowledged); set up the bot, or remove it");
    }
  }

  // --- Email ---------------------------------------------------------------
  const email = parseEmailSettings(raw, { problem, integer, bool, url: (variable) => url(variable) });

  // --- Routing -------------------------------------------------------------
  // `values`, not `raw`: a receiver's urlFrom may name any setting.
  const routed = parseRouting({
    values,
    ...(teams.webhookUrl ? { teamsWebhookUrl: teams.webhookUrl } : {}),
    ...(email ? { emailTo: email.to } : {}),
    teamsBot: bot !== undefined,
  });
  for (const p of routed.problems) problem(p.variable, p.message);
  const routing = routed.routing;
  if (bot && raw.ESCALATION_RECEIVER !== undefined) {
    const names = routing.receivers.map((r) => r.name);
    if (names.includes(raw.ESCALATION_RECEIVER)) bot.escalation.receiver = raw.ESCALATION_RECEIVER;
    else problem("ESCALATION_RECEIVER", `"${raw.ESCALATION_RECEIVER.slice(0, 40)}" is not a receiver; the receivers are ${names.join(", ") || "none"} (${routing.source === "default" ? "from TEAMS_WEBHOOK_URL, EMAIL_TO and TEAMS_BOT_APP_ID" : `declared in ${routing.source}`})`);
  }
  const routingVariable = routing.source === "default" ? undefined : routing.source;
  if (routingVariable) {
    for (const r of routing.receivers) {
      if (r.type === "email" && !email && raw.EMAIL_TO === undefined) {
        problem(routingVariable, `receivers.${r.name}: an email receiver needs the email settings: set EMAIL_FROM and EMAIL_TO (the \`email\` receiver's recipients), and Graph or SMTP`);
      }
      if (r.type === "teams-bot" && raw.TEAMS_BOT_APP_ID === undefined) {
        problem(routingVariable, `receivers.${r.name}: a teams-bot receiver needs the bot's settings: set TEAMS_BOT_APP_ID (and its credential)`);
      }
    }
  }

  // --- Storage -------------------------------------------------------------
  let storage: StorageSettings | undefined;
  if (raw.ALERTS_STORAGE_ACCOUNT_URL !== undefined) {
    const accountUrl = url("ALERTS_STORAGE_ACCOUNT_URL");
    if (accountUrl) {
      storage = { kind: "accountUrl", url: accountUrl, ...(raw.AZURE_CLIENT_ID ? { managedIdentityClientId: raw.AZURE_CLIENT_ID } : {}) };
    }
  } else if (raw.ALERTS_STORAGE_CONNECTION !== undefined) {
    storage = { kind: "connectionString", connectionString: new Secret(raw.ALERTS_STORAGE_CONNECTION), variable: "ALERTS_STORAGE_CONNECTION" };
  } else if (raw.AzureWebJobsStorage !== undefined && raw.AzureWebJobsStorage.includes("=")) {
    storage = { kind: "connectionString", connectionString: new Secret(raw.AzureWebJobsStorage), variable: "AzureWebJobsStorage" };
  }
  for (const variable of ["ALERTS_STORAGE_CONNECTION", "AzureWebJobsStorage"] as const) {
    const value = raw[variable];
    if (storage?.kind === "connectionString" && storage.variable === variable && value !== undefined && value !== "UseDevelopmentStorage=true" && !/(AccountName|TableEndpoint)=/i.test(value)) {
      problem(variable, "is not a storage connection string (expected AccountName=... or TableEndpoint=...)");
    }
  }

  const tablePrefix = raw.ALERTS_TABLE_PREFIX ?? "cba";
  if (!/^[A-Za-z][A-Za-z0-9]{0,29}$/.test(tablePrefix)) {
    problem("ALERTS_TABLE_PREFIX", "must start with a letter and hold only letters and digits, at most 30");
  }
  const ledgerRetentionDays = integer("LEDGER_RETENTION_DAYS", 30, 1, 3650);

  if (requireAvePoint && !storage && !problems.some((p) => /STORAGE/i.test(p.variable))) {
    problem(
      "AzureWebJobsStorage, ALERTS_STORAGE_CONNECTION, ALERTS_STORAGE_ACCOUNT_URL",
      "no storage for the alert ledger: set a connection string (UseDevelopmentStorage=true for Azurite) or a table endpoint reached with a managed identity",
    );
  }
  if (requireAvePoint && routing.source === "default" && raw.TEAMS_WEBHOOK_URL === undefined && raw.TEAMS_BOT_APP_ID === undefined && raw.EMAIL_TO === undefined) {
    problem("TEAMS_WEBHOOK_URL, EMAIL_TO", "no receiver: set the Teams Workflows webhook URL alerts are posted to, and/or the email recipients");
  }

  // --- Monitoring the monitor ----------------------------------------------
  const monitoring: MonitoringSettings = {
    failureThreshold: integer("MONITOR_FAILURE_THRESHOLD", 3, 1, 1000),
    credentialWarnDays: integer("CREDENTIAL_WARN_DAYS", 30, 1, 365),
  };
  const secretExpires = raw.AVEPOINT_CLIENT_SECRET_EXPIRES;
  if (secretExpires !== undefined) {
    // A date (end of that day, UTC) or a full ISO time with an offset.
    const at = /^\d{4}-\d{2}-\d{2}$/.test(secretExpires) ? new Date(`${secretExpires}T23:59:59Z`) : /^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:?\d{2})$/i.test(secretExpires) ? new Date(secretExpires) : new Date(NaN);
    if (!Number.isFinite(at.getTime())) problem("AVEPOINT_CLIENT_SECRET_EXPIRES", `must be an ISO date such as 2027-03-31 (got "${secretExpires}")`);
    else if (raw.AVEPOINT_CLIENT_SECRET === undefined) problem("AVEPOINT_CLIENT_SECRET_EXPIRES", "is set but no AVEPOINT_CLIENT_SECRET is: a certificate's expiry is read from the certificate itself");
    else monitoring.clientSecretExpiresAt = at;
  }
  const heartbeatUrl = url("HEARTBEAT_URL", true);
  if (heartbeatUrl !== undefined) monitoring.heartbeatUrl = new Secret(heartbeatUrl);

  // "Set one of A, B" says nothing new when A is set but its reference did not resolve.
  const unresolved = new Set(problems.filter((p) => p.message === UNRESOLVED_REFERENCE).map((p) => p.variable));
  const relevant = problems.filter((p) => p.message === UNRESOLVED_REFERENCE || !p.variable.split(", ").some((v) => unresolved.has(v)));
  if (relevant.length > 0) throw new ConfigError(relevant);

  return {
    avepoint: { clientId, credential, environment, region, ...(location !== undefined ? { location } : {}), apiUrl, tokenUrl, profile, pageSize, pageConcurrency, portalUrl },
    logLevel,
    jobs,
    health,
    alerts,
    license,
    teams,
    ...(bot ? { bot } : {}),
    ...(email ? { email } : {}),
    routing,
    ...(storage ? { storage } : {}),
    tablePrefix,
    ledgerRetentionDays,
    monitoring,
  };
}

export interface HealthSettings {
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

/** Names compared without case, spaces or punctuation; "Exchange" for "Exchange Online", "Groups" for "Microsoft 365 Groups". */
function serviceKeys(name: string): string[] {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  return [key, key.replace(/online$/, ""), key.replace(/^microsoft365/, "")];
}

/** WATCH_SERVICES: "auto" (or unset) → null; else services by name or ObjectType number; a string is the problem. */
export function parseWatchServices(value: string | undefined): ServiceId[] | null | string {
  if (value === undefined || value.trim().toLowerCase() === "auto") return null;
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
  if (unknown.length > 0 || services.length === 0) {
    return `must be "auto" or a comma-separated list of services (${Object.values(SERVICES).join(", ")}) or their numbers 1-12${unknown.length > 0 ? `; not known: ${unknown.map((u) => `"${u.slice(0, 40)}"`).join(", ")}` : ""}`;
  }
  return services;
}

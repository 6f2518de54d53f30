/**
 * Every setting the application reads, in one place: the config schema parses
 * these names, docs/SETTINGS.md documents them, and the infra tests check that the
 * Bicep sets them. Adding a setting means adding it here first.
 */
export interface SettingInfo {
  /** Environment variable / app setting name. */
  readonly name: string;
  /** What it means, for the settings table (docs/SETTINGS.md). */
  readonly description: string;
  /** Default as shown to users; undefined = no default. */
  readonly default?: string;
  /** Holds a credential: never echoed, stored in Key Vault in Azure. */
  readonly secret?: boolean;
  /** Who sets it in Azure: the Bicep (`infra`), the platform itself, or only local runs. */
  readonly scope: "infra" | "platform" | "local-only";
}

export const SETTINGS: readonly SettingInfo[] = [
  // AvePoint connection
  { name: "AVEPOINT_CLIENT_ID", description: "Application (client) id of the AvePoint app registration", scope: "infra" },
  { name: "AVEPOINT_CLIENT_SECRET", description: "Client secret of the app registration (give this or a certificate)", secret: true, scope: "infra" },
  { name: "AVEPOINT_CERTIFICATE_PATH", description: "Path of a PEM (certificate + private key) or PFX file", scope: "local-only" },
  { name: "AVEPOINT_CERTIFICATE_PASSWORD", description: "Password of the PFX file or encrypted PEM key", secret: true, scope: "local-only" },
  { name: "AVEPOINT_CERTIFICATE", description: "The PEM (certificate + private key) as a value, e.g. from a Key Vault reference", secret: true, scope: "infra" },
  { name: "AVEPOINT_ENVIRONMENT", description: "`commercial`, `gov`, `aos2` or `fedramp`: picks the token URL", default: "commercial", scope: "infra" },
  { name: "AVEPOINT_REGION", description: "Data center (`us`, `au`, `sg`, `ca`, `ne`, `we`, `fr`, `de`, `jp`, `kr`, `ch`, `uk`, `uae`, `za`, `qa`, `gov`, `aos2`, `gcp-au`, `gcp-jp`, `gcp-us`, `gcp-we`, `gcp-kr`, `fedramp`): picks the API URL", default: "`us` (`gov`, `aos2`, `fedramp` for those environments)", scope: "infra" },
  { name: "AVEPOINT_LOCATION", description: "Multi-Geo tenants: the location whose backup schedule the missed-start rule reads (`NAM`, `EUR`, `GBR`, `JPN`, `APC`, ... as AvePoint names them); job listings always cover every location", default: "the central location", scope: "infra" },
  { name: "AVEPOINT_API_URL", description: "Explicit API base URL (overrides the region)", default: "derived from the region", scope: "infra" },
  { name: "AVEPOINT_TOKEN_URL", description: "Explicit token URL (overrides the environment)", default: "derived from the environment", scope: "infra" },
  { name: "AVEPOINT_API_PROFILE", description: "`auto` (find the revision whose paths answer, today's first, and learn how it reads times and pages; see How it reads AvePoint), or pin `current` (`/backup/m365/...`, ISO times) or `seed` (the pre-Dec-2024 `/cloudbackup/...`, epoch times)", default: "auto", scope: "infra" },
  { name: "AVEPOINT_PAGE_SIZE", description: "Jobs requested per page (1-1000)", default: "100", scope: "infra" },
  { name: "AVEPOINT_PAGE_CONCURRENCY", description: "Pages of one jobs listing requested at once once its first page gave TotalCount (1-16; 1 = one after another); each honours 429 and Retry-After", default: "4", scope: "infra" },
  { name: "AVEPOINT_PORTAL_URL", description: "Where the card's button leads", default: "https://www.avepointonlineservices.com", scope: "infra" },
  { name: "LOG_LEVEL", description: "`error`, `warn`, `info` or `debug`", default: "info", scope: "infra" },
  // Jobs monitor
  { name: "JOBS_SCHEDULE", description: "NCRONTAB schedule of the jobs monitor", default: "0 */5 * * * *", scope: "infra" },
  { name: "JOBS_LOOKBACK_HOURS", description: "How far back the first cycle reads (1-720)", default: "24", scope: "infra" },
  { name: "JOBS_OVERLAP_MINUTES", description: "How far before the watermark later cycles start reading (0-1440)", default: "15", scope: "infra" },
  { name: "ALERT_JOB_STATES", description: "Comma-separated final states that alert: `Failed`, `FinishedException`, `PartiallyFinished`", default: "all three", scope: "infra" },
  { name: "ALERT_JOB_TYPES", description: "Comma-separated job types to watch: `Backup`, `Restore`, `Export`, `Delete`, `Retention`", default: "all", scope: "infra" },
  // Backup health rules
  { name: "BACKUP_MAX_AGE_HOURS", description: "Alert (critical) when a watched service has had no successful backup for this many hours (0 = off)", default: "26", scope: "infra" },
  { name: "WATCH_SERVICES", description: "Services the missed-backup rule watches: `auto` (every service with a successful backup lately) or a comma-separated list such as `Exchange Online, SharePoint Online, OneDrive, Teams`", default: "auto", scope: "infra" },
  { name: "BACKUP_START_GRACE_MINUTES", description: "Alert when a scheduled backup has not started this many minutes after its scheduled time (`current` profile; 0 = off)", default: "120", scope: "infra" },
  { name: "JOB_MAX_RUNTIME_HOURS", description: "Alert (warning) when a job has been In Progress for longer than this many hours (0 = off)", default: "12", scope: "infra" },
  { name: "JOB_FAILED_OBJECTS_PERCENT", description: "Alert (warning) when a finished job's failed + skipped objects exceed this percent of its total (unset = off)", default: "off", scope: "infra" },
  { name: "JOB_SKIPPED_GROWTH_RUNS", description: "Alert (warning) when a service skips more objects in this many backup runs in a row (0 = off)", default: "3", scope: "infra" },
  { name: "ALERT_UNUSUAL_ACTIVITY", description: "Alert (critical) when Cloud Backup's unusual-activity or ransomware counts rise (`current` profile; needs the permission `microsoft365backup.unusualActivity.read.all`)", default: "true", scope: "infra" },
  // Alerts
  { name: "ALERT_TENANT_NAME", description: "Tenant label shown on every alert (and the ledger partition)", default: "default", scope: "infra" },
  { name: "ALERT_GROUP_THRESHOLD", description: "More new alerts than this for one destination in one cycle are sent as a digest", default: "3", scope: "infra" },
  { name: "ALERT_SEND_RESOLVED", description: "Post a \"Resolved\" card when a service with an open failure backs up successfully again", default: "true", scope: "infra" },
  // License monitor
  { name: "LICENSE_SCHEDULE", description: "NCRONTAB schedule of the license monitor", default: "0 0 * * * *", scope: "infra" },
  { name: "LICENSE_WARN_PERCENT", description: "Seats or storage use at which a warning is sent", default: "90", scope: "infra" },
  { name: "LICENSE_CRITICAL_PERCENT", description: "Seats or storage use at which a critical alert is sent", default: "100", scope: "infra" },
  { name: "LICENSE_HYSTERESIS_PERCENT", description: "Points below the warning threshold a metric must fall to count as resolved", default: "2", scope: "infra" },
  { name: "LICENSE_REMIND_HOURS", description: "Remind about a metric still critical every N hours (0 = never)", default: "24", scope: "infra" },
  // Delivery
  { name: "TEAMS_WEBHOOK_URL", description: "Teams Workflows webhook URL (a credential: keep it in Key Vault)", secret: true, scope: "infra" },
  { name: "TEAMS_BOT_APP_ID", description: "Microsoft App id of the Teams bot (Azure Bot); set it to deliver through the bot as receiver `teams-bot`", scope: "infra" },
  { name: "TEAMS_BOT_APP_TYPE", description: "How the bot signs in: `SingleTenant` (when unset), `UserAssignedMSI` (the app id is then the managed identity's client id; what deployBot sets up) or `MultiTenant` (legacy registrations from before August 2025 only)", scope: "infra" },
  { name: "TEAMS_BOT_TENANT_ID", description: "Entra tenant id (GUID) of the bot's app registration or identity; required with TEAMS_BOT_APP_ID", scope: "infra" },
  { name: "TEAMS_BOT_ALLOWED_TENANTS", description: "Comma-separated tenant ids (GUIDs) whose Teams may install and use the bot; activities from any other tenant are refused and logged", default: "TEAMS_BOT_TENANT_ID", scope: "infra" },
  { name: "TEAMS_BOT_APP_PASSWORD", description: "Client secret of the bot's app registration (`SingleTenant`/`MultiTenant`; or use a certificate)", secret: true, scope: "infra" },
  { name: "TEAMS_BOT_CERTIFICATE", description: "PEM certificate and private key of the bot's app registration, instead of a client secret", secret: true, scope: "infra" },
  { name: "ESCALATE_AFTER_MINUTES", description: "Escalate a critical alert the Teams bot posted when nobody acknowledged it within this many minutes, once (0 = off; only bot cards can be acknowledged)", default: "30", scope: "infra" },
  { name: "ESCALATION_RECEIVER", description: "Receiver an escalation goes to: a receiver of the routing (or `teams`, `email`, `teams-bot` without one); when unset, the card is posted again through the bot", scope: "infra" },
  { name: "ONCALL_UPN", description: "User principal name (oncall@contoso.com) @mentioned on an escalation in Teams and named in its email", scope: "infra" },
  { name: "EMAIL_TO", description: "Comma-separated email addresses alerts are sent to (receiver `email`); empty: no email", scope: "infra" },
  { name: "EMAIL_FROM", description: "Mailbox alerts are sent from (required with EMAIL_TO)", scope: "infra" },
  { name: "EMAIL_TRANSPORT", description: "`graph` (Microsoft Graph sendMail) or `smtp`", default: "`graph`; `smtp` when only SMTP_HOST is set", scope: "infra" },
  { name: "EMAIL_GRAPH_TENANT_ID", description: "Entra tenant id of the app registration that sends mail (with a client secret or certificate)", scope: "infra" },
  { name: "EMAIL_GRAPH_CLIENT_ID", description: "Application (client) id of that app registration; without a secret or certificate the managed identity (AZURE_CLIENT_ID) sends", scope: "infra" },
  { name: "EMAIL_GRAPH_CLIENT_SECRET", description: "Client secret of the app registration that sends mail", secret: true, scope: "infra" },
  { name: "EMAIL_GRAPH_CERTIFICATE", description: "PEM certificate and private key of the app registration that sends mail, instead of a secret", secret: true, scope: "infra" },
  { name: "EMAIL_GRAPH_BASE_URL", description: "Microsoft Graph endpoint (national clouds, tests)", default: "https://graph.microsoft.com", scope: "infra" },
  { name: "SMTP_HOST", description: "SMTP server for EMAIL_TRANSPORT=smtp", scope: "infra" },
  { name: "SMTP_PORT", description: "SMTP port", default: "587 (465 with SMTP_SECURE)", scope: "infra" },
  { name: "SMTP_SECURE", description: "Implicit TLS from the first byte (port 465)", default: "false", scope: "infra" },
  { name: "SMTP_REQUIRE_TLS", description: "Refuse to send unless the server upgrades with STARTTLS (must stay true with a password, except to localhost)", default: "true", scope: "infra" },
  { name: "SMTP_USER", description: "SMTP user name (with SMTP_PASSWORD; with `SMTP_AUTH=oauth2` the mailbox to sign in as, default EMAIL_FROM)", scope: "infra" },
  { name: "SMTP_PASSWORD", description: "SMTP password", secret: true, scope: "infra" },
  { name: "SMTP_AUTH", description: "`password` (SMTP_USER/SMTP_PASSWORD, for relays other than Exchange Online) or `oauth2` (XOAUTH2 with a token from the app's credential, as for Graph: for Exchange Online)", default: "`password`", scope: "infra" },
  // Routing
  { name: "ALERT_ROUTES_FILE", description: "Path of a routing file (JSON or YAML): named receivers, routes by kind, severity, service and tenant, fallbacks, silences (see Routing)", default: "none: TEAMS_WEBHOOK_URL and/or EMAIL_TO form the default route", scope: "infra" },
  { name: "ALERT_ROUTES", description: "The routing as inline JSON, instead of a file; name webhook URLs with `urlFrom` (a setting holding a Key Vault reference), never inline", default: "none", scope: "infra" },
  // Monitoring the monitor
  { name: "MONITOR_FAILURE_THRESHOLD", description: "Failed cycles in a row of one monitor before a \"Monitoring degraded\" alert (kind `monitoring`)", default: "3", scope: "infra" },
  { name: "CREDENTIAL_WARN_DAYS", description: "Days before the AvePoint certificate or client secret expires that the first warning is sent (then 7 days before, then when expired)", default: "30", scope: "infra" },
  { name: "AVEPOINT_CLIENT_SECRET_EXPIRES", description: "Expiry date of the AvePoint client secret (ISO date, e.g. `2027-03-31`), for the expiry warning; a certificate's expiry is read from the certificate", scope: "infra" },
  { name: "HEARTBEAT_URL", description: "URL pinged (GET) after each successful cycle: a dead man's switch such as healthchecks.io", secret: true, scope: "infra" },
  // Storage
  { name: "AzureWebJobsStorage", description: "Storage connection string (used for the ledger unless one of the two below is set)", scope: "platform" },
  { name: "ALERTS_STORAGE_CONNECTION", description: "Connection string of the ledger's storage account", secret: true, scope: "local-only" },
  { name: "ALERTS_STORAGE_ACCOUNT_URL", description: "Table endpoint of the ledger's storage account, reached with a managed identity (e.g. `https://acct.table.core.windows.net`)", scope: "infra" },
  { name: "AZURE_CLIENT_ID", description: "Client id of the user-assigned managed identity used for storage", scope: "infra" },
  { name: "ALERTS_TABLE_PREFIX", description: "Prefix of the ledger's table names", default: "cba", scope: "infra" },
  { name: "LEDGER_RETENTION_DAYS", description: "Days a delivered alert is kept in the ledger beyond `JOBS_LOOKBACK_HOURS` (1-3650); older delivered rows are removed, open ones never", default: "30", scope: "infra" },
];

export function settingInfo(name: string): SettingInfo | undefined {
  return SETTINGS.find((s) => s.name === name);
}

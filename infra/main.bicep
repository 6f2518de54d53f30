// Cloud Backup Alerts on Azure: a Flex Consumption function app that polls
// AvePoint Cloud Backup and alerts in Teams, with no secret outside Key Vault.
// This file only wires modules; each module says why it is built the way it is.
// Deploy with `azd up`, or `az deployment group create` (see docs/DEPLOY.md, "Deploy to Azure").

targetScope = 'resourceGroup'

// ---------------------------------------------------------------- naming and placement

@description('azd environment name; part of the unique suffix of every resource name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region for all resources. It must offer the Flex Consumption plan: `az functionapp list-flexconsumption-locations` lists them (docs/DEPLOY.md, "Deploy to Azure").')
@minLength(1)
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Short prefix of resource names: 2-9 lowercase letters or digits (checked below: it is part of the storage account name).')
@minLength(2)
@maxLength(9)
param namePrefix string = 'cba'

@description('Extra tags for every resource.')
param tags object = {}

@description('Object id of whoever deploys (azd sets AZURE_PRINCIPAL_ID). Granted Key Vault Secrets Officer so they can store the secrets afterwards. Empty: no one.')
param principalId string = ''

@description('Type of principalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

// ---------------------------------------------------------------- AvePoint connection

@description('Application (client) id of the AvePoint app registration (AVEPOINT_CLIENT_ID).')
@minLength(1)
param avepointClientId string

@description('How the app authenticates to AvePoint: a client secret or a certificate (PEM), both kept in Key Vault.')
@allowed([
  'secret'
  'certificate'
])
param avepointCredentialType string = 'secret'

@secure()
@description('AvePoint client secret. Optional: leave empty and store it in Key Vault after deployment.')
param avepointClientSecret string = ''

@secure()
@description('AvePoint certificate with its private key, as PEM text. Optional: leave empty and store it in Key Vault after deployment.')
param avepointCertificatePem string = ''

@description('AvePoint environment (AVEPOINT_ENVIRONMENT): picks the token URL.')
@allowed([
  'commercial'
  'gov'
  'aos2'
  'fedramp'
])
param avepointEnvironment string = 'commercial'

@description('AvePoint data center (AVEPOINT_REGION). Empty: the environment\'s default (us, or gov / aos2 / fedramp).')
@allowed([
  ''
  'us'
  'au'
  'sg'
  'ca'
  'ne'
  'we'
  'fr'
  'de'
  'jp'
  'kr'
  'ch'
  'uk'
  'uae'
  'za'
  'qa'
  'gov'
  'aos2'
  'gcp-au'
  'gcp-jp'
  'gcp-us'
  'gcp-we'
  'gcp-kr'
  'fedramp'
])
param avepointRegion string = ''

@description('Multi-Geo location whose backup schedule is read (AVEPOINT_LOCATION), e.g. NAM. Empty: the central location.')
param avepointLocation string = ''

@description('Explicit AvePoint API base URL (AVEPOINT_API_URL). Empty: derived from the region.')
param avepointApiUrl string = ''

@description('Explicit AvePoint token URL (AVEPOINT_TOKEN_URL). Empty: derived from the environment.')
param avepointTokenUrl string = ''

@description('AvePoint API profile (AVEPOINT_API_PROFILE): auto finds the revision that answers; seed or current pin one.')
@allowed([
  'auto'
  'seed'
  'current'
])
param avepointApiProfile string = 'auto'

@description('Jobs requested per page (AVEPOINT_PAGE_SIZE).')
@minValue(1)
@maxValue(1000)
param avepointPageSize int = 100

@description('Pages of one jobs listing requested at once once TotalCount is known (AVEPOINT_PAGE_CONCURRENCY).')
@minValue(1)
@maxValue(16)
param avepointPageConcurrency int = 4

@description('Where the alert card\'s button leads (AVEPOINT_PORTAL_URL).')
param avepointPortalUrl string = 'https://www.avepointonlineservices.com'

@description('Log level of the app (LOG_LEVEL).')
@allowed([
  'error'
  'warn'
  'info'
  'debug'
])
param logLevel string = 'info'

// ---------------------------------------------------------------- monitors and alerts

@description('NCRONTAB schedule of the jobs monitor (JOBS_SCHEDULE). If you change it, change heartbeatWindow to three of its intervals.')
@minLength(11) // never empty: the timer trigger reads it as %JOBS_SCHEDULE%
param jobsSchedule string = '0 */5 * * * *'

@description('How far back the first cycle reads, in hours (JOBS_LOOKBACK_HOURS).')
@minValue(1)
@maxValue(720)
param jobsLookbackHours int = 24

@description('Comma-separated final job states that alert (ALERT_JOB_STATES). Empty: Failed, FinishedException and PartiallyFinished.')
param alertJobStates string = ''

@description('Comma-separated job types to watch (ALERT_JOB_TYPES). Empty: all.')
param alertJobTypes string = ''

@description('A watched service with no successful backup for this many hours alerts, 0 = off (BACKUP_MAX_AGE_HOURS).')
@minValue(0)
@maxValue(720)
param backupMaxAgeHours int = 26

@description('Services the missed-backup rule watches (WATCH_SERVICES): auto, or a comma-separated list such as "Exchange Online, OneDrive".')
param watchServices string = 'auto'

@description('A scheduled backup not started this many minutes after its time alerts, current profile, 0 = off (BACKUP_START_GRACE_MINUTES).')
@minValue(0)
@maxValue(1440)
param backupStartGraceMinutes int = 120

@description('A job In Progress for longer than this many hours alerts, 0 = off (JOB_MAX_RUNTIME_HOURS).')
@minValue(0)
@maxValue(720)
param jobMaxRuntimeHours int = 12

@description('A finished job whose failed + skipped objects exceed this percent of its total alerts (JOB_FAILED_OBJECTS_PERCENT). Empty: off.')
param jobFailedObjectsPercent string = ''

@description('A service skipping more objects in this many backup runs in a row alerts, 0 = off (JOB_SKIPPED_GROWTH_RUNS).')
@minValue(0)
@maxValue(18)
param jobSkippedGrowthRuns int = 3

@description('Alert when unusual-activity or ransomware counts rise, current profile, needs microsoft365backup.unusualActivity.read.all (ALERT_UNUSUAL_ACTIVITY).')
param alertUnusualActivity bool = true

@description('Tenant label shown on every alert (ALERT_TENANT_NAME). It is also the ledger partition: keep it stable.')
@minLength(1)
param alertTenantName string = 'default'

@description('More new alerts than this for one destination in one cycle are sent as a digest (ALERT_GROUP_THRESHOLD).')
@minValue(0)
param alertGroupThreshold int = 3

@description('Post a "Resolved" card when a failing service backs up again (ALERT_SEND_RESOLVED).')
param alertSendResolved bool = true

@description('NCRONTAB schedule of the license monitor (LICENSE_SCHEDULE).')
@minLength(11) // never empty: the timer trigger reads it as %LICENSE_SCHEDULE%
param licenseSchedule string = '0 0 * * * *'

@description('Seats or storage use (%) at which a warning is sent (LICENSE_WARN_PERCENT).')
@minValue(1)
@maxValue(100)
param licenseWarnPercent int = 90

@description('Seats or storage use (%) at which a critical alert is sent (LICENSE_CRITICAL_PERCENT).')
@minValue(1)
@maxValue(1000)
param licenseCriticalPercent int = 100

@description('Remind about a metric still critical every N hours, 0 = never (LICENSE_REMIND_HOURS).')
@minValue(0)
param licenseRemindHours int = 24

@description('Failed cycles in a row of one monitor before a "Monitoring degraded" alert (MONITOR_FAILURE_THRESHOLD).')
@minValue(1)
@maxValue(1000)
param monitorFailureThreshold int = 3

@description('Days before the AvePoint certificate or client secret expires that the first warning goes out (CREDENTIAL_WARN_DAYS).')
@minValue(1)
@maxValue(365)
param credentialWarnDays int = 30

@description('Expiry date of the AvePoint client secret, e.g. 2027-03-31 (AVEPOINT_CLIENT_SECRET_EXPIRES). Empty: no warning for the secret (a certificate\'s expiry is read from the certificate).')
param avepointClientCredentialExpires string = ''

@description('Ping a dead man\'s switch after each successful cycle (HEARTBEAT_URL, read from the Key Vault secret heartbeat-url).')
param enableHeartbeat bool = false

@secure()
@description('The heartbeat ping URL (a credential). Optional: leave empty and store it in Key Vault (heartbeat-url) after deployment.')
param heartbeatUrl string = ''

@secure()
@description('Teams Workflows webhook URL (a bearer credential). Optional: leave empty and store it in Key Vault after deployment.')
param teamsWebhookUrl string = ''

@description('Alert through a Teams Workflows webhook (TEAMS_WEBHOOK_URL, read from the Key Vault secret teams-webhook-url). Default: on unless email (emailTo) or the bot (deployBot) is set up. Off: the setting is not emitted, so an email-only or bot-only app never reads a missing secret.')
param teamsWorkflows bool = empty(emailTo) && !deployBot

@description('Days a delivered alert is kept in the ledger beyond the jobs lookback (LEDGER_RETENTION_DAYS); older delivered rows are removed.')
@minValue(1)
@maxValue(3650)
param ledgerRetentionDays int = 30

@description('Prefix of the alert ledger\'s table names (ALERTS_TABLE_PREFIX): letters and digits, starting with a letter.')
@minLength(1)
@maxLength(30)
param alertsTablePrefix string = 'cba'

// ---------------------------------------------------------------- the monitor of the monitor

@description('Email address told when the app itself fails or stops running. Empty: the alert rules exist but notify no one.')
param alertEmail string = ''

@description('Window of the missed-heartbeat alert: three intervals of jobsSchedule (PT15M for the default 5 minutes).')
@allowed([
  'PT15M'
  'PT30M'
  'PT45M'
  'PT1H'
  'PT2H'
  'PT3H'
  'PT6H'
])
param heartbeatWindow string = 'PT15M'

// ---------------------------------------------------------------- sizing and retention

@description('Maximum instances of the function app. Timer triggers are singletons, so this only caps cost.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 10

@description('Memory per instance in MB (billed per GB-second).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Days a deleted Key Vault (and its name) is kept before it can be purged; purge protection is on. Fixed when the vault is created: changing it later fails the redeployment.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

// ---------------------------------------------------------------- optional parts (off by default)

@description('Deploy an Azure Bot (Teams channel) for the interactive Teams bot (Acknowledge / Snooze); the app then registers its /api/messages endpoint.')
param deployBot bool = false

@description('With deployBot: keep one instance of the bot endpoint ready (Flex Consumption always-ready, billed while ready), so the first button press after idle is answered within the ~5 s Teams waits.')
param botAlwaysReady bool = true

@description('With deployBot: escalate a critical alert nobody acknowledged in Teams after this many minutes, once (0 = off).')
@minValue(0)
@maxValue(10080)
param escalateAfterMinutes int = 30

@description('With deployBot: the receiver escalations go to (a routing receiver, or teams / email / teams-bot). Empty: posted again through the bot.')
param escalationReceiver string = ''

@description('With deployBot: user principal name @mentioned on an escalation (e.g. oncall@contoso.com). Empty: no mention.')
param oncallUpn string = ''

@description('Comma-separated email recipients (EMAIL_TO). Empty: email off.')
param emailTo string = ''

@description('Mailbox alerts are sent from (EMAIL_FROM); required with emailTo.')
param emailFrom string = ''

@description('Microsoft Graph endpoint (EMAIL_GRAPH_BASE_URL), for national clouds. Empty: https://graph.microsoft.com.')
param emailGraphBaseUrl string = ''

@description('SMTP server (SMTP_HOST): when set, email goes through SMTP. Empty: email goes through Microsoft Graph as the app\'s managed identity: grant it Mail.Send for the sender mailbox only (docs/RECEIVERS.md, Email).')
param smtpHost string = ''

@description('SMTP port (SMTP_PORT). Empty: 587, or 465 with smtpSecure.')
param smtpPort string = ''

@description('Implicit TLS from the first byte (SMTP_SECURE). Empty: false.')
@allowed([
  ''
  'true'
  'false'
])
param smtpSecure string = ''

@description('Refuse to send unless the server upgrades with STARTTLS (SMTP_REQUIRE_TLS). Empty: true.')
@allowed([
  ''
  'true'
  'false'
])
param smtpRequireTls string = ''

@description('SMTP user name (SMTP_USER). Empty: no login. With a user, SMTP_PASSWORD is read from the Key Vault secret smtp-password.')
param smtpUser string = ''

@secure()
@description('SMTP password. Optional: leave empty and store it in Key Vault (smtp-password) after deployment.')
param smtpPassword string = ''

@description('Routing file (ALERT_ROUTES_FILE): its path on the app, e.g. /home/site/wwwroot/routes.yaml shipped with the package. Empty: TEAMS_WEBHOOK_URL (and EMAIL_TO) form the default route.')
param alertRoutesFile string = ''

@description('Routing as inline JSON (ALERT_ROUTES), instead of a file. Webhook URLs are named with urlFrom (an app setting holding a Key Vault reference), never written here. Empty: no inline routing.')
param alertRoutes string = ''

// ---------------------------------------------------------------- names

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))

// ARM has no pattern check for parameters, and a bad character surfaces only as
// a storage or table naming error half-way through. fail() stops the deployment
// first, with the rule.
func onlyCharactersOf(value string, allowed string) bool => empty(filter(range(0, length(value)), i => !contains(allowed, substring(value, i, 1))))
var lowercaseLettersAndDigits = 'abcdefghijklmnopqrstuvwxyz0123456789'
var prefix = onlyCharactersOf(toLower(namePrefix), lowercaseLettersAndDigits)
  ? toLower(namePrefix)
  : fail('namePrefix must be 2-9 lowercase letters or digits (it is part of the storage account name).')
var tablePrefix = onlyCharactersOf(toLower(alertsTablePrefix), lowercaseLettersAndDigits) && !contains('0123456789', substring(alertsTablePrefix, 0, 1))
  ? alertsTablePrefix
  : fail('alertsTablePrefix must be letters and digits, starting with a letter (Table Storage table names).')
var allTags = union(tags, { 'azd-env-name': environmentName, application: 'cloud-backup-alerts' })
var azdServiceName = 'monitor'
// Function names as registered in functions/ (the heartbeat alert queries them).
var jobsFunctionName = 'jobsMonitor'

var names = {
  identity: 'id-${prefix}-${resourceToken}'
  storage: take('st${prefix}${resourceToken}', 24)
  keyVault: take('kv${prefix}${resourceToken}', 24)
  workspace: 'log-${prefix}-${resourceToken}'
  applicationInsights: 'appi-${prefix}-${resourceToken}'
  plan: 'plan-${prefix}-${resourceToken}'
  functionApp: 'func-${prefix}-${resourceToken}'
  bot: 'bot-${prefix}-${resourceToken}'
}

// The ledger's tables (shared/ledger): declared here so they exist before the first run.
var ledgerTableNames = [
  '${tablePrefix}alerts'
  '${tablePrefix}checkpoints'
]

// ---------------------------------------------------------------- modules

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: allTags
    deploymentContainerName: 'app-package'
    tableNames: ledgerTableNames
    appPrincipalId: identity.outputs.principalId
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: names.workspace
    applicationInsightsName: names.applicationInsights
    location: location
    tags: allTags
    retentionInDays: logRetentionInDays
    appPrincipalId: identity.outputs.principalId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: names.keyVault
    location: location
    tags: allTags
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
    avepointClientSecret: avepointClientSecret
    avepointCertificatePem: avepointCertificatePem
    teamsWebhookUrl: teamsWebhookUrl
    smtpPassword: smtpPassword
    heartbeatUrl: heartbeatUrl
  }
}

// A Key Vault reference: the platform resolves it with keyVaultReferenceIdentity
// and the app sees only the secret's value.
func keyVaultReference(secretUri string) string => '@Microsoft.KeyVault(SecretUri=${secretUri})'

// Every setting in shared/config/schema.ts whose scope is 'infra' appears here
// (test/infra/app-settings.test.ts checks it). An empty value counts as unset, so
// the app applies its own default. Secrets are Key Vault references only.
var applicationSettings = {
  AVEPOINT_CLIENT_ID: avepointClientId
  AVEPOINT_CLIENT_SECRET: avepointCredentialType == 'secret' ? keyVaultReference(keyVault.outputs.secretUris.avepointClientSecret) : ''
  AVEPOINT_CERTIFICATE: avepointCredentialType == 'certificate' ? keyVaultReference(keyVault.outputs.secretUris.avepointCertificate) : ''
  AVEPOINT_ENVIRONMENT: avepointEnvironment
  AVEPOINT_REGION: avepointRegion
  AVEPOINT_LOCATION: avepointLocation
  AVEPOINT_API_URL: avepointApiUrl
  AVEPOINT_TOKEN_URL: avepointTokenUrl
  AVEPOINT_API_PROFILE: avepointApiProfile
  AVEPOINT_PAGE_SIZE: string(avepointPageSize)
  AVEPOINT_PAGE_CONCURRENCY: string(avepointPageConcurrency)
  AVEPOINT_PORTAL_URL: avepointPortalUrl
  LOG_LEVEL: logLevel
  JOBS_SCHEDULE: jobsSchedule
  JOBS_LOOKBACK_HOURS: string(jobsLookbackHours)
  ALERT_JOB_STATES: alertJobStates
  ALERT_JOB_TYPES: alertJobTypes
  BACKUP_MAX_AGE_HOURS: string(backupMaxAgeHours)
  WATCH_SERVICES: watchServices
  BACKUP_START_GRACE_MINUTES: string(backupStartGraceMinutes)
  JOB_MAX_RUNTIME_HOURS: string(jobMaxRuntimeHours)
  JOB_FAILED_OBJECTS_PERCENT: jobFailedObjectsPercent
  JOB_SKIPPED_GROWTH_RUNS: string(jobSkippedGrowthRuns)
  ALERT_UNUSUAL_ACTIVITY: alertUnusualActivity ? 'true' : 'false'
  ALERT_TENANT_NAME: alertTenantName
  ALERT_GROUP_THRESHOLD: string(alertGroupThreshold)
  ALERT_SEND_RESOLVED: alertSendResolved ? 'true' : 'false'
  LICENSE_SCHEDULE: licenseSchedule
  LICENSE_WARN_PERCENT: string(licenseWarnPercent)
  LICENSE_CRITICAL_PERCENT: string(licenseCriticalPercent)
  LICENSE_REMIND_HOURS: string(licenseRemindHours)
  // Monitoring the monitor.
  MONITOR_FAILURE_THRESHOLD: string(monitorFailureThreshold)
  CREDENTIAL_WARN_DAYS: string(credentialWarnDays)
  AVEPOINT_CLIENT_SECRET_EXPIRES: avepointCredentialType == 'secret' ? avepointClientCredentialExpires : ''
  HEARTBEAT_URL: enableHeartbeat ? keyVaultReference(keyVault.outputs.secretUris.heartbeatUrl) : ''
  TEAMS_WEBHOOK_URL: teamsWorkflows ? keyVaultReference(keyVault.outputs.secretUris.teamsWebhookUrl) : ''
  // Email: Graph as the managed identity (AZURE_CLIENT_ID), or SMTP with its password in Key Vault.
  EMAIL_TO: emailTo
  EMAIL_FROM: emailFrom
  EMAIL_GRAPH_BASE_URL: emailGraphBaseUrl
  SMTP_HOST: smtpHost
  SMTP_PORT: smtpPort
  SMTP_SECURE: smtpSecure
  SMTP_REQUIRE_TLS: smtpRequireTls
  SMTP_USER: smtpUser
  SMTP_PASSWORD: empty(smtpUser) ? '' : keyVaultReference(keyVault.outputs.secretUris.smtpPassword)
  ALERT_ROUTES_FILE: alertRoutesFile
  ALERT_ROUTES: alertRoutes
  // The interactive Teams bot (deployBot): it signs in as the app's user-assigned identity, so it holds no secret.
  TEAMS_BOT_APP_ID: deployBot ? identity.outputs.clientId : ''
  TEAMS_BOT_APP_TYPE: deployBot ? 'UserAssignedMSI' : ''
  TEAMS_BOT_TENANT_ID: deployBot ? tenant().tenantId : ''
  ESCALATE_AFTER_MINUTES: deployBot ? string(escalateAfterMinutes) : ''
  ESCALATION_RECEIVER: deployBot ? escalationReceiver : ''
  ONCALL_UPN: deployBot ? oncallUpn : ''
  // The ledger: Table Storage through the managed identity.
  ALERTS_STORAGE: storage.outputs.tableEndpoint
  AZURE_CLIENT_ID: identity.outputs.clientId
  ALERTS_TABLE_PREFIX: alertsTablePrefix
  LEDGER_RETENTION_DAYS: string(ledgerRetentionDays)
}

// not-set: TEAMS_BOT_APP_PASSWORD the Bicep's bot signs in as the managed identity (UserAssignedMSI); only a bot registered outside this template uses a secret
// not-set: TEAMS_BOT_CERTIFICATE the Bicep's bot signs in as the managed identity (UserAssignedMSI); only a bot registered outside this template uses a certificate
// not-set: TEAMS_BOT_ALLOWED_TENANTS the Bicep's bot serves only its own tenant (TEAMS_BOT_TENANT_ID, the default); serving other tenants is a decision made outside this template

// not-set: EMAIL_GRAPH_TENANT_ID the Bicep's app sends mail through Graph as its managed identity; an app registration (tenant, client id, secret or certificate) is for runs outside Azure
// not-set: EMAIL_GRAPH_CLIENT_ID the Bicep's app sends mail through Graph as its managed identity (AZURE_CLIENT_ID)
// not-set: EMAIL_GRAPH_CLIENT_SECRET the Bicep's app sends mail through Graph as its managed identity, which holds no secret
// not-set: EMAIL_GRAPH_CERTIFICATE the Bicep's app sends mail through Graph as its managed identity, which holds no certificate
// not-set: SMTP_AUTH the Bicep's app reaches Exchange Online through Graph (smtpHost empty); SMTP here is for other relays, with SMTP_USER/SMTP_PASSWORD (the default)

// Settings of later releases, set only when their feature is switched on (none at the moment).
var optionalFeatureSettings = {}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: allTags
    azdServiceName: azdServiceName
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    applicationSettings: union(applicationSettings, optionalFeatureSettings)
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyHttpInstances: deployBot && botAlwaysReady ? 1 : 0
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: prefix
    resourceToken: resourceToken
    location: location
    tags: allTags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    alertEmail: alertEmail
    jobsFunctionName: jobsFunctionName
    heartbeatWindow: heartbeatWindow
  }
}

module bot 'modules/bot.bicep' = if (deployBot) {
  name: 'bot'
  params: {
    name: names.bot
    tags: allTags
    identityClientId: identity.outputs.clientId
    identityId: identity.outputs.id
    functionAppHostName: functionApp.outputs.defaultHostName
  }
}

// ---------------------------------------------------------------- outputs (azd stores them in .azure/<env>/.env)
// Names and ids only: no secret, no key, no connection string.

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output KEY_VAULT_SECRET_NAMES object = keyVault.outputs.secretNames

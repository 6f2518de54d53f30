// The only secrets of the deployment live here: the AvePoint credential, the
// Teams Workflows webhook URL (a bearer credential) and, for email by SMTP, its
// password. The app reads them as Key Vault references with its managed
// identity; nothing else can read them.

@description('Key Vault name (3-24 letters, digits and hyphens, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the resource.')
param tags object

@description('Days a deleted vault or secret can be recovered. With purge protection the vault name stays taken for this long after deletion.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Principal id of the function app\'s managed identity (reads secrets).')
param appPrincipalId string

@description('Object id of the person or pipeline that deploys, granted Key Vault Secrets Officer to store the secrets after deployment. Empty: no one.')
param operatorPrincipalId string

@description('Type of operatorPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string

// Secrets are created only when given, so re-deploying without them never
// overwrites a value stored later with `az keyvault secret set`.
@secure()
@description('AvePoint app registration client secret. Empty: store it after deployment.')
param avepointClientSecret string

@secure()
@description('AvePoint certificate and private key as PEM text. Empty: store it after deployment.')
param avepointCertificatePem string

@secure()
@description('Teams Workflows webhook URL. Empty: store it after deployment.')
param teamsWebhookUrl string

@secure()
@description('SMTP password for email alerts. Empty: store it after deployment (or no SMTP).')
param smtpPassword string

@secure()
@description('Heartbeat (dead man\'s switch) ping URL. Empty: store it after deployment (or no heartbeat).')
param heartbeatUrl string = ''

// Secret names are part of the contract with the post-deployment steps in docs/DEPLOY.md ("After the first deployment").
var secretNames = {
  avepointClientSecret: 'avepoint-client-secret'
  avepointCertificate: 'avepoint-certificate'
  teamsWebhookUrl: 'teams-webhook-url'
  smtpPassword: 'smtp-password'
  heartbeatUrl: 'heartbeat-url'
}

var roles = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Access by Azure RBAC only: no access policies to drift out of review.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // Irreversible once on: nobody can destroy the secrets before retention ends.
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource clientSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(avepointClientSecret)) {
  parent: vault
  name: secretNames.avepointClientSecret
  properties: {
    value: avepointClientSecret
    contentType: 'text/plain'
  }
}

resource certificatePem 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(avepointCertificatePem)) {
  parent: vault
  name: secretNames.avepointCertificate
  properties: {
    value: avepointCertificatePem
    contentType: 'application/x-pem-file'
  }
}

resource webhookUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(teamsWebhookUrl)) {
  parent: vault
  name: secretNames.teamsWebhookUrl
  properties: {
    value: teamsWebhookUrl
    contentType: 'text/plain'
  }
}

resource smtpPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(smtpPassword)) {
  parent: vault
  name: secretNames.smtpPassword
  properties: {
    value: smtpPassword
    contentType: 'text/plain'
  }
}

resource heartbeatUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(heartbeatUrl)) {
  parent: vault
  name: secretNames.heartbeatUrl
  properties: {
    value: heartbeatUrl
    contentType: 'text/plain'
  }
}

resource appReadsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource operatorWritesSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(vault.id, operatorPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

output name string = vault.name
// Versionless secret URIs: a reference always resolves to the newest version.
output secretUris object = {
  avepointClientSecret: '${vault.properties.vaultUri}secrets/${secretNames.avepointClientSecret}'
  avepointCertificate: '${vault.properties.vaultUri}secrets/${secretNames.avepointCertificate}'
  teamsWebhookUrl: '${vault.properties.vaultUri}secrets/${secretNames.teamsWebhookUrl}'
  smtpPassword: '${vault.properties.vaultUri}secrets/${secretNames.smtpPassword}'
  heartbeatUrl: '${vault.properties.vaultUri}secrets/${secretNames.heartbeatUrl}'
}
output secretNames object = secretNames

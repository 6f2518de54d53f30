// One storage account for two jobs: the Functions host (timer leases, the
// deployment package) and the alert ledger (Table Storage). Keys are disabled:
// every caller authenticates with Microsoft Entra ID.

@description('Storage account name (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the resource; the Functions tag is added here.')
param tags object

@description('Blob container that holds the deployment package (Flex Consumption reads the app from here).')
param deploymentContainerName string

@description('Tables of the alert ledger, created up front so they exist before the first run. The app still creates its tables if missing (the bot\'s on first use), which Table Data Contributor allows.')
param tableNames array

@description('Principal id of the function app\'s managed identity.')
param appPrincipalId string

// Built-in role definition ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // host: timer leases and the deployment package
  // No Storage Queue role: timers and HTTP triggers need none (the host uses blob leases); add it with a queue trigger.
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // the alert ledger and checkpoints
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  // Azure Functions recognises accounts it depends on by this tag.
  tags: union(tags, { 'resource-usage': 'azure-functions' })
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Flex Consumption without a virtual network reaches storage over its public
    // endpoint; access is still limited to identities holding the roles below.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'
  }
}

resource ledgerTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for tableName in tableNames: {
    parent: storage::tableService
    name: tableName
  }
]

// Each role is granted on this account only, never on the resource group.
resource appRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(roles): {
    name: guid(storage.id, appPrincipalId, role.value)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

output name string = storage.name
output id string = storage.id
output tableEndpoint string = storage.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'

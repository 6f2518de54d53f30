// The one identity the function app uses for everything: host storage, the alert
// ledger, Key Vault references, Application Insights ingestion and (optionally)
// the Teams bot. User-assigned rather than system-assigned so that role
// assignments can be created before the app exists, and survive re-creating it.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for the resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId

// Optional (deployBot): the Azure Bot resource for the interactive Teams bot of
// a later release. It authenticates as the app's user-assigned identity, so it
// adds no secret. Off by default; the webhook path needs none of this.

@description('Bot resource name.')
param name string

@description('Tags for the resource.')
param tags object

@description('Client id of the user-assigned managed identity the bot signs in as.')
param identityClientId string

@description('Resource id of the same identity.')
param identityId string

@description('Host name of the function app that hosts the bot endpoint.')
param functionAppHostName string

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: name
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: {
    name: 'F0'
  }
  properties: {
    displayName: 'Cloud Backup Alerts'
    endpoint: 'https://${functionAppHostName}/api/messages'
    msaAppType: 'UserAssignedMSI'
    msaAppId: identityClientId
    msaAppMSIResourceId: identityId
    msaAppTenantId: tenant().tenantId
    disableLocalAuth: true
  }

  resource teams 'channels' = {
    name: 'MsTeamsChannel'
    location: 'global'
    properties: {
      channelName: 'MsTeamsChannel'
      properties: {
        isEnabled: true
      }
    }
  }
}

output name string = bot.name

// The Flex Consumption function app. It holds no secret: storage, Key Vault and
// Application Insights are reached with the user-assigned identity, and the
// AvePoint credential and webhook URL arrive as Key Vault references.

@description('Function app name (globally unique host name).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region (must offer Flex Consumption).')
param location string

@description('Tags for the resources.')
param tags object

@description('Service name in azure.yaml; azd finds the app to deploy by this tag.')
param azdServiceName string

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

@description('Storage account the Functions host uses (AzureWebJobsStorage).')
param hostStorageAccountName string

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

@description('Connection string of the Application Insights component (from its properties).')
param applicationInsightsConnectionString string

@description('The application\'s own settings (shared/config/schema.ts), merged with the host settings below.')
param applicationSettings object

@description('Upper bound on instances. Timer triggers run as singletons, so more instances never speed up a cycle; the cap only bounds cost.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Instances of the HTTP trigger group (the Teams bot endpoint) kept ready, billed while ready. A button press must be answered within about 5 s, which a cold start can miss. 0: scale to zero.')
@minValue(0)
@maxValue(1)
param alwaysReadyHttpInstances int = 0

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with this identity, not a system-assigned one.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      remoteDebuggingEnabled: false
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        alwaysReady: alwaysReadyHttpInstances > 0 ? [
          {
            name: 'http'
            instanceCount: alwaysReadyHttpInstances
          }
        ] : []
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  // Deployments authenticate with Microsoft Entra ID (azd, az functionapp
  // deployment); FTP and SCM basic-auth credentials are turned off.
  resource ftpBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }

  // This resource replaces all app settings on every deployment: settings added
  // by hand in the portal are removed by the next `azd up`. Change them here.
  // Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION
  // (the runtime is in functionAppConfig), so they are deliberately absent.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: union(applicationSettings, {
      // Host storage through the managed identity: no connection string, no key.
      AzureWebJobsStorage__accountName: hostStorageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // The package is bundled (npm run package): source maps turn its stack traces back into TypeScript lines.
      NODE_OPTIONS: '--enable-source-maps'
    })
  }
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName

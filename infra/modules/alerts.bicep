// The monitor of the monitor: Azure Monitor watches the function app itself and
// emails a person when it fails or stops running. These alerts do not depend on
// the app's own delivery path (Teams), which may be what is broken.

@description('Prefix for the alert resource names.')
param namePrefix string

@description('The deployment\'s unique suffix (as in every other resource name): a second environment in the same resource group gets its own rules instead of taking over these.')
param resourceToken string

@description('Region of the Application Insights component (log alert rules live beside their scope).')
param location string

@description('Tags for the resources.')
param tags object

@description('Resource id of the Application Insights component the app writes to.')
param applicationInsightsId string

@description('Email address that receives these alerts. Empty: the rules still fire and show in the portal, but notify no one.')
param alertEmail string

@description('Name under which the jobs monitor function is registered (its request telemetry name).')
param jobsFunctionName string

@description('How long without a successful jobs-monitor run counts as a missed heartbeat: three intervals of JOBS_SCHEDULE.')
@allowed([
  'PT15M'
  'PT30M'
  'PT45M'
  'PT1H'
  'PT2H'
  'PT3H'
  'PT6H'
])
param heartbeatWindow string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${namePrefix}-${resourceToken}-monitor'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('${namePrefix}-mon', 12)
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroupIds = empty(alertEmail) ? [] : [actionGroup.id]

// Any failed function execution (an exception escaping a handler). Stateful:
// one email when it starts failing, one when it recovers.
resource functionFailures 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-${resourceToken}-function-failures'
  location: location
  tags: tags
  properties: {
    displayName: 'Cloud Backup Alerts: function failures'
    description: 'A Cloud Backup Alerts function run failed. Backup failures may go unreported until it recovers; see the exceptions in Application Insights.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'requests | where success == false'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroupIds
    }
  }
}

// A missed heartbeat: no successful jobs-monitor run in the window. This also
// fires when the app is stopped, never deployed, or cannot start (for example a
// Key Vault reference that does not resolve). host.json keeps request telemetry
// out of sampling, so a missing row means a missing run.
resource missedHeartbeat 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-${resourceToken}-missed-heartbeat'
  location: location
  tags: tags
  properties: {
    displayName: 'Cloud Backup Alerts: jobs monitor not running'
    description: 'No successful ${jobsFunctionName} run in ${heartbeatWindow}. Backup failures are not being reported.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: heartbeatWindow
    criteria: {
      allOf: [
        {
          query: 'requests | where name == \'${jobsFunctionName}\' and success == true'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroupIds
    }
  }
}

output functionFailuresAlertId string = functionFailures.id
output missedHeartbeatAlertId string = missedHeartbeat.id

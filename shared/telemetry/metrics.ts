/**
 * Custom metrics of each cycle, through the OpenTelemetry metrics API only.
 * Without a registered MeterProvider (local runs, tests that do not set one)
 * every call is a no-op; in Azure, shared/telemetry/export.ts registers the
 * Azure Monitor one, and the metrics land in Application Insights
 * `customMetrics`. Attributes are the monitor and the tenant's display name
 * (plus `ok` on the duration): bounded, and never a job id or a credential.
 */
import { metrics, type Counter, type Gauge, type Histogram, type MeterProvider } from "@opentelemetry/api";
import type { CycleSummary } from "./cycle-summary.js";
import { pendingAfter } from "./cycle-line.js";

const METER_NAME = "cloud-backup-alerts";

export const METRIC_NAMES = {
  alertsFound: "cba.alerts.found",
  alertsDelivered: "cba.alerts.delivered",
  deliveriesPending: "cba.deliveries.pending",
  deliveriesFailed: "cba.deliveries.failed",
  apiRequests: "cba.api.requests",
  apiLatency: "cba.api.latency",
  cycleDuration: "cba.cycle.duration",
} as const;

interface CycleInstruments {
  alertsFound: Counter;
  alertsDelivered: Counter;
  deliveriesPending: Gauge;
  deliveriesFailed: Counter;
  apiRequests: Counter;
  apiLatency: Histogram;
  cycleDuration: Histogram;
}

// One set per provider: instruments made against the no-op provider stay no-ops, so they are
// looked up again once the exporter has registered its provider.
const instrumentsByProvider = new WeakMap<MeterProvider, CycleInstruments>();

function instrumentsFor(provider: MeterProvider): CycleInstruments {
  let instruments = instrumentsByProvider.get(provider);
  if (!instruments) {
    const meter = provider.getMeter(METER_NAME);
    instruments = {
      alertsFound: meter.createCounter(METRIC_NAMES.alertsFound, { description: "Alerts admitted to the ledger (new this cycle)", unit: "{alert}" }),
      alertsDelivered: meter.createCounter(METRIC_NAMES.alertsDelivered, { description: "Alert deliveries recorded as sent", unit: "{alert}" }),
      deliveriesPending: meter.createGauge(METRIC_NAMES.deliveriesPending, {
        description: "Alert deliveries a cycle left for the next one (failed, deferred or held by another run)",
        unit: "{alert}",
      }),
      deliveriesFailed: meter.createCounter(METRIC_NAMES.deliveriesFailed, { description: "Alert deliveries that failed this cycle", unit: "{alert}" }),
      apiRequests: meter.createCounter(METRIC_NAMES.apiRequests, { description: "AvePoint API requests sent (retries count)", unit: "{request}" }),
      apiLatency: meter.createHistogram(METRIC_NAMES.apiLatency, { description: "Latency of each AvePoint API request", unit: "ms" }),
      cycleDuration: meter.createHistogram(METRIC_NAMES.cycleDuration, { description: "Wall time of a monitor cycle", unit: "ms" }),
    };
    instrumentsByProvider.set(provider, instruments);
  }
  return instruments;
}

/** Records one cycle's metrics on the provider (default: the global one). */
export function recordCycleMetrics(summary: CycleSummary, provider: MeterProvider = metrics.getMeterProvider()): void {
  const m = instrumentsFor(provider);
  const attributes = { monitor: summary.monitor, tenant: summary.tenant };
  m.alertsFound.add(summary.newAlerts, attributes);
  m.alertsDelivered.add(summary.delivery.delivered, attributes);
  m.deliveriesFailed.add(summary.delivery.failed, attributes);
  m.deliveriesPending.record(pendingAfter(summary), attributes);
  const usage = summary.usage;
  if (!usage) return;
  m.apiRequests.add(usage.apiRequests, attributes);
  for (const ms of usage.apiLatenciesInMs) m.apiLatency.record(ms, attributes);
  m.cycleDuration.record(usage.durationInMs, { ...attributes, ok: summary.ok });
}

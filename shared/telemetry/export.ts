/**
 * Sends the cycle metrics (metrics.ts) to Application Insights, in Azure only.
 *
 * The Functions host already sends our log lines (the cycle line among them)
 * to `traces`; custom metrics need an OpenTelemetry MeterProvider in the
 * worker, which `@azure/monitor-opentelemetry` registers. It costs about half
 * a second to import (docs/PERFORMANCE.md, "Telemetry"), so it is loaded with
 * import() and only when the platform has set APPLICATIONINSIGHTS_CONNECTION_STRING:
 * local runs and tests never load it. It is set up for metrics alone: no
 * automatic instrumentation (the host already records invocations and their
 * dependencies), no live or standard metrics, no performance counters.
 *
 * Authentication follows the host's: APPLICATIONINSIGHTS_AUTHENTICATION_STRING
 * (`Authorization=AAD;ClientId=<id>`, set by the Bicep since the component
 * refuses instrumentation-key ingestion) makes the exporter sign in as that
 * managed identity; @azure/identity loads on the first token request.
 */
import type { TokenCredential } from "@azure/identity";
import { metrics } from "@opentelemetry/api";
import { silentLogger, type Logger } from "../logging.js";
import { describeError } from "../security/secret.js";
import { lazyCredential } from "../security/lazy-credential.js";

/** Platform settings the Functions host reads too; ours only decide whether and how to export. */
const CONNECTION_STRING_VARIABLE = "APPLICATIONINSIGHTS_CONNECTION_STRING";
const AUTHENTICATION_STRING_VARIABLE = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

interface MetricsExportOptions {
  /** Default process.env (where the Functions host puts app settings). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

interface AuthenticationString {
  /** `Authorization=AAD`: sign in with Microsoft Entra ID instead of the instrumentation key. */
  aad: boolean;
  clientId?: string;
}

/** Reads `Authorization=AAD;ClientId=<id>` (keys in any case, parts in any order). */
export function parseAuthenticationString(text: string | undefined): AuthenticationString {
  const parts = new Map<string, string>();
  for (const part of (text ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const clientId = parts.get("clientid");
  return { aad: parts.get("authorization")?.toUpperCase() === "AAD", ...(clientId ? { clientId } : {}) };
}

/**
 * The exporter's credential: the managed identity the authentication string
 * names (else AZURE_CLIENT_ID's, else the system-assigned one), or none when
 * the component takes the connection string's instrumentation key.
 */
export function exporterCredential(env: Record<string, string | undefined>): TokenCredential | undefined {
  const auth = parseAuthenticationString(env[AUTHENTICATION_STRING_VARIABLE]);
  if (!auth.aad) return undefined;
  const clientId = auth.clientId ?? (env["AZURE_CLIENT_ID"]?.trim() || undefined);
  return lazyCredential((identity) => (clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.ManagedIdentityCredential()));
}

let started: Promise<boolean> | undefined;

/**
 * Registers the Azure Monitor MeterProvider once per process when the
 * connection string is set; resolves to whether metrics are exported. A
 * failure is logged and leaves the metrics as no-ops: telemetry never fails a cycle.
 */
export function startMetricsExport(options: MetricsExportOptions = {}): Promise<boolean> {
  const env = options.env ?? process.env;
  const connectionString = env[CONNECTION_STRING_VARIABLE]?.trim();
  if (!connectionString) return Promise.resolve(false);
  const logger = options.logger ?? silentLogger;
  started ??= (async () => {
    try {
      const { useAzureMonitor } = await import("@azure/monitor-opentelemetry");
      const credential = exporterCredential(env);
      const off = { enabled: false };
      useAzureMonitor({
        azureMonitorExporterOptions: { connectionString, ...(credential ? { credential } : {}) },
        enableLiveMetrics: false,
        enableStandardMetrics: false,
        enablePerformanceCounters: false,
        instrumentationOptions: { azureSdk: off, http: off, mongoDb: off, mySql: off, postgreSql: off, redis: off, redis4: off, bunyan: off, winston: off },
      });
      return true;
    } catch (err) {
      logger.warn("Application Insights metrics are off: the exporter could not start", {
        error: describeError(err, [connectionString]),
      });
      return false;
    }
  })();
  return started;
}

/**
 * Sends the metrics recorded so far. Called after each cycle: a Flex
 * Consumption instance may be frozen or removed between invocations, before the
 * exporter's own interval comes round. No-op when nothing was started.
 */
export async function flushMetrics(options: { logger?: Logger; timeoutInMs?: number } = {}): Promise<void> {
  if (!started || !(await started)) return;
  const provider = metrics.getMeterProvider() as { forceFlush?: (o?: { timeoutMillis?: number }) => Promise<void> };
  try {
    await provider.forceFlush?.({ timeoutMillis: options.timeoutInMs ?? 10_000 });
  } catch (err) {
    (options.logger ?? silentLogger).warn("Application Insights metrics could not be sent; they are retried with the next cycle's", {
      error: describeError(err),
    });
  }
}

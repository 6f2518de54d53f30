/**
 * The license monitor's poll + detect: the credentials' expiry, then the
 * license consumption against its levels. The cycle (cycle.ts) does the rest.
 */
import { evaluateLicense } from "../alerts/license-rules.js";
import { evaluateCredentialExpiry } from "../alerts/monitoring-rules.js";
import { readCredentialExpiries } from "../sources/credentials.js";
import type { CycleSummary } from "../telemetry/cycle-summary.js";
import { runCycle } from "./cycle.js";
import type { MonitorDeps, Poll } from "./monitor.js";

/** One license-monitor cycle. */
export function runLicenseMonitor(deps: MonitorDeps): Promise<CycleSummary> {
  return runCycle(deps, "license", pollLicense);
}

const pollLicense: Poll = async (deps, checkpoint, now, found) => {
  const { settings } = deps;
  // Credential expiry first, found on its own: an expired credential also fails the read below.
  const expiries = await readCredentialExpiries(deps.reader, settings, deps.logger);
  const credentialCheck = evaluateCredentialExpiry({
    tenant: settings.alerts.tenantName,
    credentials: expiries,
    state: checkpoint.state.credentials,
    warnDays: settings.monitoring.credentialWarnDays,
    now,
  });
  found.detected.push(...credentialCheck.alerts);
  const usage = await deps.reader.getLicenseUsage(deps.abortSignal ? { abortSignal: deps.abortSignal } : undefined);
  const previous = checkpoint.state.license;
  const { alerts, state } = evaluateLicense({ usage, state: previous.state, settings: settings.license, tenant: settings.alerts.tenantName, now });
  if (previous.corrupt) deps.logger.warn("the stored license state could not be read; starting it afresh");
  found.detected.push(...alerts);
  // The state is written only after its alerts are admitted: a crash in between re-evaluates to the same fingerprints.
  return { read: 1, next: () => ({ watermark: now, state: { license: state, credentials: credentialCheck.state } }) };
};

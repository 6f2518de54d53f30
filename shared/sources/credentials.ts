import type { CredentialExpiry } from "../alerts/monitoring-rules.js";
import type { Settings } from "../config/settings.js";
import type { Logger } from "../logging.js";

/** What can tell when the certificate credential expires (the AvePoint client; null with a client secret). */
interface CertificateExpirySource {
  certificateNotAfter?(): Promise<Date | null>;
}

/**
 * The AvePoint credentials' expiry dates: the certificate's own notAfter, or
 * the configured AVEPOINT_CLIENT_SECRET_EXPIRES for a client secret (a secret
 * does not carry its expiry). A certificate that cannot be read here is only
 * logged: the token request fails on it too, which raises "Monitoring
 * degraded" with the reason.
 */
export async function readCredentialExpiries(source: CertificateExpirySource, settings: Settings, logger: Logger): Promise<CredentialExpiry[]> {
  const out: CredentialExpiry[] = [];
  if (settings.avepoint.credential.kind === "certificate" && source.certificateNotAfter) {
    try {
      const notAfter = await source.certificateNotAfter();
      if (notAfter) out.push({ credential: "certificate", expiresAt: notAfter });
    } catch (err) {
      logger.warn("the certificate's expiry could not be read; no expiry warning this cycle", { error: err instanceof Error ? err.name : "error" });
    }
  }
  if (settings.avepoint.credential.kind === "secret" && settings.monitoring.clientSecretExpiresAt) {
    out.push({ credential: "client-secret", expiresAt: settings.monitoring.clientSecretExpiresAt });
  }
  return out;
}

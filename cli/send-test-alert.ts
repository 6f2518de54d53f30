/**
 * `npm run send-test-alert [-- --receiver NAME]`: sends a clearly labelled test
 * message ("Test alert from Cloud Backup Alerts — no action needed") to each
 * configured receiver, composed as that receiver's alerts are (card, email),
 * straight through its channel: nothing goes to the ledger, so it never
 * counts as an alert or blocks one.
 *
 * Needs only the receivers' settings (no AvePoint credentials, no storage).
 * Prints per receiver: status, latency, attempts, and the error (credentials
 * redacted). Exit codes: 0 every receiver accepted it; 1 at least one did not;
 * 2 configuration error (invalid settings, no receiver, unknown --receiver).
 */
import { randomUUID } from "node:crypto";
import { fingerprintOf } from "../shared/alerts/fingerprint.js";
import type { TestAlert } from "../shared/alerts/model.js";
import { DeliveryError, type Channel } from "../shared/channels/delivery.js";
import type { Settings } from "../shared/config/index.js";
import { compose } from "../shared/delivery/outbox.js";
import { createLogger } from "../shared/logging.js";
import { buildReceiver } from "../shared/pipeline/runtime.js";
import { redact } from "../shared/security/secret.js";
import { argValue, loadOperatorSettings, processIo, runAsScript, secretsIn, type OperatorIo } from "./operator-io.js";

export interface TestDelivery {
  receiver: string;
  kind: string;
  ok: boolean;
  /** HTTP status (or the transport's equivalent); null when no answer came. */
  status: number | null;
  /** From the first try to the last answer, retries included. */
  latencyInMs: number;
  attempts: number | null;
  /** Redacted. */
  error: string | null;
}

/** The test message: an alert of kind `monitoring`, subject `test`, with an identity of its own each time. */
export function testAlert(tenant: string, now: Date): TestAlert {
  const identity = `test:${tenant}:${now.toISOString()}:${randomUUID()}`;
  return { kind: "monitoring", subject: "test", fingerprint: fingerprintOf(identity), identity, tenant, severity: "info", status: "firing", detectedAt: now };
}

export async function sendTestAlert(channel: Channel, settings: Settings, alert: TestAlert): Promise<TestDelivery> {
  const started = performance.now();
  const base = { receiver: channel.name, kind: channel.kind };
  try {
    const render = { tenantName: settings.alerts.tenantName, portalUrl: settings.avepoint.portalUrl };
    let status = 0;
    let attempts = 0;
    for (const message of compose(channel, [alert], { render, groupThreshold: settings.alerts.groupThreshold })) {
      const result = await channel.send(message.payload);
      status = result.status;
      attempts += result.attempts;
    }
    return { ...base, ok: true, status, latencyInMs: Math.round(performance.now() - started), attempts, error: null };
  } catch (err) {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return {
      ...base,
      ok: false,
      status: err instanceof DeliveryError ? (err.status ?? null) : null,
      latencyInMs: Math.round(performance.now() - started),
      attempts: err instanceof DeliveryError ? err.attempts : null,
      error: redact(text, secretsIn(settings)),
    };
  }
}

export function formatTestDelivery(d: TestDelivery): string {
  const status = d.status === null ? "no answer" : `status ${d.status}`;
  const attempts = d.attempts === null ? "" : `, ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`;
  return `${d.ok ? "OK    " : "FAILED"} ${d.receiver} (${d.kind}): ${status}, ${d.latencyInMs} ms${attempts}${d.error ? `: ${d.error}` : ""}`;
}

export async function main(argv: string[], io: OperatorIo = processIo): Promise<number> {
  const only = argValue(argv, "--receiver");
  if (only === null) {
    io.stderr("--receiver needs a receiver name\n");
    return 2;
  }
  // Only the receivers' settings matter: the test reads nothing from AvePoint and writes nothing to the ledger.
  const settings = loadOperatorSettings(io, { requireAvePoint: false });
  if (!settings) return 2;
  const secrets = secretsIn(settings);
  const logger = createLogger({ error: (l) => io.stderr(`[error] ${l}\n`), warn: (l) => io.stderr(`[warn] ${l}\n`), info: () => {} }, "warn", () =>
    secrets.map((s) => s.reveal()),
  );
  const all = settings.routing.receivers.map((spec) => buildReceiver(spec, { settings, logger }));
  const receivers = only === undefined ? all : all.filter((r) => r.channel.name === only);
  if (receivers.length === 0) {
    io.stderr(
      only === undefined
        ? "no receiver is configured (TEAMS_WEBHOOK_URL, the Teams bot or email)\n"
        : `no receiver named "${only}"; configured: ${all.map((r) => r.channel.name).join(", ") || "none"}\n`,
    );
    return 2;
  }
  const alert = testAlert(settings.alerts.tenantName, (io.now ?? (() => new Date()))());
  let ok = true;
  for (const receiver of receivers) {
    const delivery = await sendTestAlert(receiver.channel, settings, alert);
    io.stdout(`${formatTestDelivery(delivery)}\n`);
    ok &&= delivery.ok;
  }
  return ok ? 0 : 1;
}

runAsScript(import.meta.url, main);

import { httpRequest, safeOrigin } from "../http/request.js";
import type { Logger } from "../logging.js";
import { describeError, type Secret } from "../security/secret.js";

/**
 * The heartbeat: a GET to HEARTBEAT_URL after each successful cycle, for a
 * dead man's switch (healthchecks.io, Better Stack, Cronitor...) that alerts
 * when the pings stop, i.e. when this monitor stops running altogether,
 * which nothing inside the monitor can report.
 *
 * The URL is a credential (anyone holding it can keep the switch quiet):
 * only its origin is ever logged. A failed ping is logged and otherwise
 * ignored: the switch itself notices missing pings, and a ping must never
 * fail or slow down a cycle by more than its short timeout.
 */

const HEARTBEAT_TIMEOUT_IN_MS = 5_000;

interface HeartbeatOptions {
  logger: Logger;
  abortSignal?: AbortSignal;
}

/** Pings the URL once; true when it answered 2xx. Never throws. */
export async function pingHeartbeat(url: Secret, options: HeartbeatOptions): Promise<boolean> {
  const origin = safeOrigin(url.reveal());
  try {
    const response = await httpRequest({
      url: url.reveal(),
      method: "GET",
      timeoutInMs: HEARTBEAT_TIMEOUT_IN_MS,
      ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    });
    if (response.status >= 200 && response.status < 300) {
      options.logger.debug("heartbeat sent", { origin, elapsedInMs: Math.round(response.elapsedInMs) });
      return true;
    }
    options.logger.warn(`heartbeat to ${origin} answered HTTP ${response.status}; the dead man's switch may report this monitor as down`);
    return false;
  } catch (err) {
    const text = describeError(err, [url]);
    options.logger.warn(`heartbeat to ${origin} failed; the dead man's switch may report this monitor as down`, { error: text });
    return false;
  }
}

/**
 * The composition root: turns Settings into the pieces a monitor cycle needs.
 * The Functions entry points and the local runner both build through here, so
 * `func start`, `npm run poll` and `npm start` run the same code.
 * Built once per process: the AvePoint client keeps its token between cycles.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { TokenCredential } from "@azure/identity";
import { createAvePointClient } from "./avepoint/index.js";
import { EXCHANGE_SMTP_SCOPE, type GraphCredentialSettings } from "./config/email.js";
import { ConfigError, type Settings } from "./config/settings.js";
import { WorkflowsWebhookChannel, type WorkflowsWebhookChannelOptions } from "./channels/teams-workflows.js";
import { createGraphCredential, GraphMailChannel } from "./channels/email-graph.js";
import { SmtpMailChannel } from "./channels/email-smtp.js";
// Only the lazy shell: the bot and the Teams SDK load with import() on the first bot send.
import { escalationStep, LazyTeamsBotChannel } from "./bot/lazy-channel.js";
import type { Receiver } from "./delivery/outbox.js";
import { DEFAULT_EMAIL_RECEIVER, DEFAULT_TEAMS_RECEIVER, type ReceiverSpec } from "./config/routing-file.js";
import { AlertLedger, createTableClients } from "./ledger/index.js";
import { silentLogger, type Logger } from "./logging.js";
import { pingHeartbeat } from "./monitors/heartbeat.js";
import { buildStatus, type StatusReport } from "./status.js";
import { runJobsMonitor, runLicenseMonitor, type AvePointReader, type CycleSummary, type MonitorName } from "./pipeline.js";
import { countTableRoundTrips, measureCycle, observeApiRequest } from "./telemetry/cycle-usage.js";
import { recordCycleMetrics } from "./telemetry/metrics.js";

export interface RuntimeOptions {
  now?: () => Date;
  /** Replaces the AvePoint client (the demo's simulator is reached through the real client; tests may inject). */
  reader?: AvePointReader;
  receivers?: Receiver[];
  /** Replaces the ledger built from settings.storage (the benchmark counts its Table Storage round trips). */
  ledger?: AlertLedger;
}

export interface Runtime {
  readonly settings: Settings;
  run(monitor: MonitorName, logger: Logger, options?: { abortSignal?: AbortSignal }): Promise<CycleSummary>;
  /** The configured receivers, as the monitors deliver to them (what `npm run send-test-alert` tests). */
  receivers(logger: Logger): Receiver[];
  /** Where every monitor stands (shared/status.ts): for `npm run status` and GET /api/health. */
  status(): Promise<StatusReport>;
}

/** Receiver name of the Teams Workflows webhook from TEAMS_WEBHOOK_URL; permanent (the ledger keys deliveries by it). */
export const TEAMS_RECEIVER = DEFAULT_TEAMS_RECEIVER;
/** Receiver name of the email list from EMAIL_TO; permanent like TEAMS_RECEIVER. */
export const EMAIL_RECEIVER = DEFAULT_EMAIL_RECEIVER;

export interface ReceiverContext {
  settings: Settings;
  logger: Logger;
  /** The Graph credential for email receivers; one per process, since it caches its token. Default: a new one. */
  graphCredential?: (settings: GraphCredentialSettings) => TokenCredential;
  /** Options for Teams Workflows channels (tests: no waits, a private pacer). */
  workflows?: Partial<Omit<WorkflowsWebhookChannelOptions, "name" | "url">>;
}

/**
 * One receiver of the routing (settings.routing): its channel, named by the
 * receiver's permanent name, and its fallback. Email receivers send through
 * the email transport of the settings (Graph or SMTP) to their own list.
 * @throws ConfigError for a receiver this build cannot deliver to.
 */
export function buildReceiver(spec: ReceiverSpec, context: ReceiverContext): Receiver {
  const { settings, logger } = context;
  const fallback = spec.fallback !== undefined ? { fallback: spec.fallback } : {};
  switch (spec.type) {
    case "teams-workflows":
      return { channel: new WorkflowsWebhookChannel({ logger, ...context.workflows, name: spec.name, url: spec.url }), ...fallback };
    case "email": {
      const email = settings.email;
      // The settings parser refuses email receivers without email settings; this guards other callers.
      if (!email) throw new ConfigError([{ variable: "EMAIL_FROM, EMAIL_TO", message: `receiver ${spec.name} sends email, but email is not configured` }]);
      const { transport } = email;
      if (transport.kind === "graph") {
        const credential = (context.graphCredential ?? createGraphCredential)(transport.credential);
        return {
          channel: new GraphMailChannel({ name: spec.name, sender: email.from, recipients: spec.to, credential, graphBaseUrl: transport.baseUrl, logger }),
          ...fallback,
        };
      }
      const { host, port, secure, requireTls, auth } = transport;
      const oauth2 = transport.oauth2 ? smtpOAuth2(transport.oauth2.user, (context.graphCredential ?? createGraphCredential)(transport.oauth2.credential)) : undefined;
      return {
        channel: new SmtpMailChannel({ name: spec.name, host, port, secure, requireTls, from: email.from, recipients: spec.to, logger, ...(auth ? { auth } : {}), ...(oauth2 ? { oauth2 } : {}) }),
        ...fallback,
      };
    }
    case "teams-bot":
      // The settings parser refuses bot receivers without TEAMS_BOT_APP_ID; this guards other callers.
      if (!settings.bot) throw new ConfigError([{ variable: "TEAMS_BOT_APP_ID", message: `receiver ${spec.name} posts through the Teams bot, but the bot is not configured` }]);
      return { channel: new LazyTeamsBotChannel(spec.name, settings, logger), ...fallback };
  }
}

/** XOAUTH2 for Exchange Online: a token for its SMTP service from the app's credential (cached and refreshed by @azure/identity). */
function smtpOAuth2(user: string, credential: TokenCredential): { user: string; token: () => Promise<string> } {
  return {
    user,
    async token() {
      const access = await credential.getToken(EXCHANGE_SMTP_SCOPE);
      if (!access?.token) throw new Error("the credential returned no token for Exchange Online SMTP");
      return access.token;
    },
  };
}

export function createRuntime(settings: Settings, options: RuntimeOptions = {}): Runtime {
  const storage = settings.storage;
  const now = options.now ?? (() => new Date());
  const ledger = options.ledger ?? (storage ? measuredLedger(storage, settings.tablePrefix, now) : undefined);
  if (!ledger) throw new Error("no ledger storage configured");
  const unavailableSince = new Map<string, Date>();
  const escalate = escalationStep(settings);
  let reader = options.reader;
  // Like the AvePoint client, the Graph credential lives as long as the process: it caches its token.
  let graphCredential: TokenCredential | undefined;
  // Channels are cheap and take the run's logger; pacing is process-wide, keyed by URL.
  const receiversFor = (logger: Logger): Receiver[] => {
    if (options.receivers) return options.receivers;
    const graphCredentialFor = (credential: GraphCredentialSettings): TokenCredential => (graphCredential ??= createGraphCredential(credential));
    return settings.routing.receivers.map((spec) => buildReceiver(spec, { settings, logger, graphCredential: graphCredentialFor }));
  };
  // The client lives as long as the process (it caches its token) but logs to the
  // invocation that is running: each run's logger is found through async context.
  const currentLogger = new AsyncLocalStorage<Logger>();
  const forwardingLogger: Logger = {
    error: (m, d) => (currentLogger.getStore() ?? silentLogger).error(m, d),
    warn: (m, d) => (currentLogger.getStore() ?? silentLogger).warn(m, d),
    info: (m, d) => (currentLogger.getStore() ?? silentLogger).info(m, d),
    debug: (m, d) => (currentLogger.getStore() ?? silentLogger).debug(m, d),
  };
  return {
    settings,
    async run(monitor, logger, runOptions = {}) {
      reader ??= createAvePointClient(settings.avepoint, { logger: forwardingLogger, onRequest: observeApiRequest });
      const deps = {
        settings,
        reader,
        ledger,
        receivers: receiversFor(logger),
        now,
        logger,
        owner: `${monitor}-${randomUUID().slice(0, 8)}`,
        unavailableSince,
        ...(escalate ? { escalate } : {}),
        ...(runOptions.abortSignal ? { abortSignal: runOptions.abortSignal } : {}),
      };
      const measured = await measureCycle(() => currentLogger.run(logger, () => (monitor === "jobs" ? runJobsMonitor(deps) : runLicenseMonitor(deps))));
      const summary: CycleSummary = { ...measured.result, usage: measured.usage };
      // No-ops unless a MeterProvider is registered (in Azure: shared/telemetry/export.ts).
      recordCycleMetrics(summary);
      // The dead man's switch hears only from cycles that read and delivered everything.
      const heartbeatUrl = settings.monitoring.heartbeatUrl;
      if (summary.ok && heartbeatUrl) await pingHeartbeat(heartbeatUrl, { logger, ...(runOptions.abortSignal ? { abortSignal: runOptions.abortSignal } : {}) });
      return summary;
    },
    receivers: (logger) => receiversFor(logger),
    // Tables are created when absent, so a deployment that has not run a cycle yet reads as "has not run yet".
    status: async () => {
      await ledger.ensureTables();
      return buildStatus({ settings, ledger, now: now() });
    },
  };
}

/** The ledger over the settings' tables, its round trips counted against the cycle running (shared/telemetry/cycle-usage.ts). */
function measuredLedger(storage: NonNullable<Settings["storage"]>, tablePrefix: string, now: () => Date): AlertLedger {
  const clients = createTableClients(storage, tablePrefix);
  countTableRoundTrips(clients.alerts, clients.checkpoints);
  return new AlertLedger(clients, { now });
}

/** One line per cycle, for logs and the local runner. */
export function formatSummary(s: CycleSummary): string {
  const d = s.delivery;
  const parts = [
    `${s.monitor} monitor [${s.tenant}]: ${s.ok ? "ok" : "FAILED"}`,
    s.monitor === "jobs" ? `${s.read} job(s) read` : s.read > 0 ? "license read" : "license not read",
    `${s.newAlerts} new alert(s)`,
    `${d.delivered} delivered in ${d.messages} message(s)`,
  ];
  if (d.failed > 0) parts.push(`${d.failed} pending after failed delivery`);
  if (d.skipped > 0) parts.push(`${d.skipped} held by another run`);
  if (d.deferred > 0) parts.push(`${d.deferred} pending, retried next cycle`);
  if (d.overtaken > 0) parts.push(`${d.overtaken} sent after another run took them over (possible duplicates)`);
  if (d.setAside.length > 0) parts.push(`${d.setAside.length} set aside (quarantined: unreadable or not renderable)`);
  if (s.window) parts.push(`window ${s.window.start.toISOString()} .. ${s.window.end.toISOString()}`);
  if (s.error) parts.push(`read error: ${s.error}`);
  if (d.errors.length > 0) parts.push(`delivery error: ${d.errors[0]}`);
  return parts.join("; ");
}

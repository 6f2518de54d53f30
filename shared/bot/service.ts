/**
 * The Teams bot, put together: its tables, the SDK layer (teams-app.ts), the
 * handlers for installs and buttons and the `teams-bot` channel (escalation
 * needs none of it: see escalation.ts).
 * Both entry points build it through here: the HTTP function
 * (functions/messages.ts) and the runtime when TEAMS_BOT_APP_ID is set. Always
 * loaded with dynamic import(): it pulls in the Teams SDK.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { RenderContext } from "../alerts/model.js";
import type { Settings } from "../config/settings.js";
import { TeamsBotChannel, type TeamsBotChannelOptions } from "../receivers/teams-bot.js";
import { conversationKey, processWideTeamsBotLimiter, type TeamsBotRateLimiter } from "../receivers/teams-rate-limit.js";
import { sleep as timerSleep } from "../http/retry.js";
import { renderBotAlertCard } from "../render/bot-card.js";
import type { TableClientsOptions } from "../ledger/clients.js";
import { silentLogger, type Logger } from "../logging.js";
import { DEFAULT_TEAMS_BOT_RECEIVER } from "../config/routing-file.js";
import { handleCardAction } from "./actions.js";
import { CardStore } from "../ledger/bot-cards.js";
import type { BotConnector } from "../receivers/bot-connector.js";
import type { BotHandlers } from "./contracts.js";
import { BotRequestError, toBotRequest, toHttpResponseInit, type IncomingHttpRequest } from "./http-bridge.js";
import { InstallationStore, type StoredConversationReference } from "../ledger/installations.js";
import { SnoozeStore } from "../ledger/snoozes.js";
import { createBotTables, type BotTables } from "../ledger/bot-tables.js";
import { createTeamsBot, type BotAuthentication } from "./teams-app.js";

interface BotServiceOptions {
  settings: Settings;
  /** Default: from settings.bot. Tests pass `{ kind: "unauthenticated" }`. */
  authentication?: BotAuthentication;
  tables?: BotTables;
  tableOptions?: TableClientsOptions;
  now?: () => Date;
  /** For the channel's pacing and retries (tests: instant sleeps, fixed jitter). */
  channelOptions?: Partial<Pick<TeamsBotChannelOptions, "sleep" | "now" | "random" | "retryPolicy">>;
  /** Teams' rate limits for every send, update and redraw; default: the process's one limiter. */
  limiter?: TeamsBotRateLimiter;
}

export interface BotService {
  readonly installations: InstallationStore;
  readonly cards: CardStore;
  readonly snoozes: SnoozeStore;
  readonly connector: BotConnector;
  /** POST /api/messages: a Functions v4 request in, a Functions v4 response init out. */
  handle(request: IncomingHttpRequest, logger?: Logger): Promise<{ status: number; headers: Record<string, string>; body?: string; jsonBody?: unknown }>;
  /** The `teams-bot` receiver's channel, logging to the run's logger. `name` defaults to the default route's bot receiver. */
  channel(logger: Logger, name?: string): TeamsBotChannel;
  /** Resolves when the work started after answers (redrawing other cards after a press) is done. */
  settled(): Promise<void>;
}

export function createBotService(options: BotServiceOptions): BotService {
  const { settings } = options;
  const authentication = options.authentication ?? (settings.bot ? { kind: "settings" as const, settings: settings.bot } : undefined);
  if (!authentication) throw new Error("the Teams bot is not configured: set TEAMS_BOT_APP_ID (and its credential)");
  const storage = settings.storage;
  if (!options.tables && !storage) throw new Error("the Teams bot needs Table Storage: set ALERTS_STORAGE (or AzureWebJobsStorage)");
  const tables = options.tables ?? createBotTables(storage!, settings.tablePrefix, options.tableOptions);
  const installations = new InstallationStore(tables.conversations);
  const cards = new CardStore(tables.cards);
  const snoozes = new SnoozeStore(tables.snoozes);
  const now = options.now ?? (() => new Date());
  const tenant = settings.alerts.tenantName;
  const render: RenderContext = { tenantName: tenant, portalUrl: settings.avepoint.portalUrl };
  const currentLogger = new AsyncLocalStorage<Logger>();
  const log = (): Logger => currentLogger.getStore() ?? silentLogger;

  // Only the tenants the bot serves (TEAMS_BOT_ALLOWED_TENANTS, default its own): a token
  // from the Bot Framework proves only that Teams sent the activity, not whose Teams it is.
  const allowedTenants = new Set((settings.bot?.allowedTenants ?? []).map((t) => t.toLowerCase()));
  const handlers: BotHandlers = {
    admits(reference, activityType) {
      const tenantId = reference.conversation.tenantId?.toLowerCase();
      if (tenantId && allowedTenants.has(tenantId)) return true;
      log().warn(`Teams bot: refused a ${activityType} activity from Teams tenant ${tenantId ? `"${tenantId.slice(0, 40)}"` : "(none given)"}: not in TEAMS_BOT_ALLOWED_TENANTS (default TEAMS_BOT_TENANT_ID)`, {
        activityType,
        tenantId: tenantId?.slice(0, 40) ?? null,
      });
      return false;
    },
    async onInstalled(reference: StoredConversationReference) {
      if (!reference.conversation.id || !reference.serviceUrl) return;
      await installations.remember(tenant, reference, now());
      log().info(`Teams bot: installed in a ${reference.conversation.conversationType ?? "personal"} conversation`);
    },
    async onUninstalled(reference: StoredConversationReference) {
      await installations.forget(tenant, reference.conversation.id);
      log().info(`Teams bot: removed from a ${reference.conversation.conversationType ?? "personal"} conversation`);
    },
    async onMessage() {
      return "I post Cloud Backup alerts here. Use the buttons on an alert card to acknowledge, snooze or resolve it.";
    },
    onAction: (request) => {
      const logger = log();
      return handleCardAction(request, {
        cards,
        snoozes,
        render,
        now,
        logger,
        followUp: (work) => afterAnswer(work, logger),
        async redraw(card) {
          const installation = await installations.get(tenant, card.conversationId);
          if (!installation) return;
          await limiter.waitForSlot(conversationKey(card.conversationId), limiterClock);
          await bot.connector.update(installation.reference, card.activityId, renderBotAlertCard(card.alert, render, card.status));
        },
      });
    },
    async onError(error, activityType) {
      log().error(`Teams bot: handling a ${activityType} activity failed: ${error.name}: ${error.message.slice(0, 300)}`);
    },
  };
  const bot = createTeamsBot({ authentication, handlers });
  const limiter = options.limiter ?? processWideTeamsBotLimiter;
  const limiterClock = { now: options.channelOptions?.now ?? Date.now, sleep: options.channelOptions?.sleep ?? timerSleep };

  // Work after an answer: Teams waits only ~5 s for a button's answer. On Flex Consumption
  // the instance keeps running after the response, so this finishes; a failure is logged.
  const pending = new Set<Promise<void>>();
  function afterAnswer(work: () => Promise<void>, logger: Logger): void {
    const done: Promise<void> = work()
      .catch((error: unknown) => logger.error(`Teams bot: updating the other cards after a button press failed: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`))
      .finally(() => pending.delete(done));
    pending.add(done);
  }

  return {
    installations,
    cards,
    snoozes,
    connector: bot.connector,
    async handle(request, logger = silentLogger) {
      return currentLogger.run(logger, async () => {
        let botRequest;
        try {
          botRequest = await toBotRequest(request);
        } catch (error) {
          if (error instanceof BotRequestError) return { status: 400, headers: { "content-type": "text/plain; charset=utf-8" }, body: error.message };
          throw error;
        }
        return toHttpResponseInit(await bot.handle(botRequest));
      });
    },
    channel(logger, name = DEFAULT_TEAMS_BOT_RECEIVER) {
      return new TeamsBotChannel({ name, connector: bot.connector, installations, cards, snoozes, tenant, logger, limiter, ...options.channelOptions });
    },
    async settled() {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}

let processService: BotService | undefined;

/** The process's bot service, built from settings on first use. */
export function botServiceFor(settings: Settings): BotService {
  processService ??= createBotService({ settings });
  return processService;
}

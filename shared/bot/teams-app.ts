/**
 * The one module that speaks the Teams SDK (@microsoft/teams-ai v1 over
 * botbuilder's CloudAdapter). Everything else in shared/bot works with the
 * plain types below (BotHandlers, BotConnector, StoredConversationReference),
 * so moving to the Teams SDK v2 (@microsoft/teams.apps) replaces this file only.
 *
 * Loaded only through dynamic import() (functions/messages.ts, and the
 * runtime when a bot receiver is configured): the timer functions never pay
 * for the SDK's import time.
 */
import { X509Certificate } from "node:crypto";
import { AdaptiveCardActionExecuteResponseType, Application, TeamsAdapter, type AdaptiveCard as SdkAdaptiveCard, type TurnState } from "@microsoft/teams-ai";
import { ActivityTypes, ConfigurationServiceClientCredentialFactory, type Activity, type ConversationReference, type TurnContext } from "botbuilder";
import type { BotSettings } from "../config/settings.js";
import { parseRetryAfter } from "../http/retry.js";
import type { BotActivity, BotActionData, BotVerb } from "../render/bot-card.js";
import { BOT_VERBS } from "../render/bot-card.js";
import { ConnectorError, type BotConnector } from "../receivers/bot-connector.js";
import type { BotHandlers, BotHttpRequest, BotHttpResponse, TeamsActor } from "./contracts.js";
import { baseConversationId, type StoredConversationReference } from "../ledger/installations.js";
import { BotResponseRecorder } from "./http-bridge.js";

/**
 * How the bot proves who it is to the Bot Connector and checks who calls it.
 * `unauthenticated` exists for tests only: no token is checked on incoming
 * activities and none is sent with outgoing ones. Settings never produce it.
 */
export type BotAuthentication = { kind: "settings"; settings: BotSettings } | { kind: "unauthenticated" };

interface TeamsBot {
  readonly connector: BotConnector;
  /** Processes one POST /api/messages. */
  handle(request: BotHttpRequest): Promise<BotHttpResponse>;
}

interface TeamsBotOptions {
  authentication: BotAuthentication;
  handlers: BotHandlers;
}

/** The Bot Framework configuration names CloudAdapter reads. Secrets go only here, never into logs. */
function adapterConfiguration(auth: BotAuthentication): Record<string, string> {
  if (auth.kind === "unauthenticated") return {};
  const s = auth.settings;
  const config: Record<string, string> = { MicrosoftAppId: s.appId, MicrosoftAppType: s.appType };
  if (s.tenantId) config["MicrosoftAppTenantId"] = s.tenantId;
  if (s.credential?.kind === "secret") config["MicrosoftAppPassword"] = s.credential.secret.reveal();
  if (s.credential?.kind === "certificate") {
    const pem = s.credential.pem.reveal();
    config["CertificateThumbprint"] = certificateThumbprint(pem);
    config["CertificatePrivateKey"] = privateKeyOf(pem);
  }
  return config;
}

function certificateThumbprint(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error("TEAMS_BOT_CERTIFICATE holds no certificate");
  // X509Certificate.fingerprint is SHA-1 as AA:BB:...; Entra wants the hex digits alone.
  return new X509Certificate(match[0]).fingerprint.replace(/:/g, "");
}

function privateKeyOf(pem: string): string {
  const match = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem);
  if (!match) throw new Error("TEAMS_BOT_CERTIFICATE holds no private key");
  return match[0];
}

const VERB_LIST: readonly BotVerb[] = Object.values(BOT_VERBS);

export function createTeamsBot(options: TeamsBotOptions): TeamsBot {
  const { handlers } = options;
  const botAppId = options.authentication.kind === "settings" ? options.authentication.settings.appId : "";
  const adapter = new TeamsAdapter(adapterConfiguration(options.authentication) as ConstructorParameters<typeof TeamsAdapter>[0]);
  // The SDK logs failed turns to the console; our handlers log through the invocation's logger instead.
  adapter.onTurnError = async (context, error) => {
    await handlers.onError(error instanceof Error ? error : new Error(String(error)), context.activity?.type ?? "unknown");
  };
  const app = new Application<TurnState>({
    adapter,
    botAppId,
    adaptiveCards: { actionExecuteResponseType: AdaptiveCardActionExecuteResponseType.REPLACE_FOR_ALL },
  });

  // Installs, uninstalls and first contact: remember (or forget) the conversation.
  app.activity(ActivityTypes.InstallationUpdate, async (context) => {
    const action = String(context.activity.action ?? "");
    if (action.startsWith("remove")) await handlers.onUninstalled(referenceOf(context));
    else await handlers.onInstalled(referenceOf(context));
  });
  app.conversationUpdate("membersAdded", async (context) => {
    const botAdded = (context.activity.membersAdded ?? []).some((m) => m.id === context.activity.recipient?.id);
    if (botAdded) await handlers.onInstalled(referenceOf(context));
  });
  app.conversationUpdate("membersRemoved", async (context) => {
    const botRemoved = (context.activity.membersRemoved ?? []).some((m) => m.id === context.activity.recipient?.id);
    if (botRemoved) await handlers.onUninstalled(referenceOf(context));
  });
  app.activity(ActivityTypes.Message, async (context) => {
    // First contact in a personal or group chat registers it. A channel is
    // registered only by the install (the channel chosen then): an @mention in
    // some thread or other channel of the team is not a place to post alerts.
    const reference = referenceOf(context);
    if (reference.conversation.conversationType !== "channel") await handlers.onInstalled(reference);
    await context.sendActivity(await handlers.onMessage(reference));
  });

  app.adaptiveCards.actionExecute<BotActionData>([...VERB_LIST], async (context, _state, data) => {
    const verb = String((context.activity.value as { action?: { verb?: unknown } } | undefined)?.action?.verb ?? "") as BotVerb;
    const from = context.activity.from;
    const actor: TeamsActor = { name: from?.name ?? "someone", ...(from?.aadObjectId ? { aadObjectId: from.aadObjectId } : {}) };
    const activityId = context.activity.replyToId;
    const answer = await handlers.onAction({ verb, data, actor, reference: referenceOf(context), ...(activityId ? { activityId } : {}) });
    // teams-ai types the card loosely (an object with `type: "AdaptiveCard"`); ours is the same JSON, typed.
    return typeof answer === "string" ? answer : (answer as unknown as SdkAdaptiveCard);
  });

  const connector: BotConnector = {
    async send(reference, activity) {
      let id: string | undefined;
      await continueIn(adapter, botAppId, reference, async (context) => {
        id = (await context.sendActivity(activity as Partial<Activity>))?.id;
      });
      if (!id) throw new ConnectorError("the Bot Connector accepted the message but returned no activity id", { status: 200 });
      return id;
    },
    async update(reference, activityId, activity) {
      await continueIn(adapter, botAppId, reference, async (context) => {
        await context.updateActivity({ ...(activity as Partial<Activity>), id: activityId });
      });
    },
  };

  return {
    connector,
    async handle(request) {
      // No token at all: refused here, before the adapter (which would log the refusal to the console as an error).
      if (options.authentication.kind === "settings" && !request.headers["authorization"]) {
        return { status: 401, headers: {}, body: "Unauthorized: Bot Framework calls carry a signed token (Authorization header)." };
      }
      const response = new BotResponseRecorder();
      await adapter.process(request, response, async (context) => {
        // After the token check, before any route: an activity from a tenant the bot does not serve is dropped here.
        if (handlers.admits(referenceOf(context), String(context.activity.type ?? "unknown"))) await app.run(context);
      });
      return response.result();
    },
  };
}

/** A proactive turn in a stored conversation; Connector failures become ConnectorError (status, Retry-After). */
async function continueIn(adapter: TeamsAdapter, botAppId: string, reference: StoredConversationReference, logic: (context: TurnContext) => Promise<void>): Promise<void> {
  // The adapter hands errors inside a turn to onTurnError; a proactive send must see them instead.
  let failure: { error: unknown } | undefined;
  try {
    await adapter.continueConversationAsync(botAppId, reference as Partial<ConversationReference>, async (context) => {
      withoutSdkRetries(context, adapter);
      try {
        await logic(context);
      } catch (error) {
        failure = { error };
      }
    });
  } catch (error) {
    failure = { error };
  }
  if (failure) throw toConnectorError(failure.error);
}

/**
 * The Connector client's HTTP pipeline (@azure/core-client) retries 429 and
 * 5xx on its own, which would multiply the one retrier's attempts and hide
 * Retry-After from the pacer. Its retry policy is taken out for our proactive
 * turns; the fake-connector tests count requests per attempt, so an SDK change
 * here shows up as a failing test rather than as silent extra retries.
 */
const SDK_RETRY_POLICY = "defaultRetryPolicy";

function withoutSdkRetries(context: TurnContext, adapter: TeamsAdapter): void {
  const client = context.turnState.get(adapter.ConnectorClientKey) as { client?: { pipeline?: { removePolicy(options: { name: string }): unknown } } } | undefined;
  client?.client?.pipeline?.removePolicy({ name: SDK_RETRY_POLICY });
}

type SdkError = {
  name?: unknown;
  status?: unknown;
  statusCode?: unknown;
  errorCode?: unknown;
  code?: unknown;
  message?: unknown;
  response?: { headers?: { get?: (name: string) => string | undefined | null }; bodyAsText?: unknown; parsedBody?: unknown };
};

/** Error names of MSAL and @azure/identity: the bot's token could not be had, the Connector was never asked. */
const SIGN_IN_ERRORS = new Set(["ServerError", "ClientAuthError", "ClientConfigurationError", "AuthError", "InteractionRequiredAuthError", "AuthenticationError", "CredentialUnavailableError", "AggregateAuthenticationError"]);

const BOT_SIGN_IN_ADVICE = "check TEAMS_BOT_APP_ID, TEAMS_BOT_APP_TYPE (SingleTenant or UserAssignedMSI for bots registered since July 2025), TEAMS_BOT_TENANT_ID and the bot's password, certificate or managed identity";

/** Exported for its tests: how an SDK or MSAL failure reads to the channel (status, code, retry or not). */
export function toConnectorError(err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const e = (err ?? {}) as SdkError;
  // The SDK's message can quote the request URL (the serviceUrl, not a secret) but never the token; it is still kept short.
  const text = typeof e.message === "string" ? e.message.slice(0, 300) : String(err).slice(0, 300);
  if ((typeof e.name === "string" && SIGN_IN_ERRORS.has(e.name)) || typeof e.errorCode === "string") {
    const code = typeof e.errorCode === "string" && e.errorCode ? ` (${e.errorCode})` : "";
    // Entra unreachable or failing (5xx) is worth another try; everything else is the settings.
    const entraStatus = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : undefined;
    if (e.errorCode === "network_error" || (entraStatus !== undefined && entraStatus >= 500)) {
      return new ConnectorError(`no answer from Microsoft Entra for the bot's token${code}: ${text.slice(0, 200)}`);
    }
    // MSAL's ServerError carries `status`, not `statusCode`: without this it would read as "no answer" and be retried forever.
    return new ConnectorError(`the bot could not get its token from Microsoft Entra${code}: ${BOT_SIGN_IN_ADVICE}. ${text.slice(0, 200)}`, { signIn: true });
  }
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  const retryAfterInMs = parseRetryAfter(e.response?.headers?.get?.("retry-after") ?? undefined);
  const code = connectorErrorCode(e);
  return new ConnectorError(status === undefined ? `no answer from the Bot Connector: ${text}` : `the Bot Connector answered HTTP ${status}${code ? ` (${code})` : ""}`, {
    ...(status !== undefined ? { status } : {}),
    ...(retryAfterInMs !== undefined ? { retryAfterInMs } : {}),
    ...(code ? { code } : {}),
  });
}

/** The Connector's `{"error":{"code":…}}`, which tells an uninstalled app (BotNotInConversationRoster) from a deleted message. */
function connectorErrorCode(e: SdkError): string | undefined {
  const fromBody = (body: unknown): unknown => (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  let code = fromBody(e.response?.parsedBody);
  if (code === undefined && typeof e.response?.bodyAsText === "string") {
    try {
      code = fromBody(JSON.parse(e.response.bodyAsText));
    } catch {
      // Not JSON: no code.
    }
  }
  if (code === undefined && typeof e.code === "string" && /^[A-Za-z]+$/.test(e.code)) code = e.code;
  return typeof code === "string" && code ? code.slice(0, 80) : undefined;
}

/**
 * Gets a Bot Connector token with the bot's settings, exactly as a proactive
 * send would (check-config --online). Resolves when Entra issued one; rejects
 * with a ConnectorError (signIn) naming what to check.
 */
/** What botframework-connector's AuthenticationConstants name ToChannelFromBotOAuthScope and ToChannelFromBotLoginUrl (public cloud). */
const BOT_CONNECTOR_SCOPE = "https://api.botframework.com";
const BOT_LOGIN_URL = "https://login.microsoftonline.com/botframework.com";

export async function acquireBotToken(settings: BotSettings): Promise<void> {
  const factory = new ConfigurationServiceClientCredentialFactory(adapterConfiguration({ kind: "settings", settings }));
  try {
    const credentials = await factory.createCredentials(settings.appId, BOT_CONNECTOR_SCOPE, BOT_LOGIN_URL, true);
    const token = await (credentials as unknown as { getToken(forceRefresh?: boolean): Promise<string> }).getToken(true);
    if (!token) throw new ConnectorError(`Microsoft Entra returned no token: ${BOT_SIGN_IN_ADVICE}`, { signIn: true });
  } catch (error) {
    const failure = toConnectorError(error);
    throw failure.signIn ? failure : new ConnectorError(`the bot could not get its token: ${BOT_SIGN_IN_ADVICE}. ${failure.message}`, { signIn: true });
  }
}

function referenceOf(context: TurnContext): StoredConversationReference {
  const a = context.activity;
  const conversation = a.conversation ?? { id: "" };
  const tenantId = (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? conversation.tenantId;
  return {
    serviceUrl: a.serviceUrl,
    channelId: a.channelId,
    conversation: {
      id: baseConversationId(conversation.id),
      ...(conversation.conversationType ? { conversationType: conversation.conversationType } : {}),
      ...(tenantId ? { tenantId } : {}),
      ...(conversation.isGroup !== undefined ? { isGroup: conversation.isGroup } : {}),
      ...(conversation.name ? { name: conversation.name } : {}),
    },
    bot: { id: a.recipient?.id ?? "", ...(a.recipient?.name ? { name: a.recipient.name } : {}) },
  };
}

export type { BotActivity };

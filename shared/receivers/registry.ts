/**
 * The receiver kinds, one entry each: how the sender of a routing receiver
 * is built (from its spec, which config/ has parsed and checked), how a
 * cycle's alerts are composed into that kind's messages, and how it is named
 * to an operator. The runtime, the outbox, `npm run send-test-alert` and
 * `npm run check-config` all go through here, so a kind is wired in one
 * place: its spec in the routing file (config/ reads it, below this folder),
 * its channel module in this folder, and its entry below (a kind without one
 * does not compile).
 */
import type { TokenCredential } from "@azure/identity";
import type { Alert, RenderContext } from "../alerts/model.js";
import { EXCHANGE_SMTP_SCOPE, type GraphCredentialSettings } from "../config/email.js";
import { ConfigError, type Settings } from "../config/settings.js";
// Only the lazy shell: the bot and the Teams SDK load with import() on the first bot send.
import { LazyTeamsBotChannel } from "./lazy-teams-bot.js";
import type { Logger } from "../logging.js";
import { buildTeamsBotMessages } from "../render/bot-card.js";
import { buildEmailMessages, buildWorkflowsMessages } from "../render/index.js";
import type { ReceiverSpec, ReceiverType } from "../config/routing-file.js";
import type { Channel, Receiver } from "./channel.js";
import { createGraphCredential, GraphMailChannel } from "./email-graph.js";
import { SmtpMailChannel } from "./email-smtp.js";
import { WorkflowsWebhookChannel, type WorkflowsWebhookChannelOptions } from "./teams-workflows.js";

interface ReceiverContext {
  settings: Settings;
  logger: Logger;
  /** The Graph credential for email receivers; one per process, since it caches its token. Default: a new one. */
  graphCredential?: (settings: GraphCredentialSettings) => TokenCredential;
  /** Options for Teams Workflows channels (tests: no waits, a private pacer). */
  workflows?: Partial<Omit<WorkflowsWebhookChannelOptions, "name" | "url">>;
}

/** One message for a receiver, and the alerts (fingerprints) it carries. */
export interface ComposedMessage {
  payload: object;
  fingerprints: string[];
}

interface ComposeOptions {
  render: RenderContext;
  groupThreshold: number;
}

interface ReceiverKind<K extends ReceiverType> {
  /** The channel of one receiver of this kind. @throws ConfigError for a receiver this build cannot deliver to. */
  build(spec: Extract<ReceiverSpec, { type: K }>, context: ReceiverContext): Channel;
  /** A cycle's alerts for this kind of receiver, as its messages. */
  compose(alerts: readonly Alert[], render: RenderContext, options: { groupThreshold: number }): ComposedMessage[];
  /** Where a receiver of this kind sends, for `npm run check-config` (no credential). */
  target(spec: Extract<ReceiverSpec, { type: K }>): string;
}

const RECEIVER_KINDS: { readonly [K in ReceiverType]: ReceiverKind<K> } = {
  "teams-workflows": {
    build: (spec, { logger, workflows }) => new WorkflowsWebhookChannel({ logger, ...workflows, name: spec.name, url: spec.url }),
    compose: buildWorkflowsMessages,
    // Only the host: the rest of the URL is its credential.
    target: (spec) => `webhook host ${new URL(spec.url.reveal()).host}${spec.urlFrom ? ` (URL from ${spec.urlFrom})` : ""}`,
  },
  // Email receivers send through the email transport of the settings (Graph or SMTP) to their own list.
  email: {
    build: buildMailChannel,
    compose: (alerts, render, options) => buildEmailMessages(alerts, render, options).map(({ message, fingerprints }) => ({ payload: message, fingerprints })),
    target: (spec) => spec.to.join(", "),
  },
  "teams-bot": {
    build: (spec, { settings, logger }) => {
      // The settings parser refuses bot receivers without TEAMS_BOT_APP_ID; this guards other callers.
      if (!settings.bot) throw new ConfigError([{ variable: "TEAMS_BOT_APP_ID", message: `receiver ${spec.name} posts through the Teams bot, but the bot is not configured` }]);
      return new LazyTeamsBotChannel(spec.name, settings, logger);
    },
    compose: buildTeamsBotMessages,
    target: () => "the Teams bot (TEAMS_BOT_APP_ID)",
  },
};

/**
 * One receiver of the routing (settings.routing): its channel, named by the
 * receiver's permanent name, and its fallback.
 * @throws ConfigError for a receiver this build cannot deliver to.
 */
export function buildReceiver(spec: ReceiverSpec, context: ReceiverContext): Receiver {
  const channel = (RECEIVER_KINDS[spec.type] as ReceiverKind<ReceiverType>).build(spec as never, context);
  return { channel, ...(spec.fallback !== undefined ? { fallback: spec.fallback } : {}) };
}

/** Every receiver of the settings' routing, in declaration order. */
export function buildReceivers(context: ReceiverContext): Receiver[] {
  return context.settings.routing.receivers.map((spec) => buildReceiver(spec, context));
}

/** How a channel's kind turns alerts into messages (the outbox; also `npm run send-test-alert`). */
export function compose(channel: Channel, alerts: Alert[], options: ComposeOptions): ComposedMessage[] {
  const kind = RECEIVER_KINDS[channel.kind] as ReceiverKind<ReceiverType> | undefined;
  if (!kind) throw new Error(`no composer for receiver kind ${channel.kind}`);
  return kind.compose(alerts, options.render, { groupThreshold: options.groupThreshold });
}

/** Where a receiver sends (a webhook's host, the recipients, the bot), never a credential. */
export function receiverTarget(spec: ReceiverSpec): string {
  return (RECEIVER_KINDS[spec.type] as ReceiverKind<ReceiverType>).target(spec as never);
}

function buildMailChannel(spec: Extract<ReceiverSpec, { type: "email" }>, context: ReceiverContext): Channel {
  const { settings, logger } = context;
  const email = settings.email;
  // The settings parser refuses email receivers without email settings; this guards other callers.
  if (!email) throw new ConfigError([{ variable: "EMAIL_FROM, EMAIL_TO", message: `receiver ${spec.name} sends email, but email is not configured` }]);
  const { transport } = email;
  const credentialFor = context.graphCredential ?? createGraphCredential;
  if (transport.kind === "graph") {
    return new GraphMailChannel({ name: spec.name, sender: email.from, recipients: spec.to, credential: credentialFor(transport.credential), graphBaseUrl: transport.baseUrl, logger });
  }
  const { host, port, secure, requireTls, auth } = transport;
  const oauth2 = transport.oauth2 ? smtpOAuth2(transport.oauth2.user, credentialFor(transport.oauth2.credential)) : undefined;
  return new SmtpMailChannel({ name: spec.name, host, port, secure, requireTls, from: email.from, recipients: spec.to, logger, ...(auth ? { auth } : {}), ...(oauth2 ? { oauth2 } : {}) });
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

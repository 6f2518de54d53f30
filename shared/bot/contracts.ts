/**
 * What the SDK layer calls back when Teams talks to the bot, in plain types
 * (what the channel needs to send is receivers/bot-connector.ts). Only
 * shared/bot/teams-app.ts implements them with @microsoft/teams-ai; this
 * file imports no SDK.
 */
import type { BotActionData, BotAdaptiveCard, BotVerb } from "../render/bot-card.js";
import type { StoredConversationReference } from "../ledger/installations.js";

/** A Teams user who pressed a button. The name is display text from Teams (untrusted). */
export interface TeamsActor {
  name: string;
  aadObjectId?: string;
}

export interface CardActionRequest {
  verb: BotVerb;
  data: BotActionData;
  actor: TeamsActor;
  reference: StoredConversationReference;
  /** The message whose button was pressed (the card the SDK layer replaces for everyone). */
  activityId?: string;
}

/** What the SDK layer calls when Teams talks to the bot. */
export interface BotHandlers {
  /**
   * Whether an activity from this conversation is handled at all (the Teams
   * tenant is one the bot serves). Refused activities get no answer and store nothing.
   */
  admits(reference: StoredConversationReference, activityType: string): boolean;
  onInstalled(reference: StoredConversationReference): Promise<void>;
  onUninstalled(reference: StoredConversationReference): Promise<void>;
  /** A message to the bot: the answer to post back (plain text). */
  onMessage(reference: StoredConversationReference): Promise<string>;
  /** A card button (Action.Execute): the card that replaces it for everyone, or a short message. */
  onAction(request: CardActionRequest): Promise<BotAdaptiveCard | string>;
  onError(error: Error, activityType: string): Promise<void>;
}

/** The request shape CloudAdapter.process reads: a parsed JSON body, lower-case headers, the method. */
export interface BotHttpRequest {
  method: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

export interface BotHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON body (invoke responses) or text; undefined when empty. */
  body?: unknown;
}

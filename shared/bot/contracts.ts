/**
 * What the bot layer needs from the Teams SDK and what the SDK layer calls
 * back, in plain types. Only shared/bot/teams-app.ts implements them with
 * @microsoft/teams-ai; this file imports no SDK, so the timer path can use it.
 */
import type { BotActivity, BotActionData, BotAdaptiveCard, BotVerb } from "../render/bot-card.js";
import type { StoredConversationReference } from "./installations.js";

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
}

/** What the SDK layer calls when Teams talks to the bot. */
export interface BotHandlers {
  onInstalled(reference: StoredConversationReference): Promise<void>;
  onUninstalled(reference: StoredConversationReference): Promise<void>;
  /** A message to the bot: the answer to post back (plain text). */
  onMessage(reference: StoredConversationReference): Promise<string>;
  /** A card button (Action.Execute): the card that replaces it for everyone, or a short message. */
  onAction(request: CardActionRequest): Promise<BotAdaptiveCard | string>;
  onError(error: Error, activityType: string): Promise<void>;
}

/** Proactive messaging through the Bot Connector of a stored conversation. */
export interface BotConnector {
  /** Posts the activity; resolves with the new activity's id. */
  send(reference: StoredConversationReference, activity: BotActivity | { type: "message"; text: string }): Promise<string>;
  /** Replaces an activity the bot posted earlier (PUT). */
  update(reference: StoredConversationReference, activityId: string, activity: BotActivity): Promise<void>;
}

/** The Bot Connector did not accept a send or update. `status` is absent when no answer came. */
export class ConnectorError extends Error {
  override readonly name = "ConnectorError";
  readonly status?: number;
  readonly retryAfterInMs?: number;

  constructor(message: string, options: { status?: number; retryAfterInMs?: number } = {}) {
    super(message);
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterInMs !== undefined) this.retryAfterInMs = options.retryAfterInMs;
  }
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

/**
 * What the bot layer needs from the Teams SDK and what the SDK layer calls
 * back, in plain types. Only shared/bot/teams-app.ts implements them with
 * @microsoft/teams-ai; this file imports no SDK, so the timer path can use it.
 */
import type { BotActivity, BotActionData, BotAdaptiveCard, BotVerb } from "../render/bot-card.js";
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

/** Proactive messaging through the Bot Connector of a stored conversation. */
export interface BotConnector {
  /** Posts the activity; resolves with the new activity's id. */
  send(reference: StoredConversationReference, activity: BotActivity | { type: "message"; text: string }): Promise<string>;
  /** Replaces an activity the bot posted earlier (PUT). */
  update(reference: StoredConversationReference, activityId: string, activity: BotActivity): Promise<void>;
}

/**
 * The Bot Connector did not accept a send or update. `status` is absent when
 * no answer came; `code` is the Connector's `error.code` (for example
 * `BotNotInConversationRoster`). `signIn` marks a failure to get the bot's
 * token (wrong app type, tenant, secret): no retry fixes that.
 */
export class ConnectorError extends Error {
  override readonly name = "ConnectorError";
  readonly status?: number;
  readonly retryAfterInMs?: number;
  readonly code?: string;
  readonly signIn: boolean;

  constructor(message: string, options: { status?: number; retryAfterInMs?: number; code?: string; signIn?: boolean } = {}) {
    super(message);
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterInMs !== undefined) this.retryAfterInMs = options.retryAfterInMs;
    if (options.code !== undefined) this.code = options.code;
    this.signIn = options.signIn ?? false;
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

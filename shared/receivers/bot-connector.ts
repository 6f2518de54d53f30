/**
 * What the `teams-bot` channel needs from the Teams SDK to post and update
 * cards, in plain types: this file imports no SDK, so the timer path can use
 * it. Only shared/bot/teams-app.ts implements it with @microsoft/teams-ai.
 */
import type { StoredConversationReference } from "../ledger/installations.js";
import type { BotActivity } from "../render/bot-card.js";

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

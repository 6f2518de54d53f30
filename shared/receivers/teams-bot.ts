import type { Alert, RenderContext } from "../alerts/model.js";
import { ConnectorError, type BotConnector } from "./bot-connector.js";
import type { CardStore, PostedCard } from "../ledger/bot-cards.js";
import { incidentKeyOf } from "../alerts/incident.js";
import type { Installation, InstallationStore } from "../ledger/installations.js";
import type { SnoozeStore } from "../ledger/snoozes.js";
import { withRetry, type RetryPolicy } from "../http/retry.js";
import { alertSummary } from "../render/kinds/index.js";
import { isTeamsBotMessage, renderBotAlertCard, type TeamsBotMessage } from "../render/bot-card.js";
import { DeliveryError, PrintSafeChannel, receiverNameOf, retryTiming, type DeliveryResult, type RetryTimingOptions, type SendOptions } from "./channel.js";
import { conversationKey, processWideTeamsBotLimiter, type TeamsBotRateLimiter } from "./teams-rate-limit.js";

/**
 * Delivers alerts through the Teams bot: a proactive message with the 1.5
 * card to every conversation the app is installed in, or, for a resolved
 * notice whose incident has cards out, an in-place update of those cards
 * (they turn green) instead of a new post.
 *
 * Per conversation, status decision table (Bot Connector answers):
 *   2xx                       posted (the activity id is kept with the card)
 *   429, 412, 502, 504, none  retried by the shared retrier, Retry-After honoured; then retryable failure
 *   POST: 403/404 with code BotNotInConversationRoster, ConversationNotFound or BotDisabledByAdmin
 *                             the app was removed or the conversation is gone: forgotten, not a failure
 *   PUT (update): 403, 404    that one message is gone (deleted by someone): its card row is closed, the
 *                             conversation stays; a resolved notice is then posted as a new card
 *   no token from Entra       failure naming the settings to check (not retryable)
 *   other                     failure naming the status and code (not retryable)
 *
 * One delivery fans out to several conversations. A conversation that already
 * has the message (an earlier, partly failed try: the alert's card in the card
 * store, or for digests and notices the outbox's record of the conversations
 * that accepted it, SendOptions.skipDestinations) is skipped, so a retry of the
 * delivery does not post twice where it already arrived. A failure names the
 * conversations that did accept (DeliveryError.accepted) for that record.
 */

export interface TeamsBotChannelOptions extends RetryTimingOptions {
  /** Permanent receiver id (default receiver: `teams-bot`). */
  name: string;
  connector: BotConnector;
  installations: InstallationStore;
  cards: CardStore;
  snoozes: SnoozeStore;
  /** The tenant label whose installations receive alerts (ALERT_TENANT_NAME). */
  tenant: string;
  /** Teams' per-conversation and per-app limits; default: the one limiter of this process. */
  limiter?: TeamsBotRateLimiter;
}

/** Statuses worth another try for the Bot Connector (412: a concurrent update of the same conversation). */
const RETRYABLE_CONNECTOR_STATUSES = new Set([408, 412, 429, 500, 502, 503, 504]);
/** What the Bot Connector answers a POST to a conversation the app is no longer in (msteams-docs, proactive messaging). */
const UNINSTALLED_CODES = new Set(["BotNotInConversationRoster", "ConversationNotFound", "BotDisabledByAdmin"]);
/** An update of one message: 403/404 mean that message is gone (deleted, or never there), not the conversation. */
const MESSAGE_GONE_STATUSES = new Set([403, 404]);

function isRetryableConnectorError(error: ConnectorError): boolean {
  return !error.signIn && (error.status === undefined || RETRYABLE_CONNECTOR_STATUSES.has(error.status));
}

/** What happened in one conversation. */
type Outcome =
  | { kind: "posted"; activityId: string; attempts: number }
  | { kind: "gone" }
  | { kind: "message-gone" }
  | { kind: "skipped"; activityId: string }
  | { kind: "failed"; error: ConnectorError; attempts: number };

export class TeamsBotChannel extends PrintSafeChannel<"teams-bot"> {
  readonly kind = "teams-bot" as const;
  readonly name: string;
  readonly #o: Required<Omit<TeamsBotChannelOptions, "random" | "retryPolicy">> & { random?: () => number; retryPolicy: RetryPolicy };

  constructor(options: TeamsBotChannelOptions) {
    super("TeamsBotChannel");
    this.name = receiverNameOf(options.name, "a Teams bot receiver");
    this.#o = {
      ...options,
      name: this.name,
      ...retryTiming(options),
      limiter: options.limiter ?? processWideTeamsBotLimiter,
    };
  }

  async send(payload: object, options: SendOptions = {}): Promise<DeliveryResult> {
    options.abortSignal?.throwIfAborted();
    if (!isTeamsBotMessage(payload)) {
      throw new DeliveryError(`Teams bot receiver "${this.name}" was given a payload that is not a Teams bot message; this is a bug in the composer`, {
        receiver: this.name,
        retryable: false,
        attempts: 0,
      });
    }
    const started = this.#o.now();
    const now = new Date(started);
    const [alert] = payload.alerts;

    if (payload.single && alert) {
      if (alert.status === "resolved") {
        const updated = await this.#resolveInPlace(alert, payload.render, now, options.abortSignal);
        if (updated) return { status: 200, attempts: updated.attempts, elapsedInMs: this.#o.now() - started, messageId: updated.activityId };
      } else if ((await this.#o.snoozes.active(alert.tenant, now)).covers(alert)) {
        this.#o.logger.info(`Teams bot receiver "${this.name}": alert ${alert.fingerprint} is snoozed; not posted`);
        return { status: 204, attempts: 0, elapsedInMs: this.#o.now() - started, messageId: "snoozed" };
      }
    }
    return this.#post(payload, now, started, options.abortSignal, options.skipDestinations);
  }

  /** Posts to every installation. */
  async #post(message: TeamsBotMessage, now: Date, started: number, abortSignal?: AbortSignal, skip?: ReadonlySet<string>): Promise<DeliveryResult> {
    const installations = await this.#o.installations.list(this.#o.tenant);
    if (installations.length === 0) {
      throw new DeliveryError(
        `Teams bot receiver "${this.name}": the app is not installed in any team, group chat or personal chat yet, so there is nowhere to post. ` +
          "Install the Teams app (teams-app/) in the on-call team's channel; pending alerts are posted on the next cycle.",
        { receiver: this.name, retryable: false, attempts: 0 },
      );
    }
    const [alert] = message.alerts;
    const tracked = message.single && alert !== undefined && alert.status !== "resolved";
    const outcomes = await Promise.all(
      installations.map(async (installation): Promise<Outcome> => {
        if (skip?.has(installation.conversationId)) return { kind: "skipped", activityId: "" };
        if (tracked) {
          const existing = await this.#o.cards.get(alert.tenant, alert.fingerprint, installation.conversationId);
          if (existing) return { kind: "skipped", activityId: existing.activityId };
        }
        const outcome = await this.#attempt("post", installation, abortSignal, (connector) => connector.send(installation.reference, message.activity));
        if (outcome.kind === "posted" && tracked) {
          await this.#o.cards.record({ tenant: alert.tenant, fingerprint: alert.fingerprint, conversationId: installation.conversationId, activityId: outcome.activityId, alert, postedAt: now, receiver: this.name });
        }
        return outcome;
      }),
    );
    const accepted = installations.filter((_, i) => outcomes[i]?.kind === "posted" || outcomes[i]?.kind === "skipped").map((i) => i.conversationId);
    return this.#result(outcomes, started, accepted);
  }

  /** The incident's open cards, updated to resolved (green). Undefined when there were none: post instead. */
  async #resolveInPlace(resolution: Alert, ctx: RenderContext, now: Date, abortSignal?: AbortSignal): Promise<{ activityId: string; attempts: number } | undefined> {
    const open = await this.#o.cards.openForIncident(resolution.tenant, incidentKeyOf(resolution));
    if (open.length === 0) return undefined;
    const installations = new Map((await this.#o.installations.list(this.#o.tenant)).map((i) => [i.conversationId, i]));
    const summary = alertSummary(resolution, ctx);
    const outcomes: Outcome[] = [];
    for (const card of open) {
      const installation = installations.get(card.conversationId);
      if (!installation) continue;
      const status = { ...card.status, resolved: { at: now, summary } };
      const activity = renderBotAlertCard(card.alert, ctx, status);
      const outcome = await this.#attempt("update", installation, abortSignal, async (connector) => {
        await connector.update(installation.reference, card.activityId, activity);
        return card.activityId;
      });
      if (outcome.kind === "posted") await this.#markResolved(card, status);
      // Someone deleted the card: nothing left to turn green there; the row is closed so it is not tried again.
      if (outcome.kind === "message-gone") await this.#markResolved(card, status);
      else outcomes.push(outcome);
    }
    if (!outcomes.some((o) => o.kind === "posted")) {
      const failure = outcomes.find((o): o is Extract<Outcome, { kind: "failed" }> => o.kind === "failed");
      if (failure) throw this.#deliveryError(failure.error, failure.attempts);
      return undefined;
    }
    const result = this.#result(outcomes, this.#o.now());
    return { activityId: result.messageId ?? "", attempts: result.attempts };
  }

  async #markResolved(card: PostedCard, status: PostedCard["status"]): Promise<void> {
    // A button pressed at the same moment wins the row; the card in Teams is already green either way.
    const updated = await this.#o.cards.update(card, { state: "resolved", status });
    if (!updated) this.#o.logger.debug(`Teams bot receiver "${this.name}": card ${card.fingerprint} changed while it was being resolved`);
  }

  /** One send or update to one conversation: rate-limited, retried; see the decision table for 403/404. */
  async #attempt(method: "post" | "update", installation: Installation, abortSignal: AbortSignal | undefined, op: (connector: BotConnector) => Promise<string>): Promise<Outcome> {
    let attempts = 0;
    const key = conversationKey(installation.conversationId);
    try {
      const activityId = await withRetry(
        async (attempt) => {
          attempts = attempt;
          await this.#o.limiter.waitForSlot(key, { now: this.#o.now, sleep: this.#o.sleep }, abortSignal);
          return op(this.#o.connector);
        },
        {
          policy: this.#o.retryPolicy,
          sleep: this.#o.sleep,
          now: this.#o.now,
          ...(this.#o.random ? { random: this.#o.random } : {}),
          ...(abortSignal ? { abortSignal } : {}),
          classify: (error) => {
            if (!(error instanceof ConnectorError)) return { retry: false };
            const retry = isRetryableConnectorError(error);
            if (retry && error.retryAfterInMs !== undefined) {
              // Throttling is per conversation: every sender in this process waits.
              this.#o.limiter.holdUntil(key, this.#o.now() + Math.min(error.retryAfterInMs, this.#o.retryPolicy.maxDelayInMs));
            }
            return { retry, ...(error.retryAfterInMs !== undefined ? { retryAfterInMs: error.retryAfterInMs } : {}) };
          },
          onRetry: ({ attempt, delayInMs, error }) => {
            this.#o.logger.warn(`Teams bot receiver "${this.name}": attempt ${attempt} failed (${error instanceof Error ? error.message : String(error)}); retrying in ${delayInMs} ms`, {
              receiver: this.name,
              attempt,
              delayInMs,
            });
          },
        },
      );
      return { kind: "posted", activityId, attempts };
    } catch (error) {
      if (abortSignal?.aborted) throw error;
      const connectorError = error instanceof ConnectorError ? error : new ConnectorError(error instanceof Error ? error.message : String(error));
      if (method === "update" && connectorError.status !== undefined && MESSAGE_GONE_STATUSES.has(connectorError.status)) {
        this.#o.logger.warn(
          `Teams bot receiver "${this.name}": the Bot Connector answered HTTP ${connectorError.status}${connectorError.code ? ` (${connectorError.code})` : ""} to an update of a card in a ${installation.conversationType} conversation; the message was deleted there, the conversation stays`,
          { receiver: this.name, conversationType: installation.conversationType },
        );
        return { kind: "message-gone" };
      }
      if (method === "post" && connectorError.code !== undefined && UNINSTALLED_CODES.has(connectorError.code)) {
        this.#o.logger.warn(
          `Teams bot receiver "${this.name}": the Bot Connector answered HTTP ${connectorError.status ?? "?"} (${connectorError.code}) for a ${installation.conversationType} conversation; the app was removed there, so it is forgotten`,
          { receiver: this.name, conversationType: installation.conversationType },
        );
        await this.#o.installations.forget(this.#o.tenant, installation.conversationId);
        return { kind: "gone" };
      }
      return { kind: "failed", error: connectorError, attempts };
    }
  }

  #result(outcomes: Outcome[], started: number, accepted: readonly string[] = []): DeliveryResult {
    const failures = outcomes.filter((o): o is Extract<Outcome, { kind: "failed" }> => o.kind === "failed");
    const first = failures[0];
    if (first) throw this.#deliveryError(first.error, Math.max(...failures.map((f) => f.attempts)), failures.length, outcomes.length, accepted);
    const delivered = outcomes.filter((o): o is Extract<Outcome, { kind: "posted" | "skipped" }> => o.kind === "posted" || o.kind === "skipped");
    if (delivered.length === 0) {
      throw new DeliveryError(
        `Teams bot receiver "${this.name}": every conversation the app was installed in answered that the app is no longer there, so it has been forgotten everywhere. Install it again; pending alerts are posted on the next cycle.`,
        { receiver: this.name, retryable: false, attempts: 1 },
      );
    }
    const attempts = Math.max(1, ...outcomes.map((o) => ("attempts" in o ? o.attempts : 0)));
    const result: DeliveryResult = { status: 201, attempts, elapsedInMs: this.#o.now() - started };
    const firstId = delivered.find((o) => o.activityId !== "")?.activityId;
    if (firstId) result.messageId = firstId;
    return result;
  }

  #deliveryError(error: ConnectorError, attempts: number, failed = 1, total = 1, accepted: readonly string[] = []): DeliveryError {
    const retryable = isRetryableConnectorError(error);
    const scope = total > 1 ? ` in ${failed} of ${total} conversations` : "";
    const advice = retryable
      ? "The Bot Connector is throttling or unavailable; the alert stays pending and is sent again next cycle (conversations that already have it are skipped)."
      : error.signIn
        ? "Nothing was sent: fix the bot's sign-in settings; the alert stays pending."
        : error.status === 401
        ? "The bot's credentials were refused: check TEAMS_BOT_APP_ID, TEAMS_BOT_APP_TYPE and the password, certificate or managed identity of the Azure Bot."
        : "The Bot Connector refused the message; the alert stays pending.";
    return new DeliveryError(`Teams bot receiver "${this.name}": ${error.message} after ${attempts} attempt${attempts === 1 ? "" : "s"}${scope}. ${advice}`, {
      receiver: this.name,
      retryable,
      attempts,
      accepted,
      ...(error.status !== undefined ? { status: error.status } : {}),
    });
  }
}

import type { Channel, DeliveryResult, SendOptions } from "../receivers/channel.js";
import type { Settings } from "../config/settings.js";
import type { AlertLedger } from "../ledger/index.js";
import type { Logger } from "../logging.js";
import { CardStore } from "../ledger/bot-cards.js";
import { admitEscalations } from "./escalation.js";
import { SnoozeStore } from "../ledger/snoozes.js";
import { createBotTables, type BotTables } from "../ledger/bot-tables.js";

/**
 * The `teams-bot` receiver as the runtime builds it: a Channel that loads the
 * bot (and the Teams SDK behind it) with import() on its first send. A monitor
 * cycle with nothing to deliver never loads it; a process without
 * TEAMS_BOT_APP_ID never builds this at all.
 */
export class LazyTeamsBotChannel implements Channel {
  readonly kind = "teams-bot" as const;

  constructor(
    readonly name: string,
    readonly settings: Settings,
    readonly logger: Logger,
  ) {}

  async send(payload: object, options?: SendOptions): Promise<DeliveryResult> {
    const { botServiceFor } = await import("./service.js");
    return botServiceFor(this.settings).channel(this.logger, this.name).send(payload, options);
  }

  toString(): string {
    return `LazyTeamsBotChannel(${this.name})`;
  }

  toJSON(): { name: string; kind: "teams-bot" } {
    return { name: this.name, kind: this.kind };
  }
}

/**
 * The pipeline's escalation step when the bot is configured and
 * ESCALATE_AFTER_MINUTES is not 0 (else undefined): admits escalations of
 * overdue bot alerts (escalation.ts) before the cycle delivers. It reads the
 * bot's tables only; the Teams SDK is not loaded. A failure is logged, not
 * thrown: the cycle still delivers, and the next cycle looks again.
 */
export function escalationStep(settings: Settings, options: { tables?: BotTables } = {}): ((ledger: Pick<AlertLedger, "admit">, now: Date, logger: Logger) => Promise<void>) | undefined {
  const escalation = settings.bot?.escalation;
  if (!escalation || escalation.afterMinutes <= 0) return undefined;
  let stores: { cards: CardStore; snoozes: SnoozeStore } | undefined;
  return async (ledger, now, logger) => {
    try {
      if (!stores) {
        const tables = options.tables ?? (settings.storage ? createBotTables(settings.storage, settings.tablePrefix) : undefined);
        if (!tables) return;
        stores = { cards: new CardStore(tables.cards), snoozes: new SnoozeStore(tables.snoozes) };
      }
      await admitEscalations({ tenant: settings.alerts.tenantName, settings: escalation, ...stores, ledger, now, logger });
    } catch (error) {
      logger.warn(`Teams bot: escalation check failed; it runs again next cycle: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  };
}

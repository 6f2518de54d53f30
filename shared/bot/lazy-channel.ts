import type { Channel, DeliveryResult, SendOptions } from "../channels/delivery.js";
import type { Settings } from "../config/settings.js";
import type { Logger } from "../logging.js";

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

/** Re-posts overdue critical bot alerts after a cycle; loads the bot only when escalation is on. */
export async function escalateAfterCycle(settings: Settings, logger: Logger): Promise<void> {
  if (!settings.bot || settings.bot.escalateMinutes <= 0) return;
  try {
    const { botServiceFor } = await import("./service.js");
    await botServiceFor(settings).escalate(logger);
  } catch (error) {
    // Escalation is a second chance, not the delivery itself: a failure is logged and tried again next cycle.
    logger.warn(`Teams bot: escalation check failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
}

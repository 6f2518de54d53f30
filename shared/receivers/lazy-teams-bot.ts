import type { Settings } from "../config/settings.js";
import type { Logger } from "../logging.js";
import type { Channel, DeliveryResult, SendOptions } from "./channel.js";

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
    // The one import here that runs up to bot/: the bot's composition (its tables, the SDK), loaded only when a bot send happens.
    const { botServiceFor } = await import("../bot/service.js");
    return botServiceFor(this.settings).channel(this.logger, this.name).send(payload, options);
  }

  toString(): string {
    return `LazyTeamsBotChannel(${this.name})`;
  }

  toJSON(): { name: string; kind: "teams-bot" } {
    return { name: this.name, kind: this.kind };
  }
}

import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { parseSettings } from "../../shared/config/settings.js";
import { buildTeamsBotMessages, isTeamsBotMessage } from "../../shared/render/bot-card.js";
import { failedExchangeJob, RENDER_CONTEXT } from "../support/alert-fixtures.js";

/**
 * The timer functions must not pay for the Teams SDK: it is loaded only by
 * import() when the bot actually sends (or the HTTP function is called).
 * The SDK is CommonJS, so what has been loaded shows in require.cache; this
 * file runs in its own process (vitest forks pool), so nothing else loaded it.
 */
const require = createRequire(import.meta.url);
const sdkLoaded = () => Object.keys(require.cache).filter((k) => /[\\/]node_modules[\\/](@microsoft[\\/]teams-ai|botbuilder)[\\/]/.test(k));

describe("the bot is loaded lazily", () => {
  it("building the runtime and the teams-bot receiver loads no bot library; a send does", async () => {
    const { buildReceiver, createRuntime } = await import("../../shared/runtime.js");
    await import("../../functions/jobsMonitor.js");
    await import("../../functions/messages.js");
    const settings = parseSettings(
      { ALERTS_STORAGE_CONNECTION: "UseDevelopmentStorage=true", TEAMS_BOT_APP_ID: "app", TEAMS_BOT_APP_PASSWORD: "pw", ALERT_TENANT_NAME: "Contoso" },
      { requireAvePoint: false },
    );
    createRuntime(settings);
    const receiver = buildReceiver({ name: "teams-bot", type: "teams-bot" }, { settings, logger: { error() {}, warn() {}, info() {}, debug() {} } });
    expect(receiver.channel.kind).toBe("teams-bot");
    const [message] = buildTeamsBotMessages([failedExchangeJob], RENDER_CONTEXT, { groupThreshold: 3 });
    expect(message && isTeamsBotMessage(message.payload)).toBe(true);
    expect(sdkLoaded()).toEqual([]);

    await import("../../shared/bot/service.js");
    expect(sdkLoaded().length).toBeGreaterThan(0);
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
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
    const { createRuntime } = await import("../../shared/pipeline/runtime.js");
    const { buildReceiver } = await import("../../shared/receivers/registry.js");
    await import("../../functions/jobsMonitor.js");
    await import("../../functions/messages.js");
    const settings = parseSettings(
      { ALERTS_STORAGE: "UseDevelopmentStorage=true", TEAMS_BOT_APP_ID: "app", TEAMS_BOT_APP_PASSWORD: "pw", TEAMS_BOT_TENANT_ID: "8a6f3b2e-4c1d-4e5f-9a7b-0c1d2e3f4a5b", ALERT_TENANT_NAME: "Contoso" },
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

/**
 * The bot layer's one door to the Teams SDK: only shared/bot/teams-app.ts may
 * import it, so moving from @microsoft/teams-ai v1 (in maintenance) to the
 * Teams SDK v2 (@microsoft/teams.apps) replaces that file alone.
 */
describe("the Teams SDK stays behind shared/bot/teams-app.ts", () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const SDK_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](@microsoft\/teams-ai|@microsoft\/teams\.[a-z-]+|botbuilder(?:-[a-z-]+)?|botframework-[a-z-]+)(?:\/[^"']*)?["']/gm;
  const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return ["node_modules", "dist", ".git", "coverage"].includes(entry.name) || entry.name.startsWith(".") ? [] : sources(path);
      return SOURCE.test(entry.name) ? [path] : [];
    });
  }

  it("finds SDK imports in teams-app.ts only, across the source tree", () => {
    const importers = new Map<string, string[]>();
    // This file quotes imports as samples below.
    for (const file of sources(root).filter((f) => f !== fileURLToPath(import.meta.url))) {
      const found = [...readFileSync(file, "utf8").matchAll(SDK_IMPORT)].map((m) => m[1]!);
      if (found.length > 0) importers.set(relative(root, file).split(sep).join("/"), [...new Set(found)].sort());
    }
    expect(Object.fromEntries(importers)).toEqual({ "shared/bot/teams-app.ts": ["@microsoft/teams-ai", "botbuilder"] });
  });

  it("recognises every way of importing a module", () => {
    const lines = [
      'import { Application } from "@microsoft/teams-ai";',
      "import type { Activity } from 'botbuilder';",
      'const sdk = await import("@microsoft/teams.apps");',
      'const { CloudAdapter } = require("botbuilder-core");',
      'import "botframework-connector/lib/auth";',
      'export { TeamsAdapter } from "@microsoft/teams-ai";',
    ];
    expect(lines.map((line) => [...line.matchAll(SDK_IMPORT)].length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect([..."// @microsoft/teams-ai is mentioned in a comment; botbuilder too".matchAll(SDK_IMPORT)]).toHaveLength(0);
  });
});

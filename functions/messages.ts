import { app, type HttpFunctionOptions, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { getRuntime } from "../shared/pipeline/runtime.js";
import { createLogger } from "../shared/logging.js";

/**
 * The Teams bot's endpoint, POST /api/messages. Anonymous at the Functions
 * level: the Bot Framework signs every call with its JWT, which the bot's
 * adapter checks against TEAMS_BOT_APP_ID. The bot (and the Teams SDK behind
 * it) is imported on the first call only, so the timer functions in this
 * process never load it.
 */
export async function messages(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { settings } = getRuntime();
  const logger = createLogger(context, settings.logLevel);
  if (!settings.bot) {
    logger.warn("a Bot Framework call arrived but TEAMS_BOT_APP_ID is not set; the bot is off");
    return { status: 404, body: "The Teams bot is not configured (TEAMS_BOT_APP_ID)." };
  }
  const { botServiceFor } = await import("../shared/bot/service.js");
  return botServiceFor(settings).handle(request, logger);
}

/** Exported so tests and tooling see exactly what is registered. */
export const http = {
  name: "messages",
  options: { methods: ["POST"], authLevel: "anonymous", route: "messages", handler: messages } satisfies HttpFunctionOptions,
};

// Registered only where a bot is configured: without one, an anonymous endpoint
// would only answer 404 to whoever finds it. App settings are environment
// variables before the host imports this file.
if (process.env["TEAMS_BOT_APP_ID"]?.trim()) app.http(http.name, http.options);

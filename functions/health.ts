import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { getRuntime, type Runtime } from "../shared/pipeline/runtime.js";
import { describeError } from "../shared/security/secret.js";

/**
 * GET /api/health (function key): the status `npm run status` shows, as JSON.
 * 200 while every monitor has succeeded within its last three scheduled runs,
 * 503 otherwise, or when the status cannot be read (settings, storage): an
 * availability test or load balancer probe then sees the monitor is blind.
 */
export function healthHandler(runtime: () => Pick<Runtime, "status">) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const headers = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" };
    try {
      const report = await runtime().status();
      if (!report.healthy) context.warn(`health: unhealthy: ${report.monitors.filter((m) => !m.healthy).map((m) => `${m.monitor} ${m.problem ?? ""}`).join("; ")}`);
      return { status: report.healthy ? 200 : 503, headers, jsonBody: report };
    } catch (err) {
      const error = describeError(err);
      context.error(`health: the status could not be read: ${error}`);
      return { status: 503, headers, jsonBody: { healthy: false, error } };
    }
  };
}

export const health = healthHandler(getRuntime);

app.http("health", { methods: ["GET"], authLevel: "function", route: "health", handler: health });

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A Bot Connector on 127.0.0.1, port 0, for the Teams bot tests: stored
 * conversations carry its URL as their `serviceUrl`, so proactive sends
 * (POST) and in-place updates (PUT) land here and are recorded. POST answers
 * with a fresh activity id (`activity-1`, `activity-2`, …), PUT with 200;
 * failures can be scripted per conversation, and answer with the Connector's
 * error body `{"error":{"code":…,"message":…}}`. Codes as the real service
 * sends them: a POST to a conversation the app was removed from gets 403
 * `BotNotInConversationRoster` (404 `ConversationNotFound` when it is gone),
 * a PUT of a message someone deleted gets 403 `ServiceError` ("Unknown"),
 * a PUT of an unknown activity 404 `ActivityNotFoundInConversation`.
 */

export interface ConnectorCall {
  method: string;
  conversationId: string;
  /** Activity id in the path (the updated activity for PUT, the replied-to one for POST). */
  activityId?: string;
  body: Record<string, unknown>;
}

export interface ScriptedConnectorResponse {
  status: number;
  /** The body's `error.code`; default `ServiceError`. */
  code?: string;
  headers?: Record<string, string>;
}

/** The Connector's answer to a POST in a conversation the app is no longer part of. */
export const APP_REMOVED: ScriptedConnectorResponse = { status: 403, code: "BotNotInConversationRoster" };
/** The Connector's answer to a PUT of a message somebody deleted. */
export const MESSAGE_DELETED: ScriptedConnectorResponse = { status: 403, code: "ServiceError" };

export interface FakeBotConnector {
  serviceUrl: string;
  calls: ConnectorCall[];
  /** Queues answers for the next calls to one conversation. */
  script(conversationId: string, ...responses: ScriptedConnectorResponse[]): void;
  reset(): void;
  posts(): ConnectorCall[];
  puts(): ConnectorCall[];
  stop(): Promise<void>;
}

export async function startFakeBotConnector(): Promise<FakeBotConnector> {
  const calls: ConnectorCall[] = [];
  const scripts = new Map<string, ScriptedConnectorResponse[]>();
  let next = 1;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? "");
      if (!match) {
        res.writeHead(404).end();
        return;
      }
      const conversationId = decodeURIComponent(match[1]!);
      const activityId = match[2] ? decodeURIComponent(match[2]) : undefined;
      calls.push({ method: req.method ?? "", conversationId, ...(activityId ? { activityId } : {}), body: JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") });
      const scripted = scripts.get(conversationId)?.shift();
      if (scripted) {
        res.writeHead(scripted.status, { "content-type": "application/json", ...scripted.headers }).end(JSON.stringify({ error: { code: scripted.code ?? "ServiceError", message: "scripted failure" } }));
        return;
      }
      const id = req.method === "PUT" ? activityId : `activity-${next++}`;
      res.writeHead(req.method === "PUT" ? 200 : 201, { "content-type": "application/json" }).end(JSON.stringify({ id }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    serviceUrl: `http://127.0.0.1:${port}/`,
    calls,
    script(conversationId, ...responses) {
      scripts.set(conversationId, [...(scripts.get(conversationId) ?? []), ...responses]);
    },
    reset() {
      calls.length = 0;
      scripts.clear();
      next = 1;
    },
    posts: () => calls.filter((c) => c.method === "POST"),
    puts: () => calls.filter((c) => c.method === "PUT"),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The Adaptive Card a recorded call carried. */
export function cardIn(call: ConnectorCall | undefined): Record<string, unknown> {
  const attachments = call?.body["attachments"] as { content: Record<string, unknown> }[] | undefined;
  const content = attachments?.[0]?.content;
  if (!content) throw new Error(`no card in ${JSON.stringify(call)}`);
  return content;
}

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A Bot Connector on 127.0.0.1, port 0, for the Teams bot tests: stored
 * conversations carry its URL as their `serviceUrl`, so proactive sends
 * (POST) and in-place updates (PUT) land here and are recorded. POST answers
 * with a fresh activity id (`activity-1`, `activity-2`, …), PUT with 200;
 * failures can be scripted per conversation.
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
  headers?: Record<string, string>;
}

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
        res.writeHead(scripted.status, { "content-type": "application/json", ...scripted.headers }).end(JSON.stringify({ error: { code: "Scripted", message: "scripted failure" } }));
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

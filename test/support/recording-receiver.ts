import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fake receiver (a Teams Workflows webhook, a bot endpoint) on 127.0.0.1,
 * port 0: it records every request exactly as received and answers with
 * scripted responses, so tests can compare the JSON a channel sent and drive
 * it through throttling, outages, slow answers and dropped connections.
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: unknown;
  rawBody: string;
  /** When the whole body had arrived (the receiver's clock). */
  at: number;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer this long after the request arrived (to exercise client timeouts). */
  delayInMs?: number;
  /** Drop the connection without answering (to exercise network errors). */
  destroy?: boolean;
}

export interface RecordingReceiverOptions {
  /** Answer when no scripted response is queued. Default 202 with an empty body, like Workflows. */
  defaultResponse?: ScriptedResponse;
  /** Clock for `RecordedRequest.at`. Default Date.now. */
  now?: () => number;
}

export interface RecordingReceiver {
  /**
   * A Workflows-shaped webhook URL on this server, with a random fake `sig=`
   * credential, so every test that uses it also exercises redaction.
   */
  url: string;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The fake signature inside `url`. */
  sig: string;
  requests: RecordedRequest[];
  /** Queues answers for the next requests, in order; after them the default answers. */
  respondWith(...responses: ScriptedResponse[]): void;
  setDefault(response: ScriptedResponse): void;
  stop(): Promise<void>;
}

export const DEFAULT_RECEIVER_RESPONSE: ScriptedResponse = { status: 202 };

export async function startRecordingReceiver(options: RecordingReceiverOptions = {}): Promise<RecordingReceiver> {
  const now = options.now ?? Date.now;
  const requests: RecordedRequest[] = [];
  const queue: ScriptedResponse[] = [];
  let fallback: ScriptedResponse = options.defaultResponse ?? DEFAULT_RECEIVER_RESPONSE;
  const timers = new Set<NodeJS.Timeout>();

  const answer = (res: ServerResponse, scripted: ScriptedResponse): void => {
    if (scripted.destroy) {
      res.socket?.destroy();
      return;
    }
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(scripted.status, scripted.headers ?? {});
    res.end(scripted.body ?? "");
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      const parsed = new URL(req.url ?? "/", "http://receiver.invalid");
      let body: unknown;
      try {
        body = rawBody ? (JSON.parse(rawBody) as unknown) : undefined;
      } catch {
        body = undefined;
      }
      requests.push({
        method: req.method ?? "",
        path: parsed.pathname,
        query: Object.fromEntries(parsed.searchParams),
        headers: req.headers,
        body,
        rawBody,
        at: now(),
      });
      const scripted = queue.shift() ?? fallback;
      if (scripted.delayInMs && scripted.delayInMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer(res, scripted);
        }, scripted.delayInMs);
        timers.add(timer);
      } else {
        answer(res, scripted);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const sig = `fake-${randomBytes(12).toString("hex")}`;
  const url = `${origin}/workflows/${randomBytes(8).toString("hex")}/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;

  return {
    url,
    origin,
    sig,
    requests,
    respondWith: (...responses) => {
      queue.push(...responses);
    },
    setDefault: (response) => {
      fallback = response;
    },
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

import type { BotHttpRequest, BotHttpResponse } from "./contracts.js";

/**
 * CloudAdapter.process(req, res, logic) was written for Express/Restify: it
 * reads `req.body` (already parsed), `req.headers` and `req.method`, and
 * answers through `res.status()`, `res.header()`, `res.send()` and
 * `res.end()`. TeamsAdapter does nothing at all when `res` has no `header()`
 * method, so the Functions v4 request/response is bridged to exactly this
 * shape: the recorder collects the answer and hands it back as data.
 */
export class BotResponseRecorder {
  /** CloudAdapter's schema checks for the property; there is no socket behind a Functions response. */
  readonly socket: unknown = null;
  #status = 200;
  #headers: Record<string, string> = {};
  #body: unknown;
  #ended = false;

  status(code: number): this {
    this.#status = code;
    return this;
  }

  header(name: string, value: unknown): this {
    this.#headers[name.toLowerCase()] = String(value);
    return this;
  }

  send(body?: unknown): this {
    if (body !== undefined) this.#body = body;
    return this;
  }

  end(): this {
    this.#ended = true;
    return this;
  }

  get ended(): boolean {
    return this.#ended;
  }

  result(): BotHttpResponse {
    return { status: this.#status, headers: { ...this.#headers }, ...(this.#body !== undefined ? { body: this.#body } : {}) };
  }
}

/** The parts of a Functions v4 HttpRequest the bridge reads (a structural type: no @azure/functions import needed). */
export interface IncomingHttpRequest {
  method: string;
  headers: { forEach(callback: (value: string, key: string) => void): void };
  text(): Promise<string>;
}

export class BotRequestError extends Error {
  override readonly name = "BotRequestError";
}

/** Reads the request body as JSON (CloudAdapter wants it parsed) and the headers as a plain object. */
export async function toBotRequest(request: IncomingHttpRequest): Promise<BotHttpRequest> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key.toLowerCase()] = value;
  });
  const text = await request.text();
  let body: Record<string, unknown> | undefined;
  if (text.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new BotRequestError("the request body is not JSON: the Bot Framework posts activities as JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new BotRequestError("the request body is not a JSON object (an activity)");
    body = parsed as Record<string, unknown>;
  }
  return { method: request.method.toUpperCase(), headers, body };
}

/** The recorded answer as a Functions v4 HttpResponseInit (same structure; no import of @azure/functions). */
export function toHttpResponseInit(response: BotHttpResponse): { status: number; headers: Record<string, string>; body?: string; jsonBody?: unknown } {
  const { status, headers, body } = response;
  if (body === undefined) return { status, headers };
  if (typeof body === "string") return { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body };
  return { status, headers, jsonBody: body };
}

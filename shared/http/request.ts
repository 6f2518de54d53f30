/**
 * The one HTTP helper: a fetch with a per-request timeout that returns status,
 * headers and body text, and turns transport failures into `NetworkError`.
 * Callers decide what a status means; the retrier decides whether to try again.
 */

interface HttpRequest {
  url: string;
  method?: "GET" | "POST" | "PUT" | "DELETE";
  headers?: Record<string, string>;
  body?: string;
  timeoutInMs?: number;
  abortSignal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Wall time of the request in ms. */
  elapsedInMs: number;
}

/** The request never got a response: refused, reset, DNS, TLS, or timed out. */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

export const DEFAULT_TIMEOUT_IN_MS = 30_000;

export async function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  const timeoutInMs = request.timeoutInMs ?? DEFAULT_TIMEOUT_IN_MS;
  const timeout = AbortSignal.timeout(timeoutInMs);
  const signal = request.abortSignal ? AbortSignal.any([timeout, request.abortSignal]) : timeout;
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: request.method ?? "GET",
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal,
      redirect: "manual",
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, elapsedInMs: performance.now() - started };
  } catch (err) {
    if (request.abortSignal?.aborted) throw request.abortSignal.reason ?? err;
    const timedOut = timeout.aborted;
    // Only the origin is named: paths and query strings can carry credentials (webhook sig=...).
    const origin = safeOrigin(request.url);
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new NetworkError(timedOut ? `no response from ${origin} within ${timeoutInMs} ms` : `request to ${origin} failed: ${cause}`, timedOut);
  }
}

export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/**
 * The one retrier. Exponential backoff with full jitter, bounded both in
 * attempts and in total time, honouring a server's Retry-After when it asks
 * for a longer wait. Used by the AvePoint client and every delivery channel.
 */

export interface RetryPolicy {
  /** Total tries including the first. Default 5. */
  maxAttempts: number;
  /** First backoff step. Default 500 ms. */
  baseDelayInMs: number;
  /** Largest single wait. Default 30 s. */
  maxDelayInMs: number;
  /** No new attempt starts once this much time has passed since the first. Default 120 s. */
  maxTotalInMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayInMs: 500,
  maxDelayInMs: 30_000,
  maxTotalInMs: 120_000,
};

/** What the operation tells the retrier about a failure. */
export interface RetryDecision {
  retry: boolean;
  /** A wait the server asked for (Retry-After), in ms. */
  retryAfterInMs?: number;
}

interface RetryOptions {
  policy?: Partial<RetryPolicy>;
  /** Decides per error whether another attempt may help. */
  classify: (error: unknown) => RetryDecision;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
  abortSignal?: AbortSignal;
  /** Called before each wait (for logging). */
  onRetry?: (info: { attempt: number; delayInMs: number; error: unknown }) => void;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The wait before attempt `attempt + 1` (attempt counts from 1). */
function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number, retryAfterInMs?: number): number {
  const exponential = Math.min(policy.maxDelayInMs, policy.baseDelayInMs * 2 ** (attempt - 1));
  // Full jitter spreads retries of overlapping runs; never below half the step so backoff still grows.
  const jittered = exponential / 2 + random() * (exponential / 2);
  const wanted = retryAfterInMs !== undefined ? Math.max(retryAfterInMs, jittered) : jittered;
  return Math.round(Math.min(wanted, Math.max(policy.maxDelayInMs, retryAfterInMs ?? 0)));
}

export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? sleep;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.abortSignal?.aborted) throw error;
      const decision = options.classify(error);
      if (!decision.retry || attempt >= policy.maxAttempts) throw error;
      const delayInMs = backoffDelay(attempt, policy, random, decision.retryAfterInMs);
      // A wait that would end past the time budget is not worth starting.
      if (now() - started + delayInMs > policy.maxTotalInMs) throw error;
      options.onRetry?.({ attempt, delayInMs, error });
      await wait(delayInMs, options.abortSignal);
    }
  }
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Statuses worth another try: timeouts, throttling, server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

import { inspect } from "node:util";
import type { ReceiverType } from "../config/routing-file.js";
import { DEFAULT_RETRY_POLICY, sleep as timerSleep, type RetryPolicy } from "../http/retry.js";
import { silentLogger, type Logger } from "../logging.js";

/**
 * The contract every receiver implements (Teams Workflows webhook now; email and
 * a Teams bot later). The pipeline marks an alert delivered only after `send`
 * resolves, and keeps it pending when `send` throws.
 */

export interface DeliveryResult {
  /** HTTP status (or the transport's equivalent) of the accepted attempt. */
  status: number;
  /** Tries it took, including the accepted one. */
  attempts: number;
  /** From the call to the receiver's acceptance, pacing and retry waits included. */
  elapsedInMs: number;
  /** The receiver's id for the delivery, when it gives one (Workflows: the run id). */
  messageId?: string;
}

/**
 * Channels that fan one message out (the Teams bot to its conversations,
 * email to its recipients) report which destinations took it, so a retry
 * goes only to those that did not (DeliveryError.accepted, SendOptions.skipDestinations).
 */
type Destination = string;

export interface SendOptions {
  /** Stops pacing waits, retry waits and the request in flight; `send` then rejects with the signal's reason. */
  abortSignal?: AbortSignal;
  /** Destinations that accepted this message in an earlier try (fan-out channels): not sent to again. */
  skipDestinations?: ReadonlySet<Destination>;
}

export interface Channel {
  /** Permanent receiver id: ledger entries are keyed by it, so renaming re-delivers. */
  readonly name: string;
  readonly kind: ReceiverType;
  send(payload: object, options?: SendOptions): Promise<DeliveryResult>;
}

/** A receiver: where alerts go (a permanent name) and how they are composed for it (its channel's kind, receivers/registry.ts). */
export interface Receiver {
  channel: Channel;
  /**
   * Receiver that gets what this one fails to take in a cycle (after the
   * channel's own retries); from the routing file's `fallback`.
   */
  fallback?: string;
}

/**
 * A channel that prints as its class and receiver id only (`WorkflowsWebhookChannel(alerts)`):
 * String(), JSON.stringify and console.log of it never show a URL, token or password.
 */
export abstract class PrintSafeChannel<K extends ReceiverType> implements Channel {
  abstract readonly name: string;
  abstract readonly kind: K;
  readonly #className: string;

  constructor(className: string) {
    this.#className = className;
  }

  abstract send(payload: object, options?: SendOptions): Promise<DeliveryResult>;

  toString(): string {
    return `${this.#className}(${this.name})`;
  }

  toJSON(): { name: string; kind: K } {
    return { name: this.name, kind: this.kind };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** The receiver id from a channel's options, trimmed; `what` names the receiver ("a Teams Workflows receiver") when there is none. */
export function receiverNameOf(name: unknown, what: string): string {
  const trimmed = typeof name === "string" ? name.trim() : "";
  if (!trimmed) throw new ChannelConfigError("", `${what} needs a name (its permanent receiver id)`);
  return trimmed;
}

/** `3 attempts in 1.5 s`, as failure messages say it. */
export function attemptsIn(attempts: number, elapsedInMs: number): string {
  return `${attempts} attempt${attempts === 1 ? "" : "s"} in ${(elapsedInMs / 1000).toFixed(1)} s`;
}

interface DeliveryErrorOptions {
  receiver: string;
  status?: number;
  /** True when a later try may succeed (throttling, outage, network); false when someone must fix something first. */
  retryable: boolean;
  attempts: number;
  cause?: unknown;
  /** Fan-out channels: the destinations that did accept the message before it failed for the others. */
  accepted?: readonly Destination[];
}

/**
 * A receiver did not accept an alert. The message says what to do about it and
 * never contains a credential (webhook URLs, tokens): it is safe to log.
 */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  readonly receiver: string;
  readonly status?: number;
  readonly retryable: boolean;
  readonly attempts: number;
  /** Destinations that accepted the message although the send as a whole failed (empty: none, or not a fan-out channel). */
  readonly accepted: readonly Destination[];

  constructor(message: string, options: DeliveryErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.receiver = options.receiver;
    if (options.status !== undefined) this.status = options.status;
    this.retryable = options.retryable;
    this.attempts = options.attempts;
    this.accepted = [...(options.accepted ?? [])];
  }
}

/**
 * A channel was configured with something it cannot work with (a bad webhook
 * URL, an impossible interval). Thrown by constructors, so a broken receiver
 * fails at start-up rather than at the first alert. Never contains secret values.
 */
export class ChannelConfigError extends Error {
  override readonly name = "ChannelConfigError";

  constructor(
    readonly receiver: string,
    message: string,
  ) {
    super(message);
  }
}

/** How a channel retries and what it tells about it; every channel takes these, tests inject them. */
export interface RetryTimingOptions {
  /** Defaults: shared/http/retry.ts DEFAULT_RETRY_POLICY (5 tries, at most 120 s). */
  retryPolicy?: Partial<RetryPolicy>;
  /** Injected for tests; defaults to a timer. Used for pacing and retry waits. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests; defaults to Date.now. */
  now?: () => number;
  /** Injected for tests; the retrier's jitter. Defaults to Math.random. */
  random?: () => number;
  /** Retries are logged at warn. Defaults to a logger that keeps nothing. */
  logger?: Logger;
}

export interface RetryTiming {
  retryPolicy: RetryPolicy;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  random: (() => number) | undefined;
  logger: Logger;
}

/** Defaults: DEFAULT_RETRY_POLICY, a timer, Date.now, Math.random (in the retrier), a silent logger. */
export function retryTiming(options: RetryTimingOptions): RetryTiming {
  return {
    retryPolicy: { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy },
    sleep: options.sleep ?? timerSleep,
    now: options.now ?? Date.now,
    random: options.random,
    logger: options.logger ?? silentLogger,
  };
}

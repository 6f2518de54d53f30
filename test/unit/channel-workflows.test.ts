import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it, test } from "vitest";
import { ChannelConfigError, DeliveryError } from "../../shared/receivers/channel.js";
import { checkWebhookUrl } from "../../shared/config/webhook-url.js";
import { ConfigError, parseSettings } from "../../shared/config/settings.js";
import { SendPacer } from "../../shared/receivers/pacing.js";
import { WorkflowsWebhookChannel, type WorkflowsWebhookChannelOptions } from "../../shared/receivers/teams-workflows.js";
import type { Logger } from "../../shared/logging.js";
import { startRecordingReceiver, type RecordingReceiver } from "../support/recording-receiver.js";
import { webhookUrl } from "../support/webhook-url.js";

/**
 * A clock that only moves when the code under test sleeps; every wait it was asked
 * for is kept. Sleeps that overlap end at their own wake time, as real timers do.
 */
function fakeClock(start = Date.UTC(2025, 0, 6, 9, 0, 0)) {
  let t = start;
  const sleeps: number[] = [];
  return {
    start,
    sleeps,
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      const wakeAt = t + ms;
      await Promise.resolve();
      t = Math.max(t, wakeAt);
    },
  };
}

/** Keeps every line unredacted, so a leak by the channel itself would show. */
function recordingLogger() {
  const lines: { level: string; text: string }[] = [];
  const write = (level: string) => (message: string, data?: Record<string, unknown>) => {
    lines.push({ level, text: data === undefined ? message : `${message} ${JSON.stringify(data)}` });
  };
  const logger: Logger = { error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
  return { logger, lines };
}

let receiver: RecordingReceiver;
let clock: ReturnType<typeof fakeClock>;
let log: ReturnType<typeof recordingLogger>;

beforeEach(async () => {
  clock = fakeClock();
  log = recordingLogger();
  receiver = await startRecordingReceiver({ now: clock.now });
});

afterEach(async () => {
  await receiver.stop();
});

function channelFor(url: string, overrides: Partial<WorkflowsWebhookChannelOptions> = {}): WorkflowsWebhookChannel {
  return new WorkflowsWebhookChannel({
    name: "oncall",
    url: webhookUrl(url),
    retryPolicy: { maxAttempts: 3, baseDelayInMs: 100, maxDelayInMs: 30_000, maxTotalInMs: 120_000 },
    minIntervalInMs: 0,
    timeoutInMs: 5_000,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    logger: log.logger,
    pacer: new SendPacer(),
    ...overrides,
  });
}

function sigOf(url: string): string {
  return /[?&]sig=([^&]+)/.exec(url)?.[1] ?? "";
}

/** The URL, its signature, and the path that identifies the workflow must not appear anywhere. */
function expectNoSecret(text: string, url: string = receiver.url): void {
  expect(sigOf(url)).not.toBe("");
  expect(text).not.toContain(sigOf(url));
  expect(text).not.toContain(new URL(url).pathname);
  expect(text).not.toContain(url);
}

async function sendExpectingFailure(channel: WorkflowsWebhookChannel, payload: object = CARD_MESSAGE): Promise<DeliveryError> {
  const error = await channel.send(payload).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  const deliveryError = error as DeliveryError;
  expect(deliveryError.name).toBe("DeliveryError");
  expect(deliveryError.receiver).toBe("oncall");
  expectNoSecret(deliveryError.message, channelUrl.get(channel));
  expectNoSecret(deliveryError.stack ?? "", channelUrl.get(channel));
  expectNoSecret(inspect(deliveryError, { depth: 5 }), channelUrl.get(channel));
  expectNoSecret(JSON.stringify(deliveryError), channelUrl.get(channel));
  return deliveryError;
}

/** Which URL each test channel posts to, for the secret checks (the channel itself never says). */
const channelUrl = new WeakMap<WorkflowsWebhookChannel, string>();
function track(channel: WorkflowsWebhookChannel, url: string): WorkflowsWebhookChannel {
  channelUrl.set(channel, url);
  return channel;
}

const CARD_MESSAGE = {
  type: "message",
  attachments: [
    {
      contentType: "application/vnd.microsoft.card.adaptive",
      contentUrl: null,
      content: {
        type: "AdaptiveCard",
        $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
        version: "1.5",
        body: [{ type: "TextBlock", text: "Backup job failed: Exchange Online – «Contoso» ✓", wrap: true }],
      },
    },
  ],
};

afterEach(() => {
  for (const line of log.lines) expectNoSecret(line.text);
});

describe("WorkflowsWebhookChannel: what a status means", () => {
  test.each([200, 201, 202, 204])("HTTP %i is delivered at the first attempt", async (status) => {
    receiver.respondWith({ status });
    const result = await channelFor(receiver.url).send(CARD_MESSAGE);
    expect(result).toMatchObject({ status, attempts: 1 });
    expect(result.elapsedInMs).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    expect(log.lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  test.each([
    [400, /refused the payload \(HTTP 400\).*run history/],
    [401, /HTTP 401.*deleted or turned off.*owner lost access.*create it again/],
    [403, /HTTP 403.*deleted or turned off.*owner lost access.*create it again/],
    [404, /HTTP 404.*deleted or turned off.*owner lost access.*create it again/],
    [413, /too large \(HTTP 413\)/],
    [409, /refused the request \(HTTP 409\)/],
    [302, /redirect \(HTTP 302\).*not followed/],
  ])("HTTP %i fails at once with advice, after one request", async (status, advice) => {
    receiver.setDefault({ status, headers: status === 302 ? { Location: "https://example.invalid/" } : {} });
    const channel = track(channelFor(receiver.url), receiver.url);
    const error = await sendExpectingFailure(channel);
    expect(error).toMatchObject({ status, retryable: false, attempts: 1 });
    expect(error.message).toMatch(advice);
    expect(error.message).toContain('"oncall"');
    expect(receiver.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  test.each([408, 429, 500, 502, 503, 504])("HTTP %i is retried, then delivered", async (status) => {
    receiver.respondWith({ status });
    const result = await channelFor(receiver.url).send(CARD_MESSAGE);
    expect(result).toMatchObject({ status: 202, attempts: 2 });
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]?.rawBody).toBe(receiver.requests[0]?.rawBody);
    // Backoff from the shared retrier: base 100 ms, jitter fixed at 0.5 → 75 ms.
    expect(clock.sleeps).toEqual([75]);
    const warnings = log.lines.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.text).toContain(`receiver "oncall": attempt 1 was answered HTTP ${status}; retrying in 75 ms`);
  });

  it("waits the seconds a Retry-After asks for", async () => {
    receiver.respondWith({ status: 429, headers: { "Retry-After": "7" } });
    const result = await channelFor(receiver.url, { minIntervalInMs: 1000 }).send(CARD_MESSAGE);
    expect(result).toMatchObject({ status: 202, attempts: 2, elapsedInMs: 7000 });
    expect(clock.sleeps).toEqual([7000]);
    expect((receiver.requests[1]?.at ?? 0) - (receiver.requests[0]?.at ?? 0)).toBe(7000);
  });

  it("waits until the HTTP date a Retry-After names", async () => {
    receiver.respondWith({ status: 503, headers: { "Retry-After": new Date(clock.start + 9000).toUTCString() } });
    const result = await channelFor(receiver.url).send(CARD_MESSAGE);
    expect(result.attempts).toBe(2);
    expect(clock.sleeps).toEqual([9000]);
  });

  it("gives up after maxAttempts with a retryable DeliveryError naming the last status", async () => {
    receiver.setDefault({ status: 503, body: '{"error":{"code":"ServiceUnavailable","message":"try later"}}' });
    const error = await sendExpectingFailure(track(channelFor(receiver.url), receiver.url));
    expect(error).toMatchObject({ status: 503, retryable: true, attempts: 3 });
    expect(error.message).toMatch(/still answered HTTP 503 after 3 attempts.*ServiceUnavailable: try later/);
    expect(receiver.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([75, 150]);
    expect(log.lines.filter((l) => l.level === "warn")).toHaveLength(2);
  });

  it("does not start a wait that would pass the retry time budget", async () => {
    receiver.setDefault({ status: 429, headers: { "Retry-After": "200" } });
    const error = await sendExpectingFailure(track(channelFor(receiver.url), receiver.url));
    expect(error).toMatchObject({ status: 429, retryable: true, attempts: 1 });
    expect(error.message).toContain("It asked to wait 200 s");
    expect(receiver.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("retries a refused connection and finally reports it as retryable", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=closed-port-signature-123`;

    const error = await sendExpectingFailure(track(channelFor(url), url));
    expect(error).toMatchObject({ retryable: true, attempts: 3, status: undefined });
    expect(error.message).toMatch(/could not be reached after 3 attempts/);
    expect(clock.sleeps).toEqual([75, 150]);
    for (const line of log.lines) expectNoSecret(line.text, url);
  });

  it("retries a response that does not come within timeoutInMs", async () => {
    receiver.setDefault({ status: 202, delayInMs: 2_000 });
    const channel = track(channelFor(receiver.url, { timeoutInMs: 100, retryPolicy: { maxAttempts: 2, baseDelayInMs: 100 } }), receiver.url);
    const error = await sendExpectingFailure(channel);
    expect(error).toMatchObject({ retryable: true, attempts: 2 });
    expect(error.message).toMatch(/no response from http:\/\/127\.0\.0\.1:\d+ within 100 ms/);
    expect(receiver.requests).toHaveLength(2);
  });

  it("delivers after a timeout and a dropped connection", async () => {
    receiver.respondWith({ status: 202, delayInMs: 2_000 }, { status: 202, destroy: true });
    const result = await channelFor(receiver.url, { timeoutInMs: 100 }).send(CARD_MESSAGE);
    expect(result).toMatchObject({ status: 202, attempts: 3 });
    expect(receiver.requests).toHaveLength(3);
  });

  it("returns the workflow run id as the message id", async () => {
    receiver.respondWith({ status: 202, headers: { "x-ms-workflow-run-id": "08584652375651234567890123456CU00" } });
    const result = await channelFor(receiver.url).send(CARD_MESSAGE);
    expect(result.messageId).toBe("08584652375651234567890123456CU00");
  });
});

describe("WorkflowsWebhookChannel: what it sends", () => {
  it("POSTs exactly the payload as JSON to the webhook URL", async () => {
    await channelFor(receiver.url).send(CARD_MESSAGE);
    const [request] = receiver.requests;
    const url = new URL(receiver.url);
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe(url.pathname);
    expect(request?.query["sig"]).toBe(receiver.sig);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.rawBody).toBe(JSON.stringify(CARD_MESSAGE));
    expect(request?.body).toEqual(CARD_MESSAGE);
  });

  it("quotes the workflow's 400 error text, redacted and truncated", async () => {
    const echo = `the request to ${receiver.url} was invalid; sig ${receiver.sig} ${"x".repeat(1000)}`;
    receiver.setDefault({ status: 400, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ error: { code: "InvalidRequestContent", message: echo } }) });
    const error = await sendExpectingFailure(track(channelFor(receiver.url), receiver.url));
    expect(error.message).toContain('"InvalidRequestContent: the request to [redacted] was invalid; sig [redacted] xxx');
    expect(error.message).toMatch(/x…"/);
    expect(error.message.length).toBeLessThan(700);
  });

  it("quotes a plain-text or HTML refusal without its markup", async () => {
    receiver.setDefault({ status: 404, headers: { "Content-Type": "text/html" }, body: "<html><body><h1>Not   Found</h1></body></html>" });
    const error = await sendExpectingFailure(track(channelFor(receiver.url), receiver.url));
    expect(error.message).toContain('HTTP 404: "Not Found"');
  });
});

describe("WorkflowsWebhookChannel: pacing", () => {
  it("spaces two sends to one URL by minIntervalInMs", async () => {
    const channel = channelFor(receiver.url, { minIntervalInMs: 1000 });
    await channel.send(CARD_MESSAGE);
    await channel.send(CARD_MESSAGE);
    expect(clock.sleeps).toEqual([1000]);
    expect((receiver.requests[1]?.at ?? 0) - (receiver.requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("queues concurrent sends one interval apart", async () => {
    const channel = channelFor(receiver.url, { minIntervalInMs: 1000 });
    await Promise.all([channel.send(CARD_MESSAGE), channel.send(CARD_MESSAGE), channel.send(CARD_MESSAGE)]);
    expect([...clock.sleeps].sort((a, b) => a - b)).toEqual([1000, 2000]);
    expect(receiver.requests).toHaveLength(3);
  });

  it("shares the interval between channel instances of one URL (the process-wide pacer)", async () => {
    const first = channelFor(receiver.url, { minIntervalInMs: 1000, pacer: undefined });
    const second = new WorkflowsWebhookChannel({ name: "oncall-copy", url: webhookUrl(receiver.url), sleep: clock.sleep, now: clock.now });
    await first.send(CARD_MESSAGE);
    await second.send(CARD_MESSAGE);
    expect(clock.sleeps).toEqual([1000]);
  });

  it("does not make different URLs wait for each other", async () => {
    const other = await startRecordingReceiver({ now: clock.now });
    try {
      const pacer = new SendPacer();
      await channelFor(receiver.url, { minIntervalInMs: 1000, pacer }).send(CARD_MESSAGE);
      await channelFor(other.url, { minIntervalInMs: 1000, pacer }).send(CARD_MESSAGE);
      expect(clock.sleeps).toEqual([]);
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.stop();
    }
  });

  it("holds every sender to a URL that answered 429 with Retry-After", async () => {
    const pacer = new SendPacer();
    receiver.respondWith({ status: 429, headers: { "Retry-After": "5" } });
    const throttled = track(channelFor(receiver.url, { pacer, retryPolicy: { maxAttempts: 1 } }), receiver.url);
    await sendExpectingFailure(throttled);
    await channelFor(receiver.url, { pacer }).send(CARD_MESSAGE);
    expect(clock.sleeps).toEqual([5000]);
  });
});

describe("WorkflowsWebhookChannel: cancellation", () => {
  it("stops during a retry wait and rejects with the signal's reason, not a DeliveryError", async () => {
    receiver.setDefault({ status: 503 });
    const controller = new AbortController();
    const channel = channelFor(receiver.url, {
      sleep: async (_ms, signal) => {
        controller.abort();
        signal?.throwIfAborted();
      },
    });
    const error = await channel.send(CARD_MESSAGE, { abortSignal: controller.signal }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(DeliveryError);
    expect((error as Error).name).toBe("AbortError");
    expect(receiver.requests).toHaveLength(1);
  });

  it("sends nothing when the signal is already aborted", async () => {
    const error = await channelFor(receiver.url)
      .send(CARD_MESSAGE, { abortSignal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect(receiver.requests).toHaveLength(0);
  });
});

describe("WorkflowsWebhookChannel: construction and printing", () => {
  it("prints as its receiver name only", () => {
    const channel = channelFor(receiver.url);
    for (const text of [String(channel), `${channel}`, inspect(channel, { depth: 10, showHidden: true }), JSON.stringify(channel), JSON.stringify({ channel })]) {
      expectNoSecret(text);
      expect(text).toContain("oncall");
    }
    expect(String(channel)).toBe("WorkflowsWebhookChannel(oncall)");
    expect(channel.kind).toBe("teams-workflows");
  });

  test.each([
    ["a retired Office 365 connector", "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456?sig=connector-secret-1"],
    ["plain http to another machine", "http://alerts.example.com/workflows/abc/triggers/manual/paths/invoke?sig=plain-http-secret-1"],
    ["not a URL", "prod-12.westus.logic.azure.com/workflows?sig=not-a-url-secret-1"],
  ])("cannot be given %s: the one check refuses it, in a problem that does not show the URL", (_label, url) => {
    // The channel takes a WebhookUrl, which only config/webhook-url.ts makes, after its check.
    const checked = checkWebhookUrl(url);
    expect("url" in checked).toBe(false);
    expect(checked).toEqual({ problem: expect.stringMatching(/^(is|must) /) });
    expect(JSON.stringify(checked)).not.toContain(sigOf(url));
    const refused = (() => {
      try {
        parseSettings({ ALERTS_STORAGE: "UseDevelopmentStorage=true", TEAMS_WEBHOOK_URL: url }, { requireAvePoint: false });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).problems.map((p) => p.variable)).toEqual(["TEAMS_WEBHOOK_URL"]);
    expect((refused as Error).message).not.toContain(sigOf(url));
    expect((refused as Error).stack).not.toContain(sigOf(url));
  });

  it("accepts an https Workflows URL and refuses a blank name or a negative interval", () => {
    const url = "https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=valid-sig-1";
    expect(() => channelFor(url)).not.toThrow();
    expect(() => channelFor(url, { name: "  " })).toThrow(ChannelConfigError);
    expect(() => channelFor(url, { minIntervalInMs: -1 })).toThrow(/minIntervalInMs/);
    expect(() => channelFor(url, { timeoutInMs: 0 })).toThrow(/timeoutInMs/);
  });
});

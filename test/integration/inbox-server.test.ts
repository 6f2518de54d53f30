import { request as httpRequest } from "node:http";
import { JSDOM } from "jsdom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startInbox, InboxStartError, type Inbox } from "../../cli/inbox-server.js";
import { WorkflowsWebhookChannel } from "../../shared/receivers/teams-workflows.js";
import { webhookUrl } from "../support/webhook-url.js";

const RECEIVED_AT = Date.UTC(2025, 0, 6, 9, 30, 0);

const CARD_MESSAGE = {
  type: "message",
  summary: "Backup failed: Exchange Online (Contoso)",
  attachments: [
    {
      contentType: "application/vnd.microsoft.card.adaptive",
      contentUrl: null,
      content: {
        type: "AdaptiveCard",
        $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
        version: "1.5",
        body: [
          { type: "TextBlock", text: "**Backup job failed** <script>alert(1)</script>", wrap: true },
          { type: "TextBlock", text: "Error: \\*\\*not bold\\*\\* in \\[IB20250106\\]\\(https://evil.example\\)", wrap: true },
          { type: "Container", style: "attention", items: [{ type: "FactSet", facts: [{ title: "Service", value: "Exchange Online" }] }] },
        ],
        actions: [{ type: "Action.OpenUrl", title: "Open in Cloud Backup", url: "https://portal.example/jobs" }],
      },
    },
  ],
};

let inbox: Inbox;

beforeEach(async () => {
  inbox = await startInbox({ port: 0, now: () => RECEIVED_AT });
});

afterEach(async () => {
  await inbox.stop();
});

function post(body: string, contentType = "application/json"): Promise<Response> {
  return fetch(inbox.webhookUrl, { method: "POST", headers: { "Content-Type": contentType }, body });
}

describe("local inbox", () => {
  it("listens on loopback and gives a webhook URL a channel accepts", () => {
    expect(inbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(inbox.webhookUrl.startsWith(`${inbox.url}/`)).toBe(true);
    expect(() => new WorkflowsWebhookChannel({ name: "demo", url: webhookUrl(inbox.webhookUrl) })).not.toThrow();
  });

  it("answers 202 to a JSON POST and returns the payload from /inbox.json", async () => {
    const response = await post(JSON.stringify(CARD_MESSAGE));
    expect(response.status).toBe(202);

    const listing = await fetch(`${inbox.url}/inbox.json`);
    expect(listing.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await listing.json()).toEqual({ messages: [{ id: 1, receivedAt: "2025-01-06T09:30:00.000Z", payload: CARD_MESSAGE }] });
    expect(inbox.messages.map((m) => m.payload)).toEqual([CARD_MESSAGE]);
  });

  it("takes deliveries from the Workflows channel", async () => {
    const channel = new WorkflowsWebhookChannel({ name: "demo", url: webhookUrl(inbox.webhookUrl), minIntervalInMs: 0 });
    const result = await channel.send(CARD_MESSAGE);
    expect(result.status).toBe(202);
    expect(inbox.messages[0]?.payload).toEqual(CARD_MESSAGE);
  });

  it.each([
    ["a body that is not JSON", "not json {", "application/json"],
    ["a non-JSON content type", JSON.stringify(CARD_MESSAGE), "text/plain"],
  ])("rejects %s with 400 and a Workflows-style error, storing nothing", async (_label, body, contentType) => {
    const response = await post(body, contentType);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "InvalidRequestContent" } });
    expect(inbox.messages).toEqual([]);
  });

  it("keeps at most maxMessages, dropping the oldest", async () => {
    const small = await startInbox({ port: 0, maxMessages: 2 });
    try {
      for (const n of [1, 2, 3]) {
        await fetch(small.webhookUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ n }) });
      }
      expect(small.messages.map((m) => [m.id, m.payload])).toEqual([
        [2, { n: 2 }],
        [3, { n: 3 }],
      ]);
    } finally {
      await small.stop();
    }
  });

  it("serves a page that loads the official renderer from /adaptivecards.js", async () => {
    const response = await fetch(`${inbox.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await response.text();
    expect(html).toContain('<script src="/adaptivecards.js"></script>');
    expect(html).toContain('<script src="/inbox.js"></script>');
    expect(html).toContain(inbox.webhookUrl);

    const renderer = await fetch(`${inbox.url}/adaptivecards.js`);
    expect(renderer.status).toBe(200);
    expect(renderer.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await renderer.text()).toContain("AdaptiveCards");

    const client = await fetch(`${inbox.url}/inbox.js`);
    expect(client.headers.get("content-type")).toMatch(/^text\/javascript/);
  });

  it("renders each delivered card in the page, newest first, with text escaped", async () => {
    await post(JSON.stringify(CARD_MESSAGE));
    await post(JSON.stringify({ type: "message", text: "not a card" }));

    const dom = await JSDOM.fromURL(`${inbox.url}/`, {
      runScripts: "dangerously",
      resources: "usable",
      pretendToBeVisual: true,
      beforeParse(window) {
        // jsdom has no fetch; the page's requests go to the same inbox through Node's.
        Object.assign(window, { fetch: (input: string, init?: RequestInit) => fetch(new URL(input, inbox.url), init) });
      },
    });
    try {
      const { document } = dom.window;
      await vi.waitFor(() => expect(document.querySelectorAll("article.message")).toHaveLength(2), { timeout: 5_000, interval: 20 });
      const [newest, oldest] = [...document.querySelectorAll("article.message")];
      expect(newest?.querySelector("pre")?.textContent).toContain("not a card");
      expect(oldest?.querySelector(".summary")?.textContent).toBe(CARD_MESSAGE.summary);
      expect(oldest?.querySelector("time")?.getAttribute("datetime")).toBe("2025-01-06T09:30:00.000Z");
      expect(oldest?.querySelector("time")?.textContent).toBe("2025-01-06 09:30:00 UTC");
      const card = oldest?.querySelector(".ac-adaptiveCard");
      expect(card?.textContent).toContain("Backup job failed");
      expect(card?.textContent).toContain("Exchange Online");
      expect([...(card?.querySelectorAll("strong") ?? [])].map((e) => e.textContent)).toEqual(["Backup job failed"]);
      // Backslash escapes (how the card renderer neutralises API text) show as the literal characters.
      expect(card?.textContent).toContain("Error: **not bold** in [IB20250106](https://evil.example)");
      expect(card?.querySelectorAll("a")).toHaveLength(0);
      // jsdom lacks innerText, which the renderer uses for button titles; the label carries the same text.
      expect(card?.querySelector(".ac-pushButton")?.getAttribute("aria-label")).toBe("Open in Cloud Backup");
      expect(document.querySelectorAll("main script")).toHaveLength(0);
      expect(card?.textContent).toContain("<script>alert(1)</script>");
    } finally {
      dom.window.close();
    }
  });

  it("answers only requests that name loopback in Host (no DNS rebinding)", async () => {
    await post(JSON.stringify({ secret: "card text" }));
    const { port } = new URL(inbox.url);
    const get = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port: Number(port), path: "/inbox.json", headers: { Host: host } }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString("utf8")));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
    for (const host of ["rebound.attacker.example", `rebound.attacker.example:${port}`, "127.0.0.1", `127.0.0.1:${Number(port) + 1}`]) {
      const answer = await get(host);
      expect(answer.status).toBe(421);
      expect(answer.body).not.toContain("card text");
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) expect((await get(host)).status).toBe(200);
  });

  it("keeps the newest messages only, filters them by severity, and shows times in UTC like the cards", async () => {
    const small = await startInbox({ port: 0, maxMessages: 3, now: () => RECEIVED_AT });
    const postTo = (summary: string) =>
      fetch(small.webhookUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ...CARD_MESSAGE, summary }) });
    const dom = await JSDOM.fromURL(`${small.url}/`, {
      runScripts: "dangerously",
      resources: "usable",
      pretendToBeVisual: true,
      beforeParse(window) {
        Object.assign(window, { fetch: (input: string, init?: RequestInit) => fetch(new URL(input, small.url), init) });
      },
    });
    try {
      const { document } = dom.window;
      const shown = () => [...document.querySelectorAll<HTMLElement>("article.message")].filter((a) => !a.hidden).map((a) => a.querySelector(".summary")?.textContent);
      for (const summary of ["[CRITICAL] one", "[RESOLVED] two", "[WARNING] three", "[CRITICAL] four", "[RESOLVED] five"]) expect((await postTo(summary)).status).toBe(202);
      // The page keeps what the server keeps: the newest three, newest first.
      await vi.waitFor(() => expect(shown()).toEqual(["[RESOLVED] five", "[CRITICAL] four", "[WARNING] three"]), { timeout: 8_000, interval: 50 });
      expect(document.querySelector("article.message time")?.textContent).toBe("2025-01-06 09:30:00 UTC");
      const filter = document.querySelector<HTMLSelectElement>("select#severity")!;
      expect([...filter.options].map((o) => o.value)).toEqual(["all", "critical", "warning", "resolved", "info"]);
      filter.value = "critical";
      filter.dispatchEvent(new dom.window.Event("change"));
      expect(shown()).toEqual(["[CRITICAL] four"]);
      // New messages respect the filter too, and older ones still leave the page.
      expect((await postTo("[CRITICAL] six")).status).toBe(202);
      await vi.waitFor(() => expect(shown()).toEqual(["[CRITICAL] six", "[CRITICAL] four"]), { timeout: 8_000, interval: 50 });
      expect(document.querySelectorAll("article.message")).toHaveLength(3);
      expect(document.getElementById("status")?.textContent).toMatch(/^2 of 3 messages shown \(critical\); the inbox keeps the newest 3\./);
    } finally {
      dom.window.close();
      await small.stop();
    }
  });

  it("refuses to listen beyond loopback", async () => {
    await expect(startInbox({ port: 0, host: "0.0.0.0" })).rejects.toThrow(InboxStartError);
  });

  it("says which port is taken", async () => {
    const port = Number(new URL(inbox.url).port);
    await expect(startInbox({ port })).rejects.toThrow(new RegExp(`port ${port} .* is in use`));
  });
});

/**
 * The local inbox of the `npm start` demo: a stand-in for a Teams channel.
 * It answers POSTs the way a Teams Workflows webhook does (202 for JSON, 400
 * otherwise) and serves a page that renders every delivered card with the
 * official Adaptive Cards renderer, newest first, so the demo shows what
 * on-call admins would see in Teams. It listens on loopback only: it accepts
 * anything posted to it and shows it back.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackHost } from "../shared/config/environment.js";
import { CARD_VIEW_SCRIPT, CARD_VIEW_STYLE, escapeHtml, readAdaptiveCardsBundle } from "./card-view.js";

export interface InboxOptions {
  /** Default 7071; 0 picks a free port (tests). */
  port?: number;
  /** Loopback only: 127.0.0.1 (default), localhost or ::1. */
  host?: string;
  /** Oldest messages are dropped (from the page too) beyond this many, so a long demo does not grow without end. Default 50. */
  maxMessages?: number;
  /** Clock for `receivedAt`. Default Date.now. */
  now?: () => number;
}

export interface InboxMessage {
  /** Increases by one per delivery; the page renders only ids it has not shown. */
  id: number;
  /** ISO 8601. */
  receivedAt: string;
  payload: unknown;
}

export interface Inbox {
  /** The page, e.g. http://127.0.0.1:7071 (no trailing slash). */
  url: string;
  /** Where channels POST, acting as a Teams Workflows webhook. */
  webhookUrl: string;
  /** Delivered payloads, oldest first. */
  messages: InboxMessage[];
  stop(): Promise<void>;
}

/** The inbox could not start (a host that is not loopback, a port in use). */
export class InboxStartError extends Error {
  override readonly name = "InboxStartError";
}

export const DEFAULT_INBOX_PORT = 7071;
const WEBHOOK_PATH = "/webhook";
const MAX_BODY_BYTES = 1024 * 1024;

export async function startInbox(options: InboxOptions = {}): Promise<Inbox> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackHost(host)) {
    throw new InboxStartError(`the inbox shows whatever is posted to it, so it listens on loopback only (127.0.0.1, localhost or ::1), not on "${host}"`);
  }
  const requestedPort = options.port ?? DEFAULT_INBOX_PORT;
  const maxMessages = options.maxMessages ?? 50;
  const now = options.now ?? Date.now;
  const messages: InboxMessage[] = [];
  let nextId = 1;
  let page = "";

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, `inbox error: ${error instanceof Error ? error.message : String(error)}`);
      else res.destroy();
    });
  });

  let listeningPort = 0;
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS rebinding: a web page whose name resolves to 127.0.0.1 reaches this server with its own
    // name in Host and could read every card. Only names that mean this machine are answered.
    if (!isLoopbackHostHeader(req.headers.host, listeningPort)) return sendText(res, 421, "the inbox answers only http://127.0.0.1, http://localhost or http://[::1] with its port");
    const path = new URL(req.url ?? "/", "http://inbox.invalid").pathname;
    if (req.method === "POST" && path === WEBHOOK_PATH) return receive(req, res);
    if (req.method !== "GET" && req.method !== "HEAD") return sendText(res, 405, "the inbox takes POST at /webhook and GET elsewhere");
    switch (path) {
      case "/":
        return send(res, 200, "text/html; charset=utf-8", page, PAGE_HEADERS);
      case "/inbox.js":
        return send(res, 200, "text/javascript; charset=utf-8", CLIENT_SCRIPT);
      case "/adaptivecards.js":
        return serveRenderer(res);
      case "/card-view.js":
        return send(res, 200, "text/javascript; charset=utf-8", CARD_VIEW_SCRIPT);
      case WEBHOOK_PATH:
        return sendText(res, 405, "POST a JSON payload here, as to a Teams Workflows webhook; the inbox page is at /");
      case "/inbox.json":
        return send(res, 200, "application/json; charset=utf-8", JSON.stringify({ messages }), { "Cache-Control": "no-store" });
      default:
        return sendText(res, 404, "not found");
    }
  }

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const contentType = req.headers["content-type"] ?? "";
    const body = await readBody(req);
    if (body === undefined) return sendWorkflowsError(res, 413, "RequestEntityTooLarge", `the body is larger than ${MAX_BODY_BYTES} bytes`);
    if (!/^application\/json\b/i.test(contentType)) {
      return sendWorkflowsError(res, 400, "InvalidRequestContent", "the request content type must be application/json");
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return sendWorkflowsError(res, 400, "InvalidRequestContent", "the request body is not valid JSON");
    }
    messages.push({ id: nextId++, receivedAt: new Date(now()).toISOString(), payload });
    if (messages.length > maxMessages) messages.splice(0, messages.length - maxMessages);
    res.writeHead(202, { "Content-Length": "0" }).end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new InboxStartError(`port ${requestedPort} on ${host} is in use (the Azure Functions host also uses 7071); choose another with DEMO_PORT`)
          : error,
      );
    });
    server.listen(requestedPort, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  listeningPort = port;
  const url = `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
  const webhookUrl = `${url}${WEBHOOK_PATH}`;
  page = renderPage(webhookUrl, maxMessages);

  return {
    url,
    webhookUrl,
    messages,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** The official renderer's browser bundle from node_modules. */
async function serveRenderer(res: ServerResponse): Promise<void> {
  let source: string;
  try {
    source = await readAdaptiveCardsBundle();
  } catch (error) {
    return sendText(res, 503, error instanceof Error ? error.message : String(error));
  }
  send(res, 200, "text/javascript; charset=utf-8", source, { "Cache-Control": "public, max-age=3600" });
}

/** The body as text, or undefined when it is over the limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(body)), "X-Content-Type-Options": "nosniff", ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  send(res, status, "text/plain; charset=utf-8", `${text}\n`);
}

/** Errors shaped like the ones Workflows returns, so the channel's error handling shows in the demo too. */
function sendWorkflowsError(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify({ error: { code, message } }));
}

/** Scripts come only from this server; card images may come from anywhere https. */
const PAGE_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; base-uri 'none'; form-action 'none'",
  "Cache-Control": "no-store",
};

function renderPage(webhookUrl: string, maxMessages: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cloud Backup Alerts · local inbox</title>
<style>
  .bar { background: #ebebeb; border-bottom: 1px solid #e0e0e0; padding: 12px 24px; }
  .bar h1 { font-size: 16px; font-weight: 600; margin: 0 0 4px; }
  .bar p { margin: 0; color: #616161; }
  .bar label { font-size: 13px; }
  main { padding: 16px 24px; display: flex; flex-direction: column; gap: 16px; }
${CARD_VIEW_STYLE}</style>
</head>
<body>
<header class="bar">
  <h1>Cloud Backup Alerts · local inbox</h1>
  <p>Stands in for a Teams channel: cards posted to <code>${escapeHtml(webhookUrl)}</code> appear here, newest first.</p>
  <p><label>Show <select id="severity">
    <option value="all">all messages</option>
    <option value="critical">critical</option>
    <option value="warning">warnings</option>
    <option value="resolved">resolved</option>
    <option value="info">info and tests</option>
  </select></label></p>
  <p id="status" role="status">Loading…</p>
</header>
<main id="messages" aria-live="polite" data-keep="${maxMessages}"></main>
<script src="/adaptivecards.js"></script>
<script src="/card-view.js"></script>
<script src="/inbox.js"></script>
</body>
</html>
`;
}

/**
 * Runs in the browser after /card-view.js: polls /inbox.json and shows new
 * messages, newest first; drops those the server no longer keeps; filters by
 * the severity tag the summary starts with ("[CRITICAL] …").
 */
const CLIENT_SCRIPT = String.raw`"use strict";
(function () {
  var POLL_IN_MS = 3000;
  var list = document.getElementById("messages");
  var status = document.getElementById("status");
  var filter = document.getElementById("severity");
  var keep = Number(list.getAttribute("data-keep")) || 50;
  var view = window.TeamsCardView;
  var lastShownId = 0;
  var kept = 0;

  // Same notation as the cards: "2026-12-06 14:35:10 UTC".
  function utc(iso) {
    return iso.slice(0, 10) + " " + iso.slice(11, 19) + " UTC";
  }

  function severityOf(summary) {
    var tag = (/^\[([A-Z]+)\]/.exec(summary) || [])[1] || "";
    var lower = tag.toLowerCase();
    return lower === "critical" || lower === "warning" || lower === "resolved" ? lower : "info";
  }

  function applyFilter(article) {
    article.hidden = filter.value !== "all" && article.getAttribute("data-severity") !== filter.value;
  }

  function renderMessage(message) {
    var article = document.createElement("article");
    article.className = "message";
    var header = document.createElement("header");
    var time = document.createElement("time");
    time.dateTime = message.receivedAt;
    time.textContent = utc(message.receivedAt);
    var summary = document.createElement("span");
    summary.className = "summary";
    summary.textContent = view.summaryOf(message.payload, view.cardsOf(message.payload));
    article.setAttribute("data-severity", severityOf(summary.textContent));
    header.appendChild(summary);
    header.appendChild(time);
    article.appendChild(header);
    var body = document.createElement("div");
    body.className = "card";
    view.renderPayload(message.payload, body);
    article.appendChild(body);
    applyFilter(article);
    return article;
  }

  function showStatus() {
    var articles = list.querySelectorAll("article.message");
    var shown = 0;
    articles.forEach(function (a) { if (!a.hidden) shown += 1; });
    if (articles.length === 0) {
      status.textContent = "No alerts yet. This page checks for new ones every few seconds.";
      return;
    }
    var count = filter.value === "all"
      ? articles.length + (articles.length === 1 ? " message" : " messages")
      : shown + " of " + articles.length + " messages shown (" + filter.value + ")";
    status.textContent = count + "; the inbox keeps the newest " + keep + ". Newest first; checked " + utc(new Date().toISOString()) + ".";
  }

  filter.addEventListener("change", function () {
    list.querySelectorAll("article.message").forEach(applyFilter);
    showStatus();
  });

  function poll() {
    fetch("/inbox.json", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (inbox) {
        var messages = inbox.messages || [];
        var newest = messages.length ? messages[messages.length - 1].id : 0;
        if (newest < lastShownId) { list.replaceChildren(); lastShownId = 0; } // the server restarted
        messages.forEach(function (message) {
          if (message.id > lastShownId) list.prepend(renderMessage(message));
        });
        lastShownId = Math.max(lastShownId, newest);
        // The page keeps what the server keeps, so a long demo stays light.
        while (list.children.length > Math.min(messages.length, keep)) list.lastElementChild.remove();
        showStatus();
      })
      .catch(function () { status.textContent = "The inbox is not answering: is npm start still running?"; })
      .then(function () { setTimeout(poll, POLL_IN_MS); });
  }

  poll();
})();
`;

/** A Host header naming this machine's loopback with the inbox's port. */
function isLoopbackHostHeader(host: string | undefined, port: number): boolean {
  const value = (host ?? "").toLowerCase();
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(value);
}

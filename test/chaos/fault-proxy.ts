/**
 * An HTTP proxy on 127.0.0.1, port 0, that sits in front of a real service
 * (Azurite, the recording receiver) and lets the chaos harness fail it at any
 * request: answer a status of its own (503), drop the connection, or hold the
 * upstream's answer back while something happens (a process is killed).
 * Every exchange is recorded with its place in the harness's event order.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";

/** One global order of events (requests, answers, faults, kills) across the harness's proxies. */
export class EventSequence {
  #last = 0;
  next(): number {
    return ++this.#last;
  }
  get last(): number {
    return this.#last;
  }
}

export interface ProxiedExchange {
  /** Event order when the request arrived. */
  seq: number;
  method: string;
  /** Path and query as requested. */
  url: string;
  requestBody: string;
  /** The upstream's status, or the one the proxy answered with; 0 when nobody answered. */
  status: number;
  /** The proxy answered (or dropped the connection) instead of the upstream. */
  injected: boolean;
  /** Event order when the upstream's answer (or the injected one) was ready; 0 if none. */
  answeredSeq: number;
  /** The answer reached the client's socket. */
  delivered: boolean;
  /** Real time from the request's arrival to the answer being ready (ms). */
  answeredAfterMs: number;
  /** The client had already given up (its timeout) when the upstream's answer was ready: accepted, but the client never heard it. */
  clientGone: boolean;
  /** What the harness was doing (a run and cycle or child process). */
  tag: string;
}

export type RequestAction = { kind: "forward" } | { kind: "respond"; status: number } | { kind: "reset" };
export type ResponseAction = "forward" | "reset";

export interface FaultProxyHooks {
  /** Before the request goes upstream. Default: forward. */
  request?: (exchange: ProxiedExchange) => RequestAction | Promise<RequestAction>;
  /** After the upstream answered, before the client hears it. Default: forward. */
  response?: (exchange: ProxiedExchange) => ResponseAction | Promise<ResponseAction>;
  /** After the answer was handed to the client's socket. */
  delivered?: (exchange: ProxiedExchange) => void;
}

export interface FaultProxyOptions {
  /** http://127.0.0.1:<port> of the real service. */
  upstream: string;
  events: EventSequence;
  hooks?: FaultProxyHooks;
  /** Keep every exchange in `exchanges` (the receiver gate does; the storage proxy only counts). Default true. */
  record?: boolean;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  readonly exchanges: ProxiedExchange[];
  /** Label stamped on the exchanges from now on. */
  tag: string;
  hooks: FaultProxyHooks;
  /** Drops every open connection (clients see a reset). */
  dropConnections(): void;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "content-length"]);

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const exchanges: ProxiedExchange[] = [];
  const sockets = new Set<Socket>();
  const record = options.record ?? true;

  const proxy: FaultProxy = {
    origin: "",
    port: 0,
    exchanges,
    tag: "",
    hooks: options.hooks ?? {},
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    stop: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const arrived = Date.now();
    const body = await readAll(req);
    const exchange: ProxiedExchange = {
      seq: options.events.next(),
      method: req.method ?? "GET",
      url: req.url ?? "/",
      requestBody: body.toString("utf8"),
      status: 0,
      injected: false,
      answeredSeq: 0,
      delivered: false,
      clientGone: false,
      answeredAfterMs: 0,
      tag: proxy.tag,
    };
    if (record) exchanges.push(exchange);

    const action = (await proxy.hooks.request?.(exchange)) ?? { kind: "forward" };
    if (action.kind === "reset") {
      exchange.injected = true;
      exchange.answeredSeq = options.events.next();
      req.socket.destroy();
      return;
    }
    if (action.kind === "respond") {
      exchange.injected = true;
      exchange.status = action.status;
      exchange.answeredSeq = options.events.next();
      const text = JSON.stringify({ "odata.error": { code: "ServerBusy", message: { value: "injected by the chaos proxy" } } });
      res.writeHead(action.status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), connection: "close" });
      res.end(text);
      return;
    }

    let answer: IncomingMessage;
    try {
      answer = await new Promise<IncomingMessage>((resolve, reject) => {
        const outgoing = httpRequest(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...forwardHeaders(req.headers), "content-length": String(body.length) }, agent },
          resolve,
        );
        outgoing.once("error", reject);
        outgoing.end(body);
      });
    } catch {
      exchange.answeredSeq = options.events.next();
      req.socket.destroy();
      return;
    }
    let answerBody: Buffer;
    try {
      answerBody = await readAll(answer);
    } catch {
      exchange.answeredSeq = options.events.next();
      req.socket.destroy();
      return;
    }
    exchange.status = answer.statusCode ?? 0;
    exchange.answeredSeq = options.events.next();
    exchange.clientGone = res.destroyed || req.socket.destroyed;
    exchange.answeredAfterMs = Date.now() - arrived;
    const then = (await proxy.hooks.response?.(exchange)) ?? "forward";
    if (then === "reset" || res.destroyed || req.socket.destroyed) {
      req.socket.destroy();
      return;
    }
    res.writeHead(exchange.status, { ...forwardHeaders(answer.headers), "content-length": String(answerBody.length) });
    res.end(answerBody, () => {
      exchange.delivered = true;
      proxy.hooks.delivered?.(exchange);
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  proxy.port = port;
  proxy.origin = `http://127.0.0.1:${port}`;
  return proxy;
}

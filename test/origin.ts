/**
 * The origin the proxy tests talk to: a real Node server on loopback, started
 * once by test/global-setup.ts. It is the local development backend
 * (backend/server.ts) plus routes under `/api/test/` that misbehave on
 * purpose, as real backends do: slow headers, streams that die or never end,
 * redirects, several cookies, hop-by-hop headers, and `/api/test/leaky`, a
 * backend that tries to leak through the gateway (reflects any Origin with
 * credentials, echoes the proxy token, believes X-Client-IP, echoes TRACE).
 * Nothing here is a mock: the Workers reach it over real TCP.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { gzipSync } from "node:zlib";
import type { BackendSecrets } from "../backend/server.ts";
import { backendHandler, createBackendServer } from "../backend/server.ts";
import type { EchoBody, LeakyBody, ProbeRecord } from "./api-fixtures.ts";
import { GZIP_TEXT, LEAKY_PROXY_TOKEN_ECHO } from "./api-fixtures.ts";

export interface RunningOrigin {
  url: string;
  close(): Promise<void>;
}

/** Starts the origin on a loopback port (a free one by default). */
export async function startTestOrigin(secrets: BackendSecrets, port = 0): Promise<RunningOrigin> {
  const probes = new Map<string, ProbeRecord>();
  const backend = backendHandler(secrets);
  const server = createBackendServer(secrets, (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://origin.local");
    if (url.pathname.startsWith("/api/test/")) misbehave(request, response, url, probes);
    else backend(request, response);
  });
  leakOnUpgrade(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const listening = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${listening}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function misbehave(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  probes: Map<string, ProbeRecord>,
): void {
  const route = url.pathname.slice("/api/test".length);
  const json = (status: number, body: unknown, headers: Record<string, string | string[]> = {}): void => {
    response.writeHead(status, { "Content-Type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };

  if (route === "/leaky") {
    leak(request, response, url, probes);
    return;
  }
  if (route === "/echo" || route.startsWith("/echo/")) {
    let bodyBytes = 0;
    request.on("data", (chunk: Buffer) => (bodyBytes += chunk.length));
    request.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      const echo: EchoBody = { method: request.method ?? "", url: request.url ?? "", headers, bodyBytes };
      json(200, echo);
    });
    return;
  }
  if (route === "/upload") {
    // Counts as the body streams in, so a test can see bytes arrive before the client has finished.
    const record: ProbeRecord = { openedAt: Date.now(), bytes: 0 };
    probes.set(url.searchParams.get("probe") ?? "", record);
    request.on("data", (chunk: Buffer) => (record.bytes = (record.bytes ?? 0) + chunk.length));
    request.on("end", () => json(200, { bytes: record.bytes }));
    return;
  }
  request.resume();
  if (route === "/cookies") {
    json(
      200,
      { ok: true },
      {
        "Set-Cookie": [
          "session=abc; Path=/; HttpOnly",
          "theme=dark, with comma; Path=/",
          "lang=en; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
        ],
      },
    );
  } else if (route === "/redirect") {
    response.writeHead(Number(url.searchParams.get("status") ?? 302), { Location: url.searchParams.get("to") ?? "/" });
    response.end();
  } else if (route === "/hop-by-hop") {
    response.writeHead(200, {
      "Content-Type": "text/plain",
      Connection: "keep-alive, X-Connection-Secret",
      "Keep-Alive": "timeout=5",
      "X-Connection-Secret": "per-hop",
      "X-Kept": "end-to-end",
    });
    response.end("ok");
  } else if (route === "/status") {
    // A backend's own error page: the gateway passes it as it is.
    const status = Number(url.searchParams.get("code") ?? 500);
    response.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "X-Backend-Error": "yes" });
    response.end(`<h1>backend says ${status}</h1>`);
  } else if (route === "/slow-headers") {
    const record: ProbeRecord = { openedAt: Date.now() };
    probes.set(url.searchParams.get("probe") ?? "", record);
    const timer = setTimeout(() => json(200, { late: true }), Number(url.searchParams.get("ms") ?? 5000));
    response.on("close", () => {
      clearTimeout(timer);
      record.closedAfterMs = Date.now() - record.openedAt;
    });
  } else if (route === "/gzip") {
    const compressed = gzipSync(GZIP_TEXT);
    response.writeHead(200, {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Encoding": "gzip",
      "Content-Length": compressed.length,
    });
    response.end(compressed);
  } else if (route === "/hold") {
    // One event now, then the stream stays open until the client side goes away.
    const record: ProbeRecord = { openedAt: Date.now() };
    probes.set(url.searchParams.get("probe") ?? "", record);
    response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    response.write("id: 1\ndata: first\n\n");
    response.on("close", () => (record.closedAfterMs = Date.now() - record.openedAt));
  } else if (route.startsWith("/probe/")) {
    const record = probes.get(route.slice("/probe/".length));
    if (record) json(200, record);
    else json(404, { error: "no such probe" });
  } else if (route === "/split-event") {
    // One event written in two halves with a pause between: nothing may be inserted inside it.
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    response.write("id: 1\ndata: first half\n");
    const timer = setTimeout(
      () => response.end("data: second half\n\n"),
      Number(url.searchParams.get("pause") ?? 2500),
    );
    response.on("close", () => clearTimeout(timer));
  } else if (route === "/die-mid-stream") {
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    response.write("id: 1\ndata: before the crash\n\n");
    // The process behind it crashed: the connection drops without the chunked terminator.
    setTimeout(() => response.socket?.destroy(), 100);
  } else {
    json(404, { error: "no such test route" });
  }
}

/**
 * The client address a backend using `request-ip` (the popular npm package)
 * believes: the first of these headers present, in its order.
 */
const REQUEST_IP_ORDER = [
  "x-client-ip",
  "x-forwarded-for",
  "cf-connecting-ip",
  "fastly-client-ip",
  "true-client-ip",
  "x-real-ip",
  "x-cluster-client-ip",
  "x-forwarded",
  "forwarded-for",
  "forwarded",
] as const;

function believedClientIp(request: IncomingMessage): string {
  for (const name of REQUEST_IP_ORDER) {
    const value = request.headers[name];
    if (typeof value === "string") return value.split(",")[0]?.trim() ?? "";
  }
  return request.socket.remoteAddress ?? "";
}

/** Headers a careless backend adds to every answer: a reflected CORS grant with credentials, and the proxy token. */
function leakyHeaders(request: IncomingMessage): Record<string, string> {
  return {
    "Access-Control-Allow-Origin": request.headers.origin ?? "*",
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, TRACE",
    "Access-Control-Allow-Headers": request.headers["access-control-request-headers"] ?? "*",
    "Access-Control-Expose-Headers": "X-Proxy-Token, X-Believed-Client-Ip",
    "Access-Control-Max-Age": "86400",
    "X-Proxy-Token": request.headers["x-proxy-token"]?.toString() ?? LEAKY_PROXY_TOKEN_ECHO,
    "X-Believed-Client-Ip": believedClientIp(request),
  };
}

/**
 * `/api/test/leaky`: counts every request it gets (`?probe=` names the
 * counter, read at `/api/test/probe/<id>`), answers preflights itself, echoes
 * a TRACE as Apache does (the request head as `message/http`), and answers
 * `?as=redirect` or `?as=sse` in those shapes, always with the leaky headers.
 */
function leak(request: IncomingMessage, response: ServerResponse, url: URL, probes: Map<string, ProbeRecord>): void {
  const probe = url.searchParams.get("probe") ?? "";
  const record = probes.get(probe) ?? { openedAt: Date.now(), requests: 0 };
  record.requests = (record.requests ?? 0) + 1;
  probes.set(probe, record);
  request.resume();
  const headers = leakyHeaders(request);
  if (request.method === "TRACE") {
    const head = [`TRACE ${request.url ?? ""} HTTP/1.1`];
    for (let i = 0; i < request.rawHeaders.length; i += 2)
      head.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
    response.writeHead(200, { ...headers, "Content-Type": "message/http" });
    response.end(`${head.join("\r\n")}\r\n\r\n`);
  } else if (request.method === "OPTIONS") {
    response.writeHead(204, headers);
    response.end();
  } else if (url.searchParams.get("as") === "redirect") {
    response.writeHead(302, { ...headers, Location: "/api/test/leaky" });
    response.end();
  } else if (url.searchParams.get("as") === "sse") {
    response.writeHead(200, { ...headers, "Content-Type": "text/event-stream" });
    response.end("data: leaky\n\n");
  } else {
    const body: LeakyBody = { method: request.method ?? "", believedClientIp: headers["X-Believed-Client-Ip"] ?? "" };
    response.writeHead(200, { ...headers, "Content-Type": "application/json" });
    response.end(JSON.stringify(body));
  }
}

/**
 * A WebSocket at `/api/test/leaky-ws` whose 101 carries the leaky headers
 * (proxy token, CORS grant); every other upgrade goes to the backend's own handler.
 */
function leakOnUpgrade(server: ReturnType<typeof createBackendServer>): void {
  const backendUpgrade = server.listeners("upgrade");
  server.removeAllListeners("upgrade");
  const sockets = new WebSocketServer({ noServer: true });
  sockets.on("headers", (lines: string[], request: IncomingMessage) => {
    for (const [name, value] of Object.entries(leakyHeaders(request))) lines.push(`${name}: ${value}`);
  });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? "/", "http://origin.local").pathname === "/api/test/leaky-ws") {
      sockets.handleUpgrade(request, socket, head, (ws) => ws.on("message", (data) => ws.send(data)));
      return;
    }
    for (const listener of backendUpgrade) Reflect.apply(listener, server, [request, socket, head]);
  });
  server.on("close", () => sockets.close());
}

/**
 * The SSE origin (its own process, loopback only): every stream gets one
 * event every `interval` ms (default 100), `events` of them (default 30), then
 * ends. Each event's data is the time it was written, in milliseconds on the
 * shared wall clock with sub-millisecond precision, so the client can tell how
 * long the event took to reach it. Each stream runs on its own timer, so 1,000
 * streams are spread over the interval rather than written in one burst.
 * With `fixed=1` every event carries the same data instead (for the callgrind
 * section, which checks every answer's size).
 *
 * WEBSOCKET_PATH (bench/origin-websocket.ts) accepts a WebSocket upgrade, sends WEBSOCKET_GREETING and
 * waits for the client to go (the WebSocket upgrade's CPU row).
 *
 * API_JSON_PATH (bench/origin-bodies.ts) answers a small JSON document to a
 * GET, and to a POST of API_POST_BODY (400 to any other body): the api pairs.
 *
 *   node bench/sse-origin.ts <port>
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { Duplex } from "node:stream";
import { API_JSON_BODY, API_JSON_PATH, API_POST_ANSWER, API_POST_BODY, FIXED_EVENT_DATA } from "./origin-bodies.ts";
import { WEBSOCKET_GREETING, WEBSOCKET_PATH } from "./origin-websocket.ts";

const port = Number(process.argv[2]);
let openStreams = 0;

function now(): number {
  return performance.timeOrigin + performance.now();
}

function answerJson(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  response.end(body);
}

function answerApi(request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== "POST") return answerJson(response, 200, API_JSON_BODY);
  let received = "";
  request.setEncoding("utf8");
  request.on("data", (chunk: string) => (received += chunk));
  request.on("end", () => {
    if (received === API_POST_BODY) answerJson(response, 200, API_POST_ANSWER);
    else answerJson(response, 400, JSON.stringify({ error: `unexpected body of ${received.length} characters` }));
  });
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://origin");
  if (url.pathname === API_JSON_PATH) return answerApi(request, response);
  const fixed = url.searchParams.get("fixed") === "1";
  const events = Number(url.searchParams.get("events") ?? "30");
  const intervalMs = Number(url.searchParams.get("interval") ?? "100");
  response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  // A comment first, so the client sees the headers (and its stream counts as open) at once.
  response.write(": open\n\n");
  openStreams++;
  let sent = 0;
  const timer = setInterval(() => {
    sent++;
    response.write(`id: ${sent}\ndata: ${fixed ? FIXED_EVENT_DATA : now().toFixed(3)}\n\n`);
    if (sent >= events) finish();
  }, intervalMs);
  const finish = (): void => {
    clearInterval(timer);
    if (!response.writableEnded) response.end();
  };
  response.on("close", () => {
    openStreams--;
    finish();
  });
});
/** RFC 6455's handshake, then one unmasked text frame (the greeting is under 126 bytes). */
function acceptWebSocket(request: IncomingMessage, socket: Duplex): void {
  socket.on("error", () => socket.destroy());
  const key = request.headers["sec-websocket-key"];
  if (new URL(request.url ?? "/", "http://origin").pathname !== WEBSOCKET_PATH || typeof key !== "string") {
    socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
  const greeting = Buffer.from(WEBSOCKET_GREETING);
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  socket.write(Buffer.concat([Buffer.from([0x81, greeting.length]), greeting]));
  socket.on("data", () => undefined);
}

server.on("upgrade", acceptWebSocket);
server.keepAliveTimeout = 60_000;
server.maxConnections = 100_000;
server.listen(port, "127.0.0.1", () => console.log(`sse-origin: listening on ${port}`));
process.on("SIGTERM", () => {
  console.log(`sse-origin: stopping with ${openStreams} open streams`);
  process.exit(0);
});

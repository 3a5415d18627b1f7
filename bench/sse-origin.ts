/**
 * The SSE origin (its own process, loopback only): every stream gets one
 * event every `interval` ms (default 100), `events` of them (default 30), then
 * ends. Each event's data is the time it was written, in milliseconds on the
 * shared wall clock with sub-millisecond precision, so the client can tell how
 * long the event took to reach it. Each stream runs on its own timer, so 1,000
 * streams are spread over the interval rather than written in one burst.
 *
 *   node bench/sse-origin.ts <port>
 */
import { createServer } from "node:http";

const port = Number(process.argv[2]);
let openStreams = 0;

function now(): number {
  return performance.timeOrigin + performance.now();
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://origin");
  const events = Number(url.searchParams.get("events") ?? "30");
  const intervalMs = Number(url.searchParams.get("interval") ?? "100");
  response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  // A comment first, so the client sees the headers (and its stream counts as open) at once.
  response.write(": open\n\n");
  openStreams++;
  let sent = 0;
  const timer = setInterval(() => {
    sent++;
    response.write(`id: ${sent}\ndata: ${now().toFixed(3)}\n\n`);
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
server.keepAliveTimeout = 60_000;
server.maxConnections = 100_000;
server.listen(port, "127.0.0.1", () => console.log(`sse-origin: listening on ${port}`));
process.on("SIGTERM", () => {
  console.log(`sse-origin: stopping with ${openStreams} open streams`);
  process.exit(0);
});

/**
 * A real origin on loopback that fails on purpose, for the api Worker's fault
 * tests: refusing mid-request, slow headers, a body that dies, a 5xx,
 * enormous headers, and event streams whose opens and aborts it counts. Node
 * only (the system tests); the Workers reach it over real TCP.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What `/api/echo` saw of one request. */
export interface EchoedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FaultOrigin {
  url: string;
  /** Every request `/api/echo` received, in order. */
  echoed: EchoedRequest[];
  /** Event streams opened, and closed by the other side, since start. */
  streams: { opened: number; closed: number };
  /** Sockets the origin holds open right now. */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/** Starts the origin on a free loopback port. */
export async function startFaultOrigin(): Promise<FaultOrigin> {
  const streams = { opened: 0, closed: 0 };
  const echoed: EchoedRequest[] = [];
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (request, response) =>
    answer(request, response, streams, echoed),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    echoed,
    streams,
    openConnections: () =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  streams: FaultOrigin["streams"],
  echoed: EchoedRequest[],
): void {
  const url = new URL(request.url ?? "/", "http://origin.local");
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
      ...headers,
    });
    response.end(text);
  };
  switch (url.pathname) {
    case "/api/echo": {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        echoed.push({
          method: request.method ?? "",
          url: request.url ?? "",
          headers: request.headers,
          body: Buffer.concat(chunks).toString("latin1"),
        });
        json(200, { received: Buffer.concat(chunks).length });
      });
      return;
    }
    case "/api/ok":
      json(200, { ok: true });
      return;
    case "/api/refuse":
      // Accepts the connection, reads the request, then drops it without a byte of answer.
      request.socket.destroy();
      return;
    case "/api/slow-headers": {
      const timer = setTimeout(() => json(200, { late: true }), Number(url.searchParams.get("ms") ?? 5000));
      response.on("close", () => clearTimeout(timer));
      return;
    }
    case "/api/die-mid-body":
      // Promises 1 MB, sends 16 KiB, then the process behind it dies.
      response.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": 1024 * 1024 });
      response.write(Buffer.alloc(16 * 1024, 1));
      setTimeout(() => response.socket?.destroy(), 50);
      return;
    case "/api/die-mid-chunked":
      response.writeHead(200, { "Content-Type": "application/json" });
      response.write('{"items":[1,2,3');
      setTimeout(() => response.socket?.destroy(), 50);
      return;
    case "/api/5xx":
      json(503, { error: "backend overloaded" }, { "Retry-After": "7" });
      return;
    case "/api/enormous-headers": {
      // 48 headers of 4 KiB: far past what any proxy accepts from an origin.
      const headers: Record<string, string> = { "Content-Type": "text/plain" };
      for (let i = 0; i < 48; i++) headers[`X-Huge-${i}`] = "h".repeat(4096);
      response.writeHead(200, headers);
      response.end("unreachable");
      return;
    }
    case "/api/events": {
      streams.opened += 1;
      response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      response.write("id: 1\ndata: hello\n\n");
      // ?tick=ms: a comment line every so often, as a live stream (or a heartbeat) writes.
      const tick = Number(url.searchParams.get("tick") ?? 0);
      const ticker = tick > 0 ? setInterval(() => response.write(": tick\n\n"), tick) : undefined;
      response.on("close", () => {
        clearInterval(ticker);
        streams.closed += 1;
      });
      return;
    }
    default:
      json(404, { error: "no such fault route" });
  }
}

/**
 * The edge's one job `wrangler dev` leaves out: setting the client address.
 * At the edge Cloudflare sets `CF-Connecting-IP` from the connection,
 * overwriting any copy a client sent; Miniflare fills it only when absent,
 * so locally a client could choose the address the api Worker puts in
 * `X-Forwarded-For` and counts its rate limit under. `npm run dev` puts this
 * loopback proxy in front of wrangler: every request and WebSocket upgrade
 * goes on byte for byte (raw target, headers, streamed bodies), with
 * `CF-Connecting-IP` replaced by the socket's address.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Agent, createServer, request as httpRequest } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";
import type { Duplex } from "node:stream";

const CLIENT_ADDRESS_HEADER = "cf-connecting-ip";

export interface DevFront {
  /** The port it listens on (the one asked for, or the one the OS chose for 0). */
  port: number;
  close(): Promise<void>;
}

/** The address as the edge writes it: a v4-mapped IPv6 socket address as plain IPv4. */
export function clientAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
}

/** The request's raw header pairs less any client copy of the address header, then the socket's. */
export function headersWithClientAddress(rawHeaders: readonly string[], address: string): string[] {
  const headers: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    if (name.toLowerCase() !== CLIENT_ADDRESS_HEADER) headers.push(name, rawHeaders[i + 1] ?? "");
  }
  headers.push("CF-Connecting-IP", address);
  return headers;
}

/**
 * Listens on `host:port` and forwards everything to `target` (wrangler dev's
 * loopback port), which may come up later: until it does, a request gets a 502.
 */
export async function startDevFront(
  host: string,
  port: number,
  target: { host: string; port: number },
): Promise<DevFront> {
  const agent = new Agent({ keepAlive: true });
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const upstream = httpRequest(
      {
        agent,
        host: target.host,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: headersWithClientAddress(request.rawHeaders, clientAddress(request.socket)),
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
        // Flush the head at once: an event stream's first bytes must not wait for a body chunk.
        response.flushHeaders();
        // A backend that dies mid-body must look the same to the client: a cut connection, not a clean end.
        answer.on("close", () => {
          if (!answer.complete) response.destroy();
        });
        answer.pipe(response);
      },
    );
    upstream.on("error", () => {
      if (!response.headersSent) response.writeHead(502, { "Content-Type": "text/plain" });
      response.end("dev: wrangler dev is not answering (yet)\n");
    });
    // A client that goes away aborts the request behind it too, as at the edge.
    response.on("close", () => upstream.destroy());
    request.pipe(upstream);
  });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const upstream = connect(target.port, target.host, () => {
      const headers = headersWithClientAddress(request.rawHeaders, clientAddress(request.socket));
      const lines = [`${request.method ?? "GET"} ${request.url ?? "/"} HTTP/1.1`];
      for (let i = 0; i + 1 < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A loopback port nobody listens on now (the OS's choice), for wrangler dev behind the front. */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

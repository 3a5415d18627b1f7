import type { IncomingMessage } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import type { DevFront } from "./dev-front.ts";
import { freeLoopbackPort, startDevFront } from "./dev-front.ts";

/** A real Node origin that answers with the target and the CF-Connecting-IP it received, over HTTP and WebSocket. */
const origin = createServer((request: IncomingMessage, response) => {
  response.writeHead(200, { "Content-Type": "application/json" });
  response.end(JSON.stringify({ url: request.url, address: request.headers["cf-connecting-ip"] }));
});
const sockets = new WebSocketServer({ server: origin });
sockets.on("connection", (socket, request) => socket.send(String(request.headers["cf-connecting-ip"])));

let front: DevFront;
let frontUrl: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  front = await startDevFront("127.0.0.1", 0, { host: "127.0.0.1", port: (origin.address() as AddressInfo).port });
  frontUrl = `127.0.0.1:${front.port}`;
});

afterAll(async () => {
  await front.close();
  sockets.close();
  await new Promise((resolve) => origin.close(resolve));
});

describe("scripts/dev-front.ts (npm run dev's front)", () => {
  it("replaces every client copy of CF-Connecting-IP with the socket's address, and keeps the raw target", async () => {
    const response = await fetch(`http://${frontUrl}/api/..%2fx?q=%00`, {
      headers: { "CF-Connecting-IP": "1.2.3.4", "cf-CONNECTING-ip": "1.2.3.5" },
    });
    expect(await response.json()).toEqual({ url: "/api/..%2fx?q=%00", address: "127.0.0.1" });
  });

  it("does the same for a WebSocket handshake", async () => {
    const socket = new WebSocket(`ws://${frontUrl}/api/v1/ws`, { headers: { "CF-Connecting-IP": "1.2.3.4" } });
    const first = await new Promise<string>((resolve, reject) => {
      socket.once("message", (data: Buffer) => resolve(data.toString()));
      socket.once("error", reject);
    });
    socket.close();
    expect(first).toBe("127.0.0.1");
  });

  it("answers 502 while nothing listens behind it", async () => {
    const idle = await startDevFront("127.0.0.1", 0, { host: "127.0.0.1", port: await freeLoopbackPort() });
    try {
      const response = await fetch(`http://127.0.0.1:${idle.port}/`);
      expect(response.status).toBe(502);
    } finally {
      await idle.close();
    }
  });
});

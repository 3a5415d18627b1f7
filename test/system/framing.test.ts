/**
 * Request framing on the wire, through the whole gateway to a real origin
 * that records what reached it (fault-origin.ts `/api/echo`): conflicting or
 * lying framing headers never turn one client request into two upstream
 * requests, and framing and hop-by-hop headers are decided per hop, never
 * forwarded from the client.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LocalGateway } from "../../scripts/local-gateway.ts";
import { startLocalGateway } from "../../scripts/local-gateway.ts";
import { TEST_SECRETS } from "../secrets.ts";
import type { FaultOrigin } from "./fault-origin.ts";
import { startFaultOrigin } from "./fault-origin.ts";

let origin: FaultOrigin;
let gateway: LocalGateway;

beforeAll(async () => {
  origin = await startFaultOrigin();
  gateway = await startLocalGateway({
    backendUrl: origin.url,
    secrets: {
      ADMIN_TOKEN: TEST_SECRETS.router.ADMIN_TOKEN,
      MEDIA_TOKEN_SECRET_V1: TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1,
      BACKEND_AUTH_TOKEN: TEST_SECRETS.api.BACKEND_AUTH_TOKEN,
    },
  });
}, 30_000);

afterAll(async () => {
  await gateway.dispose();
  await origin.close();
});

beforeEach(() => {
  origin.echoed.length = 0;
});

/** Writes raw bytes on one connection and returns everything the gateway sent back before closing (bounded). */
function exchange(bytes: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(gateway.url.port), gateway.url.hostname);
    let received = "";
    const done = () => {
      socket.destroy();
      resolve(received);
    };
    socket.setTimeout(timeoutMs, done);
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    socket.on("close", done);
    socket.on("error", done);
    socket.write(bytes);
  });
}

const host = () => `Host: ${gateway.url.host}`;

describe("framing", () => {
  it("reads Transfer-Encoding: chunked over a conflicting Content-Length, and the origin sees one request with the chunked body", async () => {
    const answer = await exchange(
      `POST /api/echo HTTP/1.1\r\n${host()}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    );
    // RFC 9112 §6.3: a server may also refuse such a request outright; either way nothing is smuggled.
    if (answer.startsWith("HTTP/1.1 4")) {
      expect(origin.echoed).toEqual([]);
      return;
    }
    expect(origin.echoed).toHaveLength(1);
    expect(origin.echoed[0]?.body).toBe("hello");
  });

  it("never forwards bytes past Content-Length as part of the request: a request hidden in the body is not sent upstream inside it", async () => {
    const hidden = `GET /api/echo?smuggled=1 HTTP/1.1\r\n${host()}\r\n\r\n`;
    await exchange(`POST /api/echo HTTP/1.1\r\n${host()}\r\nContent-Length: 5\r\n\r\nhello${hidden}`, 1_500);
    const first = origin.echoed[0];
    expect(first?.body).toBe("hello");
    // If the trailing bytes were read at all, it was as the client's own next request, framed by the gateway.
    for (const request of origin.echoed.slice(1)) expect(request.body).toBe("");
    expect(origin.echoed.every((request) => !request.body.includes("HTTP/1.1"))).toBe(true);
  });

  it("does not forward the client's framing or hop-by-hop headers, nor those it names in Connection", async () => {
    await exchange(
      `POST /api/echo HTTP/1.1\r\n${host()}\r\nContent-Length: 5\r\nConnection: close, X-Hop-Secret\r\nX-Hop-Secret: per-hop\r\nKeep-Alive: timeout=99\r\nTE: trailers\r\nProxy-Authorization: Basic cHJveHk6c2VjcmV0\r\nUpgrade-Insecure-Requests: 1\r\n\r\nhello`,
    );
    const headers = origin.echoed[0]?.headers ?? {};
    expect(origin.echoed[0]?.body).toBe("hello");
    // The RFC 9110 §7.6.1 list, plus Proxy-Authorization: credentials for a proxy never reach the backend.
    for (const name of ["x-hop-secret", "keep-alive", "te", "proxy-authorization"])
      expect(headers, name).not.toHaveProperty(name);
    expect(headers.connection ?? "").not.toMatch(/x-hop-secret/i);
    expect(headers["transfer-encoding"] === undefined || headers["content-length"] === undefined).toBe(true);
  });

  it("waits for a body shorter than its Content-Length without sending a truncated request upstream", async () => {
    await exchange(
      `POST /api/echo HTTP/1.1\r\n${host()}\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly-some`,
      1_500,
    );
    // The client gave up first: whatever reached the origin never claimed the missing bytes as a complete body.
    for (const request of origin.echoed) expect(request.body.length === 100 || request.body === "").toBe(false);
  });
});

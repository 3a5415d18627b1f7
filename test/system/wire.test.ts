/**
 * Hostile requests on the wire, through the real asset routing
 * (run_worker_first) and the real router, media and api Workers: the shapes
 * `fetch` refuses to send (raw dot segments, unknown methods, authority and
 * asterisk forms, oversized request lines, conflicting framing). Every answer
 * is a clear 4xx, a safe pass-through, or the runtime refusing the request
 * before any Worker runs; never a Worker's 500, never the SPA for an owned
 * prefix, and the gateway keeps serving afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RawResponse } from "./raw-http.ts";
import { rawRequest } from "./raw-http.ts";
import type { WholeSystem } from "./whole-system.ts";
import { startWholeSystem } from "./whole-system.ts";

let system: WholeSystem;

beforeAll(async () => {
  system = await startWholeSystem();
}, 30_000);

afterAll(async () => {
  await system.close();
});

const send = (method: string, target: string, headers?: Record<string, string>) =>
  rawRequest(system.url, method, target, headers);

function expectJsonClientError(response: RawResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
}

/** A 4xx the backend wrote, passed through by the api Worker: never a 5xx, never the SPA. */
function expectBackendClientError(response: RawResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type") ?? "").not.toMatch(/^text\/html/);
  expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
}

function expectInvalidTokenAnswer(response: RawResponse): void {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  expect(response.body).toBe("");
}

/** The gateway still answers an ordinary request. */
async function expectStillServing(): Promise<void> {
  const response = await send("GET", "/_health");
  expect(response.status).toBe(200);
}

describe("raw request targets", () => {
  it("resolves /api/%2e%2e/x to /x before routing, so it is the SPA's, never the api's", async () => {
    const response = await send("GET", "/api/%2e%2e/x");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it.each([
    // media: no such media route; api: the gateway refuses the encoded walk and the encoded control character.
    ["/media/..%2f", 404],
    ["/media/..%2f..%2f_health", 404],
    ["/api/..%2f..%2f_health", 400],
    ["/api/%00", 400],
  ])("keeps %s with its owner: a JSON %i", async (target, status) => {
    expectJsonClientError(await send("GET", target), status);
  });

  it("redirects //api/x to /api/x on the same origin", async () => {
    const response = await send("GET", "//api/x");
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe("/api/x");
  });

  it("never redirects //evil.example/ off the origin", async () => {
    const response = await send("GET", "//evil.example/");
    expect(response.headers.get("location") ?? "/").toMatch(/^\/[^/\\]/);
  });

  it("routes an absolute-form target by its path, never by the host it names", async () => {
    expectJsonClientError(await send("GET", "http://evil.example/api/x"), 404);
  });

  it("passes an 8 KB path under /api/ to the backend, whose own 4xx comes back with the request id", async () => {
    // The local backend (Node) refuses it with 431; the gateway passes a backend's answer as it is.
    expectBackendClientError(await send("GET", `/api/${"a".repeat(8 * 1024)}`), 431);
  });

  it.each([
    ["an 8 KB token", `/media/v1/${"a".repeat(8 * 1024)}`],
    ["percent-encoded dot segments", "/media/v1/%2e%2e%2f%2e%2e%2fx"],
    ["raw non-ASCII bytes (percent-encoded by the parser)", "/media/v1/\u00e9\u00ff"],
  ])("answers %s where a media token belongs with the bare 401 of any bad token", async (_what, target) => {
    expectInvalidTokenAnswer(await send("GET", target));
  });

  it("refuses a 70 KB request line with 414 before any Worker runs, then keeps serving", async () => {
    const response = await send("GET", `/api/${"a".repeat(70 * 1024)}`);
    expect(response.status).toBe(414);
    expect(response.headers.has("x-request-id")).toBe(false);
    await expectStillServing();
  });
});

describe("methods", () => {
  it.each(["/api/x", "/media/v1/a.b.c", "/_health"])(
    "refuses an unregistered method on %s with the runtime's 501, before any Worker runs",
    async (target) => {
      // RFC 9110 §15.6.2: 501 is the answer to a method the server does not recognize; workerd gives it.
      const response = await send("FROB", target);
      expect(response.status).toBe(501);
      expect(response.headers.has("x-request-id")).toBe(false);
      await expectStillServing();
    },
  );

  it.each(["TRACE", "PROPFIND", "MKCOL"])(
    "answers a registered but unused method %s under /media/ with a JSON 405",
    async (method) => {
      expectJsonClientError(await send(method, "/media/v1/a.b.c"), 405);
    },
  );

  it.each([
    ["CONNECT", "127.0.0.1:1"],
    ["CONNECT", "/api/x"],
    ["OPTIONS", "*"],
    ["GET", "*"],
  ])(
    "refuses %s %s in the runtime, before any Worker runs (no request id), and keeps serving",
    async (method, target) => {
      system.harness.clearLogs();
      const response = await send(method, target);
      // workerd answers these itself with a bare 500; on Cloudflare the edge does. No Worker ran.
      expect(response.status).toBe(500);
      expect(response.headers.has("x-request-id")).toBe(false);
      expect(system.harness.getLogs()).toEqual([]);
      await expectStillServing();
    },
  );
});

describe("the api's refusals on the wire (raw request lines, through router and api to the leaky origin)", () => {
  /** The api Worker's log events of the last request, as (event, reason) pairs. */
  const apiEvents = (): Array<{ event: string; reason?: string; status?: number }> =>
    system.harness
      .getLogs()
      .map((line) => JSON.parse(line.message) as { worker: string; event: string; reason?: string; status?: number })
      .filter((line) => line.worker === "api")
      .map(({ event, reason, status }) => ({ event, reason, status }));

  async function originCount(probe: string): Promise<number> {
    const response = await fetch(`${system.backendUrl}/api/test/probe/${probe}`);
    if (response.status === 404) return 0;
    return ((await response.json()) as { requests?: number }).requests ?? 0;
  }

  it("answers TRACE with the api's 405 (JSON, Allow, logged), never reaching the origin that would echo it", async () => {
    system.harness.clearLogs();
    const probe = `wire-trace-${Date.now()}`;
    const response = await send("TRACE", `/api/test/leaky?probe=${probe}`, { "X-Proxy-Token": "client-copy" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    expectJsonClientError(response, 405);
    expect(response.body).not.toContain("X-Proxy-Token");
    expect(apiEvents()).toEqual([{ event: "method-refused", reason: "trace", status: 405 }]);
    expect(await originCount(probe)).toBe(0);
  });

  it.each([
    // workerd: 501 for a method it does not recognize (method names are case-sensitive), 500 for CONNECT.
    ["TRACK", 501],
    ["trace", 501],
    ["track", 501],
    ["CONNECT", 500],
  ])("refuses %s in the runtime with a bare %i before any Worker runs", async (method, status) => {
    system.harness.clearLogs();
    const probe = `wire-${method}-${Date.now()}`;
    const response = await send(method, `/api/test/leaky?probe=${probe}`);
    expect(response.status).toBe(status);
    expect(response.headers.has("x-request-id")).toBe(false);
    expect(system.harness.getLogs()).toEqual([]);
    expect(await originCount(probe)).toBe(0);
    await expectStillServing();
  });

  it.each([
    ["/api/..%2fsecret", "dot-segment"],
    ["/api/%2E%2E%2Fsecret", "dot-segment"],
    ["/api/x/..%5Csecret", "backslash"],
    ["/api/x/%5csecret", "backslash"],
    ["/api/..;/secret", "dot-segment"],
    ["/api/%252e%252e/secret", "double-encoded"],
    ["/api/users%2f42", "encoded-slash"],
    ["/api/secret.json%00.png", "control-character"],
    ["/api/users/42%0d%0aX-Injected:1", "control-character"],
  ])("refuses %s with the api's 400 (%s)", async (target, reason) => {
    system.harness.clearLogs();
    const response = await send("GET", target);
    expectJsonClientError(response, 400);
    expect(apiEvents()).toEqual([{ event: "path-refused", reason, status: 400 }]);
  });

  it("strips a client's client-address and URL-rewrite headers at the router: the origin believes CF-Connecting-IP", async () => {
    const response = await send("GET", "/api/test/leaky", {
      "CF-Connecting-IP": "203.0.113.7",
      "x-CLIENT-ip": "6.6.6.6",
      "True-Client-IP": "6.6.6.6",
      "X-Original-URL": "/admin",
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ believedClientIp: "203.0.113.7" });
    expect(response.headers.has("x-proxy-token")).toBe(false);
  });
});

describe("headers", () => {
  it("accepts a 64 KB header and passes it on: the backend's own 4xx comes back with the request id", async () => {
    expectBackendClientError(await send("GET", "/api/x", { "X-Padding": "p".repeat(64 * 1024) }), 431);
  });

  it("answers a 64 KB header on a media path with the bare 401 of a bad token", async () => {
    expectInvalidTokenAnswer(await send("GET", "/media/v1/a.b.c", { "X-Padding": "p".repeat(64 * 1024) }));
  });

  it("replaces a 10 KB X-Request-Id with a generated one", async () => {
    const response = await send("GET", "/api/x", { "X-Request-Id": "i".repeat(10 * 1024) });
    expectJsonClientError(response, 404);
    expect(response.body).not.toContain("iiii");
  });

  it("answers a request with both Transfer-Encoding and Content-Length without hanging or a 5xx", async () => {
    const response = await send("GET", "/api/x", { "Transfer-Encoding": "chunked", "Content-Length": "3" });
    // It reaches the backend, which has no /api/x.
    expect(response.status).toBe(404);
    await expectStillServing();
  });
});

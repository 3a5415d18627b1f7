/**
 * Hostile input at the router, the trust boundary: whatever a client sends,
 * the answer is a clear 4xx or a safe pass-through, never a 500, never the
 * SPA for a path the route table owns, and nothing only the gateway may say
 * reaches a service.
 *
 * The forwarding tests run the real router handler with its service bindings
 * pointed at a real Worker that echoes what it received (test/workers/echo-service.js),
 * so they observe the far side of the boundary rather than a helper's return value.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import { GATEWAY_ONLY_HEADERS } from "../../shared/trust";
import { TEST_SECRETS } from "../../test/secrets";
import router from "./index";

const ORIGIN = "https://gateway.test";

interface EchoedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  bodyLength: number;
}

/** Sends a request through the real router whose media and api bindings answer with what they received. */
async function throughRouterToEcho(
  path: string,
  init?: RequestInit,
): Promise<{ response: Response; echoed: EchoedRequest }> {
  // The router calls only `fetch` on these bindings for data-path traffic, so an echoing Fetcher stands in for either Worker.
  const echo = env.ECHO_SERVICE;
  const response = await router.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, MEDIA: echo, API: echo });
  expect(response.status).toBe(200);
  return { response, echoed: await response.json<EchoedRequest>() };
}

/** Through the real router; redirects are returned, not followed, so a test sees them. */
const send = (path: string, init?: RequestInit) =>
  exports.default.fetch(new Request(`${ORIGIN}${path}`, { redirect: "manual", ...init }));

/** A JSON error from the gateway: the status asked for, never HTML, and the request id it answered with. */
async function expectJsonError(response: Response, status: number): Promise<ErrorBody> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
  const body = await response.json<ErrorBody>();
  expect(body.error.status).toBe(status);
  expect(body.error.requestId).toBe(response.headers.get("X-Request-Id"));
  return body;
}

/** The media Worker's answer to every bad token: 401, an empty body, the Bearer challenge. */
async function expectInvalidTokenAnswer(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
  expect(await response.text()).toBe("");
}

/** `x-client-ip` as `X-cLiEnT-Ip`: a header name in a letter case no list spells. */
const oddCase = (name: string): string =>
  [...name].map((char, index) => (index % 2 === 0 ? char.toUpperCase() : char.toLowerCase())).join("");

const GENERATED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("hostile X-Request-Id", () => {
  it.each([
    ["10 KB long", "r".repeat(10 * 1024)],
    ["spaces and angle brackets", "<img src=x onerror=alert(1)>"],
    ["quotes and a JSON break-out", 'abc","level":"error'],
    ["control-like bytes", "abc\u007fdef"],
    ["a slash and dots", "../../etc/passwd"],
    ["a tab inside", "abc\tdef"],
    ["empty", ""],
  ])("replaces an id that is %s with a generated one, at the service and in the answer", async (_why, offered) => {
    const { response, echoed } = await throughRouterToEcho("/api/x", { headers: { "X-Request-Id": offered } });
    const decided = response.headers.get("X-Request-Id") ?? "";
    expect(decided).toMatch(GENERATED_ID);
    expect(echoed.headers["x-request-id"]).toBe(decided);
  });

  it("keeps a well-formed id byte for byte", async () => {
    const { response, echoed } = await throughRouterToEcho("/media/x", { headers: { "X-Request-Id": "Trace-1.2_3" } });
    expect(response.headers.get("X-Request-Id")).toBe("Trace-1.2_3");
    expect(echoed.headers["x-request-id"]).toBe("Trace-1.2_3");
  });

  it("answers an owned-prefix miss with a generated id when the offered one is 10 KB, never echoing it", async () => {
    const response = await send("/api/nope", { headers: { "X-Request-Id": "z".repeat(10 * 1024) } });
    const body = await expectJsonError(response, 404);
    expect(body.error.requestId).toMatch(GENERATED_ID);
  });
});

describe("headers only the gateway may set, sent by a client", () => {
  const spoofed: Record<string, string> = {
    "X-Forwarded-For": "6.6.6.6, 10.0.0.1",
    "X-Forwarded-Host": "evil.test",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Port": "1",
    "X-Forwarded-Prefix": "/admin",
    "X-Forwarded-Server": "evil",
    Forwarded: 'for=6.6.6.6;host=evil.test;proto=http, for="[::1]"',
    "X-Real-IP": "127.0.0.1",
    "X-Gateway-Internal": "1",
    "X-Gateway-Anything-Else": "1",
    // The api Worker's backend auth header (BACKEND_AUTH_HEADER): a client must not be able to forge proxy provenance.
    "X-Proxy-Token": TEST_SECRETS.api.BACKEND_AUTH_TOKEN,
    "Cloudflare-Workers-Version-Overrides": 'gateway-api="dc8dcd28-271b-4367-9840-6c244f84cb40"',
    "Cloudflare-Workers-Version-Key": "pin-me",
  };

  it.each(["/api/users", "/media/v1/a.b.c"])("never reach the service behind %s", async (path) => {
    const { echoed } = await throughRouterToEcho(path, { headers: spoofed });
    const forbidden = Object.keys(spoofed).map((name) => name.toLowerCase());
    expect(Object.keys(echoed.headers).filter((name) => forbidden.includes(name))).toEqual([]);
  });

  it("strips them whatever their letter case", async () => {
    const { echoed } = await throughRouterToEcho("/api/users", {
      headers: { "x-FORWARDED-for": "6.6.6.6", "X-PROXY-TOKEN": "forged", "cloudflare-WORKERS-version-OVERRIDES": "x" },
    });
    expect(echoed.headers).not.toHaveProperty("x-forwarded-for");
    expect(echoed.headers).not.toHaveProperty("x-proxy-token");
    expect(echoed.headers).not.toHaveProperty("cloudflare-workers-version-overrides");
  });

  it.each(["/api/users", "/media/v1/a.b.c"])(
    "strip the whole client-address and URL-rewrite family of shared/trust.ts before %s, in odd case and repeated",
    async (path) => {
      const headers = new Headers();
      for (const name of GATEWAY_ONLY_HEADERS.keys()) {
        headers.append(name, "6.6.6.6");
        headers.append(oddCase(name), "/admin");
      }
      const { echoed } = await throughRouterToEcho(path, { headers });
      expect(Object.keys(echoed.headers).filter((name) => GATEWAY_ONLY_HEADERS.has(name))).toEqual([]);
    },
  );

  it("keeps CF-Connecting-IP: the edge sets it, and the api derives X-Forwarded-For from it", async () => {
    const { echoed } = await throughRouterToEcho("/api/users", {
      headers: { "CF-Connecting-IP": "203.0.113.7", "X-Client-IP": "6.6.6.6", "True-Client-IP": "6.6.6.6" },
    });
    expect(echoed.headers["cf-connecting-ip"]).toBe("203.0.113.7");
    expect(echoed.headers).not.toHaveProperty("x-client-ip");
    expect(echoed.headers).not.toHaveProperty("true-client-ip");
  });

  it("passes the client's own credentials and ordinary headers through untouched", async () => {
    const { echoed } = await throughRouterToEcho("/api/users", {
      method: "POST",
      body: "x".repeat(1000),
      headers: {
        ...spoofed,
        Authorization: "Bearer user-token",
        Cookie: "session=abc; theme=dark",
        "Content-Type": "text/plain",
      },
    });
    expect(echoed.headers.authorization).toBe("Bearer user-token");
    expect(echoed.headers.cookie).toBe("session=abc; theme=dark");
    expect(echoed.method).toBe("POST");
    expect(echoed.bodyLength).toBe(1000);
  });

  it("forwards the path and query exactly as the client sent them", async () => {
    const { echoed } = await throughRouterToEcho("/api/a%2Fb/..%2f..%2fadmin?q=%00&x=1");
    expect(echoed.url).toBe(`${ORIGIN}/api/a%2Fb/..%2f..%2fadmin?q=%00&x=1`);
  });
});

describe("absurd paths", () => {
  it.each([
    // media: no such media route; api: the gateway refuses the encoded walk and the encoded control character.
    ["/media/..%2f", 404],
    ["/media/..%2f..%2fetc%2fpasswd", 404],
    ["/api/%2e%2e%2fadmin", 400],
    ["/api/%00", 400],
  ])("%s stays with its owner and gets a JSON %i, never the SPA", async (path, status) => {
    const response = await send(path, { headers: { Accept: "text/html" } });
    expect(response.status).toBe(status);
    expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    await response.body?.cancel();
  });

  it("resolves dot segments before routing: /api/%2e%2e/x is /x, which the SPA owns", async () => {
    // The URL parser treats %2e%2e as "..", so no owned path can be escaped this way: the owner is decided on the resolved path.
    const request = new Request(`${ORIGIN}/api/%2e%2e/x`);
    expect(new URL(request.url).pathname).toBe("/x");
    const response = await exports.default.fetch(request);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    await response.body?.cancel();
  });

  it("redirects //api/x to the same-origin path /api/x (the asset layer collapses the slashes), reaching no service", async () => {
    const response = await send("//api/x", { headers: { Accept: "text/html" } });
    expect(response.status).toBe(307);
    expect(response.headers.get("Location")).toBe("/api/x");
    await response.body?.cancel();
  });

  it.each(["//evil.example/x", "/\\evil.example/x", "///evil.example", "/%2f%2fevil.example"])(
    "never turns %s into an open redirect: Location stays a path on this origin",
    async (path) => {
      const response = await send(path);
      const location = response.headers.get("Location");
      if (location !== null) {
        expect(location).toMatch(/^\/[^/\\]/);
        expect(new URL(location, ORIGIN).origin).toBe(ORIGIN);
      }
      // The asset layer collapses the slashes with a same-origin redirect.
      expect(response.status).toBe(307);
      await response.body?.cancel();
    },
  );

  it.each([
    ["an 8 KB path under /api/", `/api/${"a".repeat(8 * 1024)}`],
    ["an 8 KB query under /api/", `/api/x?${"q=1&".repeat(2 * 1024)}`],
    ["an 8 KB path under /_", `/_${"h".repeat(8 * 1024)}`],
  ])("answers %s with a JSON 404", async (_what, path) => {
    const response = await send(path);
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    await response.body?.cancel();
  });

  it("answers an 8 KB path outside the owned prefixes with the SPA", async () => {
    const response = await send(`/${"p".repeat(8 * 1024)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    await response.body?.cancel();
  });
});

describe("junk where a media token belongs", () => {
  it.each([
    ["an 8 KB token", `/media/v1/${"a".repeat(8 * 1024)}`],
    ["a right-to-left override", "/media/v1/%E2%80%AE"],
    ["percent-encoded dot segments", "/media/v1/%2e%2e%2f%2e%2e%2fx"],
    ["a NUL", "/media/v1/a.b.c%00"],
  ])("answers %s with the bare 401 of any bad token", async (_what, path) => {
    await expectInvalidTokenAnswer(await send(path));
  });
});

describe("unknown and unusual methods on owned prefixes", () => {
  it.each(["PROPFIND", "PURGE", "MKCOL", "TRACE", "PATCH", "DELETE", "OPTIONS"])(
    "%s /_health gets a JSON 405 with Allow",
    async (method) => {
      const response = await send("/_health", { method });
      await expectJsonError(response, 405);
      expect(response.headers.get("Allow")).toBe("GET, HEAD");
    },
  );

  it.each([
    // media reads only; the api forwards every method but TRACE, and the backend has no /api/x.
    ["PROPFIND", 404],
    ["PURGE", 404],
    ["LOCK", 404],
    ["TRACE", 405],
    ["DELETE", 404],
  ])("%s under /media/ and /api/ is a JSON 4xx, never a 500 or the SPA", async (method, apiStatus) => {
    for (const [path, status] of [
      ["/media/v1/a.b.c", 405],
      ["/api/x", apiStatus],
    ] as const) {
      const response = await send(path, { method });
      expect(response.status, `${method} ${path}`).toBe(status);
      expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
      await response.body?.cancel();
    }
  });

  it("forwards an unknown method to the owning service unchanged", async () => {
    const { echoed } = await throughRouterToEcho("/api/calendar", { method: "PROPFIND" });
    expect(echoed.method).toBe("PROPFIND");
  });

  it("answers a POST to a build asset with a 4xx rather than the SPA", async () => {
    const response = await send("/assets/app.js", { method: "POST", body: "x" });
    expect(response.headers.get("Content-Type") ?? "").not.toMatch(/^text\/html/);
    expect(response.status).toBe(405);
    await response.body?.cancel();
  });
});

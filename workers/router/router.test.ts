import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import { testContext } from "../../test/metrics-recorder";
import { forwardToService, trustedRequest } from "./forward";
import type { HealthDocument } from "./health";
import { healthResponse } from "./health";
import { TEST_SECRETS } from "../../test/secrets";
import hlsPackage from "hls.js/package.json";

const ORIGIN = "https://gateway.test";
const get = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`${ORIGIN}${path}`, init));

async function expectJsonError(response: Response, status: number, code: string): Promise<ErrorBody> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
  const body = await response.json<ErrorBody>();
  expect(body.error).toMatchObject({ status, code });
  expect(body.error.requestId).toBe(response.headers.get("X-Request-Id"));
  return body;
}

describe("static assets (the SPA)", () => {
  it("serves / as HTML", async () => {
    const response = await get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("<title>Edge gateway</title>");
  });

  it("answers an unknown client route with the SPA's index.html", async () => {
    const [index, client] = await Promise.all([get("/"), get("/some/client/route")]);
    expect(client.status).toBe(200);
    expect(await client.text()).toBe(await index.text());
  });

  it("serves build output under /assets/ with its own type and the immutable policy from public/_headers", async () => {
    const response = await get("/assets/mark.748bf605.svg");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^image\/svg\+xml/);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    await response.body?.cancel();
  });

  it("serves the page's own modules (stable names) for revalidation, not as immutable", async () => {
    const response = await get("/app/app.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/javascript/);
    expect(response.headers.get("Cache-Control")).toBe("no-cache");
    await response.body?.cancel();
  });

  it.each(["hls.min.mjs", "hls.worker.js"])(
    "serves the vendored hls.js %s (copied from node_modules by the build) as JavaScript of the installed version, for revalidation",
    async (name) => {
      const response = await get(`/app/vendor/${name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Type")).toMatch(/^text\/javascript/);
      expect(response.headers.get("Cache-Control")).toBe("no-cache");
      const source = await response.text();
      expect(source.length).toBeGreaterThan(100_000);
      if (name === "hls.min.mjs") expect(source).toContain(`"${hlsPackage.version}"`);
    },
  );

  it("gives the SPA its security headers from public/_headers", async () => {
    const response = await get("/");
    expect(response.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Referrer-Policy")).toBe("strict-origin-when-cross-origin");
    await response.body?.cancel();
  });

  it("answers a miss under /assets/ with a JSON 404, not the SPA", async () => {
    await expectJsonError(await get("/assets/missing-3f9a1c.js"), 404, "not_found");
  });
});

describe("owned prefixes never fall through to the SPA", () => {
  it.each(["/api/nope", "/api", "/media/nope", "/media", "/media/v2/x", "/_nope"])(
    "%s gets a JSON 404",
    async (path) => {
      const response = await get(path, { headers: { Accept: "text/html" } });
      await expectJsonError(response, 404, "not_found");
    },
  );

  it("answers a browser-style navigation under /api/ with JSON too", async () => {
    const response = await get("/api/page", { headers: { Accept: "text/html", "Sec-Fetch-Mode": "navigate" } });
    await expectJsonError(response, 404, "not_found");
  });

  it("gives JSON errors the gateway's document headers", async () => {
    const response = await get("/api/nope");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    await response.body?.cancel();
  });
});

describe("request ids", () => {
  it("keeps a well-formed client id, passes it to the service and echoes it", async () => {
    const response = await get("/api/nope", { headers: { "X-Request-Id": "client-trace_01.A" } });
    expect(response.headers.get("X-Request-Id")).toBe("client-trace_01.A");
    // The api Worker wrote its error with the id it received from the router.
    expect((await response.json<ErrorBody>()).error.requestId).toBe("client-trace_01.A");
  });

  it.each([
    ["too long", "a".repeat(129)],
    ["odd characters", "abc def<script>"],
    ["a header-injection attempt", "id%0d%0aSet-Cookie:x"],
  ])("replaces a client id that is %s with a generated one", async (_why, offered) => {
    const response = await get("/api/nope", { headers: { "X-Request-Id": offered } });
    const decided = response.headers.get("X-Request-Id");
    expect(decided).toMatch(/^[0-9a-f-]{36}$/);
    expect((await response.json<ErrorBody>()).error.requestId).toBe(decided);
  });

  it("accepts an id of exactly 128 characters", async () => {
    const id = "b".repeat(128);
    const response = await get("/media/nope", { headers: { "X-Request-Id": id } });
    expect(response.headers.get("X-Request-Id")).toBe(id);
    await response.body?.cancel();
  });

  it("puts a request id on static responses too", async () => {
    const response = await get("/some/client/route");
    expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    await response.body?.cancel();
  });
});

describe("the trust boundary", () => {
  it("strips headers only the gateway may set, keeps the rest and sets the request id", () => {
    const incoming = new Request(`${ORIGIN}/api/x`, {
      method: "POST",
      body: "payload",
      headers: {
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Host": "evil.test",
        "X-Forwarded-Proto": "http",
        Forwarded: "for=6.6.6.6",
        "X-Real-IP": "6.6.6.6",
        "X-Proxy-Token": "guessed",
        "X-Gateway-Internal": "1",
        "Cloudflare-Workers-Version-Overrides": 'gateway-api="v"',
        "Cloudflare-Workers-Version-Key": "k",
        Authorization: "Bearer user-token",
        Cookie: "session=abc",
        "Content-Type": "text/plain",
      },
    });
    const forwarded = trustedRequest(incoming, "rid-1");
    expect([...forwarded.headers.keys()].sort()).toEqual(["authorization", "content-type", "cookie", "x-request-id"]);
    expect(forwarded.headers.get("Authorization")).toBe("Bearer user-token");
    expect(forwarded.headers.get("X-Request-Id")).toBe("rid-1");
    expect(forwarded.method).toBe("POST");
  });

  it("answers 502 in the JSON shape when a service throws", async () => {
    const response = await forwardToService(
      env.FAILING_SERVICE,
      "API",
      new Request(`${ORIGIN}/api/x`),
      testContext("router", "rid-2"),
    );
    expect(response.status).toBe(502);
    expect(await response.json<ErrorBody>()).toEqual({
      error: { status: 502, code: "upstream_error", message: "The api service failed to answer.", requestId: "rid-2" },
    });
  });
});

describe("GET /_health", () => {
  it("reports router, media and api as ok, asked over RPC", async () => {
    const response = await get("/_health");
    expect(response.status).toBe(200);
    const body = await response.json<HealthDocument>();
    expect(body.status).toBe("ok");
    expect(body.workers).toEqual({ router: { status: "ok" }, media: { status: "ok" }, api: { status: "ok" } });
  });

  it("shows each Worker's version to an operator holding the admin token", async () => {
    const response = await get("/_health", { headers: { Authorization: `Bearer ${TEST_SECRETS.router.ADMIN_TOKEN}` } });
    const body = await response.json<HealthDocument>();
    for (const worker of [body.workers.router, body.workers.media, body.workers.api]) {
      expect(worker).toMatchObject({ status: "ok", version: { id: expect.any(String) as string } });
    }
  });

  it("shows no versions for a wrong admin token", async () => {
    const response = await get("/_health", { headers: { Authorization: "Bearer not-the-token" } });
    const body = await response.json<HealthDocument>();
    expect(body.workers.media).toEqual({ status: "ok" });
  });

  it("answers 503 and names the Worker whose health() throws", async () => {
    const response = await healthResponse(
      { MEDIA_CONTROL: env.FAILING_SERVICE, API_CONTROL: env.API_CONTROL, VERSION: env.VERSION },
      testContext("router", "rid-3"),
      false,
    );
    expect(response.status).toBe(503);
    const body = await response.json<HealthDocument>();
    expect(body.status).toBe("degraded");
    expect(body.workers.media).toEqual({ status: "failed", reason: "error" });
    expect(body.workers.api).toEqual({ status: "ok" });
  });

  it("answers 503 with reason timeout when a Worker's health() never returns", async () => {
    const response = await healthResponse(
      { MEDIA_CONTROL: env.MEDIA_CONTROL, API_CONTROL: env.SLOW_SERVICE, VERSION: env.VERSION },
      testContext("router", "rid-4"),
      false,
    );
    expect(response.status).toBe(503);
    expect((await response.json<HealthDocument>()).workers.api).toEqual({ status: "failed", reason: "timeout" });
  });

  it("refuses other methods with 405 and Allow", async () => {
    const response = await get("/_health", { method: "POST" });
    await expectJsonError(response, 405, "method_not_allowed");
    expect(response.headers.get("Allow")).toBe("GET, HEAD");
  });
});

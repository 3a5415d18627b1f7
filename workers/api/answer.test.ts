/**
 * The api Worker with settings other than its wrangler defaults (CORS on,
 * WebSockets off, a dead backend, a heartbeat, a tight rate limit), against
 * the same real Node origin the router's end-to-end tests use.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { parse } from "smol-toml";
import { describe, expect, inject, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import type { EchoBody } from "../../test/api-fixtures";
import { EventReader } from "../../test/api-fixtures";
import { captureLogs } from "../../test/logs";
import apiConfigText from "../../wrangler.api.toml?raw";
import worker from "./index";
import type { ProxyVars } from "./settings";

const PUBLIC = "https://app.example.com";
const backendOrigin = inject("backendOrigin");
/** Nothing listens on port 1: connections are refused at once, as with a backend that is down. */
const DEAD_BACKEND = "http://127.0.0.1:1";

async function answer(
  path: string,
  init: RequestInit = {},
  vars: Partial<ProxyVars> = {},
  limiter: RateLimit = env.RATE_LIMITER,
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("X-Request-Id", "rid-api");
  const request = new Request(`${PUBLIC}${path}`, { ...init, headers });
  return worker.fetch(request, { ...env, ...vars, RATE_LIMITER: limiter } as ApiEnv);
}

async function expectJsonError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
  expect((await response.json<ErrorBody>()).error).toMatchObject({ status, code, requestId: "rid-api" });
}

describe("the Worker entry", () => {
  it("proxies to BACKEND_URL with its own bindings", async () => {
    const response = await exports.default.fetch(
      new Request(`${PUBLIC}/api/v1/hello`, { headers: { "X-Request-Id": "rid-entry" } }),
    );
    expect(await response.json()).toEqual({ message: "Hello from the local backend.", requestId: "rid-entry" });
  });
});

describe("a backend that is down", () => {
  it("answers 502 upstream_unreachable in the JSON shape", async () => {
    await expectJsonError(
      await answer("/api/v1/hello", {}, { BACKEND_URL: DEAD_BACKEND }),
      502,
      "upstream_unreachable",
    );
  });

  it("answers an EventSource with 200, a retry: line and the end of the stream, so it keeps reconnecting", async () => {
    const response = await answer(
      "/api/v1/events",
      { headers: { Accept: "text/event-stream" } },
      { BACKEND_URL: DEAD_BACKEND },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/event-stream; charset=utf-8");
    expect(await response.text()).toBe(": upstream_unreachable\nretry: 5000\n\n");
  });
});

describe("BACKEND_URL with a base path and STRIP_API_PREFIX", () => {
  it("forwards /api/<rest> as <base>/<rest>", async () => {
    const response = await answer(
      "/api/test/echo?x=1",
      {},
      { BACKEND_URL: `${backendOrigin}/api`, STRIP_API_PREFIX: "true" },
    );
    expect((await response.json<EchoBody>()).url).toBe("/api/test/echo?x=1");
  });
});

describe("WebSockets", () => {
  it("answers an upgrade with 501 not_implemented when WEBSOCKETS is false", async () => {
    await expectJsonError(
      await answer("/api/v1/ws", { headers: { Upgrade: "websocket" } }, { WEBSOCKETS: "false" }),
      501,
      "not_implemented",
    );
  });
});

describe("SSE heartbeat", () => {
  it("writes a comment line into an idle stream, between events", async () => {
    const id = crypto.randomUUID();
    const response = await answer(
      `/api/test/hold?probe=${id}`,
      { headers: { Accept: "text/event-stream" } },
      { SSE_HEARTBEAT_SECONDS: "1" },
    );
    const events = new EventReader(response);
    expect(await events.next()).toBe("id: 1\ndata: first");
    expect(await events.next()).toBe(": heartbeat");
    await events.cancel();
  });

  it("never writes one inside an event that arrives in two halves", async () => {
    const response = await answer(
      "/api/test/split-event?pause=2500",
      { headers: { Accept: "text/event-stream" } },
      { SSE_HEARTBEAT_SECONDS: "1" },
    );
    expect(await response.text()).toBe("id: 1\ndata: first half\ndata: second half\n\n");
  });

  it("is off by default: the stream is the backend's bytes only", async () => {
    const response = await answer("/api/test/split-event?pause=1200", { headers: { Accept: "text/event-stream" } });
    expect(await response.text()).toBe("id: 1\ndata: first half\ndata: second half\n\n");
  });
});

describe("rate limiting (a limiter of 2 per 60 s)", () => {
  const tight = (path: string, headers: HeadersInit) =>
    answer(path, { headers }, { RATE_LIMIT_PERIOD_SECONDS: "60" }, env.TIGHT_RATE_LIMITER);

  /**
   * Sends `count` requests one after another and returns the answers. The
   * limiter counts in fixed windows, so a run may straddle one boundary: of 6
   * requests at most 2 + 2 pass, whatever the timing, and at least 2 are refused.
   */
  async function burst(count: number, headers: HeadersInit): Promise<Response[]> {
    const answers: Response[] = [];
    for (let i = 0; i < count; i++) answers.push(await tight("/api/v1/hello", headers));
    return answers;
  }

  async function refusedCount(answers: Response[]): Promise<number> {
    await Promise.all(answers.map(async (each) => each.body?.cancel()));
    return answers.filter((each) => each.status === 429).length;
  }

  it("answers requests past the limit with 429 rate_limited and Retry-After equal to the period", async () => {
    const answers = await burst(6, { Authorization: `Bearer ${crypto.randomUUID()}` });
    expect(answers.slice(0, 2).map((each) => each.status)).toEqual([200, 200]);
    const limited = answers.find((each) => each.status === 429);
    if (!limited) throw new Error("no request of the burst was limited");
    expect(limited.headers.get("Retry-After")).toBe("60");
    await expectJsonError(limited, 429, "rate_limited");
    expect(await refusedCount(answers.filter((each) => each !== limited))).toBeGreaterThanOrEqual(1);
  });

  it("counts sessions apart: another cookie still gets through", async () => {
    expect(await refusedCount(await burst(6, { Cookie: `session=${crypto.randomUUID()}` }))).toBeGreaterThanOrEqual(2);
    expect((await tight("/api/v1/hello", { Cookie: `session=${crypto.randomUUID()}` })).status).toBe(200);
  });

  it("falls back to the client IP when there is no session", async () => {
    const ip = { "CF-Connecting-IP": `198.51.100.${Math.floor(Math.random() * 250)}` };
    expect(await refusedCount(await burst(6, ip))).toBeGreaterThanOrEqual(2);
    expect((await tight("/api/v1/hello", { "CF-Connecting-IP": "192.0.2.1" })).status).toBe(200);
  });

  it("answers a limited EventSource with 200 and retry: after the period, not a 429 it would never retry", async () => {
    const session = { Authorization: `Bearer ${crypto.randomUUID()}`, Accept: "text/event-stream" };
    // Of 6 requests at least 2 are past the limit, whatever the window (see burst()).
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await tight("/api/v1/events?count=1&every=10", session);
      expect(answer.status).toBe(200);
      bodies.push(await answer.text());
    }
    expect(bodies.filter((body) => body === ": rate_limited\nretry: 60000\n\n").length).toBeGreaterThanOrEqual(2);
  });

  it("matches RATE_LIMIT_PERIOD_SECONDS to the limiter's period in every environment", () => {
    interface ApiConfigEnv {
      vars: { RATE_LIMIT_PERIOD_SECONDS: string };
      ratelimits: { simple: { period: number } }[];
    }
    const config = parse(apiConfigText) as unknown as ApiConfigEnv & { env: Record<string, ApiConfigEnv> };
    for (const each of [config, ...Object.values(config.env)]) {
      expect(Number(each.vars.RATE_LIMIT_PERIOD_SECONDS)).toBe(each.ratelimits[0]?.simple.period);
    }
  });
});

describe("CORS", () => {
  const allowList = { API_CORS_ORIGINS: "https://admin.example.com, https://partner.example.org" };

  it("is off by default: no CORS headers, and an OPTIONS request that is no preflight reaches the backend", async () => {
    const response = await answer("/api/test/echo", {
      method: "OPTIONS",
      headers: { Origin: "https://admin.example.com" },
    });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect((await response.json<EchoBody>()).method).toBe("OPTIONS");
  });

  it("is off by default: a preflight gets the gateway's 204 without a grant, and never reaches the backend", async () => {
    const response = await answer("/api/test/echo", {
      method: "OPTIONS",
      headers: { Origin: "https://admin.example.com", "Access-Control-Request-Method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(await response.text()).toBe("");
  });

  it("answers a preflight from a listed origin itself", async () => {
    const response = await answer(
      "/api/v1/upload",
      {
        method: "OPTIONS",
        headers: {
          Origin: "https://partner.example.org",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type",
        },
      },
      allowList,
    );
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://partner.example.org");
    expect(response.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    expect(response.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    expect(response.headers.get("Access-Control-Allow-Headers")).toBe("content-type");
  });

  it("adds the CORS headers to a listed origin's proxied response and exposes the request id", async () => {
    const response = await answer("/api/v1/hello", { headers: { Origin: "https://admin.example.com" } }, allowList);
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example.com");
    expect(response.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-Id");
    expect(response.headers.get("Vary")).toContain("Origin");
    await response.body?.cancel();
  });

  it("gives an origin that is not listed no CORS headers, so its browser blocks the answer", async () => {
    const preflight = await answer(
      "/api/v1/hello",
      { method: "OPTIONS", headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "GET" } },
      allowList,
    );
    expect(preflight.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const simple = await answer("/api/v1/hello", { headers: { Origin: "https://evil.example" } }, allowList);
    expect(simple.headers.get("Access-Control-Allow-Origin")).toBeNull();
    await simple.body?.cancel();
  });

  it.each([
    ["a refused method (405)", "/api/v1/hello", "TRACE", 405, "method_not_allowed"],
    ["a refused path (400)", "/api/v1/..%2fadmin", "GET", 400, "bad_request"],
    // The route's own answer, not hono's bodiless copy of a GET's (the runtime drops a HEAD's body on the wire).
    ["a refused path asked with HEAD (400)", "/api/v1/..%2fadmin", "HEAD", 400, "bad_request"],
  ])(
    "grants a listed origin on the answers the gateway gives itself: %s",
    async (_kind, path, method, status, code) => {
      const response = await answer(path, { method, headers: { Origin: "https://admin.example.com" } }, allowList);
      expect(response.status).toBe(status);
      expect(response.headers.get("X-Request-Id")).toBe("rid-api");
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example.com");
      await expectJsonError(response, status, code);
    },
  );

  it("grants a listed origin on the gateway's own errors too (a 502), so its page can read the error and its request id", async () => {
    const response = await answer(
      "/api/v1/hello",
      { headers: { Origin: "https://admin.example.com" } },
      { ...allowList, BACKEND_URL: DEAD_BACKEND },
    );
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example.com");
    await expectJsonError(response, 502, "upstream_unreachable");
  });
});

describe("the request id on every answer", () => {
  // The router hands the api's response on untouched, so the api itself must put the id it was passed on each one.
  const answers: [string, () => Promise<Response>][] = [
    ["a proxied answer", () => answer("/api/v1/hello")],
    ["a 502 from a dead backend", () => answer("/api/v1/hello", {}, { BACKEND_URL: DEAD_BACKEND })],
    [
      "an EventSource's retry answer",
      () => answer("/api/v1/events", { headers: { Accept: "text/event-stream" } }, { BACKEND_URL: DEAD_BACKEND }),
    ],
    [
      "a 501 for a disabled upgrade",
      () => answer("/api/v1/ws", { headers: { Upgrade: "websocket" } }, { WEBSOCKETS: "false" }),
    ],
    [
      "a CORS preflight",
      () =>
        answer(
          "/api/v1/hello",
          {
            method: "OPTIONS",
            headers: { Origin: "https://admin.example.com", "Access-Control-Request-Method": "POST" },
          },
          { API_CORS_ORIGINS: "https://admin.example.com" },
        ),
    ],
  ];
  it.each(answers)("%s carries X-Request-Id", async (_kind, send) => {
    const response = await send();
    await response.arrayBuffer(); // every one of these ends: read it rather than cut the upstream connection
    expect(response.headers.get("X-Request-Id")).toBe("rid-api");
  });

  it("answers an exception with the entry's JSON 500, with the id and the CORS grant", async () => {
    const broken: RateLimit = {
      limit: () => Promise.reject(new Error("limiter down (on purpose)")),
    };
    const origin = "https://admin.example.com";
    const { result: response } = await captureLogs(() =>
      answer("/api/v1/hello", { headers: { Origin: origin } }, { API_CORS_ORIGINS: origin }, broken),
    );
    expect(response.status).toBe(500);
    expect(response.headers.get("X-Request-Id")).toBe("rid-api");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    expect((await response.json<ErrorBody>()).error).toEqual({
      status: 500,
      code: "internal_error",
      message: "The api Worker failed to answer.",
      requestId: "rid-api",
    });
  });

  it("answers every request with the JSON 500 and its id when BACKEND_URL does not parse (a deploy mistake)", async () => {
    const { result: response, lines } = await captureLogs(() =>
      answer("/api/v1/hello", {}, { BACKEND_URL: "not a url" }),
    );
    expect(response.status).toBe(500);
    expect(response.headers.get("X-Request-Id")).toBe("rid-api");
    expect((await response.json<ErrorBody>()).error).toEqual({
      status: 500,
      code: "internal_error",
      message: "The api Worker failed to answer.",
      requestId: "rid-api",
    });
    expect(lines.some((line) => line.includes('"event":"api-failed"') && line.includes('"requestId":"rid-api"'))).toBe(
      true,
    );
  });

  it("makes one when called without an id, and uses the same one in the error body", async () => {
    const request = new Request(`${PUBLIC}/api/v1/hello`);
    const response = await worker.fetch(request, { ...env, BACKEND_URL: DEAD_BACKEND } as unknown as ApiEnv);
    const made = response.headers.get("X-Request-Id");
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
    expect((await response.json<ErrorBody>()).error.requestId).toBe(made);
  });
});

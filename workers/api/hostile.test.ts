/**
 * The hostile corpus of the api Worker: several spellings of each class a
 * client or a careless backend can use to get through the gateway, against
 * a real origin that tries to leak (test/origin.ts, `/api/test/leaky`:
 * reflects any Origin with credentials, echoes the proxy token, believes
 * X-Client-IP, echoes TRACE). Every refusal asserts its status and the
 * reason it is logged with.
 */
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import type { LogFields } from "../../shared/log";
import { GATEWAY_ONLY_HEADERS } from "../../shared/trust";
import type { EchoBody, LeakyBody, ProbeRecord } from "../../test/api-fixtures";
import { captureLogs, logRecords } from "../../test/logs";
import { TEST_SECRETS } from "../../test/secrets";
import worker from "./index";
import type { ProxyVars } from "./settings";

const PUBLIC = "https://app.example.com";
const EVIL = "https://evil.example";
const ADMIN = "https://admin.example.com";
const backendOrigin = inject("backendOrigin");

interface LogRecord {
  level: string;
  event: string;
  fields: LogFields;
}

/** Every log line the api Worker writes while `work` runs, as level, event and the other fields. */
async function recordedLines<T>(work: () => Promise<T>): Promise<{ result: T; records: LogRecord[] }> {
  const { result, lines } = await captureLogs(work);
  const records = logRecords(lines).map(({ level, event, worker: _worker, ...fields }) => ({
    level: String(level),
    event: String(event),
    fields: fields,
  }));
  return { result, records };
}

async function answer(
  path: string,
  init: RequestInit = {},
  vars: Partial<ProxyVars> = {},
): Promise<{ response: Response; records: LogRecord[] }> {
  const headers = new Headers(init.headers);
  headers.set("X-Request-Id", "rid-hostile");
  const request = new Request(`${PUBLIC}${path}`, { redirect: "manual", ...init, headers });
  const { result: response, records } = await recordedLines(async () =>
    worker.fetch(request, { ...env, ...vars } as ApiEnv),
  );
  return { response, records };
}

/** How many requests `/api/test/leaky?probe=<id>` received (0 when none reached it). */
async function reachedOrigin(id: string): Promise<number> {
  const response = await fetch(`${backendOrigin}/api/test/probe/${id}`);
  if (response.status === 404) return 0;
  return (await response.json<ProbeRecord>()).requests ?? 0;
}

function accessControlHeaders(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));
}

async function expectRefusal(
  result: { response: Response; records: LogRecord[] },
  status: number,
  code: string,
  event: string,
  reason: string,
): Promise<void> {
  expect(result.response.status).toBe(status);
  expect((await result.response.json<ErrorBody>()).error).toMatchObject({ status, code, requestId: "rid-hostile" });
  expect(result.records).toEqual([expect.objectContaining({ level: "warn", event })]);
  expect(result.records[0]?.fields).toMatchObject({ status, reason, requestId: "rid-hostile" });
}

let probes = 0;
const probeId = (label: string): string => `${label}-${++probes}-${Date.now()}`;

describe("the backend's CORS headers never reach the client: the gateway decides", () => {
  const origins = [EVIL, "null", `${ADMIN}.evil.example`, "HTTPS://ADMIN.EXAMPLE.COM", ADMIN];

  it.each(origins)("with the default empty allow-list, Origin %s gets no Access-Control-* at all", async (origin) => {
    const { response } = await answer("/api/test/leaky", { headers: { Origin: origin } });
    expect(response.status).toBe(200);
    expect(accessControlHeaders(response)).toEqual([]);
  });

  it.each(origins.slice(0, 4))("with an allow-list, Origin %s (not on it) gets no grant", async (origin) => {
    const { response } = await answer("/api/test/leaky", { headers: { Origin: origin } }, { API_CORS_ORIGINS: ADMIN });
    expect(response.status).toBe(200);
    expect(accessControlHeaders(response)).toEqual([]);
    expect(response.headers.get("Vary")).toContain("Origin");
  });

  it("grants an allow-listed origin the gateway's policy, not the backend's", async () => {
    const { response } = await answer("/api/test/leaky", { headers: { Origin: ADMIN } }, { API_CORS_ORIGINS: ADMIN });
    expect(accessControlHeaders(response).sort()).toEqual([
      "access-control-allow-credentials",
      "access-control-allow-origin",
      "access-control-expose-headers",
    ]);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ADMIN);
    expect(response.headers.get("Access-Control-Expose-Headers")).toBe("X-Request-Id, Retry-After");
  });

  it.each([
    ["the default empty allow-list", {}],
    ["an allow-list without it", { API_CORS_ORIGINS: ADMIN }],
  ])(
    "answers a preflight from a non-allowed origin itself under %s: 204, no grant, logged, never at the origin",
    async (_label, vars) => {
      const id = probeId("preflight");
      const result = await answer(
        `/api/test/leaky?probe=${id}`,
        {
          method: "OPTIONS",
          headers: {
            Origin: EVIL,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "X-Evil",
          },
        },
        vars,
      );
      expect(result.response.status).toBe(204);
      expect(accessControlHeaders(result.response)).toEqual([]);
      expect(result.records).toHaveLength(1);
      expect(result.records[0]).toMatchObject({
        level: "warn",
        event: "cors-preflight-refused",
        fields: { status: 204, reason: "origin-not-allowed", requestId: "rid-hostile" },
      });
      expect(await reachedOrigin(id)).toBe(0);
    },
  );

  it("forwards a plain OPTIONS (no preflight) to the backend, less its Access-Control-* headers", async () => {
    const id = probeId("options");
    const { response, records } = await answer(`/api/test/leaky?probe=${id}`, { method: "OPTIONS" });
    expect(response.status).toBe(204);
    expect(accessControlHeaders(response)).toEqual([]);
    expect(records).toEqual([]);
    expect(await reachedOrigin(id)).toBe(1);
  });
});

describe("the proxy token never reaches the client, whatever the backend sends back", () => {
  it.each(["", "?as=redirect", "?as=sse"])("strips it from /api/test/leaky%s", async (query) => {
    const { response } = await answer(`/api/test/leaky${query}`, { headers: { Origin: EVIL } });
    expect(response.headers.get("X-Proxy-Token")).toBeNull();
    expect(accessControlHeaders(response)).toEqual([]);
    await response.body?.cancel();
  });

  it("strips it, and the backend's CORS headers, from a WebSocket 101", async () => {
    const { response } = await answer("/api/test/leaky-ws", { headers: { Upgrade: "websocket" } });
    expect(response.status).toBe(101);
    expect(response.headers.get("X-Proxy-Token")).toBeNull();
    expect(accessControlHeaders(response)).toEqual([]);
    response.webSocket?.accept();
    response.webSocket?.close();
  });

  it("the origin did receive it (so the strip above is what keeps it in)", async () => {
    const echoed = await fetch(`${backendOrigin}/api/test/leaky`, {
      headers: { "X-Proxy-Token": TEST_SECRETS.api.BACKEND_AUTH_TOKEN },
    });
    expect(echoed.headers.get("X-Proxy-Token")).toBe(TEST_SECRETS.api.BACKEND_AUTH_TOKEN);
  });
});

describe("methods that echo or tunnel", () => {
  it.each([
    ["TRACE", "trace"],
    ["trace", "trace"],
    ["Trace", "trace"],
  ])("answers %s with 405, Allow, and the reason logged, never reaching the origin", async (method, reason) => {
    const id = probeId("method");
    const result = await answer(`/api/test/leaky?probe=${id}`, { method });
    expect(result.response.headers.get("Allow")).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    await expectRefusal(result, 405, "method_not_allowed", "method-refused", reason);
    expect(await reachedOrigin(id)).toBe(0);
  });

  it.each([
    ["X-HTTP-Method-Override", "TRACE", "trace via x-http-method-override"],
    ["X-HTTP-Method", "track", "track via x-http-method"],
    ["X-Method-Override", "Connect", "connect via x-method-override"],
    ["X-HTTP-Method-Override", "PUT, trace", "trace via x-http-method-override"],
  ])(
    "answers a POST whose %s names %s with 405, the reason logged, never reaching the origin",
    async (header, named, reason) => {
      const id = probeId("override");
      const result = await answer(`/api/test/leaky?probe=${id}`, { method: "POST", headers: { [header]: named } });
      expect(result.response.headers.get("Allow")).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
      await expectRefusal(result, 405, "method_not_allowed", "method-refused", reason);
      expect(await reachedOrigin(id)).toBe(0);
    },
  );

  it("forwards a POST whose override names a method the gateway forwards (the backend decides)", async () => {
    const id = probeId("override");
    const result = await answer(`/api/test/leaky?probe=${id}`, {
      method: "POST",
      headers: { "X-HTTP-Method-Override": "PATCH" },
    });
    expect(result.response.status).toBe(200);
    expect(await reachedOrigin(id)).toBe(1);
  });

  // workerd knows no TRACK and no CONNECT request: neither can be built, so neither can reach a Worker (the
  // refusal in refusals.ts stands for a runtime that would pass them on; test/system/raw-http checks the wire).
  it.each(["CONNECT", "connect", "TRACK", "track", "Track"])(
    "cannot even construct a %s request inside workerd",
    (method) => {
      expect(() => new Request(`${PUBLIC}/api/test/leaky`, { method })).toThrow(TypeError);
    },
  );
});

describe("client-address and URL-rewrite headers", () => {
  it("hands the backend the address from CF-Connecting-IP whatever else the client claims, in any letter case", async () => {
    const headers = new Headers({ "CF-Connecting-IP": "203.0.113.7" });
    for (const name of GATEWAY_ONLY_HEADERS.keys()) {
      headers.append(name.toUpperCase(), "6.6.6.6");
      headers.append(name, "6.6.6.7");
    }
    const { response } = await answer("/api/test/leaky", { headers });
    expect((await response.json<LeakyBody>()).believedClientIp).toBe("203.0.113.7");
  });

  it("none of the family reaches the backend", async () => {
    const headers = new Headers({ "CF-Connecting-IP": "203.0.113.7" });
    for (const name of GATEWAY_ONLY_HEADERS.keys()) headers.set(name, "/admin");
    const seen = await (await answer("/api/test/echo", { headers })).response.json<EchoBody>();
    const arrived = Object.keys(seen.headers).filter((name) => GATEWAY_ONLY_HEADERS.has(name));
    expect(arrived).toEqual(["x-proxy-token"]);
    expect(seen.headers["x-proxy-token"]).toBe(TEST_SECRETS.api.BACKEND_AUTH_TOKEN);
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.7");
  });
});

describe("encoded traversal", () => {
  const refused: ReadonlyArray<[string, string]> = [
    ["/api/..%2fsecret", "dot-segment"],
    ["/api/..%2Fsecret", "dot-segment"],
    ["/api/%2e%2e%2fsecret", "dot-segment"],
    ["/api/%2E%2E%2Fsecret", "dot-segment"],
    ["/api/.%2e%2fsecret", "dot-segment"],
    ["/api/x/..%5csecret", "backslash"],
    ["/api/x/%5c..%5csecret", "backslash"],
    ["/api/x/%5Csecret", "backslash"],
    ["/api/..;/secret", "dot-segment"],
    ["/api/x/.;jsessionid=1/secret", "dot-segment"],
    ["/api/%2e%2e;/secret", "dot-segment"],
    ["/api/%252e%252e/secret", "double-encoded"],
    ["/api/x%252fy", "double-encoded"],
    ["/api/x%255cy", "double-encoded"],
    ["/api/users%2f42", "encoded-slash"],
    ["/api/users%2F42", "encoded-slash"],
    ["/api/secret.json%00.png", "control-character"],
    ["/api/users/42%0aX-Injected:1", "control-character"],
    ["/api/users/42%0D%0A", "control-character"],
    ["/api/users%7f/42", "control-character"],
    ["/api/users%1f42", "control-character"],
    ["/api/%09users", "control-character"],
  ];

  it.each(refused)("refuses %s with 400 (%s), logged", async (path, reason) => {
    const result = await answer(path);
    await expectRefusal(result, 400, "bad_request", "path-refused", reason);
  });

  it.each(refused.filter(([, reason]) => reason !== "encoded-slash"))(
    "refuses %s (%s) under STRIP_API_PREFIX and API_ALLOW_ENCODED_SLASHES too",
    async (path, reason) => {
      const result = await answer(
        path,
        {},
        { BACKEND_URL: `${backendOrigin}/api`, STRIP_API_PREFIX: "true", API_ALLOW_ENCODED_SLASHES: "true" },
      );
      await expectRefusal(result, 400, "bad_request", "path-refused", reason);
    },
  );

  it("forwards %2F as sent with API_ALLOW_ENCODED_SLASHES=true", async () => {
    const { response } = await answer("/api/test/echo/users%2F42", {}, { API_ALLOW_ENCODED_SLASHES: "true" });
    expect((await response.json<EchoBody>()).url).toBe("/api/test/echo/users%2F42");
  });

  it.each([
    "/api/test/echo/file.txt",
    "/api/test/echo/.../x",
    "/api/test/echo/%2e%2e%2e",
    "/api/test/echo/a%20b",
    "/api/test/echo/caf%C3%A9",
    "/api/test/echo/100%25",
    "/api/test/echo/a;b=1",
    "/api/test/echo/.well-known",
  ])("forwards an ordinary path %s as sent", async (path) => {
    const { response, records } = await answer(path);
    expect(response.status).toBe(200);
    expect((await response.json<EchoBody>()).url).toBe(path);
    expect(records).toEqual([]);
  });

  it("leaves dot segments the URL parser resolves to the parser: /api/x/%2e%2e/test/echo is /api/test/echo", async () => {
    const { response } = await answer("/api/x/%2e%2e/test/echo");
    expect((await response.json<EchoBody>()).url).toBe("/api/test/echo");
  });
});

import { describe, expect, it } from "vitest";
import type { RequestKind } from "./headers";
import {
  classifyRequest,
  connectionListedHeaders,
  publicLocation,
  upstreamHeaders,
  upstreamUrl,
  dropHopByHop,
} from "./headers";
import type { ProxySettings } from "./settings";
import { parseSettings } from "./settings";

const PUBLIC = new URL("https://app.example.com/api/users?page=2");
const PLAIN: RequestKind = { upgrade: false, eventStream: false, cors: false };
const EVENT_STREAM: RequestKind = { ...PLAIN, eventStream: true };

function settings(
  overrides: { BACKEND_URL?: string; STRIP_API_PREFIX?: string; BACKEND_AUTH_HEADER?: string } = {},
): ProxySettings {
  return parseSettings({
    BACKEND_URL: "https://backend.internal:8443",
    STRIP_API_PREFIX: "false",
    BACKEND_AUTH_HEADER: "X-Proxy-Token",
    BACKEND_AUTH_TOKEN: "the-proxy-token",
    BACKEND_HEADERS_TIMEOUT_MS: "30000",
    WEBSOCKETS: "true",
    API_CORS_ORIGINS: "",
    API_ALLOW_ENCODED_SLASHES: "false",
    SSE_HEARTBEAT_SECONDS: "",
    RATE_LIMIT_PERIOD_SECONDS: "60",
    ...overrides,
  });
}

describe("upstreamUrl", () => {
  it("keeps the /api prefix and the query by default", () => {
    expect(upstreamUrl(PUBLIC, settings())).toBe("https://backend.internal:8443/api/users?page=2");
  });

  it("strips /api when STRIP_API_PREFIX is true, and keeps BACKEND_URL's own base path", () => {
    const strip = settings({ BACKEND_URL: "https://backend.internal/v2/", STRIP_API_PREFIX: "true" });
    expect(upstreamUrl(PUBLIC, strip)).toBe("https://backend.internal/v2/users?page=2");
    expect(upstreamUrl(new URL("https://app.example.com/api"), strip)).toBe("https://backend.internal/v2/");
  });
});

describe("publicLocation", () => {
  it.each([
    [
      "an absolute URL on the backend",
      "https://backend.internal:8443/api/login?next=%2F#f",
      "https://app.example.com/api/login?next=%2F#f",
    ],
    ["a root-relative path", "/api/login", "https://app.example.com/api/login"],
    ["a path relative to the request", "login", "https://app.example.com/login"],
    ["another origin", "https://id.example.org/authorize", "https://id.example.org/authorize"],
    ["the backend host on another port", "https://backend.internal/x", "https://backend.internal/x"],
  ])("rewrites %s correctly", (_what, location, expected) => {
    expect(publicLocation(location, PUBLIC, settings())).toBe(expected);
  });

  it("removes the backend's base path and puts the stripped /api prefix back", () => {
    const strip = settings({ BACKEND_URL: "https://backend.internal/v2", STRIP_API_PREFIX: "true" });
    expect(publicLocation("https://backend.internal/v2/users/7", PUBLIC, strip)).toBe(
      "https://app.example.com/api/users/7",
    );
    expect(publicLocation("/v2/", PUBLIC, strip)).toBe("https://app.example.com/api");
  });
});

describe("hop-by-hop headers (RFC 9110 §7.6.1)", () => {
  it("drops the fixed list (with the proxy credentials pair) and every header named in Connection", () => {
    const headers = new Headers({
      Connection: "close, X-Hop-A , x-hop-b",
      "Keep-Alive": "timeout=5",
      TE: "trailers",
      "Transfer-Encoding": "chunked",
      Upgrade: "h2c",
      "Proxy-Connection": "keep-alive",
      "Proxy-Authorization": "Basic cHJveHk6c2VjcmV0",
      "Proxy-Authenticate": 'Basic realm="proxy"',
      "X-Hop-A": "1",
      "X-Hop-B": "2",
      "X-End-To-End": "3",
    });
    expect(connectionListedHeaders(headers)).toEqual(["close", "x-hop-a", "x-hop-b"]);
    dropHopByHop(headers);
    expect([...headers.keys()]).toEqual(["x-end-to-end"]);
  });

  it("keeps Connection and Upgrade on a WebSocket upgrade", () => {
    const headers = new Headers({ Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13" });
    dropHopByHop(headers, true);
    expect([...headers.keys()].sort()).toEqual(["connection", "sec-websocket-version", "upgrade"]);
  });
});

describe("upstreamHeaders", () => {
  it("replaces the client's proxy token and forwarding headers with the gateway's, keeping credentials", () => {
    const request = new Request(PUBLIC, {
      headers: {
        "X-Proxy-Token": "guessed",
        "X-Forwarded-For": "6.6.6.6",
        Forwarded: "for=6.6.6.6",
        "CF-Connecting-IP": "2001:db8::1",
        Authorization: "Basic dTpw",
        Cookie: "a=1",
      },
    });
    const headers = upstreamHeaders(request, PUBLIC, settings(), PLAIN);
    expect(headers.get("x-proxy-token")).toBe("the-proxy-token");
    expect(headers.get("x-forwarded-for")).toBe("2001:db8::1");
    expect(headers.get("x-forwarded-proto")).toBe("https");
    expect(headers.get("x-forwarded-host")).toBe("app.example.com");
    expect(headers.get("forwarded")).toBeNull();
    expect(headers.get("authorization")).toBe("Basic dTpw");
    expect(headers.get("cookie")).toBe("a=1");
  });

  it("uses the configured header name for the proxy token", () => {
    const request = new Request(PUBLIC, { headers: { "X-Origin-Secret": "guessed" } });
    const headers = upstreamHeaders(request, PUBLIC, settings({ BACKEND_AUTH_HEADER: "X-Origin-Secret" }), PLAIN);
    expect(headers.get("x-origin-secret")).toBe("the-proxy-token");
    expect(headers.get("x-proxy-token")).toBeNull();
  });

  it("asks for an uncompressed body on an event-stream request only", () => {
    const request = new Request(PUBLIC, { headers: { "Accept-Encoding": "gzip, br" } });
    expect(upstreamHeaders(request, PUBLIC, settings(), EVENT_STREAM).get("accept-encoding")).toBe("identity");
    expect(upstreamHeaders(request, PUBLIC, settings(), PLAIN).get("accept-encoding")).toBe("gzip, br");
  });
});

describe("classifyRequest", () => {
  const withCors = (): ProxySettings => ({ ...settings(), corsOrigins: new Set(["https://admin.example.com"]) });

  it("tells a WebSocket handshake by its Upgrade header, in any case, and keeps CORS off for it", () => {
    const headers = new Headers({ Upgrade: "WebSocket", Connection: "Upgrade" });
    expect(classifyRequest(headers, withCors())).toEqual({ upgrade: true, eventStream: false, cors: false });
  });

  it("tells an EventSource by its Accept header", () => {
    expect(classifyRequest(new Headers({ Accept: "text/event-stream" }), settings())).toEqual({
      upgrade: false,
      eventStream: true,
      cors: false,
    });
  });

  it("applies CORS to every other request only when API_CORS_ORIGINS lists origins", () => {
    expect(classifyRequest(new Headers({ Accept: "application/json" }), settings()).cors).toBe(false);
    expect(classifyRequest(new Headers({ Accept: "application/json" }), withCors()).cors).toBe(true);
  });
});

/** shared/cors.ts through the api's policy, and through a fixed header list as media configures it. */
import { describe, expect, it } from "vitest";
import { addCorsHeaders, corsHeaders, corsPolicy, preflightHeaders } from "../../shared/cors";
import { API_CORS } from "./cors";

const ALLOWED: ReadonlySet<string> = new Set(["https://admin.example.com"]);
const NONE: ReadonlySet<string> = new Set();

describe("corsHeaders", () => {
  it("adds nothing at all without an allow-list (same origin only)", () => {
    expect(corsHeaders(API_CORS, NONE, "https://admin.example.com")).toEqual({});
  });

  it("gives an origin off the list, or no Origin, only Vary: Origin: no grant, no credentials, nothing exposed", () => {
    expect(corsHeaders(API_CORS, ALLOWED, "https://evil.example")).toEqual({ Vary: "Origin" });
    expect(corsHeaders(API_CORS, ALLOWED, null)).toEqual({ Vary: "Origin" });
  });

  it("grants a listed origin by name, with credentials and the exposed headers", () => {
    expect(corsHeaders(API_CORS, ALLOWED, "https://admin.example.com")).toEqual({
      Vary: "Origin",
      "Access-Control-Allow-Origin": "https://admin.example.com",
      "Access-Control-Allow-Credentials": "true",
      "Access-Control-Expose-Headers": "X-Request-Id, Retry-After",
    });
  });
});

describe("addCorsHeaders", () => {
  it("appends Origin to what the response already varies on", () => {
    const headers = new Headers({ Vary: "Accept-Encoding" });
    addCorsHeaders(headers, API_CORS, ALLOWED, "https://admin.example.com");
    expect(headers.get("Vary")).toBe("Accept-Encoding, Origin");
    expect(headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example.com");
  });
});

describe("preflightHeaders", () => {
  const preflight = (headers: Record<string, string>, policy = API_CORS): Record<string, string> =>
    preflightHeaders(policy, ALLOWED, new Headers(headers));

  it("echoes the requested headers (trimmed) when the policy lists none, and varies on them", () => {
    const headers = preflight({
      Origin: "https://admin.example.com",
      "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": " content-type ,x-trace ",
    });
    expect(headers["Access-Control-Allow-Headers"]).toBe("content-type, x-trace");
    expect(headers.Vary).toBe("Origin, Access-Control-Request-Headers");
    expect(headers["Access-Control-Allow-Methods"]).toBe("GET, HEAD, POST, PUT, PATCH, DELETE");
    expect(headers["Access-Control-Max-Age"]).toBe("600");
  });

  it("answers a fixed header list whatever is asked, without varying on the request's headers", () => {
    const fixed = corsPolicy({
      allowMethods: ["GET", "HEAD"],
      allowHeaders: ["Range"],
      exposeHeaders: ["Content-Range"],
      credentials: false,
      maxAgeSeconds: 86400,
    });
    const headers = preflight(
      { Origin: "https://admin.example.com", "Access-Control-Request-Headers": "x-anything" },
      fixed,
    );
    expect(headers).toEqual({
      Vary: "Origin",
      "Access-Control-Allow-Origin": "https://admin.example.com",
      "Access-Control-Expose-Headers": "Content-Range",
      "Access-Control-Allow-Methods": "GET, HEAD",
      "Access-Control-Allow-Headers": "Range",
      "Access-Control-Max-Age": "86400",
    });
  });

  it("grants an origin off the list nothing: no methods, no headers, no lifetime", () => {
    expect(preflight({ Origin: "https://evil.example", "Access-Control-Request-Method": "POST" })).toEqual({
      Vary: "Origin",
    });
  });
});

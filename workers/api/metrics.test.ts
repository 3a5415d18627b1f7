/**
 * Every kind of api answer writes exactly one data point with its fields
 * (shared/metrics.ts), through the Worker's own entry. METRICS is a recording
 * double (test/metrics-recorder.ts): the local simulator discards what is written.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DecodedPoint } from "../../shared/metrics";
import { recordingDataset } from "../../test/metrics-recorder";
import worker from "./index";
import type { ProxyVars } from "./settings";

const PUBLIC = "https://app.example.com";
/** Nothing listens on port 1: connections are refused at once, as with a backend that is down. */
const DEAD_BACKEND = "http://127.0.0.1:1";

/** One request through the api Worker's entry with some settings or bindings changed; its one point. */
async function pointOf(
  path: string,
  init: RequestInit = {},
  overrides: Partial<ProxyVars> & { RATE_LIMITER?: RateLimit } = {},
): Promise<{ response: Response; point: DecodedPoint }> {
  const metrics = recordingDataset();
  const changed = { ...env, ...overrides, METRICS: metrics } as ApiEnv;
  const response = await worker.fetch(new Request(`${PUBLIC}${path}`, init), changed);
  // Every one of these ends: read it rather than cut the upstream connection.
  await response.arrayBuffer();
  expect(metrics.points).toHaveLength(1);
  const [point] = metrics.points;
  if (point === undefined) throw new Error("no data point");
  return { response, point };
}

/** The fields every api point carries, and those only media fills. */
const api = { worker: "api", version: env.VERSION.id, cache: "", servedFrom: "", reason: "", bucket: "", kid: "" };

describe("the api Worker's data point per answer", () => {
  it("a proxied answer: its status, declared bytes and the backend's time", async () => {
    const { response, point } = await pointOf("/api/v1/hello");
    expect(point).toMatchObject({
      ...api,
      routeKind: "http",
      method: "GET",
      status: 200,
      bytes: Number(response.headers.get("Content-Length")),
    });
    expect(point.bytes).toBeGreaterThan(0);
    expect(point.upstreamMs).toBeGreaterThanOrEqual(0);
  });

  it("settings that do not parse (a malformed BACKEND_URL): the 500, with nothing called upstream", async () => {
    const { point } = await pointOf("/api/v1/hello", {}, { BACKEND_URL: "not a url" });
    expect(point).toMatchObject({ ...api, routeKind: "http", method: "GET", status: 500, upstreamMs: -1 });
  });

  it("a backend that is down: the 502, and an event stream's retry answer", async () => {
    const down = await pointOf("/api/v1/hello", {}, { BACKEND_URL: DEAD_BACKEND });
    expect(down.point).toMatchObject({ ...api, routeKind: "http", status: 502 });
    expect(down.point.upstreamMs).toBeGreaterThanOrEqual(0);

    const stream = await pointOf(
      "/api/v1/events",
      { headers: { Accept: "text/event-stream" } },
      { BACKEND_URL: DEAD_BACKEND },
    );
    expect(stream.point).toMatchObject({ ...api, routeKind: "event-stream", status: 200 });
  });

  it("a refused WebSocket upgrade: no upstream call", async () => {
    const { point } = await pointOf("/api/v1/ws", { headers: { Upgrade: "websocket" } }, { WEBSOCKETS: "false" });
    expect(point).toMatchObject({ ...api, routeKind: "websocket", status: 501, bytes: 0, upstreamMs: -1 });
  });

  it("a rate-limited client: the 429, no upstream call", async () => {
    const init = { headers: { Cookie: `session=${crypto.randomUUID()}` } };
    const limiter = { RATE_LIMITER: env.TIGHT_RATE_LIMITER };
    await pointOf("/api/v1/hello", init, limiter);
    await pointOf("/api/v1/hello", init, limiter);
    const { point } = await pointOf("/api/v1/hello", init, limiter);
    expect(point).toMatchObject({ ...api, routeKind: "http", status: 429, upstreamMs: -1 });
  });

  it("a preflight the gateway answers itself", async () => {
    const { point } = await pointOf(
      "/api/v1/hello",
      { method: "OPTIONS", headers: { Origin: "https://admin.example.com", "Access-Control-Request-Method": "GET" } },
      { API_CORS_ORIGINS: "https://admin.example.com" },
    );
    expect(point).toMatchObject({ ...api, routeKind: "preflight", method: "OPTIONS", status: 204, upstreamMs: -1 });
  });
});

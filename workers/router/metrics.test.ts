/**
 * Every kind of router answer writes exactly one data point with its fields
 * (shared/metrics.ts), through the Worker's own entry with the real media and
 * api Workers behind it. METRICS is a recording double
 * (test/metrics-recorder.ts): the local simulator discards what is written.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DecodedPoint } from "../../shared/metrics";
import { recordingDataset } from "../../test/metrics-recorder";
import { TEST_SECRETS } from "../../test/secrets";
import router from "./index";

const ORIGIN = "https://gateway.test";

/** One request through the router's entry with some bindings changed; its one point. */
async function pointOf(
  path: string,
  init: RequestInit = {},
  overrides: Partial<RouterEnv> = {},
): Promise<{ response: Response; point: DecodedPoint }> {
  const metrics = recordingDataset();
  const response = await router.fetch(new Request(`${ORIGIN}${path}`, init), {
    ...env,
    ...overrides,
    METRICS: metrics,
  });
  await response.arrayBuffer();
  expect(metrics.points).toHaveLength(1);
  const [point] = metrics.points;
  if (point === undefined) throw new Error("no data point");
  return { response, point };
}

/** The fields every router point carries, and those only media fills. */
const routerPoint = { worker: "router", version: env.VERSION.id, cache: "", servedFrom: "", bucket: "", kid: "" };
const operator = { headers: { Authorization: `Bearer ${TEST_SECRETS.router.ADMIN_TOKEN}` } };

describe("the router's data point per answer", () => {
  it("a request forwarded to media or api: the service's status and its time", async () => {
    const media = await pointOf("/media/v2/x");
    expect(media.point).toMatchObject({ ...routerPoint, routeKind: "forward-media", method: "GET", status: 404 });
    expect(media.point.upstreamMs).toBeGreaterThanOrEqual(0);

    const api = await pointOf("/api/v1/hello");
    expect(api.point).toMatchObject({
      ...routerPoint,
      routeKind: "forward-api",
      status: 200,
      bytes: Number(api.response.headers.get("Content-Length")),
    });
    expect(api.point.upstreamMs).toBeGreaterThanOrEqual(0);
  });

  it("a service that throws: the router's 502", async () => {
    const { point } = await pointOf("/api/v1/hello", {}, { API: env.FAILING_SERVICE });
    expect(point).toMatchObject({ ...routerPoint, routeKind: "forward-api", status: 502 });
  });

  it("its own endpoints: 200, 401, 405 and 404", async () => {
    expect((await pointOf("/_health")).point).toMatchObject({ ...routerPoint, routeKind: "endpoint", status: 200 });
    expect((await pointOf("/_status", operator)).point).toMatchObject({ routeKind: "endpoint", status: 200 });
    expect((await pointOf("/_status")).point).toMatchObject({ routeKind: "endpoint", status: 401 });
    expect((await pointOf("/_sign")).point).toMatchObject({ routeKind: "endpoint", method: "GET", status: 405 });
    expect((await pointOf("/_nope")).point).toMatchObject({ routeKind: "endpoint", status: 404, upstreamMs: -1 });
  });

  it("the build output and the SPA", async () => {
    expect((await pointOf("/assets/missing.js")).point).toMatchObject({ routeKind: "build-asset", status: 404 });
    const spa = await pointOf("/some/client/route");
    expect(spa.point).toMatchObject({ ...routerPoint, routeKind: "spa", status: 200, upstreamMs: -1 });
  });
});

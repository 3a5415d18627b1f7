/**
 * Every kind of media answer writes exactly one data point with its fields
 * (shared/metrics.ts). METRICS is a recording double (test/metrics-recorder.ts):
 * the local simulator discards what is written.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mediaPath } from "../../shared/media-token";
import type { DecodedPoint } from "../../shared/metrics";
import { RequestMetrics, decodePoint, recordedAnswer } from "../../shared/metrics";
import { recordingDataset } from "../../test/metrics-recorder";
import { handleMediaRequest } from "./handle";
import { ORIGIN, mint, mintPrefix, patternBytes, uniqueKey } from "./test-kit";
import { MIB, TUS, locationOf, mintUpload, mp4Bytes } from "./uploads/upload-kit";

/** One request through the real handler with METRICS recorded (and other bindings overridden); its one point. */
async function pointOf(
  path: string,
  init?: RequestInit,
  overrides: Partial<Record<keyof MediaEnv, unknown>> = {},
): Promise<{ response: Response; point: DecodedPoint }> {
  const metrics = recordingDataset();
  const ctx = createExecutionContext();
  const response = await handleMediaRequest(
    new Request(`${ORIGIN}${path}`, init),
    { ...env, ...overrides, METRICS: metrics } as MediaEnv,
    ctx,
  );
  await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  expect(metrics.points).toHaveLength(1);
  const [point] = metrics.points;
  if (point === undefined) throw new Error("no data point");
  return { response, point };
}

/** The fields every media point carries, whatever the answer. */
const media = { worker: "media", version: env.VERSION.id };

async function seeded(name: string, size: number): Promise<string> {
  const key = uniqueKey(name);
  await env.MEDIA_BUCKET.put(key, patternBytes(size), { httpMetadata: { contentType: "video/mp4" } });
  return key;
}

describe("the media Worker's data point per answer", () => {
  it("a miss, then a hit, then a range: cache status, source, bucket, kid, bytes and storage time", async () => {
    const key = await seeded("clip.mp4", 1000);
    const path = mediaPath(await mint(key));
    const miss = await pointOf(path);
    expect(miss.response.status).toBe(200);
    expect(miss.point).toMatchObject({
      ...media,
      routeKind: "object",
      method: "GET",
      status: 200,
      cache: "miss",
      servedFrom: "main",
      bucket: "media",
      kid: "v2",
      reason: "",
      bytes: 1000,
    });
    expect(miss.point.upstreamMs).toBeGreaterThanOrEqual(0);
    expect(miss.point.durationMs).toBeGreaterThanOrEqual(0);

    const hit = await pointOf(path);
    expect(hit.point).toMatchObject({ ...media, status: 200, cache: "hit", servedFrom: "main", bytes: 1000 });

    const range = await pointOf(path, { headers: { Range: "bytes=0-99" } });
    expect(range.point).toMatchObject({ ...media, status: 206, cache: "hit", bytes: 100 });

    const head = await pointOf(path, { method: "HEAD" });
    expect(head.point).toMatchObject({ ...media, method: "HEAD", status: 200, bytes: 0 });
  });

  it("a segment under a prefix token", async () => {
    const key = await seeded("hls/seg_1.m4s", 10);
    const prefix = key.slice(0, key.lastIndexOf("/") + 1);
    const { point } = await pointOf(`${await mintPrefix(prefix)}seg_1.m4s`);
    expect(point).toMatchObject({ ...media, routeKind: "prefix", status: 200, bucket: "media", kid: "v2", bytes: 10 });
  });

  it("a refused token: the 401 with its reason and kid", async () => {
    const { point } = await pointOf(
      mediaPath(await mint("expired.mp4", { ttlSeconds: 1, now: Math.floor(Date.now() / 1000) - 120 })),
    );
    expect(point).toMatchObject({ ...media, routeKind: "object", status: 401, reason: "expired", kid: "v2", bytes: 0 });
    expect(point.upstreamMs).toBe(-1);
  });

  it("a missing object, an unknown route, another method and a preflight", async () => {
    const absent = await pointOf(mediaPath(await mint(uniqueKey("absent.mp4"))));
    expect(absent.point).toMatchObject({ ...media, status: 404, cache: "miss", servedFrom: "", bucket: "media" });

    const noRoute = await pointOf("/media/v2/x");
    expect(noRoute.point).toMatchObject({ ...media, routeKind: "no-route", status: 404, kid: "", bucket: "" });

    const path = mediaPath(await mint("any.mp4"));
    const post = await pointOf(path, { method: "POST" });
    expect(post.point).toMatchObject({ ...media, routeKind: "object", method: "POST", status: 405 });

    const preflight = await pointOf(path, { method: "OPTIONS" });
    expect(preflight.point).toMatchObject({ ...media, routeKind: "preflight", method: "OPTIONS", status: 204 });
  });

  it("a storage failure: the 503", async () => {
    const key = uniqueKey("outage.mp4");
    const { point } = await pointOf(mediaPath(await mint(key)), undefined, {
      MEDIA_BUCKET: env.R2_OUTAGE,
      SKIP_FALLBACK: "true",
    });
    expect(point).toMatchObject({ ...media, status: 503, bucket: "media", kid: "v2", bytes: 0 });
  });
});

describe("the media Worker's data point per upload answer", () => {
  const octets = { ...TUS, "Content-Type": "application/offset+octet-stream" };

  it("a creation (201), a PATCH (204) and a refused POST (401): one point each, route kind upload", async () => {
    const file = mp4Bytes(MIB);
    const token = await mintUpload(uniqueKey("counted.mp4"), { max: 2 * MIB });
    const created = await pointOf("/media/uploads", {
      method: "POST",
      headers: { ...TUS, Authorization: `Bearer ${token}`, "Upload-Length": String(file.byteLength) },
    });
    expect(created.response.status).toBe(201);
    expect(created.point).toMatchObject({
      ...media,
      routeKind: "upload",
      method: "POST",
      status: 201,
      cache: "",
      servedFrom: "",
      reason: "",
      bucket: "media",
      kid: "v2",
      bytes: 0,
    });
    // The time the upload's Durable Object took.
    expect(created.point.upstreamMs).toBeGreaterThanOrEqual(0);

    const patched = await pointOf(locationOf(created.response), {
      method: "PATCH",
      headers: { ...octets, "Upload-Offset": "0" },
      body: file.subarray(0, MIB / 2),
    });
    expect(patched.response.status).toBe(204);
    expect(patched.point).toMatchObject({
      ...media,
      routeKind: "upload",
      method: "PATCH",
      status: 204,
      reason: "",
      bucket: "media",
      kid: "",
      bytes: 0,
    });
    expect(patched.point.upstreamMs).toBeGreaterThanOrEqual(0);

    const expired = await mintUpload(uniqueKey("late.mp4"), {
      ttlSeconds: 1,
      now: Math.floor(Date.now() / 1000) - 120,
    });
    const refused = await pointOf("/media/uploads", {
      method: "POST",
      headers: { ...TUS, Authorization: `Bearer ${expired}`, "Upload-Length": "10" },
    });
    expect(refused.response.status).toBe(401);
    expect(refused.point).toMatchObject({
      ...media,
      routeKind: "upload",
      method: "POST",
      status: 401,
      reason: "expired",
      bucket: "",
      kid: "v2",
      bytes: 0,
      upstreamMs: -1,
    });

    const missing = await pointOf("/media/uploads", { method: "POST", headers: { ...TUS, "Upload-Length": "10" } });
    expect(missing.point).toMatchObject({
      ...media,
      routeKind: "upload",
      status: 401,
      reason: "missing-token",
      kid: "",
    });
  });
});

describe("RequestMetrics", () => {
  const metricsFor = (dataset: AnalyticsEngineDataset) =>
    new RequestMetrics(dataset, "media", env.VERSION, "GET", "object");

  it("writes a thrown handler's point as a 500, once, and passes the exception on", async () => {
    const dataset = recordingDataset();
    const failing = recordedAnswer(metricsFor(dataset), () => Promise.reject(new Error("bug")));
    await expect(failing).rejects.toThrow("bug");
    expect(dataset.points).toHaveLength(1);
    expect(dataset.points[0]).toMatchObject({ status: 500, bytes: 0, routeKind: "object" });
  });

  it("writes one point per request however often it is told", () => {
    const dataset = recordingDataset();
    const metrics = metricsFor(dataset);
    metrics.answered(new Response("abc", { headers: { "Content-Length": "3" } }));
    metrics.answered(new Response(null, { status: 500 }));
    metrics.failed();
    expect(dataset.points).toHaveLength(1);
    expect(dataset.points[0]).toMatchObject({ status: 200, bytes: 3 });
  });

  it("writes the Worker as index1 and the schema's blobs and doubles by position", () => {
    const written: AnalyticsEngineDataPoint[] = [];
    const metrics = metricsFor({ writeDataPoint: (point) => void (point && written.push(point)) });
    metrics.note({ cache: "hit", servedFrom: "fallback", bucket: "assets", kid: "v1", bytes: 7, upstreamMs: 3 });
    metrics.answered(new Response("x", { status: 206 }));
    expect(written).toHaveLength(1);
    const [point] = written;
    expect(point?.indexes).toEqual(["media"]);
    expect(point?.blobs).toEqual(["media", "object", "hit", "fallback", "", "assets", "v1", env.VERSION.id, "GET"]);
    expect(point?.doubles?.slice(0, 2)).toEqual([206, 7]);
    expect(point?.doubles?.[3]).toBe(3);
    expect(decodePoint(point ?? {})).toMatchObject({ status: 206, bytes: 7, upstreamMs: 3, servedFrom: "fallback" });
  });
});

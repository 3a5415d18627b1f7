/**
 * R2 faults at the binding boundary: the media Worker's bucket binding is
 * pointed at a real Worker that fails on purpose (test/workers/failing-r2.js,
 * reached over RPC like a binding), for an outage, a failed body read after a
 * good metadata read, and a body stream that dies mid-object. The client gets
 * a JSON 503 or a stream that ends in an error (never a hang, never a 5xx
 * page), nothing reaches the edge cache, and the next request is served.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import type { ObjectSource } from "./buckets";
import { handleMediaRequest } from "./handle";
import { cacheKeyFor } from "./policy";
import { ORIGIN, bodyBytes, mint, patternBytes, uniqueKey } from "./test-kit";
import { mediaPath } from "../../shared/media-token";

interface LoggedLine {
  event: string;
  reason?: string;
  status?: number;
}

/** Captures the media Worker's log lines for one test. */
function captureLogs(): LoggedLine[] {
  const lines: LoggedLine[] = [];
  const keep = (line: unknown) => void lines.push(JSON.parse(String(line)) as LoggedLine);
  vi.spyOn(console, "log").mockImplementation(keep);
  vi.spyOn(console, "warn").mockImplementation(keep);
  vi.spyOn(console, "error").mockImplementation(keep);
  return lines;
}

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The real handler with MEDIA_BUCKET bound to `bucket`; waits for every
 * background task (cache fills) after the caller has consumed the response.
 */
async function withBucket(bucket: ObjectSource, key: string, init?: RequestInit) {
  const ctx = createExecutionContext();
  const request = new Request(`${ORIGIN}${mediaPath(await mint(key))}`, init);
  // The handler reads only head() and get() from its bucket bindings, which the failing Worker's RPC stubs answer.
  const overrides: Partial<Record<keyof MediaEnv, unknown>> = { MEDIA_BUCKET: bucket, SKIP_FALLBACK: "true" };
  const response = await handleMediaRequest(request, { ...env, ...overrides } as MediaEnv, ctx);
  return { response, settled: () => waitOnExecutionContext(ctx) };
}

/** Whether the edge cache holds anything for the object. */
async function cached(key: string): Promise<boolean> {
  const hit = await caches.default.match(cacheKeyFor("media", key));
  await hit?.body?.cancel();
  return hit !== undefined;
}

async function expectStorageUnavailable(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
  expect(response.headers.get("Retry-After")).toBe("1");
  expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  expect((await response.json<ErrorBody>()).error.code).toBe("storage_unavailable");
}

/** The same object through the real bucket afterwards: the Worker still serves. */
async function expectServedFromRealBucket(key: string): Promise<void> {
  const bytes = patternBytes(2048, 3);
  await env.MEDIA_BUCKET.put(key, bytes);
  const { response, settled } = await withBucket(env.MEDIA_BUCKET, key);
  expect(response.status).toBe(200);
  expect(await bodyBytes(response)).toEqual(bytes);
  await settled();
}

describe("R2 faults at the binding boundary", () => {
  it.each([
    ["a plain GET", {}],
    ["a ranged GET", { headers: { Range: "bytes=0-99" } }],
    ["a HEAD", { method: "HEAD" }],
    ["a conditional GET", { headers: { "If-None-Match": '"x"' } }],
  ])(
    "answers %s during an outage with a JSON 503, caches nothing and logs the failure",
    async (_what, init: RequestInit) => {
      const logs = captureLogs();
      const key = uniqueKey("outage.mp4");
      const { response, settled } = await withBucket(env.R2_OUTAGE, key, init);
      await expectStorageUnavailable(response);
      await settled();
      expect(await cached(key)).toBe(false);
      expect(logs).toContainEqual(
        expect.objectContaining({ event: "media-storage-failed", reason: "storage-failed", status: 503 }),
      );
      await expectServedFromRealBucket(key);
    },
  );

  it("answers a JSON 503 when the metadata read works and the body read fails, and caches nothing", async () => {
    captureLogs();
    const key = uniqueKey("get-fails.mp4");
    const { response, settled } = await withBucket(env.R2_GET_FAILS, key, { headers: { Range: "bytes=10-19" } });
    await expectStorageUnavailable(response);
    await settled();
    expect(await cached(key)).toBe(false);
    await expectServedFromRealBucket(key);
  });

  it.each([
    ["a plain GET", {}, 200],
    ["a ranged GET", { headers: { Range: "bytes=0-32767" } }, 206],
  ])(
    "ends %s with a stream error when R2 dies mid-body, never a hang, and caches nothing",
    async (_what, init: RequestInit, status) => {
      const logs = captureLogs();
      const key = uniqueKey("dies.mp4");
      const { response, settled } = await withBucket(env.R2_DIES_MID_BODY, key, init);
      // The headers went out before the fault: the status stands, the body cannot complete.
      expect(response.status).toBe(status);
      await expect(response.arrayBuffer()).rejects.toThrow();
      await settled();
      expect(await cached(key)).toBe(false);
      if (status === 200)
        expect(logs).toContainEqual(
          expect.objectContaining({ event: "media-cache-fill-failed", reason: "cache-fill-failed" }),
        );
      await expectServedFromRealBucket(key);
    },
  );
});

import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mediaPath } from "../../shared/media-token";
import { MAX_FILLS_IN_FLIGHT, fillsInFlightCount } from "./delivery/cache-fill";
import { handleMediaRequest } from "./handle";
import { cacheKeyFor } from "./policy";
import { ORIGIN, bodyBytes, mint, patternBytes, uniqueKey } from "./test-kit";

const SIZE = 20_000;

/**
 * One request through the real handler with a fresh token (every token is
 * unique), waiting for its background work (the cache fill) to finish.
 */
async function request(
  key: string,
  init?: RequestInit,
  overrides: Partial<Record<keyof MediaEnv, unknown>> = {},
  bkt?: string,
): Promise<Response> {
  const ctx = createExecutionContext();
  const token = await mint(key, { bkt });
  const response = await handleMediaRequest(
    new Request(`${ORIGIN}${mediaPath(token)}`, init),
    { ...env, ...overrides } as MediaEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

async function seeded(name: string, size = SIZE) {
  const key = uniqueKey(name);
  const bytes = patternBytes(size, 3);
  const object = await env.MEDIA_BUCKET.put(key, bytes, { httpMetadata: { contentType: "video/mp4" } });
  return { key, bytes, etag: object.httpEtag };
}

/**
 * Real R2 underneath; each full read (a fill's) is reported and held until
 * `releaseFill`, so the test sees every client's answer before any fill ends.
 */
function gatedFullReads(onFullRead: (key: string) => void) {
  let releaseFill: () => void = () => undefined;
  const fillGate = new Promise<void>((resolve) => (releaseFill = resolve));
  const counting = {
    head: (key: string) => env.MEDIA_BUCKET.head(key),
    get: async (key: string, options?: R2GetOptions) => {
      if (options?.range === undefined) {
        onFullRead(key);
        await fillGate;
      }
      return env.MEDIA_BUCKET.get(key, options);
    },
  };
  return { counting, releaseFill: () => releaseFill() };
}

function cacheStatus(response: Response): string | undefined {
  return /^cache;desc=(\w+)/.exec(response.headers.get("Server-Timing") ?? "")?.[1];
}

describe("the edge cache, keyed by bucket and object", () => {
  it("answers a second token for the same object from the cache, even with R2 emptied", async () => {
    const object = await seeded("shared.mp4");
    const first = await request(object.key);
    expect(cacheStatus(first)).toBe("miss");
    expect(await bodyBytes(first)).toEqual(object.bytes);

    await env.MEDIA_BUCKET.delete(object.key); // only the cache can answer now
    const second = await request(object.key);
    expect(cacheStatus(second)).toBe("hit");
    expect(second.status).toBe(200);
    expect(second.headers.get("Content-Length")).toBe(String(SIZE));
    expect(second.headers.get("ETag")).toBe(object.etag);
    expect(second.headers.get("X-Served-From")).toBe("main");
    expect(await bodyBytes(second)).toEqual(object.bytes);
  });

  it("stores the copy under a synthetic bucket/key URL with Cache-Tag <bkt>/<key>, never under the token", async () => {
    const object = await seeded("tagged.mp4");
    await (await request(object.key)).body?.cancel();
    const cached = await caches.default.match(cacheKeyFor("media", object.key));
    expect(cached?.status).toBe(200);
    expect(cached?.headers.get("Cache-Tag")).toBe(`media/${object.key}`);
    expect(cached?.headers.get("Content-Length")).toBe(String(SIZE));
    await cached?.body?.cancel();
  });

  it("percent-encodes commas and non-ASCII in the Cache-Tag, so a key cannot split into two tags", async () => {
    const key = uniqueKey("a,b été.mp4");
    await env.MEDIA_BUCKET.put(key, "tagged");
    await (await request(key)).body?.cancel();
    const cached = await caches.default.match(cacheKeyFor("media", key));
    expect(cached?.headers.get("Cache-Tag")).toBe(`media/${key.replace("a,b été.mp4", "a%2Cb%20%C3%A9t%C3%A9.mp4")}`);
    await cached?.body?.cancel();
  });

  it("treats a cached entry without validators as a miss and replaces it from R2", async () => {
    const object = await seeded("foreign-entry.mp4");
    await caches.default.put(
      cacheKeyFor("media", object.key),
      new Response("not ours", { headers: { "Cache-Control": "public, max-age=3600" } }),
    );
    const first = await request(object.key);
    expect(cacheStatus(first)).toBe("miss");
    expect(await bodyBytes(first)).toEqual(object.bytes);
    const second = await request(object.key);
    expect(cacheStatus(second)).toBe("hit");
    expect(await bodyBytes(second)).toEqual(object.bytes);
  });

  it("keeps buckets apart: the same key in assets is another entry", async () => {
    const key = uniqueKey("same-key.jpg");
    await env.MEDIA_BUCKET.put(key, "from media");
    await env.ASSETS_BUCKET.put(key, "from assets");
    expect(await (await request(key)).text()).toBe("from media");
    expect(await (await request(key, undefined, {}, "assets")).text()).toBe("from assets");
    const fromMedia = await request(key);
    const fromAssets = await request(key, undefined, {}, "assets");
    expect([cacheStatus(fromMedia), cacheStatus(fromAssets)]).toEqual(["hit", "hit"]);
    expect([await fromMedia.text(), await fromAssets.text()]).toEqual(["from media", "from assets"]);
  });

  it("fills the cache after a ranged miss, from a separate full read", async () => {
    const object = await seeded("ranged-miss.mp4");
    const ranged = await request(object.key, { headers: { Range: "bytes=100-199" } });
    expect(ranged.status).toBe(206);
    expect(cacheStatus(ranged)).toBe("miss");
    expect(await bodyBytes(ranged)).toEqual(object.bytes.slice(100, 200));

    await env.MEDIA_BUCKET.delete(object.key);
    const full = await request(object.key);
    expect(cacheStatus(full)).toBe("hit");
    expect(await bodyBytes(full)).toEqual(object.bytes);
  });

  it("answers ranges, 416, If-Range, 304 and 412 on a hit from the cached validators", async () => {
    const object = await seeded("hit-semantics.mp4");
    await (await request(object.key)).body?.cancel();
    await env.MEDIA_BUCKET.delete(object.key);

    const partial = await request(object.key, { headers: { Range: "bytes=-50" } });
    expect(cacheStatus(partial)).toBe("hit");
    expect(partial.status).toBe(206);
    expect(partial.headers.get("Content-Range")).toBe(`bytes ${SIZE - 50}-${SIZE - 1}/${SIZE}`);
    expect(partial.headers.get("Content-Length")).toBe("50");
    expect(await bodyBytes(partial)).toEqual(object.bytes.slice(SIZE - 50));

    const unsatisfiable = await request(object.key, { headers: { Range: `bytes=${SIZE + 1}-` } });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get("Content-Range")).toBe(`bytes */${SIZE}`);

    const staleIfRange = await request(object.key, { headers: { Range: "bytes=0-9", "If-Range": '"stale"' } });
    expect(staleIfRange.status).toBe(200);
    expect(await bodyBytes(staleIfRange)).toEqual(object.bytes);

    const notModified = await request(object.key, { headers: { "If-None-Match": object.etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("ETag")).toBe(object.etag);

    const failed = await request(object.key, { headers: { "If-Match": '"other"' } });
    expect(failed.status).toBe(412);

    const head = await request(object.key, { method: "HEAD", headers: { Range: "bytes=0-9" } });
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe(String(SIZE));
    expect(cacheStatus(head)).toBe("hit");
  });

  it("never stores an object larger than CACHE_MAX_BYTES", async () => {
    const object = await seeded("too-big.mp4", 2_000);
    const capped = { CACHE_MAX_BYTES: "1999" };
    await (await request(object.key, undefined, capped)).body?.cancel();
    expect(await caches.default.match(cacheKeyFor("media", object.key))).toBeUndefined();
    const again = await request(object.key, undefined, capped);
    expect(cacheStatus(again)).toBe("miss");
    await again.body?.cancel();
  });

  it("stores an object exactly at CACHE_MAX_BYTES", async () => {
    const object = await seeded("at-cap.mp4", 2_000);
    await (await request(object.key, undefined, { CACHE_MAX_BYTES: "2000" })).body?.cancel();
    const cached = await caches.default.match(cacheKeyFor("media", object.key));
    expect(cached?.status).toBe(200);
    await cached?.body?.cancel();
  });

  it("bypasses the cache entirely with CACHE_MAX_BYTES=0", async () => {
    const object = await seeded("no-cache.mp4");
    const response = await request(object.key, undefined, { CACHE_MAX_BYTES: "0" });
    expect(cacheStatus(response)).toBe("bypass");
    await response.body?.cancel();
    expect(await caches.default.match(cacheKeyFor("media", object.key))).toBeUndefined();
  });

  it("caches fallback content with its origin, so a hit still says X-Served-From: fallback", async () => {
    const key = uniqueKey("archived.mp4");
    await env.MEDIA_FALLBACK_BUCKET.put(key, patternBytes(500));
    await (await request(key)).body?.cancel();
    const hit = await request(key);
    expect(cacheStatus(hit)).toBe("hit");
    expect(hit.headers.get("X-Served-From")).toBe("fallback");
    await hit.body?.cancel();
  });

  it("de-duplicates concurrent fills of one object in an isolate: one full read for many ranged misses", async () => {
    const object = await seeded("concurrent.mp4");
    let fullReads = 0;
    const { counting, releaseFill } = gatedFullReads(() => (fullReads += 1));
    const contexts = [0, 1, 2].map(() => createExecutionContext());
    const responses = await Promise.all(
      contexts.map(async (ctx, i) => {
        const request = new Request(`${ORIGIN}${mediaPath(await mint(object.key))}`, {
          headers: { Range: `bytes=${i * 10}-${i * 10 + 9}` },
        });
        return handleMediaRequest(request, { ...env, MEDIA_BUCKET: counting } as unknown as MediaEnv, ctx);
      }),
    );
    for (const [i, response] of responses.entries()) {
      expect(response.status).toBe(206);
      expect(await bodyBytes(response)).toEqual(object.bytes.slice(i * 10, i * 10 + 10));
    }
    releaseFill();
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
    expect(fullReads).toBe(1);
    const hit = await request(object.key);
    expect(cacheStatus(hit)).toBe("hit");
    await hit.body?.cancel();
  });

  it(`runs at most ${MAX_FILLS_IN_FLIGHT} fills at once in an isolate; a miss beyond that is served unfilled and filled by a later miss`, async () => {
    const objects = await Promise.all(
      Array.from({ length: MAX_FILLS_IN_FLIGHT + 4 }, (_, i) => seeded(`many-${i}.mp4`, 200)),
    );
    const filled = new Set<string>();
    const { counting, releaseFill: releaseFills } = gatedFullReads((key) => filled.add(key));
    const contexts = objects.map(() => createExecutionContext());
    const responses = await Promise.all(
      objects.map(async (object, i) => {
        const ranged = new Request(`${ORIGIN}${mediaPath(await mint(object.key))}`, {
          headers: { Range: "bytes=0-9" },
        });
        return handleMediaRequest(
          ranged,
          { ...env, MEDIA_BUCKET: counting } as unknown as MediaEnv,
          contexts[i] ?? createExecutionContext(),
        );
      }),
    );
    for (const [i, response] of responses.entries()) {
      expect(response.status).toBe(206);
      expect(await bodyBytes(response)).toEqual(objects[i]?.bytes.slice(0, 10));
    }
    expect(filled.size).toBe(MAX_FILLS_IN_FLIGHT);
    expect(fillsInFlightCount()).toBe(MAX_FILLS_IN_FLIGHT);
    releaseFills();
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
    expect(fillsInFlightCount()).toBe(0);

    const unfilled = objects.filter((object) => !filled.has(object.key));
    expect(unfilled).toHaveLength(4);
    for (const object of unfilled) {
      const again = await request(object.key);
      expect(cacheStatus(again)).toBe("miss");
      await again.body?.cancel();
      const hit = await request(object.key);
      expect(cacheStatus(hit)).toBe("hit");
      await hit.body?.cancel();
    }
  });
});

/**
 * Stores the object's first 100 bytes as its cached copy, with its real validators: a streamed body
 * without a declared length is stored without Content-Length, as a put whose body died part-way is.
 */
async function storeTruncatedCopy(
  object: { key: string; bytes: Uint8Array; etag: string },
  headers: Record<string, string> = {},
): Promise<void> {
  const stored = await env.MEDIA_BUCKET.head(object.key);
  const truncated = new ReadableStream({
    start(controller) {
      controller.enqueue(object.bytes.slice(0, 100));
      controller.close();
    },
  });
  await caches.default.put(
    cacheKeyFor("media", object.key),
    new Response(truncated, {
      headers: {
        ETag: object.etag,
        "Last-Modified": stored?.uploaded.toUTCString() ?? "",
        "Cache-Control": "max-age=3600",
        ...headers,
      },
    }),
  );
}

describe("a cache entry that cannot be trusted", () => {
  it("is not served when it has no Content-Length (a truncated put leaves such entries): the object comes from R2", async () => {
    const object = await seeded("no-length.mp4", 3000);
    await storeTruncatedCopy(object);
    const response = await request(object.key);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe("3000");
    expect(await bodyBytes(response)).toEqual(object.bytes);
  });
});

/** How many cache lookups an answer took: one `cache-io` span in Server-Timing each. */
function cacheLookups(response: Response): number {
  return (response.headers.get("Server-Timing") ?? "").split(", ").filter((span) => span.startsWith("cache-io;"))
    .length;
}

describe("a ranged request on a hit: one lookup, the cache slicing our stored copy", () => {
  /** An object stored in the cache, then deleted from R2 so that only the cache can answer. */
  async function cachedOnly(name: string, size = SIZE) {
    const object = await seeded(name, size);
    await (await request(object.key)).body?.cancel();
    await env.MEDIA_BUCKET.delete(object.key);
    const stored = await caches.default.match(cacheKeyFor("media", object.key));
    const lastModified = stored?.headers.get("Last-Modified") ?? "";
    await stored?.body?.cancel();
    return { ...object, lastModified };
  }

  it.each([
    ["bytes=100-199", 100, 199],
    ["bytes=19990-", 19_990, SIZE - 1],
    ["bytes=-16", SIZE - 16, SIZE - 1],
    ["bytes=19000-99999", 19_000, SIZE - 1],
  ])("answers %s with a 206 from a single lookup, with an exact Content-Length", async (range, first, last) => {
    const object = await cachedOnly("one-lookup.mp4");
    const response = await request(object.key, { headers: { Range: range } });
    expect(response.status).toBe(206);
    expect(cacheStatus(response)).toBe("hit");
    expect(cacheLookups(response)).toBe(1);
    expect(response.headers.get("Content-Range")).toBe(`bytes ${first}-${last}/${SIZE}`);
    expect(response.headers.get("Content-Length")).toBe(String(last - first + 1));
    expect(response.headers.get("ETag")).toBe(object.etag);
    expect(response.headers.get("Content-Type")).toBe("video/mp4");
    expect(await bodyBytes(response)).toEqual(object.bytes.slice(first, last + 1));
  });

  it("answers a suffix longer than the object with the whole body as a 206, in one lookup", async () => {
    const object = await cachedOnly("long-suffix.mp4", 500);
    const response = await request(object.key, { headers: { Range: "bytes=-5000" } });
    expect(response.status).toBe(206);
    expect(cacheLookups(response)).toBe(1);
    expect(response.headers.get("Content-Range")).toBe("bytes 0-499/500");
    expect(response.headers.get("Content-Length")).toBe("500");
    expect(await bodyBytes(response)).toEqual(object.bytes);
  });

  it("applies a matching If-Range (tag or date) in the same lookup", async () => {
    const object = await cachedOnly("if-range-match.mp4");
    for (const ifRange of [object.etag, object.lastModified]) {
      const response = await request(object.key, { headers: { Range: "bytes=0-9", "If-Range": ifRange } });
      expect(response.status).toBe(206);
      expect(cacheLookups(response)).toBe(1);
      expect(await bodyBytes(response)).toEqual(object.bytes.slice(0, 10));
    }
  });

  it("answers 304 and 412 to a ranged request from the validators of the one answer", async () => {
    const object = await cachedOnly("ranged-conditionals.mp4");
    const notModified = await request(object.key, { headers: { Range: "bytes=0-9", "If-None-Match": object.etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("ETag")).toBe(object.etag);
    expect(cacheLookups(notModified)).toBe(1);
    const failed = await request(object.key, { headers: { Range: "bytes=0-9", "If-Match": '"other"' } });
    expect(failed.status).toBe(412);
    expect(failed.headers.get("Content-Length")).toBe("0");
    expect(cacheLookups(failed)).toBe(1);
  });

  it("falls back to the whole copy when If-Range does not match: a 200 with every byte", async () => {
    const object = await cachedOnly("if-range-stale.mp4");
    const response = await request(object.key, { headers: { Range: "bytes=0-9", "If-Range": '"stale"' } });
    expect(response.status).toBe(200);
    expect(cacheStatus(response)).toBe("hit");
    expect(cacheLookups(response)).toBe(2);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(await bodyBytes(response)).toEqual(object.bytes);
  });

  it("falls back to the whole copy for an unsatisfiable range: 416 with Content-Range bytes */size", async () => {
    const object = await cachedOnly("unsatisfiable.mp4");
    const response = await request(object.key, { headers: { Range: `bytes=${SIZE}-` } });
    expect(response.status).toBe(416);
    expect(cacheStatus(response)).toBe("hit");
    expect(cacheLookups(response)).toBe(2);
    expect(response.headers.get("Content-Range")).toBe(`bytes */${SIZE}`);
    expect(response.headers.get("Content-Length")).toBe("0");
  });

  it("asks the cache no range for several ranges: one bare lookup, the whole object", async () => {
    const object = await cachedOnly("multi-range.mp4");
    const response = await request(object.key, { headers: { Range: "bytes=0-9, 100-109" } });
    expect(response.status).toBe(200);
    expect(cacheLookups(response)).toBe(1);
    expect(await bodyBytes(response)).toEqual(object.bytes);
  });

  it("answers a HEAD with Range from one bare lookup, as the full GET's headers", async () => {
    const object = await cachedOnly("ranged-head.mp4");
    const response = await request(object.key, { method: "HEAD", headers: { Range: "bytes=0-9" } });
    expect(response.status).toBe(200);
    expect(cacheLookups(response)).toBe(1);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(response.headers.get("Content-Range")).toBeNull();
  });

  it("stores the object's size with the copy, which the cache's Content-Range must repeat", async () => {
    const object = await seeded("sized.mp4");
    await (await request(object.key)).body?.cancel();
    const cached = await caches.default.match(cacheKeyFor("media", object.key));
    expect(cached?.headers.get("X-Object-Size")).toBe(String(SIZE));
    await cached?.body?.cancel();
  });

  it("never serves a range of a truncated copy (a body shorter than its stored size): the range comes from R2", async () => {
    const object = await seeded("truncated-ranged.mp4", 3000);
    await storeTruncatedCopy(object, { "X-Object-Size": "3000", "Content-Type": "video/mp4" });
    const response = await request(object.key, { headers: { Range: "bytes=0-9" } });
    expect(response.status).toBe(206);
    expect(cacheStatus(response)).toBe("miss");
    expect(response.headers.get("Content-Range")).toBe("bytes 0-9/3000");
    expect(await bodyBytes(response)).toEqual(object.bytes.slice(0, 10));
  });

  it("still answers ranges from a copy stored without its size (by an earlier version), by the whole copy's validators", async () => {
    const object = await seeded("unsized-copy.mp4");
    const stored = await env.MEDIA_BUCKET.head(object.key);
    await caches.default.put(
      cacheKeyFor("media", object.key),
      new Response(object.bytes, {
        headers: {
          "Content-Length": String(SIZE),
          ETag: object.etag,
          "Last-Modified": stored?.uploaded.toUTCString() ?? "",
          "X-Served-From": "main",
          "Cache-Control": "max-age=3600",
        },
      }),
    );
    await env.MEDIA_BUCKET.delete(object.key);
    const response = await request(object.key, { headers: { Range: "bytes=10-19" } });
    expect(response.status).toBe(206);
    expect(cacheStatus(response)).toBe("hit");
    expect(response.headers.get("Content-Range")).toBe(`bytes 10-19/${SIZE}`);
    expect(await bodyBytes(response)).toEqual(object.bytes.slice(10, 20));
  });
});

import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import { mediaPath } from "../../shared/media-token";
import { handleMediaRequest } from "./handle";
import { DEFAULT_SERVED_LOG_RATE, servedLogRate } from "./settings";
import {
  ORIGIN,
  bodyBytes,
  captureLogs,
  fetchMedia,
  fetchToken,
  logRecords,
  mint,
  patternBytes,
  uniqueKey,
} from "./test-kit";

const SIZE = 10_000;

/** Seeds one object in the main bucket and returns its key, bytes and R2 validators. */
async function seeded(name: string, options: { size?: number; contentType?: string; bucket?: R2Bucket } = {}) {
  const key = uniqueKey(name);
  const bytes = patternBytes(options.size ?? SIZE, key.length);
  const bucket = options.bucket ?? env.MEDIA_BUCKET;
  const object = await bucket.put(
    key,
    bytes,
    options.contentType ? { httpMetadata: { contentType: options.contentType } } : undefined,
  );
  return { key, bytes, etag: object.httpEtag, lastModified: object.uploaded.toUTCString() };
}

/** The real handler with some settings changed (vars differ per deployment; bindings stay real). */
async function fetchWithEnv(
  overrides: Partial<Record<keyof MediaEnv, unknown>>,
  key: string,
  init?: RequestInit,
): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`${ORIGIN}${mediaPath(await mint(key))}`, init);
  const response = await handleMediaRequest(request, { ...env, ...overrides } as MediaEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function expectJsonError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
  const body = await response.json<ErrorBody>();
  expect(body.error).toMatchObject({ status, code });
}

describe("a plain GET", () => {
  it("streams the whole object with its validators, exact length and the default policy", async () => {
    const object = await seeded("clip.mp4", { contentType: "video/mp4" });
    const response = await fetchMedia(object.key);
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "accept-ranges": "bytes",
      etag: object.etag,
      "last-modified": object.lastModified,
      "content-type": "video/mp4",
      "content-length": String(SIZE),
      "cache-control": "public, max-age=3600",
      "x-content-type-options": "nosniff",
      "x-served-from": "main",
    });
    expect(response.headers.get("Content-Disposition")).toBeNull();
    expect(response.headers.get("Server-Timing")).toMatch(/^cache;desc=(hit|miss)/);
    expect(await bodyBytes(response)).toEqual(object.bytes);
  });

  it("reports the cache status and I/O spans in Server-Timing", async () => {
    const object = await seeded("timing.mp4");
    const response = await fetchMedia(object.key);
    expect(response.headers.get("Server-Timing")).toMatch(/^cache;desc=miss, cache-io;dur=\d+, r2-io;dur=\d+$/);
    await response.body?.cancel();
  });

  it("answers a JSON 404 when no bucket has the object", async () => {
    const response = await fetchMedia(uniqueKey("missing.mp4"), { headers: { "X-Request-Id": "req-missing-1" } });
    await expectJsonError(response, 404, "not_found");
  });

  it("answers a JSON 404 for paths other than /media/v1/<token>[/<path>]", async () => {
    for (const path of ["/media/v1/", "/media/v1//x", "/media/v2/x", "/media"]) {
      await expectJsonError(await exports.default.fetch(new Request(`${ORIGIN}${path}`)), 404, "not_found");
    }
  });

  it("answers a single-object token with a path after it with the bare 401 (v1.1: only a prefix token takes a path)", async () => {
    const token = await mint("clips/a.mp4");
    const response = await exports.default.fetch(new Request(`${ORIGIN}/media/v1/${token}/extra`));
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    expect(await response.text()).toBe("");
  });

  it.each(["POST", "PUT", "DELETE", "PATCH"])(
    "answers %s with 405 and Allow before looking at the token",
    async (method) => {
      const response = await exports.default.fetch(new Request(`${ORIGIN}/media/v1/not-even-a-token`, { method }));
      await expectJsonError(response, 405, "method_not_allowed");
      expect(response.headers.get("Allow")).toBe("GET, HEAD, OPTIONS");
    },
  );
});

describe("Content-Type and same-origin safety", () => {
  it.each([
    ["clip.mp4", "video/mp4"],
    ["song.mp3", "audio/mpeg"],
    ["poster.JPG", "image/jpeg"],
    ["subs.vtt", "text/vtt"],
    ["blob.bin", "application/octet-stream"],
    ["no-extension", "application/octet-stream"],
  ])("types %s without stored metadata as %s", async (name, type) => {
    const object = await seeded(name, { size: 10 });
    const response = await fetchMedia(object.key);
    expect(response.headers.get("Content-Type")).toBe(type);
    await response.body?.cancel();
  });

  it.each([
    ["page.html", "text/html; charset=utf-8", "text/html;charset=utf-8"],
    ["icon.svg", "image/svg+xml", "image/svg+xml"],
    ["script.js", "text/javascript", "text/javascript"],
    ["doc.xml", "application/xml", "application/xml"],
    ["clip.mp4", "text/html", "text/html"],
  ])("serves %s stored as %s as a sandboxed attachment of type %s", async (name, contentType, served) => {
    const object = await seeded(name, { size: 10, contentType });
    const response = await fetchMedia(object.key);
    expect(response.status).toBe(200);
    // The parsed type serialized (WHATWG MIME Sniffing), never the stored string.
    expect(response.headers.get("Content-Type")).toBe(served);
    expect(response.headers.get("Content-Disposition")).toBe(`attachment; filename="${name}"`);
    expect(response.headers.get("Content-Security-Policy")).toBe("sandbox");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    await response.body?.cancel();
  });

  it("keeps a crafted file name from breaking out of Content-Disposition", async () => {
    const object = await seeded('a"; filename=evil.html', { size: 10, contentType: "text/html" });
    const response = await fetchMedia(object.key);
    expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="a___filename_evil.html"');
    await response.body?.cancel();
  });

  it.each([
    "video/mp4",
    "video/webm",
    "audio/mpeg",
    "image/png",
    "image/jpeg",
    "image/webp",
    "text/vtt",
    "application/vnd.apple.mpegurl",
  ])("serves %s inline", async (contentType) => {
    const object = await seeded("inline", { size: 10, contentType });
    const response = await fetchMedia(object.key);
    expect(response.headers.get("Content-Disposition")).toBeNull();
    expect(response.headers.get("Content-Security-Policy")).toBeNull();
    await response.body?.cancel();
  });
});

describe("Cache-Control by key suffix", () => {
  it("gives /sprite.jpg the immutable policy", async () => {
    const object = await seeded("thumbs/sprite.jpg", { size: 10 });
    const response = await fetchMedia(object.key);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    await response.body?.cancel();
  });

  it.each(["poster.jpg", "notsprite.jpg", "sprite.jpg.bak"])(
    "gives %s the one-hour policy (no wildcard)",
    async (name) => {
      const object = await seeded(name, { size: 10 });
      const response = await fetchMedia(object.key);
      expect(response.headers.get("Cache-Control")).toBe("public, max-age=3600");
      await response.body?.cancel();
    },
  );
});

describe("Range (GET)", () => {
  it.each([
    ["bytes=0-99", 0, 99],
    ["bytes=5000-5999", 5000, 5999],
    ["bytes=9990-", 9990, 9999],
    ["bytes=-10", 9990, 9999],
    ["bytes=9000-20000", 9000, 9999],
  ])("answers %s with 206, the exact Content-Range, Content-Length and bytes", async (range, first, last) => {
    const object = await seeded("range.mp4");
    const response = await fetchMedia(object.key, { headers: { Range: range } });
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe(`bytes ${first}-${last}/${SIZE}`);
    expect(response.headers.get("Content-Length")).toBe(String(last - first + 1));
    expect(response.headers.get("ETag")).toBe(object.etag);
    expect(await bodyBytes(response)).toEqual(object.bytes.slice(first, last + 1));
  });

  it("answers 416 with Content-Range: bytes */size when the range starts past the end", async () => {
    const object = await seeded("past-end.mp4");
    const response = await fetchMedia(object.key, { headers: { Range: `bytes=${SIZE}-` } });
    expect(response.status).toBe(416);
    expect(response.headers.get("Content-Range")).toBe(`bytes */${SIZE}`);
    expect(await response.text()).toBe("");
  });

  it.each(["bytes=abc", "bytes=20-10", "pages=0-1", "bytes=0-9,20-29"])(
    "ignores %s and answers the whole object with 200",
    async (range) => {
      const object = await seeded("ignored.mp4");
      const response = await fetchMedia(object.key, { headers: { Range: range } });
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Length")).toBe(String(SIZE));
      expect(await bodyBytes(response)).toEqual(object.bytes);
    },
  );

  it("answers 206 when If-Range carries the current strong ETag", async () => {
    const object = await seeded("if-range.mp4");
    const response = await fetchMedia(object.key, { headers: { Range: "bytes=0-9", "If-Range": object.etag } });
    expect(response.status).toBe(206);
    expect(await bodyBytes(response)).toEqual(object.bytes.slice(0, 10));
  });

  it("answers 206 when If-Range carries the current Last-Modified", async () => {
    const object = await seeded("if-range-date.mp4");
    const response = await fetchMedia(object.key, { headers: { Range: "bytes=0-9", "If-Range": object.lastModified } });
    expect(response.status).toBe(206);
    await response.body?.cancel();
  });

  it.each([
    ["another ETag", '"0123"'],
    ["a weak ETag", 'W/"x"'],
    ["an older date", "Thu, 01 Jan 2015 00:00:00 GMT"],
    ["junk", "junk"],
  ])("answers the whole object with 200 when If-Range carries %s", async (_name, ifRange) => {
    const object = await seeded("if-range-stale.mp4");
    const response = await fetchMedia(object.key, { headers: { Range: "bytes=0-9", "If-Range": ifRange } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(await bodyBytes(response)).toEqual(object.bytes);
  });
});

describe("conditional requests", () => {
  it("answers If-None-Match with the current ETag by 304 carrying ETag, Last-Modified and Cache-Control", async () => {
    const object = await seeded("inm.mp4");
    const response = await fetchMedia(object.key, { headers: { "If-None-Match": object.etag } });
    expect(response.status).toBe(304);
    expect(response.headers.get("ETag")).toBe(object.etag);
    expect(response.headers.get("Last-Modified")).toBe(object.lastModified);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(await response.text()).toBe("");
  });

  it("answers If-Modified-Since at Last-Modified by 304", async () => {
    const object = await seeded("ims.mp4");
    const response = await fetchMedia(object.key, { headers: { "If-Modified-Since": object.lastModified } });
    expect(response.status).toBe(304);
  });

  it("ignores If-Modified-Since when If-None-Match is present", async () => {
    const object = await seeded("inm-wins.mp4");
    const response = await fetchMedia(object.key, {
      headers: { "If-None-Match": '"other"', "If-Modified-Since": object.lastModified },
    });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it.each([
    ["If-Match with another ETag", { "If-Match": '"other"' }],
    ["If-Match with a malformed ETag (R2 would throw on it)", { "If-Match": "not-an-etag" }],
    ["If-Unmodified-Since before the upload", { "If-Unmodified-Since": "Thu, 01 Jan 2015 00:00:00 GMT" }],
  ])("answers %s by 412", async (_name, headers) => {
    const object = await seeded("412.mp4");
    const response = await fetchMedia(object.key, { headers });
    expect(response.status).toBe(412);
    expect(await response.text()).toBe("");
  });

  it("ignores If-Unmodified-Since when If-Match is present and matches", async () => {
    const object = await seeded("im-wins.mp4");
    const response = await fetchMedia(object.key, {
      headers: { "If-Match": object.etag, "If-Unmodified-Since": "Thu, 01 Jan 2015 00:00:00 GMT" },
    });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it("does not choke on a malformed If-None-Match: it matches nothing", async () => {
    const object = await seeded("inm-junk.mp4");
    const response = await fetchMedia(object.key, { headers: { "If-None-Match": 'W/"unterminated' } });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it("evaluates preconditions before Range: a matching If-None-Match with a Range is 304", async () => {
    const object = await seeded("inm-range.mp4");
    const response = await fetchMedia(object.key, { headers: { "If-None-Match": object.etag, Range: "bytes=0-9" } });
    expect(response.status).toBe(304);
  });
});

describe("HEAD", () => {
  it("answers the headers of the matching GET with no body", async () => {
    const object = await seeded("head.mp4", { contentType: "video/mp4" });
    const response = await fetchMedia(object.key, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(response.headers.get("ETag")).toBe(object.etag);
    expect(response.headers.get("Content-Type")).toBe("video/mp4");
    expect(response.headers.get("Accept-Ranges")).toBe("bytes");
    expect(await response.text()).toBe("");
  });

  it("ignores Range: HEAD with Range answers 200 with the full length", async () => {
    const object = await seeded("head-range.mp4");
    const response = await fetchMedia(object.key, { method: "HEAD", headers: { Range: "bytes=0-9" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(response.headers.get("Content-Range")).toBeNull();
  });

  it("answers a matching If-None-Match by 304", async () => {
    const object = await seeded("head-inm.mp4");
    const response = await fetchMedia(object.key, { method: "HEAD", headers: { "If-None-Match": object.etag } });
    expect(response.status).toBe(304);
  });

  it("answers a JSON 404 for a missing object", async () => {
    const response = await fetchMedia(uniqueKey("missing"), { method: "HEAD" });
    expect(response.status).toBe(404);
  });
});

describe("the fallback bucket", () => {
  it("serves an object only the fallback has, marked X-Served-From: fallback", async () => {
    const object = await seeded("archive.mp4", { bucket: env.MEDIA_FALLBACK_BUCKET });
    const response = await fetchMedia(object.key);
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Served-From")).toBe("fallback");
    expect(await bodyBytes(response)).toEqual(object.bytes);
  });

  it("serves ranges from the fallback too", async () => {
    const object = await seeded("archive-range.mp4", { bucket: env.MEDIA_FALLBACK_BUCKET });
    const response = await fetchMedia(object.key, { headers: { Range: "bytes=10-19" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("X-Served-From")).toBe("fallback");
    expect(await bodyBytes(response)).toEqual(object.bytes.slice(10, 20));
  });

  it("prefers the main bucket when both have the object", async () => {
    const key = uniqueKey("both.mp4");
    await env.MEDIA_FALLBACK_BUCKET.put(key, "fallback copy");
    await env.MEDIA_BUCKET.put(key, "main copy");
    const response = await fetchMedia(key);
    expect(response.headers.get("X-Served-From")).toBe("main");
    expect(await response.text()).toBe("main copy");
  });

  it("is never read with SKIP_FALLBACK=true", async () => {
    const object = await seeded("skipped.mp4", { bucket: env.MEDIA_FALLBACK_BUCKET });
    await expectJsonError(await fetchWithEnv({ SKIP_FALLBACK: "true" }, object.key), 404, "not_found");
  });

  it("gives fallback content the immutable policy with CACHE_FALLBACK=true", async () => {
    const object = await seeded("frozen.mp4", { bucket: env.MEDIA_FALLBACK_BUCKET });
    const response = await fetchWithEnv({ CACHE_FALLBACK: "true" }, object.key);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    await response.body?.cancel();
  });

  it("is not consulted for the assets bucket", async () => {
    const key = uniqueKey("logo.png");
    await env.MEDIA_FALLBACK_BUCKET.put(key, "only in media's fallback");
    await expectJsonError(await fetchMedia(key, undefined, { bkt: "assets" }), 404, "not_found");
  });
});

describe("CORS", () => {
  const ALLOWED = "https://player.example";

  it("allows a listed origin and exposes the headers a player needs to seek", async () => {
    const object = await seeded("cors.mp4");
    const response = await fetchWithEnv({ MEDIA_CORS_ORIGINS: `${ALLOWED}, https://other.example` }, object.key, {
      headers: { Origin: ALLOWED, Range: "bytes=0-9" },
    });
    expect(response.status).toBe(206);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
    expect(response.headers.get("Access-Control-Expose-Headers")).toContain("Content-Range");
    expect(response.headers.get("Access-Control-Expose-Headers")).toContain("Accept-Ranges");
    expect(response.headers.get("Access-Control-Expose-Headers")).toContain("Content-Length");
    expect(response.headers.get("Vary")).toBe("Origin");
    await response.body?.cancel();
  });

  it("gives an unlisted origin no CORS grant", async () => {
    const object = await seeded("cors-denied.mp4");
    const response = await fetchWithEnv({ MEDIA_CORS_ORIGINS: ALLOWED }, object.key, {
      headers: { Origin: "https://evil.example" },
    });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(response.headers.get("Vary")).toBe("Origin");
    await response.body?.cancel();
  });

  it("sends no CORS headers when no origin is configured", async () => {
    const object = await seeded("same-origin.mp4");
    const response = await fetchMedia(object.key, { headers: { Origin: ALLOWED } });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    await response.body?.cancel();
  });

  it("answers a preflight from a listed origin", async () => {
    const response = await fetchWithEnv({ MEDIA_CORS_ORIGINS: ALLOWED }, "clips/a.mp4", {
      method: "OPTIONS",
      headers: { Origin: ALLOWED },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
    expect(response.headers.get("Access-Control-Allow-Headers")).toContain("Range");
  });

  it("grants a preflight and the GET after it the same origin, Vary and exposed headers (one policy for every method)", async () => {
    const object = await seeded("cors-both.mp4");
    const settings = { MEDIA_CORS_ORIGINS: ALLOWED };
    const preflight = await fetchWithEnv(settings, object.key, { method: "OPTIONS", headers: { Origin: ALLOWED } });
    const get = await fetchWithEnv(settings, object.key, { headers: { Origin: ALLOWED } });
    await get.body?.cancel();
    for (const name of ["Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Vary"]) {
      expect(preflight.headers.get(name)).not.toBeNull();
      expect(preflight.headers.get(name)).toBe(get.headers.get(name));
    }
    expect(preflight.headers.get("Access-Control-Allow-Methods")).toBe("GET, HEAD");
    expect(get.headers.get("Access-Control-Allow-Methods")).toBeNull();
  });
});

describe("storage failures", () => {
  it("answers 503 in the JSON shape when R2 throws, and logs it with the request id", async () => {
    // An R2 binding that fails on every call, as R2 does during an outage.
    const failing = {
      head: () => Promise.reject(new Error("R2 unavailable")),
      get: () => Promise.reject(new Error("R2 unavailable")),
    };
    const object = await seeded("outage.mp4");
    const { result: response, lines } = await captureLogs(() =>
      fetchWithEnv({ MEDIA_BUCKET: failing, CACHE_MAX_BYTES: "0" }, object.key, {
        headers: { "X-Request-Id": "req-outage-1" },
      }),
    );
    await expectJsonError(response, 503, "storage_unavailable");
    expect(response.headers.get("Retry-After")).toBe("1");
    expect(logRecords(lines)).toContainEqual(
      expect.objectContaining({
        event: "media-storage-failed",
        requestId: "req-outage-1",
        reason: "storage-failed",
        status: 503,
      }),
    );
  });

  it("answers 503 when the object is replaced between its metadata and its body (real R2 onlyIf)", async () => {
    const object = await seeded("replaced.mp4");
    // Real R2 underneath; the object changes right after head(), as a concurrent upload would.
    const racing = {
      head: async (key: string) => {
        const head = await env.MEDIA_BUCKET.head(key);
        await env.MEDIA_BUCKET.put(key, "a new version");
        return head;
      },
      get: (key: string, options?: R2GetOptions) => env.MEDIA_BUCKET.get(key, options),
    };
    const { result: response, lines } = await captureLogs(() =>
      fetchWithEnv({ MEDIA_BUCKET: racing, CACHE_MAX_BYTES: "0" }, object.key, { headers: { Range: "bytes=0-9" } }),
    );
    await expectJsonError(response, 503, "storage_unavailable");
    expect(logRecords(lines)).toContainEqual(
      expect.objectContaining({ event: "media-storage-failed", reason: "object-changed" }),
    );
  });
});

describe("the request id on every answer", () => {
  // The router hands media's response on untouched, so media itself must put the id it was passed on each one.
  const withId = (init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), "X-Request-Id": "rid-media" },
  });
  it("is on a 200, a 206, a 304, a 416, a 401, a 404 for a missing object, a 404 for a bad path, a 405 and a preflight", async () => {
    const object = await seeded("rid.mp4", { contentType: "video/mp4" });
    const answers = await Promise.all([
      fetchMedia(object.key, withId()),
      fetchMedia(object.key, withId({ headers: { Range: "bytes=0-9" } })),
      fetchMedia(object.key, withId({ headers: { "If-None-Match": object.etag } })),
      fetchMedia(object.key, withId({ headers: { Range: `bytes=${SIZE}-` } })),
      fetchToken("not-a-token", withId()),
      fetchMedia(uniqueKey("never-stored.mp4"), withId()),
      exports.default.fetch(new Request(`${ORIGIN}/media/v2/x`, withId())),
      fetchMedia(object.key, withId({ method: "DELETE" })),
      fetchMedia(object.key, withId({ method: "OPTIONS" })),
    ]);
    expect(answers.map((response) => response.status)).toEqual([200, 206, 304, 416, 401, 404, 404, 405, 204]);
    for (const response of answers) {
      await response.body?.cancel();
      expect(response.headers.get("X-Request-Id")).toBe("rid-media");
    }
  });
});

describe("the media-served log line (MEDIA_SERVED_LOG_RATE)", () => {
  const served = (lines: string[]) => logRecords(lines).filter((record) => record.event === "media-served");

  it("logs every successful delivery at 1, none at 0, and a missing object whatever the rate", async () => {
    const object = await seeded("log-rate.mp4");
    const all = await captureLogs(() =>
      fetchWithEnv({ MEDIA_SERVED_LOG_RATE: "1" }, object.key).then((response) => response.arrayBuffer()),
    );
    expect(served(all.lines)).toEqual([
      expect.objectContaining({ status: 200, requestId: expect.any(String) as string }),
    ]);

    const none = await captureLogs(() =>
      fetchWithEnv({ MEDIA_SERVED_LOG_RATE: "0" }, object.key).then((response) => response.arrayBuffer()),
    );
    expect(served(none.lines)).toEqual([]);

    const missing = await captureLogs(() =>
      fetchWithEnv({ MEDIA_SERVED_LOG_RATE: "0" }, uniqueKey("never-stored.mp4")).then((response) =>
        response.arrayBuffer(),
      ),
    );
    expect(served(missing.lines)).toEqual([expect.objectContaining({ status: 404 })]);
  });

  it("reads the rate as a share from 0 to 1, anything else as the default", () => {
    expect([servedLogRate("0"), servedLogRate("0.25"), servedLogRate("1")]).toEqual([0, 0.25, 1]);
    for (const bad of [undefined, "", " ", "abc", "-0.1", "1.5", "NaN", "Infinity"])
      expect(servedLogRate(bad)).toBe(DEFAULT_SERVED_LOG_RATE);
  });
});

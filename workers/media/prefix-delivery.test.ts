/**
 * v1.1 delivery: everything a `key` token gets (Range, conditionals, the
 * object-keyed cache, the inline allow-list), a prefix token gets for every
 * object under its prefix; `dl` downloads; playlists' short Cache-Control;
 * OPTIONS, 405 and 404 for prefix URLs as for single-object URLs.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import { mediaPath } from "../../shared/media-token";
import { createLogger } from "../../shared/log";
import { DEFAULT_PLAYLIST_MAX_AGE_SECONDS, playlistMaxAge } from "./settings";
import { mediaConfig } from "./config";
import { verifiedTokenCache } from "./token";
import { ORIGIN, answerWithVars, mint, mintPrefix, patternBytes, uniqueKey } from "./test-kit";

const get = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`${ORIGIN}${path}`, init));

/** A fresh prefix with these objects under it (name → body, optional stored type). */
async function ladder(
  objects: Record<string, string | { body: string | Uint8Array; contentType: string }>,
): Promise<string> {
  const prefix = `${uniqueKey("ladder")}/`;
  for (const [name, object] of Object.entries(objects)) {
    if (typeof object === "string") await env.MEDIA_BUCKET.put(`${prefix}${name}`, object);
    else
      await env.MEDIA_BUCKET.put(`${prefix}${name}`, object.body, {
        httpMetadata: { contentType: object.contentType },
      });
  }
  return prefix;
}

function cacheStatus(response: Response): string | undefined {
  return /^cache;desc=(\w+)/.exec(response.headers.get("Server-Timing") ?? "")?.[1];
}

const DISPOSITION = "attachment; filename=\"Clip (final).mp4\"; filename*=UTF-8''Clip%20%28final%29.mp4";

describe("a prefix token serves every object under its prefix like a key token serves one", () => {
  it("answers GET and HEAD for objects at the root and below, with the object's own validators", async () => {
    const prefix = await ladder({ "master.m3u8": "#EXTM3U", "720p/seg_1.m4s": "segment" });
    const base = await mintPrefix(prefix);
    const playlist = await get(`${base}master.m3u8`);
    expect(playlist.status).toBe(200);
    expect(await playlist.text()).toBe("#EXTM3U");
    const head = await get(`${base}720p/seg_1.m4s`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe("7");
    expect(head.headers.get("Accept-Ranges")).toBe("bytes");
    expect(await head.text()).toBe("");
  });

  it("answers a Range with 206 and a matching If-None-Match with 304", async () => {
    const bytes = patternBytes(5000, 9);
    const prefix = await ladder({ "seg.m4s": { body: bytes, contentType: "video/iso.segment" } });
    const base = await mintPrefix(prefix);
    const partial = await get(`${base}seg.m4s`, { headers: { Range: "bytes=100-199" } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get("Content-Range")).toBe("bytes 100-199/5000");
    expect(new Uint8Array(await partial.arrayBuffer())).toEqual(bytes.slice(100, 200));
    const etag = partial.headers.get("ETag") ?? "";
    const unchanged = await get(`${base}seg.m4s`, { headers: { "If-None-Match": etag } });
    expect(unchanged.status).toBe(304);
    await unchanged.body?.cancel();
  });

  it("shares one cache entry per object between prefix tokens and key tokens", async () => {
    const prefix = await ladder({ "seg_9.m4s": { body: patternBytes(2048, 4), contentType: "video/iso.segment" } });
    const first = await answerWithVars(`${await mintPrefix(prefix)}seg_9.m4s`);
    expect(cacheStatus(first)).toBe("miss");
    await first.body?.cancel();
    const otherPrefixToken = await answerWithVars(`${await mintPrefix(prefix)}seg_9.m4s`);
    expect(cacheStatus(otherPrefixToken)).toBe("hit");
    await otherPrefixToken.body?.cancel();
    const keyToken = await answerWithVars(mediaPath(await mint(`${prefix}seg_9.m4s`)));
    expect(cacheStatus(keyToken)).toBe("hit");
    expect(new Uint8Array(await keyToken.arrayBuffer())).toEqual(patternBytes(2048, 4));
  });

  it("checks the path and the address on every request, even for a token the verified-token cache holds", async () => {
    const prefix = await ladder({ "a.m4s": "A" });
    const base = (await mintPrefix(prefix, { ip: "203.0.113.0/24" })).slice(0, -1);
    const from = (clientIp: string, path: string) =>
      get(`${base}${path}`, { headers: { "CF-Connecting-IP": clientIp } });
    expect((await from("203.0.113.5", "/a.m4s")).status).toBe(200);
    const registry = await mediaConfig(env).kidRegistry(createLogger("media"));
    expect(verifiedTokenCache(registry).has(base.slice("/media/v1/".length))).toBe(true);
    for (const [clientIp, path] of [
      ["198.51.100.5", "/a.m4s"],
      ["203.0.113.5", "/a%2Fb.m4s"],
      ["203.0.113.5", ""],
    ] as const) {
      const refused = await from(clientIp, path);
      expect(refused.status, `${clientIp} ${path}`).toBe(401);
      await refused.body?.cancel();
    }
    expect(await (await from("203.0.113.6", "/a.m4s")).text()).toBe("A");
  });

  it("answers a JSON 404 for a missing object under a valid prefix", async () => {
    const prefix = await ladder({});
    const response = await get(`${await mintPrefix(prefix)}nope.m4s`, {
      headers: { "X-Request-Id": "req-prefix-404" },
    });
    expect(response.status).toBe(404);
    const body = await response.json<ErrorBody>();
    expect(body.error).toMatchObject({ status: 404, code: "not_found", requestId: "req-prefix-404" });
  });

  it("answers OPTIONS for a prefix URL before looking at the token, as for a single-object URL", async () => {
    for (const path of [
      "/media/v1/not-a-token/master.m3u8",
      "/media/v1/not-a-token/720p/seg_1.m4s",
      "/media/v1/not-a-token",
    ]) {
      const response = await get(path, { method: "OPTIONS" });
      expect(response.status, path).toBe(204);
      expect(response.headers.get("Allow"), path).toBe("GET, HEAD, OPTIONS");
    }
    const origin = "https://player.example";
    const preflight = await answerWithVars(
      "/media/v1/not-a-token/720p/seg_1.m4s",
      { method: "OPTIONS", headers: { Origin: origin } },
      { MEDIA_CORS_ORIGINS: origin },
    );
    expect(preflight.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    expect(preflight.headers.get("Access-Control-Allow-Headers")).toContain("Range");
  });

  it.each(["POST", "PUT", "DELETE"])(
    "answers %s on a prefix URL with 405 and Allow before looking at the token",
    async (method) => {
      const response = await get("/media/v1/not-a-token/720p/seg_1.m4s", { method });
      expect(response.status).toBe(405);
      expect(response.headers.get("Allow")).toBe("GET, HEAD, OPTIONS");
      expect((await response.json<ErrorBody>()).error.code).toBe("method_not_allowed");
    },
  );
});

describe("a dl download name", () => {
  it("makes 200, 206 and HEAD answers attachments under that name", async () => {
    const key = uniqueKey("clip.mp4");
    await env.MEDIA_BUCKET.put(key, patternBytes(1000));
    const path = mediaPath(await mint(key, { dl: "Clip (final).mp4" }));
    for (const [init, status] of [
      [{}, 200],
      [{ headers: { Range: "bytes=0-9" } }, 206],
      [{ method: "HEAD" }, 200],
    ] as const) {
      const response = await get(path, init);
      expect(response.status).toBe(status);
      expect(response.headers.get("Content-Disposition")).toBe(DISPOSITION);
      await response.body?.cancel();
    }
  });

  it("is not set on 304, 412 and 416, which carry no file", async () => {
    const key = uniqueKey("clip.mp4");
    const stored = await env.MEDIA_BUCKET.put(key, patternBytes(1000));
    const path = mediaPath(await mint(key, { dl: "Clip (final).mp4" }));
    const answers = [
      [304, { "If-None-Match": stored?.httpEtag ?? "" }],
      [412, { "If-Match": '"not-it"' }],
      [416, { Range: "bytes=5000-" }],
    ] as const;
    for (const [status, headers] of answers) {
      const response = await get(path, { headers });
      expect(response.status).toBe(status);
      expect(response.headers.get("Content-Disposition")).toBeNull();
      await response.body?.cancel();
    }
  });

  it("is never stored in the cache: the next token without dl gets the plain inline answer", async () => {
    const key = uniqueKey("shared.mp4");
    await env.MEDIA_BUCKET.put(key, patternBytes(500), { httpMetadata: { contentType: "video/mp4" } });
    const download = await answerWithVars(mediaPath(await mint(key, { dl: "Clip (final).mp4" })));
    expect(download.headers.get("Content-Disposition")).toBe(DISPOSITION);
    await download.body?.cancel();
    const inline = await answerWithVars(mediaPath(await mint(key)));
    expect(cacheStatus(inline)).toBe("hit");
    expect(inline.headers.get("Content-Disposition")).toBeNull();
    await inline.body?.cancel();
    const hitWithDl = await answerWithVars(mediaPath(await mint(key, { dl: "Clip (final).mp4" })));
    expect(cacheStatus(hitWithDl)).toBe("hit");
    expect(hitWithDl.headers.get("Content-Disposition")).toBe(DISPOSITION);
    await hitWithDl.body?.cancel();
  });

  it("replaces the safe attachment name of a non-inline type, and keeps its sandbox", async () => {
    const key = uniqueKey("page.html");
    await env.MEDIA_BUCKET.put(key, "<script>alert(1)</script>", { httpMetadata: { contentType: "text/html" } });
    const response = await get(mediaPath(await mint(key, { dl: "notes.html" })));
    expect(response.headers.get("Content-Disposition")).toBe(
      "attachment; filename=\"notes.html\"; filename*=UTF-8''notes.html",
    );
    expect(response.headers.get("Content-Security-Policy")).toBe("sandbox");
    await response.body?.cancel();
  });

  it("applies to every object under a prefix", async () => {
    const prefix = await ladder({ "a.zip": "A", "b/c.zip": "C" });
    const base = await mintPrefix(prefix, { dl: "bundle.zip" });
    for (const name of ["a.zip", "b/c.zip"]) {
      const response = await get(`${base}${name}`);
      expect(response.headers.get("Content-Disposition")).toBe(
        "attachment; filename=\"bundle.zip\"; filename*=UTF-8''bundle.zip",
      );
      await response.body?.cancel();
    }
  });
});

describe("an HLS or DASH ladder", () => {
  it.each([
    ["master.m3u8", "application/vnd.apple.mpegurl"],
    ["720p/init.mp4", "video/mp4"],
    ["720p/seg_1.m4s", "video/iso.segment"],
    ["audio/seg_1.aac", "audio/aac"],
    ["subs/en.vtt", "text/vtt"],
  ])("serves %s as %s, inline, as players and <track> need", async (name, type) => {
    const prefix = await ladder({ [name]: "x" });
    const response = await get(`${await mintPrefix(prefix)}${name}`);
    expect(response.headers.get("Content-Type")).toBe(type);
    expect(response.headers.get("Content-Disposition")).toBeNull();
    expect(response.headers.get("Content-Security-Policy")).toBeNull();
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    await response.body?.cancel();
  });

  it("serves a DASH manifest (XML) to players, but as a sandboxed attachment to a browser", async () => {
    const prefix = await ladder({ "manifest.mpd": "<MPD/>" });
    const response = await get(`${await mintPrefix(prefix)}manifest.mpd`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/dash+xml");
    expect(response.headers.get("Content-Security-Policy")).toBe("sandbox");
    expect(await response.text()).toBe("<MPD/>");
  });

  it.each(["master.m3u8", "720p/index.M3U8", "manifest.mpd"])(
    "gives the playlist %s the short playlist max-age",
    async (name) => {
      const prefix = await ladder({ [name]: "x", "seg.m4s": "y" });
      const base = await mintPrefix(prefix);
      const playlist = await get(`${base}${name}`);
      expect(playlist.headers.get("Cache-Control")).toBe(`public, max-age=${DEFAULT_PLAYLIST_MAX_AGE_SECONDS}`);
      await playlist.body?.cancel();
      const segment = await get(`${base}seg.m4s`);
      expect(segment.headers.get("Cache-Control")).toBe("public, max-age=3600");
      await segment.body?.cancel();
    },
  );

  it("takes MEDIA_PLAYLIST_MAX_AGE, 0 meaning no-cache, and keeps playlists short even in a frozen fallback", async () => {
    const prefix = await ladder({ "live.m3u8": "#EXTM3U" });
    const path = `${await mintPrefix(prefix)}live.m3u8`;
    const six = await answerWithVars(path, undefined, { MEDIA_PLAYLIST_MAX_AGE: "6", CACHE_MAX_BYTES: "0" });
    expect(six.headers.get("Cache-Control")).toBe("public, max-age=6");
    await six.body?.cancel();
    const zero = await answerWithVars(path, undefined, { MEDIA_PLAYLIST_MAX_AGE: "0", CACHE_MAX_BYTES: "0" });
    expect(zero.headers.get("Cache-Control")).toBe("no-cache");
    await zero.body?.cancel();
    const archive = `${uniqueKey("archive")}/`;
    await env.MEDIA_FALLBACK_BUCKET.put(`${archive}vod.m3u8`, "#EXTM3U");
    const frozen = await answerWithVars(`${await mintPrefix(archive)}vod.m3u8`, undefined, { CACHE_FALLBACK: "true" });
    expect(frozen.headers.get("X-Served-From")).toBe("fallback");
    expect(frozen.headers.get("Cache-Control")).toBe(`public, max-age=${DEFAULT_PLAYLIST_MAX_AGE_SECONDS}`);
    await frozen.body?.cancel();
  });

  it("reads MEDIA_PLAYLIST_MAX_AGE as whole seconds up to a day, else the default", () => {
    expect([playlistMaxAge("0"), playlistMaxAge("6"), playlistMaxAge("86400")]).toEqual([0, 6, 86_400]);
    for (const bad of [undefined, "", "abc", "-1", "1.5", "86401", "Infinity"])
      expect(playlistMaxAge(bad)).toBe(DEFAULT_PLAYLIST_MAX_AGE_SECONDS);
  });
});

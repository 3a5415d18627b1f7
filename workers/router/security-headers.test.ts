/**
 * Security headers on everything the gateway writes itself: the SPA (from
 * public/_headers) and every JSON error, whichever Worker wrote it, carry a
 * Content-Security-Policy with frame-ancestors, X-Content-Type-Options:
 * nosniff and a Referrer-Policy; media answers carry nosniff.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mediaPath } from "../../shared/media-token";
import { signMediaToken } from "../../shared/token-sign";
import { TEST_SECRETS } from "../../test/secrets";

const send = (path: string, init?: RequestInit) =>
  exports.default.fetch(new Request(`https://gateway.test${path}`, { redirect: "manual", ...init }));

function expectDocumentHeaders(response: Response): void {
  expect(response.headers.get("Content-Security-Policy")).toMatch(/frame-ancestors 'none'/);
  expect(response.headers.get("Content-Security-Policy")).toMatch(/default-src/);
  expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  expect(response.headers.get("Referrer-Policy")).toMatch(/^(no-referrer|strict-origin-when-cross-origin)$/);
}

describe("security headers", () => {
  it.each(["/", "/some/client/route"])(
    "the SPA at %s carries CSP with frame-ancestors, nosniff and Referrer-Policy",
    async (path) => {
      const response = await send(path);
      expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
      expectDocumentHeaders(response);
      await response.body?.cancel();
    },
  );

  it("the SPA's CSP adds blob: for MediaSource to media-src and nothing else beyond 'self'", async () => {
    const response = await send("/");
    const directives = Object.fromEntries(
      (response.headers.get("Content-Security-Policy") ?? "").split(";").map((directive) => {
        const [name = "", ...values] = directive.trim().split(/\s+/);
        return [name, values.join(" ")];
      }),
    );
    expect(directives["media-src"]).toBe("'self' blob:");
    // hls.js's worker is a same-origin file: no blob: or other source for scripts and workers.
    expect(directives["script-src"]).toBe("'self'");
    expect(directives["worker-src"]).toBeUndefined();
    expect(directives["default-src"]).toBe("'self'");
    expect(Object.entries(directives).filter(([, value]) => /blob:|\*|https?:|'unsafe/.test(value))).toEqual([
      ["media-src", "'self' blob:"],
    ]);
    await response.body?.cancel();
  });

  it.each([
    ["the router's own 404", "/_nope", {}, 404],
    ["the router's 405", "/_health", { method: "POST" }, 405],
    ["a build-asset miss", "/assets/missing-1.js", {}, 404],
    ["the media Worker's 404", "/media/nope", {}, 404],
    ["the media Worker's 405", "/media/v1/a.b.c", { method: "DELETE" }, 405],
  ])("%s (JSON) carries them too", async (_what, path, init: RequestInit, status) => {
    const response = await send(path, init);
    expect(response.status).toBe(status);
    expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    expectDocumentHeaders(response);
    await response.body?.cancel();
  });

  it("a media object, a 416 and a bad token all carry nosniff", async () => {
    const key = `security/${crypto.randomUUID()}.mp4`;
    await env.MEDIA_BUCKET_FOR_TESTS.put(key, new Uint8Array(100), { httpMetadata: { contentType: "video/mp4" } });
    const token = await signMediaToken({
      key,
      ttlSeconds: 60,
      kid: "v1",
      secret: TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1,
    });
    for (const [path, init] of [
      [mediaPath(token), {}],
      [mediaPath(token), { headers: { Range: "bytes=500-" } }],
      ["/media/v1/not.a.token", {}],
    ] as const) {
      const response = await send(path, init);
      expect(response.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
      await response.body?.cancel();
    }
  });

  it("an object stored as HTML is an attachment in a CSP sandbox, never a page on the app's origin", async () => {
    const key = `security/${crypto.randomUUID()}.html`;
    await env.MEDIA_BUCKET_FOR_TESTS.put(key, "<script>alert(1)</script>", {
      httpMetadata: { contentType: "text/html" },
    });
    const token = await signMediaToken({
      key,
      ttlSeconds: 60,
      kid: "v1",
      secret: TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1,
    });
    const response = await send(mediaPath(token));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Security-Policy")).toBe("sandbox");
    expect(response.headers.get("Content-Disposition")).toMatch(/^attachment/);
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    await response.body?.cancel();
  });
});

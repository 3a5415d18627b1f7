import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import vectors from "../../test/fixtures/media-token-vectors.json";
import { TEST_SECRETS } from "../../test/secrets";
import type { SignResult } from "../../shared/control";
import { MAX_TOKEN_TTL_SECONDS } from "../../shared/media-token";
import { ORIGIN, bodyBytes, patternBytes, uniqueKey } from "./test-kit";

/** The path of a signed result; a refusal fails the test with its message. */
function pathOf(result: SignResult): string {
  if (!result.ok) throw new Error(`sign() refused: ${result.message}`);
  return result.path;
}

describe("sign() over RPC", () => {
  it("returns a /media/v1/<jwt> path, signed with the active kid, that the Worker serves", async () => {
    const key = uniqueKey("signed.mp4");
    const bytes = patternBytes(64);
    await env.MEDIA_BUCKET.put(key, bytes);
    const path = pathOf(await exports.Control.sign({ key, ttl: 120 }));
    expect(path).toMatch(/^\/media\/v1\/[\w-]+\.[\w-]+\.[\w-]+$/);
    const token = path.slice("/media/v1/".length);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "JWT", kid: "v2" });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ key, bkt: "media" });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
    const response = await exports.default.fetch(new Request(`${ORIGIN}${path}`));
    expect(response.status).toBe(200);
    expect(await bodyBytes(response)).toEqual(bytes);
  });

  it("signs for the assets bucket and defaults the lifetime to 300 s", async () => {
    const token = pathOf(await exports.Control.sign({ key: "logo/sprite.jpg", bkt: "assets" })).slice(
      "/media/v1/".length,
    );
    const claims = decodeJwt(token);
    expect(claims.bkt).toBe("assets");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
  });

  it.each([
    ["a key with ..", { key: "a/../b" }, /key refused/],
    ["an empty key", { key: "" }, /key refused/],
    ["an unknown bucket", { key: "a.mp4", bkt: "backups" }, /bkt must be one of media, assets/],
    ["a zero ttl", { key: "a.mp4", ttl: 0 }, /ttl must be/],
    ["a ttl over 24 h", { key: "a.mp4", ttl: MAX_TOKEN_TTL_SECONDS + 1 }, /ttl must be/],
    ["a fractional ttl", { key: "a.mp4", ttl: 1.5 }, /ttl must be/],
    ["both key and pfx", { key: "a.mp4", pfx: "clips/" }, /key and pfx are exclusive/],
    ["a prefix without its trailing slash", { pfx: "clips/0042" }, /pfx refused \(bad-prefix: no-trailing-slash\)/],
    ["an empty prefix", { pfx: "" }, /pfx refused \(bad-prefix: empty\)/],
    ["a download name with a slash", { key: "a.pdf", dl: "../a.pdf" }, /dl refused \(bad-dl\)/],
    ["a download name with CR LF", { key: "a.pdf", dl: "a.pdf\r\nSet-Cookie: x=1" }, /dl refused \(bad-dl\)/],
    ["a download name with a right-to-left override", { key: "a.pdf", dl: "a\u202Efdp.exe" }, /dl refused \(bad-dl\)/],
    ["a download name with a zero-width joiner", { key: "a.pdf", dl: "a\u200Db.pdf" }, /dl refused \(bad-dl\)/],
    ["a download name of three dots", { key: "a.pdf", dl: "..." }, /dl refused \(bad-dl\)/],
    ["an address with host bits past its prefix", { key: "a.mp4", ip: "198.51.100.1/24" }, /ip refused \(bad-ip\)/],
    ["an IPv4-mapped address", { key: "a.mp4", ip: "::ffff:203.0.113.7" }, /ip refused \(bad-ip\)/],
  ])("refuses %s with a clear reason, as a value", async (_name, input, message) => {
    const result = await exports.Control.sign(input);
    expect(result).toMatchObject({ ok: false, reason: "bad-input" });
    expect(result.ok ? "" : result.message).toMatch(message);
  });

  it("signs a prefix as a /media/v1/<jwt>/ base that relative URLs resolve under", async () => {
    const prefix = `${uniqueKey("hls")}/`;
    await env.MEDIA_BUCKET.put(`${prefix}720p/seg_1.m4s`, "segment one");
    const base = pathOf(await exports.Control.sign({ pfx: prefix, ttl: 60 }));
    expect(base).toMatch(/^\/media\/v1\/[\w-]+\.[\w-]+\.[\w-]+\/$/);
    expect(decodeJwt(base.slice("/media/v1/".length, -1))).toMatchObject({ pfx: prefix, bkt: "media" });
    const response = await exports.default.fetch(new Request(new URL("720p/seg_1.m4s", `${ORIGIN}${base}`)));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("segment one");
  });

  it("signs a download name and a client address, the address with the critical v11 header", async () => {
    const key = uniqueKey("report.pdf");
    await env.MEDIA_BUCKET.put(key, "%PDF");
    const path = pathOf(await exports.Control.sign({ key, dl: "Q3 report.pdf", ip: "203.0.113.0/24" }));
    const token = path.slice("/media/v1/".length);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "JWT", kid: "v2", crit: ["v11"], v11: true });
    expect(decodeJwt(token)).toMatchObject({ key, dl: "Q3 report.pdf", ip: "203.0.113.0/24" });
    const inside = await exports.default.fetch(
      new Request(`${ORIGIN}${path}`, { headers: { "CF-Connecting-IP": "203.0.113.9" } }),
    );
    expect(inside.status).toBe(200);
    expect(inside.headers.get("Content-Disposition")).toBe(
      "attachment; filename=\"Q3 report.pdf\"; filename*=UTF-8''Q3%20report.pdf",
    );
    expect(await inside.text()).toBe("%PDF");
    const outside = await exports.default.fetch(
      new Request(`${ORIGIN}${path}`, { headers: { "CF-Connecting-IP": "198.51.100.9" } }),
    );
    expect(outside.status).toBe(401);
    await outside.body?.cancel();
  });
});

describe("status() over RPC", () => {
  it("shows kids with fingerprints, the active kid and the bound buckets, never a secret", async () => {
    const status = await exports.Control.status();
    expect(status).toMatchObject({
      worker: "media",
      activeKid: "v2",
      kids: [
        { kid: "v1", fingerprint: vectors.fingerprints.v1 },
        { kid: "v2", fingerprint: vectors.fingerprints.v2 },
      ],
      refusedKids: [],
      registry: `media_token: active=v2 registry=[v1:${vectors.fingerprints.v1},v2:${vectors.fingerprints.v2}]`,
      buckets: { media: { main: true, fallback: true }, assets: { main: true, fallback: false } },
    });
    const text = JSON.stringify(status);
    expect(text).not.toContain(TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1);
    expect(text).not.toContain(TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2);
  });
});

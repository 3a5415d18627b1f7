import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import vectors from "../../test/fixtures/media-token-vectors.json";
import { TEST_SECRETS } from "../../test/secrets";
import { createLogger } from "../../shared/log";
import { MAX_SIGN_TTL_SECONDS, signMediaPath } from "./control";
import { ORIGIN, bodyBytes, patternBytes, uniqueKey } from "./test-kit";

describe("sign() over RPC", () => {
  it("returns a /media/v1/<jwt> path, signed with the active kid, that the Worker serves", async () => {
    const key = uniqueKey("signed.mp4");
    const bytes = patternBytes(64);
    await env.MEDIA_BUCKET.put(key, bytes);
    const path = await exports.default.sign({ key, ttl: 120 });
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
    const token = (await exports.default.sign({ key: "logo/sprite.jpg", bkt: "assets" })).slice("/media/v1/".length);
    const claims = decodeJwt(token);
    expect(claims.bkt).toBe("assets");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
  });

  it.each([
    ["a key with ..", { key: "a/../b" }, /key refused/],
    ["an empty key", { key: "" }, /key refused/],
    ["an unknown bucket", { key: "a.mp4", bkt: "backups" }, /bkt must be one of media, assets/],
    ["a zero ttl", { key: "a.mp4", ttl: 0 }, /ttl must be/],
    ["a ttl over 24 h", { key: "a.mp4", ttl: MAX_SIGN_TTL_SECONDS + 1 }, /ttl must be/],
    ["a fractional ttl", { key: "a.mp4", ttl: 1.5 }, /ttl must be/],
  ])("refuses %s with a clear error", async (_name, input, message) => {
    // The function behind the RPC method: a rejecting RPC through a test stub leaks an
    // unhandled rejection into the run (workers-sdk #14736), so the error paths call it directly.
    await expect(signMediaPath(input, env, createLogger("media"))).rejects.toThrow(message);
  });
});

describe("status() over RPC", () => {
  it("shows kids with fingerprints, the active kid and the bound buckets, never a secret", async () => {
    const status = await exports.default.status();
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

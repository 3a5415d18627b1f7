import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import vectors from "../../test/fixtures/media-token-vectors.json";
import { TEST_SECRETS } from "../../test/secrets";
import { objectKeyProblem } from "../../shared/token-rules";
import { signMediaToken } from "../../shared/token-sign";
import { ORIGIN, bodyBytes, captureLogs, fetchMedia, fetchToken, logRecords, mint, patternBytes } from "./test-kit";
import { buildKidRegistry, verifyMediaToken } from "./token";

/** The objects the accepted vectors name, seeded so an accepted token really streams. */
const VECTOR_OBJECTS = [
  { bucket: () => env.MEDIA_BUCKET, key: "clips/0001/proxy.mp4", bytes: patternBytes(4096, 1) },
  { bucket: () => env.ASSETS_BUCKET, key: "assets/logo/sprite.jpg", bytes: patternBytes(2048, 2) },
];

beforeAll(async () => {
  for (const object of VECTOR_OBJECTS) await object.bucket().put(object.key, object.bytes);
});

function expectInvalidToken(response: Response): void {
  expect(response.status).toBe(401);
  expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
  expect(response.headers.get("Cache-Control")).toBe("no-store");
}

describe("the PyJWT vectors, through the real Worker", () => {
  const accepted = vectors.vectors.filter((vector) => vector.expect === "accept");
  const rejected = vectors.vectors.filter((vector) => vector.expect === "reject");

  it("has both kinds of vector", () => {
    expect(accepted.length).toBeGreaterThan(0);
    expect(rejected.length).toBeGreaterThan(0);
  });

  it.each(accepted.map((vector) => [vector.name, vector.token]))(
    "accepts %s and streams the object it names",
    async (_name, token) => {
      const response = await fetchToken(token);
      expect(response.status).toBe(200);
      const payload = JSON.parse(atob(token.split(".")[1]?.replace(/-/g, "+").replace(/_/g, "/") ?? "")) as {
        key: string;
      };
      const object = VECTOR_OBJECTS.find((candidate) => candidate.key === payload.key);
      expect(object).toBeDefined();
      expect(await bodyBytes(response)).toEqual(object?.bytes);
    },
  );

  it.each(rejected.map((vector) => [vector.name, vector.token]))("rejects %s with a bare 401", async (_name, token) => {
    const response = await fetchToken(token);
    expectInvalidToken(response);
    expect(await response.text()).toBe("");
  });
});

describe("token failures", () => {
  it("answers 401 for a token that is not a JWS at all", async () => {
    const response = await fetchToken("not-a-token");
    expectInvalidToken(response);
    expect(await response.text()).toBe("");
  });

  it("answers 401 for an absurdly long token without parsing it", async () => {
    expectInvalidToken(await fetchToken(`${"a".repeat(5000)}.b.c`));
  });

  it("accepts a token that expired less than 30 s ago (clock tolerance) and rejects one 31 s past", async () => {
    await env.MEDIA_BUCKET.put("tolerance/clip.mp4", patternBytes(10));
    const now = Math.floor(Date.now() / 1000);
    const within = await fetchMedia("tolerance/clip.mp4", undefined, { ttlSeconds: 60, now: now - 60 - 25 });
    expect(within.status).toBe(200);
    await within.body?.cancel();
    expectInvalidToken(await fetchMedia("tolerance/clip.mp4", undefined, { ttlSeconds: 60, now: now - 60 - 31 }));
  });

  it("logs one sanitized line per rejection: reason, kid and request id, never the token or a secret", async () => {
    const expired = vectors.vectors.find((vector) => vector.name === "expired")?.token ?? "";
    const { lines } = await captureLogs(() =>
      exports.default.fetch(
        new Request(`${ORIGIN}/media/v1/${expired}`, { headers: { "X-Request-Id": "req-expired-1" } }),
      ),
    );
    const rejection = logRecords(lines).find((line) => line.event === "media-token-rejected");
    expect(rejection).toMatchObject({
      level: "warn",
      worker: "media",
      reason: "expired",
      kid: "v1",
      requestId: "req-expired-1",
      status: 401,
      path: "/media/v1/:token",
    });
    const text = lines.join("\n");
    expect(text).not.toContain(expired);
    expect(text).not.toContain(expired.split(".")[1]);
    expect(text).not.toContain(TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1);
    expect(text).not.toContain(TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2);
  });

  it.each([
    ["unknown-kid", "unknown-kid"],
    ["no-kid", "missing-kid"],
    ["wrong-secret", "invalid: signature"],
    ["tampered-payload", "invalid: signature"],
    ["hs512", "bad-alg"],
    ["alg-none", "bad-alg"],
    ["no-exp", "invalid: exp"],
    ["no-key", "missing-key"],
    ["traversal-key", "bad-key: dot-dot-segment"],
    ["unknown-bucket", "unknown-bucket"],
    ["not-yet-valid", "not-yet-valid"],
    ["expired", "expired"],
  ])("gives the vector %s the reason %s", async (name, reason) => {
    const token = vectors.vectors.find((vector) => vector.name === name)?.token ?? "";
    const registry = await buildKidRegistry(TEST_SECRETS.media);
    expect(await verifyMediaToken(token, registry)).toMatchObject({ ok: false, reason });
  });

  it("logs a non-numeric nbf as invalid: nbf, not as not-yet-valid (which would send operators hunting clock skew)", async () => {
    // jose's types insist on a numeric nbf; a hostile minter need not.
    const claims: Record<string, unknown> = { key: "clips/a.mp4", nbf: "soon" };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: "v1" })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1));
    const registry = await buildKidRegistry(TEST_SECRETS.media);
    expect(await verifyMediaToken(token, registry)).toMatchObject({ ok: false, reason: "invalid: nbf" });
  });
});

describe("object keys", () => {
  it.each([
    ["an empty key", "", "missing-key"],
    ["a leading slash", "/etc/passwd", "bad-key: leading-slash"],
    ["a .. segment", "clips/../secret", "bad-key: dot-dot-segment"],
    ["a trailing .. segment", "clips/..", "bad-key: dot-dot-segment"],
    ["a backslash", "clips\\..\\secret", "bad-key: backslash"],
    ["a control character", "clips/a\nb", "bad-key: control-character"],
    ["a C1 control character", "clips/a\u0085b", "bad-key: control-character"],
    ["a lone surrogate", "clips/\ud800", "bad-key: not-unicode"],
    ["1025 bytes", "a".repeat(1025), "bad-key: too-long"],
    ["513 two-byte characters", "é".repeat(513), "bad-key: too-long"],
  ])("refuses %s", (_name, key, reason) => {
    expect(objectKeyProblem(key)).toBe(reason);
  });

  it.each(["clips/0001/proxy.mp4", "a..b/c", "..hidden", "a".repeat(1024), "vidéos/été.mp4"])("accepts %s", (key) => {
    expect(objectKeyProblem(key)).toBeUndefined();
  });

  it("rejects a correctly signed token whose key climbs out with ..", async () => {
    expectInvalidToken(await fetchMedia("clips/../../secret"));
  });

  it("rejects a correctly signed token for a bucket that is not configured", async () => {
    expectInvalidToken(await fetchMedia("clips/0001/proxy.mp4", undefined, { bkt: "backups" }));
  });

  it("rejects a correctly signed token whose bkt is not a string", async () => {
    const { SignJWT } = await import("jose");
    const token = await new SignJWT({ key: "clips/0001/proxy.mp4", bkt: 7 })
      .setProtectedHeader({ alg: "HS256", kid: "v1" })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1));
    expectInvalidToken(await fetchToken(token));
  });
});

describe("the kid registry", () => {
  it("loads every MEDIA_TOKEN_SECRET_V<N>, makes the highest active and prints the backend's line", async () => {
    const registry = await buildKidRegistry(TEST_SECRETS.media);
    expect([...registry.kids.keys()]).toEqual(["v1", "v2"]);
    expect(registry.activeKid).toBe("v2");
    expect(registry.line).toBe(
      `media_token: active=v2 registry=[v1:${vectors.fingerprints.v1},v2:${vectors.fingerprints.v2}]`,
    );
  });

  it("makes MEDIA_TOKEN_ACTIVE_KID active when it names a loaded kid", async () => {
    const registry = await buildKidRegistry({ ...TEST_SECRETS.media, MEDIA_TOKEN_ACTIVE_KID: "v1" });
    expect(registry.activeKid).toBe("v1");
    expect(registry.line).toMatch(/^media_token: active=v1 /);
  });

  it("reports an active kid that is not loaded and falls back to the highest", async () => {
    const registry = await buildKidRegistry({ ...TEST_SECRETS.media, MEDIA_TOKEN_ACTIVE_KID: "v7" });
    expect(registry.activeKid).toBe("v2");
    expect(registry.activeKidProblem).toBe("active-kid-not-loaded");
  });

  it("orders kids by number, not by text (v10 after v9)", async () => {
    const registry = await buildKidRegistry({
      MEDIA_TOKEN_SECRET_V10: "x".repeat(32),
      MEDIA_TOKEN_SECRET_V9: "y".repeat(32),
    });
    expect([...registry.kids.keys()]).toEqual(["v9", "v10"]);
    expect(registry.activeKid).toBe("v10");
  });

  it("refuses a secret shorter than 32 bytes, so its tokens are rejected", async () => {
    const shortSecret = "short-secret-31-bytes-long-xxxx";
    expect(new TextEncoder().encode(shortSecret).byteLength).toBe(31);
    const registry = await buildKidRegistry({
      MEDIA_TOKEN_SECRET_V1: shortSecret,
      MEDIA_TOKEN_SECRET_V2: TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2,
    });
    expect(registry.refused).toEqual([{ kid: "v1", reason: "too-short" }]);
    expect([...registry.kids.keys()]).toEqual(["v2"]);
    const token = await signMediaToken({ key: "k", ttlSeconds: 60, kid: "v1", secret: shortSecret });
    expect(await verifyMediaToken(token, registry)).toMatchObject({ ok: false, reason: "unknown-kid" });
  });

  it("uses the secret's UTF-8 bytes as stored, never base64-decoded", async () => {
    // The vector secrets end in "=": decoding them would change every signature.
    const registry = await buildKidRegistry(TEST_SECRETS.media);
    const token = vectors.vectors.find((vector) => vector.name === "valid-v1-media")?.token ?? "";
    expect(await verifyMediaToken(token, registry)).toMatchObject({
      ok: true,
      kid: "v1",
      key: "clips/0001/proxy.mp4",
      bucket: "media",
    });
  });

  it("ignores names that only look like secrets", async () => {
    const registry = await buildKidRegistry({
      MEDIA_TOKEN_SECRET_V0: "z".repeat(40),
      MEDIA_TOKEN_SECRET_VX: "z".repeat(40),
      MEDIA_TOKEN_SECRET: "z".repeat(40),
    });
    expect(registry.kids.size).toBe(0);
    expect(registry.line).toBe("media_token: active=none registry=[]");
  });

  it("verifies tokens of both kids side by side during a rotation", async () => {
    await env.MEDIA_BUCKET.put("rotation/clip.mp4", patternBytes(16));
    for (const kid of ["v1", "v2"] as const) {
      const response = await fetchToken(await mint("rotation/clip.mp4", { kid }));
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
  });
});

/**
 * The per-isolate cache of successful token verifications: a repeat of the
 * same token skips jose, but is accepted only while jose would accept it,
 * only under the registry that verified it, and the cache stays bounded.
 * Time is passed in (`verifyMediaToken(token, registry, now)`), so expiry is
 * tested at exact instants without waiting.
 */
import { env } from "cloudflare:test";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { CLOCK_TOLERANCE_SECONDS } from "../../shared/media-token";
import { signMediaToken } from "../../shared/token-sign";
import { TEST_SECRETS } from "../../test/secrets";
import vectors from "../../test/fixtures/media-token-vectors.json";
import { fetchToken, mint, patternBytes, uniqueKey } from "./test-kit";
import type { KidRegistry } from "./token";
import { VERIFIED_TOKEN_CACHE_ENTRIES, buildKidRegistry, verifiedTokenCache, verifyMediaToken } from "./token";

const V1 = TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1;
const V2 = TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2;
const encoder = new TextEncoder();

/** A fixed instant (seconds) so every boundary below is exact. */
const T = 1_900_000_000;
const atSeconds = (seconds: number): number => seconds * 1000;

/** A fresh registry with both test kids: its cache starts empty. */
const freshRegistry = (): Promise<KidRegistry> => buildKidRegistry(TEST_SECRETS.media);

/** A v2 token for `key`, issued at T and valid for `ttlSeconds`. */
function tokenAt(key: string, ttlSeconds = 60): Promise<string> {
  return signMediaToken({ key, ttlSeconds, kid: "v2", secret: V2, now: T });
}

/** The token with the character at `index` replaced by another base64url character. */
function withCharacterChanged(token: string, index: number): string {
  const replacement = token[index] === "A" ? "B" : "A";
  return `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
}

describe("a repeated token", () => {
  it("verifies twice with the same result, and is cached after the first", async () => {
    const registry = await freshRegistry();
    const token = await tokenAt("cache/clip.mp4");
    expect(verifiedTokenCache(registry).size).toBe(0);
    const first = await verifyMediaToken(token, registry, atSeconds(T));
    expect(first).toEqual({ ok: true, kid: "v2", key: "cache/clip.mp4", bucket: "media" });
    expect(verifiedTokenCache(registry).size).toBe(1);
    expect(verifiedTokenCache(registry).has(token)).toBe(true);
    expect(await verifyMediaToken(token, registry, atSeconds(T + 1))).toEqual(first);
    expect(verifiedTokenCache(registry).size).toBe(1);
  });

  it("hands out a copy, so a caller that changes its result cannot change the next one", async () => {
    const registry = await freshRegistry();
    const token = await tokenAt("cache/copy.mp4");
    const first = await verifyMediaToken(token, registry, atSeconds(T));
    if (!first.ok || !("key" in first)) throw new Error("the token should verify");
    first.key = "elsewhere.mp4";
    const second = await verifyMediaToken(token, registry, atSeconds(T));
    expect(second).toMatchObject({ ok: true, key: "cache/copy.mp4" });
    if (!second.ok || !("key" in second)) throw new Error("the token should verify");
    second.key = "elsewhere.mp4";
    expect(await verifyMediaToken(token, registry, atSeconds(T))).toMatchObject({ ok: true, key: "cache/copy.mp4" });
  });

  it("never caches a rejection", async () => {
    const registry = await freshRegistry();
    for (const vector of vectors.vectors.filter((candidate) => candidate.expect === "reject")) {
      expect(await verifyMediaToken(vector.token, registry)).toMatchObject({ ok: false });
      expect(await verifyMediaToken(vector.token, registry)).toMatchObject({ ok: false });
    }
    const tooLong = `${"a".repeat(5000)}.b.c`;
    expect(await verifyMediaToken(tooLong, registry)).toEqual({ ok: false, reason: "malformed" });
    expect(verifiedTokenCache(registry).size).toBe(0);
  });

  it("serves every range request of one signed URL through the real Worker", async () => {
    const key = uniqueKey("ranges.mp4");
    const bytes = patternBytes(1000, 3);
    await env.MEDIA_BUCKET.put(key, bytes);
    const token = await mint(key);
    for (const [start, end] of [
      [0, 99],
      [100, 599],
      [600, 999],
      [0, 99],
    ] as const) {
      const response = await fetchToken(token, { headers: { Range: `bytes=${start}-${end}` } });
      expect(response.status).toBe(206);
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes.slice(start, end + 1));
    }
  });
});

describe("time on a cache hit", () => {
  /** Instants (seconds after T) around exp = T + 60 and exp + tolerance = T + 90. */
  const EXP_INSTANTS = [0, 30, 59, 60, 61, 89, 89.999, 90, 91, 3600];

  it("gives, at every instant around expiry, the answer a registry that never saw the token gives", async () => {
    const warm = await freshRegistry();
    const token = await tokenAt("cache/expiry.mp4", 60);
    await verifyMediaToken(token, warm, atSeconds(T));
    for (const offset of EXP_INSTANTS) {
      const now = atSeconds(T + offset);
      const cold = await verifyMediaToken(token, await freshRegistry(), now);
      expect(await verifyMediaToken(token, warm, now), `at T+${String(offset)} s`).toEqual(cold);
    }
  });

  it("rejects a cached token as expired once now passes exp + tolerance, and drops it", async () => {
    const registry = await freshRegistry();
    const token = await tokenAt("cache/expired.mp4", 60);
    expect(await verifyMediaToken(token, registry, atSeconds(T))).toMatchObject({ ok: true });
    // exp = T + 60: jose accepts while exp > now - tolerance, i.e. up to the last millisecond before T + 90.
    const lastAccepted = atSeconds(T + 60 + CLOCK_TOLERANCE_SECONDS) - 1;
    expect(verifiedTokenCache(registry).has(token)).toBe(true);
    expect(await verifyMediaToken(token, registry, lastAccepted)).toMatchObject({ ok: true });
    expect(verifiedTokenCache(registry).has(token)).toBe(true);
    expect(await verifyMediaToken(token, registry, lastAccepted + 1)).toEqual({
      ok: false,
      reason: "expired",
      kid: "v2",
    });
    expect(verifiedTokenCache(registry).has(token)).toBe(false);
    expect(await verifyMediaToken(token, registry, lastAccepted + 1)).toEqual({
      ok: false,
      reason: "expired",
      kid: "v2",
    });
    expect(verifiedTokenCache(registry).size).toBe(0);
  });

  it("honours nbf on a hit: a cached token is not yet valid at an instant before nbf - tolerance", async () => {
    const registry = await freshRegistry();
    const nbf = T + 100;
    const token = await new SignJWT({ key: "cache/nbf.mp4" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: "v1" })
      .setNotBefore(nbf)
      .setExpirationTime(T + 400)
      .sign(encoder.encode(V1));
    // jose accepts from nbf - tolerance on: T + 70.
    const firstAccepted = atSeconds(nbf - CLOCK_TOLERANCE_SECONDS);
    expect(await verifyMediaToken(token, registry, firstAccepted)).toMatchObject({ ok: true, kid: "v1" });
    expect(verifiedTokenCache(registry).has(token)).toBe(true);
    // A clock stepped back (NTP) finds the token cached but not yet valid.
    expect(await verifyMediaToken(token, registry, firstAccepted - 1)).toEqual({
      ok: false,
      reason: "not-yet-valid",
      kid: "v1",
    });
    expect(verifiedTokenCache(registry).has(token)).toBe(false);
    expect(await verifyMediaToken(token, registry, firstAccepted)).toMatchObject({ ok: true, kid: "v1" });
    for (const offset of [-1000, -1, 0, 999, 299_000, 330_000]) {
      const now = firstAccepted + offset;
      expect(await verifyMediaToken(token, registry, now), `at ${String(offset)} ms`).toEqual(
        await verifyMediaToken(token, await freshRegistry(), now),
      );
    }
  });
});

describe("what a hit is", () => {
  it("is the exact string: a token one character away is not a hit and is rejected", async () => {
    const registry = await freshRegistry();
    const token = await tokenAt("cache/exact.mp4");
    expect(await verifyMediaToken(token, registry, atSeconds(T))).toMatchObject({ ok: true });
    const [header = "", payload = ""] = token.split(".");
    // Not the last character: its low bits are padding, and a lenient base64url decoder may read the same signature.
    const inSignature = withCharacterChanged(token, header.length + payload.length + 2 + 10);
    const inPayload = withCharacterChanged(token, header.length + 1 + 10);
    for (const tampered of [inSignature, inPayload]) {
      expect(tampered).not.toBe(token);
      expect(tampered.length).toBe(token.length);
      expect(await verifyMediaToken(tampered, registry, atSeconds(T))).toEqual({
        ok: false,
        reason: "invalid: signature",
        kid: "v2",
      });
      expect(verifiedTokenCache(registry).has(tampered)).toBe(false);
    }
    expect(verifiedTokenCache(registry).size).toBe(1);
    expect(await verifyMediaToken(token, registry, atSeconds(T))).toMatchObject({ ok: true });
  });

  it("belongs to one registry: a token cached under A is rejected by a B without its kid, or with another secret for it", async () => {
    const registryA = await freshRegistry();
    const token = await signMediaToken({ key: "cache/rotated.mp4", ttlSeconds: 60, kid: "v1", secret: V1, now: T });
    expect(await verifyMediaToken(token, registryA, atSeconds(T))).toMatchObject({ ok: true, kid: "v1" });
    expect(verifiedTokenCache(registryA).has(token)).toBe(true);

    // After a rotation removed v1.
    const registryB = await buildKidRegistry({ MEDIA_TOKEN_SECRET_V2: V2 });
    expect(verifiedTokenCache(registryB).size).toBe(0);
    expect(await verifyMediaToken(token, registryB, atSeconds(T))).toEqual({
      ok: false,
      reason: "unknown-kid",
      kid: "v1",
    });

    // v1 put again with a different secret.
    const registryC = await buildKidRegistry({
      MEDIA_TOKEN_SECRET_V1: "another-secret-of-at-least-32-bytes!",
      MEDIA_TOKEN_SECRET_V2: V2,
    });
    expect(await verifyMediaToken(token, registryC, atSeconds(T))).toEqual({
      ok: false,
      reason: "invalid: signature",
      kid: "v1",
    });

    expect(verifiedTokenCache(registryB).size).toBe(0);
    expect(verifiedTokenCache(registryC).size).toBe(0);
    expect(await verifyMediaToken(token, registryA, atSeconds(T))).toMatchObject({ ok: true, kid: "v1" });
  });
});

describe("the bound", () => {
  it(`keeps at most ${String(VERIFIED_TOKEN_CACHE_ENTRIES)} tokens, evicting the least recently used`, async () => {
    const registry = await freshRegistry();
    const signingKey = registry.kids.get("v2")?.key;
    if (signingKey === undefined) throw new Error("the test registry has v2");
    const tokens = await Promise.all(
      Array.from({ length: VERIFIED_TOKEN_CACHE_ENTRIES + 1 }, (_, i) =>
        signMediaToken({ key: `bound/${String(i)}.mp4`, ttlSeconds: 600, kid: "v2", secret: signingKey, now: T }),
      ),
    );
    const [first = "", second = "", third = ""] = tokens;
    const last = tokens.at(-1) ?? "";
    const now = atSeconds(T);
    for (const token of tokens.slice(0, VERIFIED_TOKEN_CACHE_ENTRIES))
      expect(await verifyMediaToken(token, registry, now)).toMatchObject({ ok: true });
    expect(verifiedTokenCache(registry).size).toBe(VERIFIED_TOKEN_CACHE_ENTRIES);

    // A hit makes the first token the most recently used: the second is now the least.
    expect(await verifyMediaToken(first, registry, now)).toMatchObject({ ok: true, key: "bound/0.mp4" });
    expect(await verifyMediaToken(last, registry, now)).toMatchObject({ ok: true });

    const cache = verifiedTokenCache(registry);
    expect(cache.size).toBe(VERIFIED_TOKEN_CACHE_ENTRIES);
    expect(cache.has(first)).toBe(true);
    expect(cache.has(last)).toBe(true);
    expect(cache.has(second)).toBe(false);
    expect(cache.has(third)).toBe(true);

    // The evicted token still verifies, in full, and evicts the next least recently used.
    expect(await verifyMediaToken(second, registry, now)).toMatchObject({ ok: true, key: "bound/1.mp4" });
    expect(verifiedTokenCache(registry).size).toBe(VERIFIED_TOKEN_CACHE_ENTRIES);
    expect(verifiedTokenCache(registry).has(third)).toBe(false);
  });
});

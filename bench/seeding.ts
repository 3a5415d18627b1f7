/**
 * The objects the bench seeds in local R2 and the tokens it signs for them:
 * keys, sizes, the seed Worker's calls, and the cache fill every section
 * starts from.
 */
import { mediaPath, mediaPrefixPath } from "../shared/media-token.ts";
import { signMediaToken } from "../shared/token-sign.ts";
import type { BenchSecrets, Gateway } from "./harness.ts";

export const SMALL_KEY = "bench/64k.mp4";
/** A prefix token's scope over SMALL_KEY, and the path under it: the same object, as a player fetches a segment. */
const SMALL_PREFIX = "bench/";
const SMALL_UNDER_PREFIX = "64k.mp4";
export const SMALL_BYTES = 64 * 1024;
export const LARGE_KEY = "bench/1g.mp4";
/** The 16 KiB range of the ranged variants (a hit's and a miss's). */
export const RANGE_16K = "bytes=1024-17407";
/** Where the media Worker stores SMALL_KEY in the Cache API (its cache key for bucket `media`). */
export const SMALL_CACHE_KEY = `https://media-cache.invalid/media/${encodeURIComponent(SMALL_KEY)}`;

/** The bytes the seed Worker writes for a small object (the same pattern), for nginx's copy. */
export function seededBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i % (1024 * 1024)) % 251;
  return bytes;
}

/** Writes an object of `size` bytes to local R2 through the seed Worker; returns the seconds it took. */
export async function seed(url: string, key: string, size: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/?key=${encodeURIComponent(key)}&size=${size}&type=video%2Fmp4`, {
    method: "PUT",
  });
  if (!response.ok) throw new Error(`bench: seeding ${key} answered ${response.status}: ${await response.text()}`);
  return (performance.now() - started) / 1000;
}

/** The ranged misses' objects: one per request counted (a fill makes the next request of its object a hit). */
export function rangedMissKey(index: number): string {
  return `bench/miss/${index}.mp4`;
}

/** Seeds `count` small objects for the ranged-miss variant (rangedMissKey), a few at a time. */
export async function seedRangedMisses(url: string, count: number): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < count) await seed(url, rangedMissKey(next++), SMALL_BYTES);
  };
  await Promise.all(Array.from({ length: 8 }, loop));
}

/** Paths signed for one gateway instance (each start has its own token secret). */
export interface SignedPaths {
  small: string;
  large: string;
  /** The small object under a prefix token (`pfx`). */
  smallUnderPrefix: string;
  /** The same object, each path with a token of its own. */
  freshSmall: readonly string[];
  /** One path per ranged-miss object (rangedMissKey), in order. */
  rangedMiss: readonly string[];
}

/**
 * Signs `freshCount` distinct tokens for the small object (they differ in
 * `exp`), besides the one reused everywhere, and one for each of `missCount`
 * ranged-miss objects.
 */
export async function signedPaths(secrets: BenchSecrets, freshCount: number, missCount = 0): Promise<SignedPaths> {
  const now = Math.floor(Date.now() / 1000);
  const secret = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secrets.mediaTokenSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sign = (key: string, ttlSeconds = 3600): Promise<string> =>
    signMediaToken({ key, ttlSeconds, kid: "v1", secret, now });
  const fresh = await Promise.all(Array.from({ length: freshCount }, (_, i) => sign(SMALL_KEY, 3601 + i)));
  const prefixToken = await signMediaToken({ pfx: SMALL_PREFIX, ttlSeconds: 3600, kid: "v1", secret, now });
  return {
    small: mediaPath(await sign(SMALL_KEY)),
    large: mediaPath(await sign(LARGE_KEY)),
    smallUnderPrefix: `${mediaPrefixPath(prefixToken)}${SMALL_UNDER_PREFIX}`,
    freshSmall: fresh.map(mediaPath),
    rangedMiss: (await Promise.all(Array.from({ length: missCount }, (_, i) => sign(rangedMissKey(i))))).map(mediaPath),
  };
}

/**
 * Fills the cache through the media Worker itself, then makes sure the bare
 * cache Worker sees an entry (seeding one if not); true when it saw the
 * media Worker's own entry (one cache shared by every Worker in the instance).
 */
export async function fillCache(gateway: Gateway, paths: SignedPaths): Promise<boolean> {
  await fetch(`${gateway.url("media")}${paths.small}`).then((response) => response.arrayBuffer());
  await new Promise((resolve) => setTimeout(resolve, 500));
  const probe = await fetch(gateway.url("bareCache"));
  await probe.arrayBuffer();
  if (probe.status === 200) return true;
  await fetch(gateway.url("bareCache"), { method: "POST" }).then((response) => response.text());
  return false;
}

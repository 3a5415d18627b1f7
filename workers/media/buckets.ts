/**
 * The one map from a token's `bkt` claim to R2 bindings. Adding a bucket means
 * adding a line here and a binding in wrangler.media.toml; the token check,
 * `sign()`, `status()` and delivery all read this table.
 */
import { DEFAULT_BUCKET_NAME } from "../../shared/media-token";
import type { ServedFrom } from "../../shared/log";

/** Bindings behind one `bkt` value: the main bucket, and optionally a read-only fallback. */
interface BucketBindings {
  readonly main: "MEDIA_BUCKET" | "ASSETS_BUCKET";
  readonly fallback?: "MEDIA_FALLBACK_BUCKET";
}

export const MEDIA_BUCKETS = {
  media: { main: "MEDIA_BUCKET", fallback: "MEDIA_FALLBACK_BUCKET" },
  assets: { main: "ASSETS_BUCKET" },
} as const satisfies Record<string, BucketBindings>;

export type BucketName = keyof typeof MEDIA_BUCKETS;

/** The bucket a token names when its `bkt` claim is absent (the contract's default). */
export const DEFAULT_BUCKET: BucketName = DEFAULT_BUCKET_NAME;

/** True when `value` names a configured bucket. */
export function isBucketName(value: unknown): value is BucketName {
  return typeof value === "string" && Object.hasOwn(MEDIA_BUCKETS, value);
}

/** What delivery needs from a bucket: the two reads it makes (an R2Bucket satisfies it). */
export interface ObjectSource {
  head(key: string): Promise<R2Object | null>;
  get(key: string, options?: R2GetOptions): Promise<R2ObjectBody | R2Object | null>;
}

/** The buckets to try for one `bkt`, in order, each with the name `X-Served-From` reports. */
export interface BucketChain {
  bucket: BucketName;
  sources: { servedFrom: ServedFrom; source: ObjectSource }[];
}

/** Every bucket's chain: main first, then the fallback when one is configured and `skipFallback` is false. */
export function bucketChains(env: MediaEnv, skipFallback: boolean): Record<BucketName, BucketChain> {
  const chains = {} as Record<BucketName, BucketChain>;
  for (const [bucket, bindings] of Object.entries(MEDIA_BUCKETS) as [BucketName, BucketBindings][]) {
    const sources: BucketChain["sources"] = [{ servedFrom: "main", source: env[bindings.main] }];
    if (bindings.fallback !== undefined && !skipFallback)
      sources.push({ servedFrom: "fallback", source: env[bindings.fallback] });
    chains[bucket] = { bucket, sources };
  }
  return chains;
}

/** Which buckets this deployment has bound, for `status()` (names only, no contents). */
export function boundBuckets(
  env: MediaEnv,
  skipFallback: boolean,
): Record<BucketName, { main: boolean; fallback: boolean }> {
  const bound = (name: keyof MediaEnv): boolean => (env as unknown as Record<string, unknown>)[name] !== undefined;
  const result = {} as Record<BucketName, { main: boolean; fallback: boolean }>;
  for (const [bucket, bindings] of Object.entries(MEDIA_BUCKETS) as [BucketName, BucketBindings][]) {
    result[bucket] = {
      main: bound(bindings.main),
      fallback: bindings.fallback !== undefined && bound(bindings.fallback) && !skipFallback,
    };
  }
  return result;
}

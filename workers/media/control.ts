/**
 * The media Worker's control path over RPC: `sign()` hands out media paths
 * to other Workers (which never hold the secrets), `status()` shows what is
 * loaded (fingerprints, never values).
 */
import type { Logger } from "../../shared/log";
import { mediaPath, signMediaToken } from "../../shared/media-token";
import type { VersionInfo } from "../../shared/health";
import { versionInfo } from "../../shared/health";
import type { BucketName } from "./buckets";
import { DEFAULT_BUCKET, MEDIA_BUCKETS, boundBuckets, isBucketName } from "./buckets";
import { mediaConfig } from "./config";
import { objectKeyProblem } from "./token";

/** Default and largest lifetime of a token from `sign()`: long enough for a film, short enough to expire a leak. */
const DEFAULT_SIGN_TTL_SECONDS = 300;
export const MAX_SIGN_TTL_SECONDS = 24 * 60 * 60;

export interface SignInput {
  key: string;
  bkt?: string;
  /** Seconds; 1 to 86400, 300 when absent. */
  ttl?: number;
}

export interface MediaStatus {
  worker: "media";
  version: VersionInfo;
  activeKid: string | null;
  kids: { kid: string; fingerprint: string }[];
  /** Secrets present but refused (too short), by kid. */
  refusedKids: string[];
  /** The registry line in the backend's format. */
  registry: string;
  buckets: Record<BucketName, { main: boolean; fallback: boolean }>;
}

/** A `/media/v1/<jwt>` path for one object, signed with the active kid. Throws a TypeError/RangeError on bad input. */
export async function signMediaPath(input: SignInput, env: MediaEnv, log: Logger): Promise<string> {
  if (typeof input !== "object" || input === null) throw new TypeError("sign() takes { key, bkt?, ttl? }");
  const keyProblem = objectKeyProblem(input.key);
  if (keyProblem !== undefined) throw new TypeError(`sign(): key refused (${keyProblem})`);
  const bucket = input.bkt ?? DEFAULT_BUCKET;
  if (!isBucketName(bucket)) throw new TypeError(`sign(): bkt must be one of ${Object.keys(MEDIA_BUCKETS).join(", ")}`);
  const ttl = input.ttl ?? DEFAULT_SIGN_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_SIGN_TTL_SECONDS) {
    throw new RangeError(`sign(): ttl must be a whole number of seconds from 1 to ${MAX_SIGN_TTL_SECONDS}`);
  }
  const registry = await mediaConfig(env).kidRegistry(log);
  const active = registry.activeKid === undefined ? undefined : registry.kids.get(registry.activeKid);
  if (active === undefined) throw new Error("sign(): no media token secret is loaded");
  const token = await signMediaToken({ key: input.key, bkt: bucket, ttlSeconds: ttl, kid: active.kid, secret: active.key });
  return mediaPath(token);
}

/** What this isolate has loaded: kids and fingerprints, the active kid, the bound buckets. */
export async function mediaStatus(env: MediaEnv, log: Logger): Promise<MediaStatus> {
  const config = mediaConfig(env);
  const registry = await config.kidRegistry(log);
  return {
    worker: "media",
    version: versionInfo(env.VERSION),
    activeKid: registry.activeKid ?? null,
    kids: [...registry.kids.values()].map(({ kid, fingerprint }) => ({ kid, fingerprint })),
    refusedKids: registry.refused.map(({ kid }) => kid),
    registry: registry.line,
    buckets: boundBuckets(env, config.skipFallback),
  };
}

/**
 * The media Worker's control path over RPC (the contract is shared/control.ts):
 * `sign()` hands out media paths to other Workers (which never hold the
 * secrets), `status()` shows what is loaded (fingerprints, never values).
 */
import type { MediaStatus, SignInput, SignResult } from "../../shared/control";
import { isUploadMintInput } from "../../shared/control";
import type { Logger } from "../../shared/log";
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  MEDIA_UPLOADS_PATH,
  mintedPath,
  mintProblem,
  newUploadJti,
  signMediaToken,
  signUploadToken,
  uploadMintProblem,
} from "../../shared/media-token";
import { versionInfo } from "../../shared/health";
import type { BucketName } from "./buckets";
import { DEFAULT_BUCKET, MEDIA_BUCKETS, boundBuckets } from "./buckets";
import { mediaConfig } from "./config";
import { uploadSettings } from "./uploads/settings";

/** A media path signed with the active kid, or the refusal: bad input, or no secret loaded. */
export async function signMediaPath(input: SignInput, env: MediaEnv, log: Logger): Promise<SignResult> {
  const upload = isUploadMintInput(input);
  const problem = upload
    ? uploadMintProblem(input, Object.keys(MEDIA_BUCKETS), uploadSettings(env).maxSize)
    : mintProblem(input, Object.keys(MEDIA_BUCKETS));
  if (problem !== undefined) return { ok: false, reason: "bad-input", message: `sign(): ${problem}` };
  const registry = await mediaConfig(env).kidRegistry(log);
  const active = registry.activeKid === undefined ? undefined : registry.kids.get(registry.activeKid);
  if (active === undefined)
    return { ok: false, reason: "no-signing-key", message: "sign(): no media token secret is loaded" };
  if (upload) {
    const jti = input.jti ?? newUploadJti();
    const token = await signUploadToken({
      put: input.put,
      bkt: input.bkt,
      max: input.max,
      ct: input.ct,
      jti,
      replace: input.replace,
      ttlSeconds: input.ttl ?? DEFAULT_TOKEN_TTL_SECONDS,
      kid: active.kid,
      secret: active.key,
    });
    return { ok: true, path: MEDIA_UPLOADS_PATH, token, jti };
  }
  const { key, pfx, dl, ip } = input;
  const token = await signMediaToken({
    key,
    pfx,
    bkt: input.bkt ?? DEFAULT_BUCKET,
    dl,
    ip,
    ttlSeconds: input.ttl ?? DEFAULT_TOKEN_TTL_SECONDS,
    kid: active.kid,
    secret: active.key,
  });
  return { ok: true, path: mintedPath(token, { pfx }) };
}

/** What this isolate has loaded: kids and fingerprints, the active kid, the bound buckets. */
export async function mediaStatus(env: MediaEnv, log: Logger): Promise<MediaStatus<BucketName>> {
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

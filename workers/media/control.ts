/**
 * The media Worker's control path over RPC (the contract is shared/control.ts):
 * `sign()` hands out media paths to other Workers (which never hold the
 * secrets), `status()` shows what is loaded (fingerprints, never values).
 */
import type { MediaStatus, SignResult } from "../../shared/control";
import type { Logger } from "../../shared/log";
import type { MintInput } from "../../shared/mint-input";
import { readMintInput } from "../../shared/mint-input";
import { mintToken } from "../../shared/token-sign";
import { versionInfo } from "../../shared/health";
import type { BucketName } from "./buckets";
import { DEFAULT_BUCKET, MEDIA_BUCKETS, boundBuckets } from "./buckets";
import { mediaConfig } from "./config";
import { uploadSettings } from "./uploads/settings";

/** A media path signed with the active kid, or the refusal: bad input, or no secret loaded. */
export async function signMediaPath(asked: MintInput, env: MediaEnv, log: Logger): Promise<SignResult> {
  const input = readMintInput(asked, { buckets: Object.keys(MEDIA_BUCKETS), largest: uploadSettings(env).maxSize });
  if ("problem" in input) return { ok: false, reason: "bad-input", message: `sign(): ${input.message}` };
  const registry = await mediaConfig(env).kidRegistry(log);
  const active = registry.activeKid === undefined ? undefined : registry.kids.get(registry.activeKid);
  if (active === undefined)
    return { ok: false, reason: "no-signing-key", message: "sign(): no media token secret is loaded" };
  // A download token from sign() always names its bucket.
  const named = input.put === undefined ? { ...input, bkt: input.bkt ?? DEFAULT_BUCKET } : input;
  const minted = await mintToken(named, { kid: active.kid, secret: active.key });
  return minted.jti === undefined
    ? { ok: true, path: minted.path }
    : { ok: true, path: minted.path, token: minted.token, jti: minted.jti };
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

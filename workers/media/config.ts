/**
 * Everything the media Worker derives from its Env (settings, bucket chains,
 * the kid registry, the cache or none), built once per Env object and handed
 * down to every request: vars, secrets and bindings are fixed for a deployed
 * version, so nothing here is re-read on the request path.
 */
import type { Logger } from "../../shared/log";
import { parsedPerEnv } from "../../shared/per-env";
import type { BucketChain, BucketName } from "./buckets";
import { bucketChains } from "./buckets";
import type { DeliverySettings } from "./settings";
import { deliverySettingsOf } from "./settings";
import type { KidRegistry } from "./token";
import { buildKidRegistry } from "./token";

export interface MediaConfig {
  settings: DeliverySettings;
  /** SKIP_FALLBACK as read once: no fallback bucket is ever looked up. */
  skipFallback: boolean;
  /** The buckets to try for each `bkt`, in order. */
  chains: Readonly<Record<BucketName, BucketChain>>;
  /** `caches.default`, or undefined when CACHE_MAX_BYTES=0 turns the edge cache off. */
  cache: Cache | undefined;
  /**
   * The kid registry: built, and its line logged to `log`, on first use only
   * (key imports stay off the request path after that); a failed build is
   * retried by the next call.
   */
  kidRegistry(log: Logger): Promise<KidRegistry>;
}

/** Builds the registry once and logs what it loaded (and refused) the one time it is built. */
function lazyKidRegistry(env: MediaEnv): (log: Logger) => Promise<KidRegistry> {
  let registry: Promise<KidRegistry> | undefined;
  return (log) => {
    registry ??= buildKidRegistry(env).then(
      (built) => {
        log.info("media-token-registry", { registry: built.line, kid: built.activeKid ?? "none" });
        for (const { kid, reason } of built.refused) log.error("media-token-secret-refused", { kid, reason });
        if (built.activeKidProblem) log.error("media-token-active-kid", { reason: built.activeKidProblem });
        return built;
      },
      (error: unknown) => {
        registry = undefined;
        throw error;
      },
    );
    return registry;
  };
}

/** The media configuration of this Env, built on first use. */
export const mediaConfig: (env: MediaEnv) => MediaConfig = parsedPerEnv((env: MediaEnv): MediaConfig => {
  const settings = deliverySettingsOf(env);
  const skipFallback = env.SKIP_FALLBACK === "true";
  return {
    settings,
    skipFallback,
    chains: bucketChains(env, skipFallback),
    cache: settings.cacheMaxBytes > 0 ? caches.default : undefined,
    kidRegistry: lazyKidRegistry(env),
  };
});

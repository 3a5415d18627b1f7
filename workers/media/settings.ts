/** The media Worker's settings from its vars, parsed once per isolate with safe defaults. */
import { numberSetting, parsedPerEnv } from "../../shared/per-env";
import type { DeliverySettings } from "./deliver";
import { corsOrigins } from "./policy";

/** Default cache cap: small enough that a fill finishes inside waitUntil's 30 s. */
export const DEFAULT_CACHE_MAX_BYTES = 100 * 1024 * 1024;
/** The Cache API's largest cacheable object below the Enterprise plan. */
export const CACHE_API_MAX_BYTES = 512 * 1024 * 1024;

/** CACHE_MAX_BYTES as a number: invalid means the default, above 512 MB means 512 MB, 0 turns the cache off. */
export function cacheMaxBytes(setting: string | undefined): number {
  const value = numberSetting(setting);
  if (value === undefined || !Number.isSafeInteger(value) || value < 0) return DEFAULT_CACHE_MAX_BYTES;
  return Math.min(value, CACHE_API_MAX_BYTES);
}

/** Default share of successful deliveries logged: enough for cache hit rates, not a line per range request. */
export const DEFAULT_SERVED_LOG_RATE = 0.01;

/** MEDIA_SERVED_LOG_RATE as a share from 0 to 1; anything else means the default. */
export function servedLogRate(setting: string | undefined): number {
  const value = numberSetting(setting);
  return value !== undefined && value >= 0 && value <= 1 ? value : DEFAULT_SERVED_LOG_RATE;
}

/** Default playlist lifetime: about half a live stream's segment duration, so a player's reload sees the new segment. */
export const DEFAULT_PLAYLIST_MAX_AGE_SECONDS = 2;

/** MEDIA_PLAYLIST_MAX_AGE as whole seconds from 0 to a day; anything else means the default. */
export function playlistMaxAge(setting: string | undefined): number {
  const value = numberSetting(setting);
  return value !== undefined && Number.isSafeInteger(value) && value >= 0 && value <= 86_400 ? value : DEFAULT_PLAYLIST_MAX_AGE_SECONDS;
}

/** The delivery settings of this deployment (parsed on first use, not per request). */
export const deliverySettings: (env: MediaEnv) => DeliverySettings = parsedPerEnv((env: MediaEnv) => ({
    // The generated type is the literal in the config; deployments may set "true".
    cacheFallback: String(env.CACHE_FALLBACK) === "true",
    cacheMaxBytes: cacheMaxBytes(env.CACHE_MAX_BYTES),
    corsOrigins: corsOrigins(env.MEDIA_CORS_ORIGINS),
    servedLogRate: servedLogRate(env.MEDIA_SERVED_LOG_RATE),
    playlistMaxAgeSeconds: playlistMaxAge(env.MEDIA_PLAYLIST_MAX_AGE),
  }));

/** The media Worker's delivery settings from its vars, with safe defaults (config.ts parses them once per Env). */
import { numberSetting } from "../../shared/per-env";
import type { CachePolicySettings } from "./policy";
import { corsOrigins } from "./policy";

export interface DeliverySettings extends CachePolicySettings {
  /** Largest object stored in the edge cache; 0 turns the cache off. */
  cacheMaxBytes: number;
  corsOrigins: ReadonlySet<string>;
  /** Share of successful deliveries logged as "media-served" (failures always are). */
  servedLogRate: number;
}

/** Default cache cap: small enough that a fill finishes inside waitUntil's 30 s. */
const DEFAULT_CACHE_MAX_BYTES = 100 * 1024 * 1024;
/** The Cache API's largest cacheable object below the Enterprise plan. */
const CACHE_API_MAX_BYTES = 512 * 1024 * 1024;

/** CACHE_MAX_BYTES as a number: invalid means the default, above 512 MB means 512 MB, 0 turns the cache off. */
function cacheMaxBytes(setting: string | undefined): number {
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
  return value !== undefined && Number.isSafeInteger(value) && value >= 0 && value <= 86_400
    ? value
    : DEFAULT_PLAYLIST_MAX_AGE_SECONDS;
}

/** The delivery settings of a deployment, from its vars. */
export function deliverySettingsOf(env: MediaEnv): DeliverySettings {
  return {
    // The generated type is the literal in the config; deployments may set "true".
    cacheFallback: String(env.CACHE_FALLBACK) === "true",
    cacheMaxBytes: cacheMaxBytes(env.CACHE_MAX_BYTES),
    corsOrigins: corsOrigins(env.MEDIA_CORS_ORIGINS),
    servedLogRate: servedLogRate(env.MEDIA_SERVED_LOG_RATE),
    playlistMaxAgeSeconds: playlistMaxAge(env.MEDIA_PLAYLIST_MAX_AGE),
  };
}

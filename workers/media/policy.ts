/**
 * Response header policy for media: type, same-origin safety, caching and
 * CORS. Each rule is one explicit list with its reason beside it.
 */
import type { CorsPolicy } from "../../shared/cors";
import { corsHeaders as sharedCorsHeaders, corsPolicy } from "../../shared/cors";
import type { ServedFrom } from "../../shared/log";
import { parseOriginList } from "../../shared/origins";
import type { BucketName } from "./buckets";

/** Keys ending with one of these never change in place (a new version gets a new key): cache for a year. */
const IMMUTABLE_KEY_SUFFIXES: readonly string[] = ["/sprite.jpg"];
const IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable";
const DEFAULT_CACHE_CONTROL = "public, max-age=3600";
/**
 * The one exception by type: playlists (HLS, DASH) change in place while a
 * stream is live, so they get MEDIA_PLAYLIST_MAX_AGE seconds, whatever the
 * bucket. Matched without regard to case, as types are.
 */
const PLAYLIST_KEY_SUFFIXES: readonly string[] = [".m3u8", ".mpd"];

/** What Cache-Control depends on besides the key: the deployment's settings. */
export interface CachePolicySettings {
  cacheFallback: boolean;
  /** Seconds a playlist may be reused; 0 means every use revalidates. */
  playlistMaxAgeSeconds: number;
}

/**
 * Cache-Control by key suffix (no wildcard such as `.jpg`: a thumbnail that is
 * regenerated in place must not be pinned for a year), the short playlist
 * policy, or immutable for fallback content when CACHE_FALLBACK says the
 * fallback is a frozen archive.
 */
export function cacheControlFor(key: string, servedFrom: ServedFrom, settings: CachePolicySettings): string {
  const lowerKey = key.toLowerCase();
  if (PLAYLIST_KEY_SUFFIXES.some((suffix) => lowerKey.endsWith(suffix))) {
    return settings.playlistMaxAgeSeconds > 0 ? `public, max-age=${settings.playlistMaxAgeSeconds}` : "no-cache";
  }
  if (servedFrom === "fallback" && settings.cacheFallback) return IMMUTABLE_CACHE_CONTROL;
  return IMMUTABLE_KEY_SUFFIXES.some((suffix) => key.endsWith(suffix))
    ? IMMUTABLE_CACHE_CONTROL
    : DEFAULT_CACHE_CONTROL;
}

/** Types by extension, for objects stored without a Content-Type. */
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  mp4: "video/mp4",
  m4v: "video/mp4",
  m4s: "video/iso.segment",
  mov: "video/quicktime",
  webm: "video/webm",
  ogv: "video/ogg",
  ts: "video/mp2t",
  m3u8: "application/vnd.apple.mpegurl",
  mpd: "application/dash+xml",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  aac: "audio/aac",
  oga: "audio/ogg",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  wav: "audio/wav",
  flac: "audio/flac",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  svg: "image/svg+xml",
  vtt: "text/vtt",
  json: "application/json",
  txt: "text/plain",
  html: "text/html",
  pdf: "application/pdf",
};

/** The stored Content-Type, else one by extension, else opaque bytes. */
export function contentTypeFor(key: string, stored: string | undefined): string {
  if (stored !== undefined && stored.trim() !== "") return stored;
  const extension = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
  return (extension !== undefined && TYPES_BY_EXTENSION[extension]) || "application/octet-stream";
}

/**
 * Types a browser may render inline on the app's own origin: media and
 * raster images (a player or an <img> cannot run script). Everything else,
 * text/html and image/svg+xml above all (stored XSS next to the app's
 * cookies), goes out as an attachment in a CSP sandbox.
 */
const INLINE_TYPE_PREFIXES: readonly string[] = ["video/", "audio/"];
const INLINE_TYPES: ReadonlySet<string> = new Set([
  "image/jpeg",
  "image/png",
  "image/gif",
  "image/webp",
  "image/avif",
  "text/vtt",
  "application/vnd.apple.mpegurl",
  "application/x-mpegurl",
]);

/** True when `contentType` may be rendered inline on the app's origin. */
export function isInlineType(contentType: string): boolean {
  const essence = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return INLINE_TYPES.has(essence) || INLINE_TYPE_PREFIXES.some((prefix) => essence.startsWith(prefix));
}

/** Headers that make a non-inline type a download the browser never renders or runs. */
export function attachmentHeaders(key: string): Record<string, string> {
  const name = key.split("/").at(-1) ?? "download";
  // Only characters that need no quoting rules: a crafted key cannot break out of the parameter.
  const safeName = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 128) || "download";
  return {
    "Content-Disposition": `attachment; filename="${safeName}"`,
    "Content-Security-Policy": "sandbox",
  };
}

/** Media's CORS policy: reads only, no credentials, and the headers a cross-origin player (hls.js, MSE) must read to seek. */
const MEDIA_CORS: CorsPolicy = corsPolicy({
  allowMethods: ["GET", "HEAD"],
  allowHeaders: ["Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"],
  exposeHeaders: ["Content-Range", "Accept-Ranges", "Content-Length", "ETag"],
  credentials: false,
  maxAgeSeconds: 86400,
});

/** The configured origin allow-list (`MEDIA_CORS_ORIGINS`, comma-separated). */
export function corsOrigins(setting: string): ReadonlySet<string> {
  return new Set(parseOriginList(setting));
}

/**
 * CORS headers for an allow-listed Origin; `Vary: Origin` whenever a list is
 * configured, so a shared cache never hands one origin's answer to another.
 */
export function corsHeaders(origin: string | null, allowed: ReadonlySet<string>): Record<string, string> {
  return sharedCorsHeaders(MEDIA_CORS, allowed, origin);
}

/** Extra headers for a CORS preflight from an allow-listed origin. */
export function corsPreflightHeaders(): Record<string, string> {
  return { ...MEDIA_CORS.preflight };
}

/** The synthetic cache URL of one object: bucket and key, never the token, so every token for it shares one entry. */
export function cacheKeyFor(bucket: BucketName, key: string): string {
  return `https://media-cache.invalid/${bucket}/${encodeURIComponent(key)}`;
}

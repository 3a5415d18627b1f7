/**
 * Response header policy for media: type, same-origin safety, caching and
 * CORS. Each rule is one explicit list with its reason beside it.
 */
import type { CorsPolicy } from "../../shared/cors";
import { addCorsHeaders as addSharedCorsHeaders, corsPolicy } from "../../shared/cors";
import type { ServedFrom } from "../../shared/log";
import { parseOriginList } from "../../shared/origins";
import type MimeTypeModule from "whatwg-mimetype/lib/mime-type.js";
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

/**
 * Types by extension, for objects stored without a Content-Type. A Map, so
 * a key ending in `.constructor` or `.__proto__` finds nothing, never
 * something an object inherits.
 */
const TYPES_BY_EXTENSION: ReadonlyMap<string, string> = new Map([
  ["mp4", "video/mp4"],
  ["m4v", "video/mp4"],
  ["m4s", "video/iso.segment"],
  ["mov", "video/quicktime"],
  ["webm", "video/webm"],
  ["ogv", "video/ogg"],
  ["ts", "video/mp2t"],
  ["m3u8", "application/vnd.apple.mpegurl"],
  ["mpd", "application/dash+xml"],
  ["mp3", "audio/mpeg"],
  ["m4a", "audio/mp4"],
  ["aac", "audio/aac"],
  ["oga", "audio/ogg"],
  ["ogg", "audio/ogg"],
  ["opus", "audio/ogg"],
  ["wav", "audio/wav"],
  ["flac", "audio/flac"],
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["png", "image/png"],
  ["gif", "image/gif"],
  ["webp", "image/webp"],
  ["avif", "image/avif"],
  ["svg", "image/svg+xml"],
  ["vtt", "text/vtt"],
  ["json", "application/json"],
  ["txt", "text/plain"],
  ["html", "text/html"],
  ["pdf", "application/pdf"],
]);

/**
 * Types a browser may render inline on the app's own origin, by essence:
 * media and raster images (a player or an <img> cannot run script).
 * Everything else, text/html and image/svg+xml above all (stored XSS next to
 * the app's cookies), goes out as an attachment.
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

/** The type a browser is told, and whether it may render the bytes inline. */
export interface ServedType {
  /** The parsed type serialized (WHATWG MIME Sniffing), never the stored string. */
  readonly contentType: string;
  readonly inline: boolean;
}

const OPAQUE: ServedType = { contentType: "application/octet-stream", inline: false };

/**
 * Fetch's "get, decode, and split" of a header value: a comma-separated list
 * whose commas inside a quoted string do not split, each value trimmed of
 * tabs and spaces. To a browser `video/mp4, text/html` is two types.
 */
function splitHeaderValue(value: string): string[] {
  const values: string[] = [];
  let current = "";
  let position = 0;
  while (position < value.length) {
    const character = value.charAt(position);
    if (character === ",") {
      values.push(current);
      current = "";
      position++;
    } else if (character === '"') {
      const end = quotedStringEnd(value, position);
      current += value.slice(position, end);
      position = end;
    } else {
      current += character;
      position++;
    }
  }
  values.push(current);
  return values.map((item) => item.replace(/^[\t ]+|[\t ]+$/g, ""));
}

/** Where Fetch's "collect an HTTP quoted string" that starts at `start` (a `"`) ends: after its closing quote, or at the end. */
function quotedStringEnd(value: string, start: number): number {
  let position = start + 1;
  while (position < value.length) {
    const character = value.charAt(position);
    if (character === "\\") position += 2;
    else if (character === '"') return position + 1;
    else position++;
  }
  return value.length;
}

/** A parsed type is sent only as printable ASCII: a Latin-1 parameter is read differently by different clients. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * What the browser is told about a stored type: exactly one valid MIME type
 * (parsed as the WHATWG MIME Sniffing standard does, by its reference
 * implementation) goes out serialized, inline when its essence is on the
 * allow-list; anything else (a list, an invalid type, `*\/*`) is opaque bytes,
 * since a browser would pick the last valid type of a list, not the first.
 */
function parsedServedType(MIMEType: MimeTypeParser, stored: string): ServedType {
  const values = splitHeaderValue(stored);
  if (values.length !== 1) return OPAQUE;
  const parsed = MIMEType.parse(values[0] ?? "");
  if (parsed === null || parsed.essence === "*/*") return OPAQUE;
  const contentType = parsed.toString();
  if (!PRINTABLE_ASCII.test(contentType)) return OPAQUE;
  const { essence } = parsed;
  const inline = INLINE_TYPES.has(essence) || INLINE_TYPE_PREFIXES.some((prefix) => essence.startsWith(prefix));
  return { contentType, inline };
}

/**
 * Served types by stored type, per isolate: a player asks for the same few
 * types over and over, and each parse and serialization is the same. Bounded,
 * so stored types that vary without end cannot grow it.
 */
const servedTypes = new Map<string, ServedType>();
const SERVED_TYPES_KEPT = 256;

function servedTypeOf(MIMEType: MimeTypeParser, stored: string): ServedType {
  let served = servedTypes.get(stored);
  if (served === undefined) {
    served = parsedServedType(MIMEType, stored);
    if (servedTypes.size < SERVED_TYPES_KEPT) servedTypes.set(stored, served);
  }
  return served;
}

type MimeTypeParser = typeof MimeTypeModule;
let mimeTypeParser: Promise<MimeTypeParser> | undefined;

/**
 * The parser, evaluated on first use: a static import would run its module
 * bodies in every isolate's startup, where they measured a third of media's
 * startup CPU budget (`npm run check:deploy`).
 */
function loadMimeTypeParser(): Promise<MimeTypeParser> {
  mimeTypeParser ??= import("whatwg-mimetype/lib/mime-type.js").then((module) => module.default);
  return mimeTypeParser;
}

/** The served type of an object: from its stored Content-Type, else by its key's extension, else opaque bytes. */
export async function servedTypeFor(key: string, stored: string | null | undefined): Promise<ServedType> {
  const parser = await loadMimeTypeParser();
  if (stored !== undefined && stored !== null && stored.trim() !== "") return servedTypeOf(parser, stored);
  const extension = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
  const byExtension = extension === undefined ? undefined : TYPES_BY_EXTENSION.get(extension);
  return byExtension === undefined ? OPAQUE : servedTypeOf(parser, byExtension);
}

/** `Content-Disposition` that makes a non-inline type a download the browser never renders. */
export function attachmentDisposition(key: string): string {
  const name = key.split("/").at(-1) ?? "download";
  // Only characters that need no quoting rules: a crafted key cannot break out of the parameter.
  const safeName = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 128) || "download";
  return `attachment; filename="${safeName}"`;
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
 * Adds media's CORS headers for `request` to an answer this Worker built:
 * the grant for an allow-listed Origin (with the preflight's on OPTIONS),
 * and `Vary: Origin` whenever a list is configured, so a shared cache never
 * hands one origin's answer to another.
 */
export function addCorsHeaders(headers: Headers, request: Request, allowed: ReadonlySet<string>): void {
  addSharedCorsHeaders(headers, MEDIA_CORS, allowed, request.headers.get("Origin"));
  if (request.method !== "OPTIONS" || !headers.has("Access-Control-Allow-Origin")) return;
  for (const [name, value] of Object.entries(MEDIA_CORS.preflight)) headers.set(name, value);
}

/** The synthetic cache URL of one object: bucket and key, never the token, so every token for it shares one entry. */
export function cacheKeyFor(bucket: BucketName, key: string): string {
  return `https://media-cache.invalid/${bucket}/${encodeURIComponent(key)}`;
}

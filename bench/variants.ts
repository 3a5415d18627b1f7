/**
 * What the bench measures: the objects it seeds, the tokens it signs, and
 * every variant (one definition for the wrk rounds and for callgrind). A new
 * throughput variant goes in gatewayVariants(); add its id to
 * INSTRUCTION_VARIANTS to count it under callgrind too.
 */
import { mediaPath, mediaPrefixPath, signMediaToken } from "../shared/media-token.ts";
import type { BenchSecrets, Gateway } from "./harness.ts";
import type { Nginx } from "./nginx.ts";
import type { SocketName } from "./ports.ts";
import { socketUrl } from "./ports.ts";
import { API_JSON_BODY, API_JSON_PATH, API_POST_ANSWER, API_POST_BODY, FIXED_EVENT_DATA } from "./origin-bodies.ts";
import { WEBSOCKET_GREETING, WEBSOCKET_PATH } from "./origin-websocket.ts";
import { keepsVariant } from "./settings.ts";
import type { SseRig, SseVariant } from "./sse.ts";
import type { HttpVariant } from "./throughput.ts";

export const SMALL_KEY = "bench/64k.mp4";
/** A prefix token's scope over SMALL_KEY, and the path under it: the same object, as a player fetches a segment. */
const SMALL_PREFIX = "bench/";
const SMALL_UNDER_PREFIX = "64k.mp4";
export const SMALL_BYTES = 64 * 1024;
export const LARGE_KEY = "bench/1g.mp4";
const RANGE_16K = "bytes=1024-17407";
/** Any path the router sends to MEDIA; the floor Worker answers it. */
const HOP_PATH = "/media/v1/hop-profile";
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

/**
 * The throughput variants served by the gateway's workerd (nginx's are added
 * beside them): one definition for the wrk rounds and for callgrind.
 */
export function gatewayVariants(paths: SignedPaths): HttpVariant[] {
  const url = socketUrl;
  const smallPath = paths.small;
  const variants: HttpVariant[] = [
    {
      id: "floor",
      description: "Floor Worker: 64 KiB from memory",
      url: url("floor"),
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "media-hit",
      description: "Media Worker direct, signed URL, cache hit",
      url: `${url("media")}${smallPath}`,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "media-hit-fresh-token",
      description: "Media Worker direct, cache hit, a new signed token every request",
      url: url("media"),
      paths: paths.freshSmall,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "media-hit-prefix",
      description: "Media Worker direct, cache hit, the same object under a prefix token (as an HLS segment)",
      url: `${url("media")}${paths.smallUnderPrefix}`,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "router-hit",
      description: "Router -> media, signed URL, cache hit",
      url: `${url("routerNoAssets")}${smallPath}`,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "router-assets-hit",
      description: "Local assets layer -> router -> media, cache hit",
      url: `${url("router")}${smallPath}`,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "forwarder-hit",
      description: "Bare forwarder -> media, cache hit",
      url: `${url("forwarder")}${smallPath}`,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "bare-cache",
      description: "Bare cache Worker: caches.default.match only",
      url: url("bareCache"),
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "media-miss",
      description: "Media Worker direct, cache cap 0: R2 path",
      url: `${url("mediaNoCache")}${smallPath}`,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "bare-r2",
      description: "Bare R2 Worker: BUCKET.get only",
      url: url("bareR2"),
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "media-hit-206",
      description: "Media Worker direct, 16 KiB range on a hit",
      url: `${url("media")}${smallPath}`,
      headers: { Range: RANGE_16K },
      expectStatus: 206,
      expectBytes: 16 * 1024,
    },
    ...apiVariants(),
    {
      id: "limiter",
      description: "Rate limiter alone: one limit() call, then the floor's 64 KiB",
      url: url("limiter"),
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
  ];
  return variants.filter((variant) => keepsVariant(variant.id));
}

/** The api pairs' front doors: each answers a JSON GET and a small POST from the origin. */
const API_PATHS = [
  ["api", "api", "api Worker direct"],
  ["fetch", "bareFetch", "Bare fetch Worker"],
  ["fetch-limited", "bareFetchLimited", "Bare fetch Worker calling the api's limiter once"],
  ["router-api", "routerNoAssets", "Router -> api"],
  ["forwarder-api", "forwarderToApi", "Bare forwarder -> api"],
] as const satisfies readonly (readonly [string, SocketName, string])[];

/** A JSON GET and a small POST through each of API_PATHS, every answer a 200 with the origin's exact bytes. */
function apiVariants(): HttpVariant[] {
  return API_PATHS.flatMap(([id, socket, description]): HttpVariant[] => [
    {
      id: `${id}-get`,
      description: `${description} -> origin, JSON GET`,
      url: `${socketUrl(socket)}${API_JSON_PATH}`,
      expectStatus: 200,
      expectBytes: API_JSON_BODY.length,
    },
    {
      id: `${id}-post`,
      description: `${description} -> origin, ${API_POST_BODY.length}-byte JSON POST`,
      url: `${socketUrl(socket)}${API_JSON_PATH}`,
      method: "POST",
      body: API_POST_BODY,
      headers: { "Content-Type": "application/json" },
      expectStatus: 200,
      expectBytes: API_POST_ANSWER.length,
    },
  ]);
}

/** One stream as the callgrind section opens it: a comment, one event with fixed data, the end (bench/sse-origin.ts). */
const SSE_OPEN_QUERY = "/api/events?events=1&interval=1&fixed=1";
const SSE_OPEN_BYTES = ": open\n\n".length + `id: 1\ndata: ${FIXED_EVENT_DATA}\n\n`.length;

/**
 * Opening an SSE stream, per opened stream, through the same number of hops:
 * router -> api, and the bare forwarder -> the bare fetch Worker with the
 * limiter. Counted by callgrind only (the SSE section times the streams).
 */
export function sseOpenVariants(): HttpVariant[] {
  const stream = (id: string, description: string, socket: SocketName): HttpVariant => ({
    id,
    description: `${description}: one event stream opened, one event, closed`,
    url: `${socketUrl(socket)}${SSE_OPEN_QUERY}`,
    headers: { Accept: "text/event-stream" },
    expectStatus: 200,
    expectBytes: SSE_OPEN_BYTES,
  });
  const variants = [
    stream("sse-open-router-api", "Router -> api", "routerNoAssets"),
    stream(
      "sse-open-forwarder-fetch-limited",
      "Bare forwarder -> bare fetch Worker with the limiter",
      "forwarderToFetchLimited",
    ),
  ];
  return variants.filter((variant) => keepsVariant(variant.id));
}

/** How long a ranged miss's round waits after its last answer: the last fills (waitUntil) finish inside the count. */
const FILL_SETTLE_MS = 1500;

/**
 * Kinds counted by callgrind only: a ranged miss within the cache cap, each
 * request to an object of its own (so every one is a miss and starts a
 * fill), beside the bare R2 Worker's ranged get; a WebSocket upgrade through
 * router -> api beside the bare forwarder -> bare fetch Worker (as SSE
 * setup); and /_health through the router beside a bare Worker making the
 * same two RPC health() calls.
 */
export function callgrindOnlyVariants(paths: SignedPaths): HttpVariant[] {
  const variants: HttpVariant[] = [
    {
      id: "media-miss-ranged",
      description: "Media Worker direct, 16 KiB range on a miss, with its cache fill",
      url: socketUrl("media"),
      paths: paths.rangedMiss,
      headers: { Range: RANGE_16K },
      expectStatus: 206,
      expectBytes: 16 * 1024,
      settleMs: FILL_SETTLE_MS,
    },
    {
      id: "bare-r2-ranged",
      description: "Bare R2 Worker: a ranged BUCKET.get only",
      url: socketUrl("bareR2"),
      headers: { Range: RANGE_16K },
      expectStatus: 206,
      expectBytes: 16 * 1024,
      settleMs: FILL_SETTLE_MS,
    },
    webSocket("websocket-router-api", "Router -> api", "routerNoAssets"),
    webSocket(
      "websocket-forwarder-fetch-limited",
      "Bare forwarder -> bare fetch Worker with the limiter",
      "forwarderToFetchLimited",
    ),
    {
      id: "router-health",
      description: "Router /_health: RPC health() to media and api",
      url: `${socketUrl("routerNoAssets")}/_health`,
      expectStatus: 200,
      expectBytes: HEALTH_BYTES,
    },
    {
      id: "bare-health",
      description: "Bare Worker: the same two RPC health() calls, their statuses as JSON",
      url: socketUrl("bareHealth"),
      expectStatus: 200,
      expectBytes: BARE_HEALTH_BYTES,
    },
  ];
  return variants.filter((variant) => keepsVariant(variant.id));
}

/** How long a WebSocket round waits after its last message: the last sockets' teardown, through every hop, inside the count. */
const WEBSOCKET_SETTLE_MS = 500;

/** A WebSocket upgrade through `socket` to the origin: the 101, the origin's one message, then the client goes. */
function webSocket(id: string, description: string, socket: SocketName): HttpVariant {
  return {
    id,
    description: `${description}: WebSocket upgrade, one message from the origin`,
    url: `${socketUrl(socket)}${WEBSOCKET_PATH}`,
    webSocket: true,
    expectStatus: 101,
    expectBytes: WEBSOCKET_GREETING.length,
    settleMs: WEBSOCKET_SETTLE_MS,
  };
}

/** The router's public /_health document (a 36-character request id) and the bare Worker's. */
const HEALTH_BYTES = JSON.stringify({
  status: "ok",
  requestId: "x".repeat(36),
  workers: { router: { status: "ok" }, media: { status: "ok" }, api: { status: "ok" } },
}).length;
const BARE_HEALTH_BYTES = JSON.stringify({ media: "ok", api: "ok" }).length;

/** The hop's profile (BENCH_ONLY=hop): the router and the bare forwarder, both in front of the floor Worker. */
export function hopVariants(): HttpVariant[] {
  const variants: HttpVariant[] = [
    {
      id: "hop-forwarder",
      description: "Bare forwarder -> floor",
      url: `${socketUrl("forwarderToFloor")}${HOP_PATH}`,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    {
      id: "hop-router",
      description: "Router -> floor (the real router bundle)",
      url: `${socketUrl("routerToFloor")}${HOP_PATH}`,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
  ];
  return variants.filter((variant) => keepsVariant(variant.id));
}

/** nginx's variants, beside the gateway's in the wrk rounds. */
export function nginxVariants(nginx: Nginx): HttpVariant[] {
  const variants: HttpVariant[] = [
    {
      id: "nginx-static",
      description: "nginx: the same 64 KiB file from disk",
      url: nginx.staticUrl,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
  ];
  return variants.filter((variant) => keepsVariant(variant.id));
}

/** The variants counted under callgrind (gatewayVariants' ids). */
export const INSTRUCTION_VARIANTS: readonly string[] = [
  "floor",
  "media-hit",
  "media-hit-fresh-token",
  "router-hit",
  "forwarder-hit",
  "bare-cache",
  "media-miss",
  "bare-r2",
  "media-hit-206",
  "media-hit-prefix",
  ...API_PATHS.flatMap(([id]) => [`${id}-get`, `${id}-post`]),
  "limiter",
];

/** The SSE variants that proxy the origin, ours first: each gets its own rows beside the direct connection. */
export const SSE_PROXIES = ["router-api", "api", "nginx", "pump"] as const;

/** The SSE variants: the origin directly, then every proxy of SSE_PROXIES. */
export function sseVariants(gateway: Gateway, rig: SseRig, nginx: Nginx): SseVariant[] {
  const url = (socket: SocketName): string => gateway.url(socket);
  const workerd = (): number[] => [gateway.workerdPid];
  return [
    { id: "direct", description: "direct to origin", url: `${rig.originUrl}/api/events`, proxyPids: () => [] },
    { id: "router-api", description: "router + api", url: `${url("routerNoAssets")}/api/events`, proxyPids: workerd },
    { id: "api", description: "api Worker alone (no router)", url: `${url("api")}/api/events`, proxyPids: workerd },
    {
      id: "nginx",
      description: "nginx (proxy_buffering off)",
      url: `${nginx.sseUrl}/api/events`,
      proxyPids: () => nginx.pids(),
    },
    { id: "pump", description: "TransformStream pump Worker", url: `${url("ssePump")}/api/events`, proxyPids: workerd },
  ];
}

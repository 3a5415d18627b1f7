/**
 * The variants counted by callgrind only (the wall-clock sections time these
 * kinds their own way, or not at all): opening an SSE stream, a ranged miss
 * with its fill, a WebSocket upgrade, and /_health.
 */
import type { SocketName } from "./ports.ts";
import { socketUrl } from "./ports.ts";
import { FIXED_EVENT_DATA } from "./origin-bodies.ts";
import { WEBSOCKET_GREETING, WEBSOCKET_PATH } from "./origin-websocket.ts";
import type { SignedPaths } from "./seeding.ts";
import { RANGE_16K } from "./seeding.ts";
import { keepsVariant, settings } from "./settings.ts";
import type { HttpVariant } from "./throughput.ts";

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
  return variants
    .filter((variant) => keepsVariant(variant.id))
    .map((variant) => ({ ...variant, requests: settings.instructions.callgrindOnlyRequests }));
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

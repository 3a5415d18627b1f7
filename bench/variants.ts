/**
 * What the bench measures through wrk: every HTTP variant (one definition
 * for the wrk rounds and for callgrind) and the SSE variants. A new
 * throughput variant goes in gatewayVariants(); add its id to
 * INSTRUCTION_VARIANTS to count it under callgrind too. The seeded objects
 * and signed tokens: bench/seeding.ts; the kinds callgrind alone counts:
 * bench/callgrind-variants.ts.
 */
import type { Gateway } from "./harness.ts";
import type { Nginx } from "./nginx.ts";
import type { SocketName } from "./ports.ts";
import { socketUrl } from "./ports.ts";
import { API_JSON_BODY, API_JSON_PATH, API_POST_ANSWER, API_POST_BODY } from "./origin-bodies.ts";
import type { SignedPaths } from "./seeding.ts";
import { RANGE_16K, SMALL_BYTES } from "./seeding.ts";
import { baselineCheckout, keepsVariant } from "./settings.ts";
import type { SseRig, SseVariant } from "./sse.ts";
import type { HttpVariant } from "./throughput.ts";

/** Any path the router sends to MEDIA; the floor Worker answers it. */
const HOP_PATH = "/media/v1/hop-profile";

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
    ...baselineMediaVariants(smallPath),
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

/** BENCH_BASELINE's media hit, beside media-hit. */
function baselineMediaVariants(smallPath: string): HttpVariant[] {
  if (baselineCheckout === undefined) return [];
  return [
    {
      id: "media-hit-baseline",
      description: "BENCH_BASELINE's media Worker direct, signed URL, cache hit",
      url: `${socketUrl("mediaBaseline")}${smallPath}`,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
  ];
}

/** The api pairs' front doors: each answers a JSON GET and a small POST from the origin. */
const API_PATHS = [
  ["api", "api", "api Worker direct"],
  ["fetch", "bareFetch", "Bare fetch Worker"],
  ["fetch-limited", "bareFetchLimited", "Bare fetch Worker calling the api's limiter once"],
  ["router-api", "routerNoAssets", "Router -> api"],
  ["forwarder-api", "forwarderToApi", "Bare forwarder -> api"],
  ...(baselineCheckout === undefined
    ? []
    : ([["api-baseline", "apiBaseline", "BENCH_BASELINE's api Worker direct"]] as const)),
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
  "media-hit-baseline",
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

/**
 * The route table: the single source of truth for the paths the router owns.
 *
 * The router's dispatch, its `assets.run_worker_first` patterns (checked
 * against every wrangler environment by test and by `npm run check:deploy`)
 * and the README's route list all follow from this one list. Every other path
 * belongs to the static assets (the SPA).
 */

/**
 * Where an owned path goes: a service binding on the router, the router's own
 * endpoints, or the build output (static files whose misses must not become the SPA).
 */
type RouteTarget = "MEDIA" | "API" | "ROUTER" | "BUILD_ASSETS";

export interface OwnedRoute {
  /** Path prefix without a trailing slash. */
  readonly prefix: string;
  /**
   * `segment`: owns `prefix` and `prefix/...` (so `/mediafoo` stays with the SPA);
   * `raw`: owns every path that starts with `prefix` (`/_` owns `/_health`).
   */
  readonly match: "segment" | "raw";
  readonly target: RouteTarget;
  readonly description: string;
}

export const ROUTE_TABLE: readonly OwnedRoute[] = [
  { prefix: "/media", match: "segment", target: "MEDIA", description: "signed media from R2 (/media/v1/<jwt>)" },
  { prefix: "/api", match: "segment", target: "API", description: "streaming reverse proxy to BACKEND_URL" },
  { prefix: "/_", match: "raw", target: "ROUTER", description: "the router's own endpoints (/_health)" },
  // Fingerprinted build output. A miss here is a 404, never the SPA's
  // index.html, so a page left stale by a deploy fails loudly instead of
  // parsing HTML as JS. The asset layer applies the SPA fallback to every path
  // outside run_worker_first, whatever the request, so the router must see
  // these: the price is one Worker invocation per build-asset request (which
  // browsers cache for a year).
  {
    prefix: "/assets",
    match: "segment",
    target: "BUILD_ASSETS",
    description: "build output: served from the static assets, a miss is a 404",
  },
];

/** The route that owns `pathname`, or undefined when the static assets do. */
export function routeFor(pathname: string): OwnedRoute | undefined {
  return ROUTE_TABLE.find((route) => ownsPath(route, pathname));
}

function ownsPath(route: OwnedRoute, pathname: string): boolean {
  if (route.match === "raw") return pathname.startsWith(route.prefix);
  return pathname === route.prefix || pathname.startsWith(`${route.prefix}/`);
}

/** The `assets.run_worker_first` patterns that hand every owned path to the router's code. */
export function runWorkerFirstPatterns(table: readonly OwnedRoute[] = ROUTE_TABLE): string[] {
  return table.flatMap((route) => (route.match === "raw" ? [`${route.prefix}*`] : [route.prefix, `${route.prefix}/*`]));
}

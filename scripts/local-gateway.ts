/**
 * The three real Workers (their deploy bundles from build-workers.ts, with
 * the bindings of their wrangler configs) in one workerd through the
 * Miniflare API, the router on one loopback port. Outbound fetches go
 * straight from workerd to the origin, as in production: wrangler's test
 * harness and `wrangler dev` route them through Node instead, which turns a
 * failed connection into a 500 with a Node stack trace and does not pass
 * client aborts on, so fault and load runs use this.
 */
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { bundledWorker } from "./bundled-worker.ts";

export interface LocalGatewayOptions {
  /** The api Worker's BACKEND_URL. */
  backendUrl: string;
  /**
   * A loopback port on which the router listens directly (no Miniflare entry
   * Worker in front, as the bench runs it); without one, the router is reached
   * through Miniflare's entry on a free port.
   */
  directPort?: number;
  /** A loopback port on which the api Worker listens directly too (to take the router hop out of a measurement). */
  apiDirectPort?: number;
  secrets: { ADMIN_TOKEN: string; MEDIA_TOKEN_SECRET_V1: string; BACKEND_AUTH_TOKEN: string };
  /** Vars that override the api Worker's config. */
  apiVars?: Record<string, string>;
  /** Vars that override the media Worker's config. */
  mediaVars?: Record<string, string>;
  /** Lift the api's per-client rate limit (every loopback client is one IP). */
  liftRateLimit?: boolean;
  /** Where local R2 and the cache persist; in memory when absent. */
  stateDir?: string;
  /** Called with every Worker log line. */
  onLog?: (message: string) => void;
  /** A loopback port for workerd's inspector: one DevTools target per Worker (scripts/isolate-heap.ts reads their heaps). */
  inspectorPort?: number;
}

export interface LocalGateway {
  url: URL;
  miniflare: Miniflare;
  dispose(): Promise<void>;
}

/** Starts router, media and api (bundles must be built: `npm run build`). */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const router = bundledWorker("router", "wrangler.router.toml", { ADMIN_TOKEN: options.secrets.ADMIN_TOKEN });
  const media = bundledWorker("media", "wrangler.media.toml", {
    MEDIA_TOKEN_SECRET_V1: options.secrets.MEDIA_TOKEN_SECRET_V1,
    ...options.mediaVars,
  });
  const api = bundledWorker("api", "wrangler.api.toml", {
    BACKEND_AUTH_TOKEN: options.secrets.BACKEND_AUTH_TOKEN,
    BACKEND_URL: options.backendUrl,
    ...options.apiVars,
  });
  if (options.liftRateLimit) {
    api.ratelimits = Object.fromEntries(
      Object.entries(api.ratelimits ?? {}).map(([binding, limiter]) => [
        binding,
        { ...limiter, simple: { limit: 1_000_000_000, period: 60 as const } },
      ]),
    );
  }
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      handleStructuredLogs: ({ message }: { message: string }) => options.onLog?.(message),
      ...(options.stateDir ? { resourcePersistencePath: options.stateDir } : {}),
      ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
      workers: [
        options.directPort === undefined
          ? router
          : { ...router, unsafeDirectSockets: [{ host: "127.0.0.1", port: options.directPort }] },
        media,
        options.apiDirectPort === undefined
          ? api
          : { ...api, unsafeDirectSockets: [{ host: "127.0.0.1", port: options.apiDirectPort }] },
      ],
    }),
  );
  const entry = await miniflare.ready;
  const url = options.directPort === undefined ? entry : new URL(`http://127.0.0.1:${options.directPort}/`);
  return { url, miniflare, dispose: () => miniflare.dispose() };
}

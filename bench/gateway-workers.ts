/**
 * The Workers of the bench's gateway, as Miniflare options: the three real
 * Workers (their deploy bundles, with the bindings of their wrangler configs)
 * and the bench's peers (bench/workers/), each behind its own socket. A new
 * peer goes here (and its socket in bench/ports.ts).
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LegacyWorkerOptions } from "miniflare";
import { bundledWorker } from "../scripts/bundled-worker.ts";
import type { BenchSecrets, GatewayOptions } from "./harness.ts";
import type { SocketName } from "./ports.ts";
import { PORTS } from "./ports.ts";
import { baselineCheckout } from "./settings.ts";

// Inside the project (module names are paths relative to it): dist/ is ignored by git.
export const BENCH_OUT = "dist/bench";

function benchWorker(file: string, outdir: string, options: Partial<LegacyWorkerOptions>): LegacyWorkerOptions {
  return {
    name: `bench-${file}`,
    modules: true,
    scriptPath: join(outdir, `${file}.js`),
    compatibilityDate: "2026-11-01",
    ...options,
  } as LegacyWorkerOptions;
}

/** A loopback socket straight into one Worker's default export. */
function directSocket(socket: SocketName): Pick<LegacyWorkerOptions, "unsafeDirectSockets"> {
  return { unsafeDirectSockets: [{ host: "127.0.0.1", port: PORTS[socket] }] };
}

/**
 * BENCH_BASELINE's media and api bundles, with this checkout's bindings,
 * copied into the project (module names are paths relative to it). The
 * media one has no upload Durable Object: a bundle from before uploads does
 * not export its class, and a hit never reaches it.
 */
function baselineWorkers(media: LegacyWorkerOptions, api: LegacyWorkerOptions): LegacyWorkerOptions[] {
  const checkout = baselineCheckout;
  if (checkout === undefined) return [];
  return (["media", "api"] as const).map((name) => {
    const scriptPath = join(BENCH_OUT, "baseline", name, "index.js");
    mkdirSync(dirname(scriptPath), { recursive: true });
    copyFileSync(join(checkout, "dist", name, "index.js"), scriptPath);
    const current = name === "media" ? { ...media, durableObjects: undefined } : api;
    const socket = name === "media" ? "mediaBaseline" : "apiBaseline";
    return { ...current, name: `baseline-${name}`, scriptPath, ...directSocket(socket) };
  });
}

/** Every Worker of the gateway (GatewayOptions.sockets picks some: workersBehind). */
export function gatewayWorkers(options: GatewayOptions, secrets: BenchSecrets): LegacyWorkerOptions[] {
  const benchOut = BENCH_OUT;
  const router = bundledWorker("router", "wrangler.router.toml", { ADMIN_TOKEN: secrets.adminToken });
  const media = bundledWorker("media", "wrangler.media.toml", { MEDIA_TOKEN_SECRET_V1: secrets.mediaTokenSecret });
  const api = bundledWorker("api", "wrangler.api.toml", {
    BACKEND_AUTH_TOKEN: secrets.backendAuthToken,
    BACKEND_URL: options.sseOriginUrl,
  });
  // 1,000 SSE streams or a wrk round from one loopback client would trip the per-client
  // limit (600 a minute): the limiter still runs on every request, with room to spare,
  // and its bare peers get the same settings (every answer measured must be a 200).
  const apiRatelimits = Object.fromEntries(
    Object.entries(api.ratelimits ?? {}).map(([binding, limiter]) => [
      binding,
      { ...limiter, simple: { limit: 1_000_000, period: 60 as const } },
    ]),
  );
  const mediaBucket = { BUCKET: "gateway-media" };

  return [
    { ...benchWorker("floor", benchOut, {}), ...directSocket("floor") },
    { ...router, ...directSocket("router") },
    // The same router bundle without the static-assets layer in front: shows what that layer costs.
    { ...router, name: "gateway-router-no-assets", assets: undefined, ...directSocket("routerNoAssets") },
    { ...media, ...directSocket("media") },
    // The same media bundle with a cache cap of 0 bytes: every request takes the R2 (miss) path.
    {
      ...media,
      name: "gateway-media-no-cache",
      bindings: { ...(media.bindings as Record<string, unknown>), CACHE_MAX_BYTES: "0" },
      ...directSocket("mediaNoCache"),
    },
    { ...api, ratelimits: apiRatelimits, ...directSocket("api") },
    ...baselineWorkers(media, { ...api, ratelimits: apiRatelimits }),
    {
      ...benchWorker("forwarder", benchOut, { serviceBindings: { MEDIA: "gateway-media" } }),
      ...directSocket("forwarder"),
    },
    {
      ...benchWorker("cache", benchOut, {
        bindings: { CACHE_KEY: options.cacheKey, OBJECT_KEY: options.objectKey },
        r2Buckets: mediaBucket,
      }),
      ...directSocket("bareCache"),
    },
    {
      ...benchWorker("r2", benchOut, { bindings: { OBJECT_KEY: options.objectKey }, r2Buckets: mediaBucket }),
      ...directSocket("bareR2"),
    },
    {
      ...benchWorker("sse-pump", benchOut, { bindings: { ORIGIN_URL: options.sseOriginUrl } }),
      ...directSocket("ssePump"),
    },
    {
      ...benchWorker("verify", benchOut, { bindings: { MEDIA_TOKEN_SECRET_V1: secrets.mediaTokenSecret } }),
      ...directSocket("verify"),
    },
    { ...benchWorker("seed", benchOut, { r2Buckets: mediaBucket }), ...directSocket("seed") },
    { ...benchWorker("r2-put", benchOut, { r2Buckets: mediaBucket }), ...directSocket("bareR2Put") },
    // The hop's profile: the same router bundle and the bare forwarder, each in front of the
    // floor Worker instead of media, so the hop's own cost is not diluted; and the router's
    // steps one at a time (hop-steps).
    {
      ...router,
      name: "gateway-router-to-floor",
      assets: undefined,
      serviceBindings: { ...router.serviceBindings, MEDIA: "bench-floor" },
      ...directSocket("routerToFloor"),
    },
    {
      ...benchWorker("forwarder", benchOut, {
        name: "bench-forwarder-to-floor",
        serviceBindings: { MEDIA: "bench-floor" },
      }),
      ...directSocket("forwarderToFloor"),
    },
    { ...benchWorker("hop-steps", benchOut, {}), ...directSocket("hopSteps") },
    {
      ...benchWorker("fetch", benchOut, { bindings: { BACKEND_URL: options.sseOriginUrl } }),
      ...directSocket("bareFetch"),
    },
    {
      ...benchWorker("fetch", benchOut, {
        name: "bench-fetch-limited",
        bindings: { BACKEND_URL: options.sseOriginUrl },
        ratelimits: apiRatelimits,
      }),
      ...directSocket("bareFetchLimited"),
    },
    { ...benchWorker("limiter", benchOut, { ratelimits: apiRatelimits }), ...directSocket("limiter") },
    {
      ...benchWorker("forwarder", benchOut, {
        name: "bench-forwarder-to-api",
        serviceBindings: { MEDIA: "gateway-api" },
      }),
      ...directSocket("forwarderToApi"),
    },
    {
      ...benchWorker("forwarder", benchOut, {
        name: "bench-forwarder-to-fetch-limited",
        serviceBindings: { MEDIA: "bench-fetch-limited" },
      }),
      ...directSocket("forwarderToFetchLimited"),
    },
    {
      ...benchWorker("health", benchOut, {
        serviceBindings: {
          MEDIA: { name: "gateway-media", entrypoint: "Control" },
          API: { name: "gateway-api", entrypoint: "Control" },
        },
      }),
      ...directSocket("bareHealth"),
    },
  ];
}

/** The Workers with a socket in `sockets`, and every Worker they reach over service bindings. */
export function workersBehind(
  workers: readonly LegacyWorkerOptions[],
  sockets: ReadonlySet<SocketName>,
): LegacyWorkerOptions[] {
  const ports = new Set([...sockets].map((socket) => PORTS[socket]));
  const byName = new Map(workers.map((worker) => [worker.name ?? "", worker]));
  const kept = new Set<string>();
  const keep = (name: string): void => {
    const worker = byName.get(name);
    if (worker === undefined || kept.has(name)) return;
    kept.add(name);
    for (const target of Object.values(worker.serviceBindings ?? {})) {
      if (typeof target === "string") keep(target);
      else if (typeof target === "object" && "name" in target && typeof target.name === "string") keep(target.name);
    }
  };
  for (const worker of workers) {
    if ((worker.unsafeDirectSockets ?? []).some((socket) => socket.port !== undefined && ports.has(socket.port)))
      keep(worker.name ?? "");
  }
  return workers.filter((worker) => kept.has(worker.name ?? ""));
}

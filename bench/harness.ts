/**
 * The gateway under test: the three real Workers (their `wrangler deploy
 * --dry-run` bundles, with the bindings of their wrangler configs) and the
 * bench's peer Workers, all in ONE workerd started through the Miniflare API.
 * Each Worker gets its own direct socket, so requests skip Miniflare's entry
 * Worker and `wrangler dev`'s proxy (which cut throughput about 4x here).
 * Local R2 and the Cache API simulator persist in a temporary directory.
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import type { LegacyWorkerOptions } from "miniflare";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { buildWorkers } from "../scripts/build-workers.ts";
import { bundledWorker } from "../scripts/bundled-worker.ts";

/**
 * Ports: BENCH_PORT_BASE (default 8880, the bench's range on this shared
 * machine) plus a fixed offset each, so several benches can run at once on
 * separate ranges (each needs 30 ports from its base).
 */
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? "8880");
if (!Number.isInteger(PORT_BASE) || PORT_BASE < 1024 || PORT_BASE > 65_500) {
  throw new Error(`bench: BENCH_PORT_BASE must be an integer port from 1024 to 65500, got ${process.env.BENCH_PORT_BASE ?? ""}`);
}

export const PORTS = {
  floor: PORT_BASE + 0,
  router: PORT_BASE + 1,
  media: PORT_BASE + 2,
  forwarder: PORT_BASE + 3,
  bareCache: PORT_BASE + 4,
  bareR2: PORT_BASE + 5,
  ssePump: PORT_BASE + 6,
  verify: PORT_BASE + 7,
  seed: PORT_BASE + 8,
  api: PORT_BASE + 9,
  nginx: PORT_BASE + 10,
  sseOrigin: PORT_BASE + 11,
  nginxSse: PORT_BASE + 12,
  routerNoAssets: PORT_BASE + 13,
  mediaNoCache: PORT_BASE + 14,
  // The hop's profile: the router and its steps forwarding to the floor Worker.
  routerToFloor: PORT_BASE + 15,
  forwarderToFloor: PORT_BASE + 16,
  hopSteps: PORT_BASE + 17,
  forwarderClassToFloor: PORT_BASE + 18,
  bareCacheRewrap: PORT_BASE + 19,
} as const;

export type SocketName = Exclude<keyof typeof PORTS, "nginx" | "sseOrigin" | "nginxSse">;

/** Throwaway secrets for one run: nothing here is a real credential. */
export interface BenchSecrets {
  mediaTokenSecret: string;
  backendAuthToken: string;
  adminToken: string;
}

export interface GatewayOptions {
  /** Origin of the SSE test server that the api Worker and the pump proxy to. */
  sseOriginUrl: string;
  /** Key of the 64 KiB object, for the bare R2 Worker. */
  objectKey: string;
  /** Key under which the media Worker caches that object, for the bare cache Worker. */
  cacheKey: string;
  /**
   * Where local R2 and the Cache API persist (the caller's temporary
   * directory), so a second instance finds what a first one seeded.
   */
  stateDir: string;
  /**
   * A program Miniflare runs instead of its workerd binary, with workerd's
   * arguments (a wrapper that execs workerd under valgrind): for this start
   * only, through MINIFLARE_WORKERD_PATH.
   */
  workerdCommand?: string;
}

export interface Gateway {
  url(socket: SocketName): string;
  workerdPid: number;
  secrets: BenchSecrets;
  /** Worker log lines seen (they are discarded: printing them would cost the host process CPU). */
  logLines(): number;
  dispose(): Promise<void>;
}

function benchWorker(file: string, outdir: string, options: Partial<LegacyWorkerOptions>): LegacyWorkerOptions {
  return {
    name: `bench-${file}`,
    modules: true,
    scriptPath: join(outdir, `${file}.js`),
    compatibilityDate: "2026-11-01",
    ...options,
  } as LegacyWorkerOptions;
}

/** A loopback socket straight into one Worker entrypoint (the default export unless named). */
function socketFor(socket: SocketName, entrypoint?: string): NonNullable<LegacyWorkerOptions["unsafeDirectSockets"]>[number] {
  return { host: "127.0.0.1", port: PORTS[socket], ...(entrypoint ? { entrypoint } : {}) };
}

function directSocket(socket: SocketName): Pick<LegacyWorkerOptions, "unsafeDirectSockets"> {
  return { unsafeDirectSockets: [socketFor(socket)] };
}

/** Bundles bench/workers/*.ts (jose included) with esbuild, as wrangler would. */
async function buildBenchWorkers(outdir: string): Promise<void> {
  const entries = (await readdir("bench/workers")).filter((file) => file.endsWith(".ts")).map((file) => join("bench/workers", file));
  await build({
    entryPoints: entries,
    outdir,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    logLevel: "error",
  });
}

// Inside the project (module names are paths relative to it): dist/ is ignored by git.
const BENCH_OUT = "dist/bench";

/** Builds the three Workers' deploy bundles and the bench's peer Workers. */
export async function buildAll(): Promise<void> {
  await Promise.all([buildWorkers(), buildBenchWorkers(BENCH_OUT)]);
}

/** Starts the gateway with all peers in one workerd (bundles from buildAll()). */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const benchOut = BENCH_OUT;
  const secrets: BenchSecrets = {
    mediaTokenSecret: randomBytes(32).toString("base64url"),
    backendAuthToken: randomBytes(24).toString("base64url"),
    adminToken: randomBytes(24).toString("base64url"),
  };
  const router = bundledWorker("router", "wrangler.router.toml", { ADMIN_TOKEN: secrets.adminToken });
  const media = bundledWorker("media", "wrangler.media.toml", { MEDIA_TOKEN_SECRET_V1: secrets.mediaTokenSecret });
  const api = bundledWorker("api", "wrangler.api.toml", {
    BACKEND_AUTH_TOKEN: secrets.backendAuthToken,
    BACKEND_URL: options.sseOriginUrl,
  });
  // 1,000 SSE streams from one loopback client would trip the per-client limit
  // (600 a minute): the limiter still runs on every request, with room to spare.
  const apiRatelimits = Object.fromEntries(
    Object.entries(api.ratelimits ?? {}).map(([binding, limiter]) => [binding, { ...limiter, simple: { limit: 1_000_000, period: 60 as const } }]),
  );
  const mediaBucket = { BUCKET: "gateway-media" };

  let logLines = 0;
  // The options are in the classic (v4) shape that wrangler's config reader returns.
  const config = convertV4MiniflareOptions({
    handleStructuredLogs: () => {
      logLines++;
    },
    resourcePersistencePath: options.stateDir,
    workers: [
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
        ...benchWorker("cache", benchOut, {
          name: "bench-cache-rewrap",
          bindings: { CACHE_KEY: options.cacheKey, OBJECT_KEY: options.objectKey, REWRAP: "true" },
          r2Buckets: mediaBucket,
        }),
        ...directSocket("bareCacheRewrap"),
      },
      {
        ...benchWorker("r2", benchOut, { bindings: { OBJECT_KEY: options.objectKey }, r2Buckets: mediaBucket }),
        ...directSocket("bareR2"),
      },
      { ...benchWorker("sse-pump", benchOut, { bindings: { ORIGIN_URL: options.sseOriginUrl } }), ...directSocket("ssePump") },
      { ...benchWorker("verify", benchOut, { bindings: { MEDIA_TOKEN_SECRET_V1: secrets.mediaTokenSecret } }), ...directSocket("verify") },
      { ...benchWorker("seed", benchOut, { r2Buckets: mediaBucket }), ...directSocket("seed") },
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
        ...benchWorker("forwarder", benchOut, { name: "bench-forwarder-to-floor", serviceBindings: { MEDIA: "bench-floor" } }),
        // The default export and, on its own socket, the same forwarder as a class entrypoint.
        unsafeDirectSockets: [socketFor("forwarderToFloor"), socketFor("forwarderClassToFloor", "ForwarderEntrypoint")],
      },
      { ...benchWorker("hop-steps", benchOut, {}), ...directSocket("hopSteps") },
    ],
  });
  // Miniflare reads MINIFLARE_WORKERD_PATH when it spawns workerd, during start-up.
  const previousWorkerdPath = process.env.MINIFLARE_WORKERD_PATH;
  if (options.workerdCommand !== undefined) process.env.MINIFLARE_WORKERD_PATH = options.workerdCommand;
  let mf: Miniflare | undefined;
  try {
    mf = new Miniflare(config);
    await mf.ready;
  } catch (error) {
    // A workerd that never got ready (slow under valgrind, or failing) must not outlive the bench.
    await mf?.dispose().catch(() => undefined);
    throw error;
  } finally {
    if (previousWorkerdPath === undefined) delete process.env.MINIFLARE_WORKERD_PATH;
    else process.env.MINIFLARE_WORKERD_PATH = previousWorkerdPath;
  }
  const started = mf;
  const workerdPid = await findWorkerdPid();
  return {
    url: (socket) => `http://127.0.0.1:${PORTS[socket]}`,
    workerdPid,
    secrets,
    logLines: () => logLines,
    async dispose() {
      await started.dispose();
    },
  };
}

/**
 * The workerd process Miniflare started: a child of this process named
 * `workerd`, or, under valgrind (whose launcher execs its tool in the same
 * process), named after the tool (`callgrind-amd64`, cut to 15 characters).
 */
async function findWorkerdPid(): Promise<number> {
  const children = await readFile(`/proc/${process.pid}/task/${process.pid}/children`, "utf8");
  for (const pid of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
    const comm = (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
    if (comm === "workerd" || comm.startsWith("callgrind-")) return pid;
  }
  throw new Error("bench: no workerd child process found");
}

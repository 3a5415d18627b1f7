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
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { buildWorkers } from "../scripts/build-workers.ts";
import { BENCH_OUT, gatewayWorkers, workersBehind } from "./gateway-workers.ts";
import type { SocketName } from "./ports.ts";
import { socketUrl } from "./ports.ts";

/** Throwaway secrets for one run: nothing here is a real credential. */
export interface BenchSecrets {
  mediaTokenSecret: string;
  backendAuthToken: string;
  adminToken: string;
}

export function newSecrets(): BenchSecrets {
  return {
    mediaTokenSecret: randomBytes(32).toString("base64url"),
    backendAuthToken: randomBytes(24).toString("base64url"),
    adminToken: randomBytes(24).toString("base64url"),
  };
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
  /**
   * Start only the Workers behind these sockets (and those they call over
   * service bindings): under valgrind every isolate's reserved address space
   * counts, and about 20 of them exhaust what valgrind can give workerd.
   */
  sockets?: ReadonlySet<SocketName>;
  /** The secrets to start with (tokens can then be signed before the start); new ones if unset. */
  secrets?: BenchSecrets;
  /** A loopback port for workerd's inspector (one DevTools target per Worker); none when unset. */
  inspectorPort?: number;
}

export interface Gateway {
  url(socket: SocketName): string;
  workerdPid: number;
  secrets: BenchSecrets;
  /** Worker log lines seen (they are discarded: printing them would cost the host process CPU). */
  logLines(): number;
  dispose(): Promise<void>;
}

/** Bundles bench/workers/*.ts (jose included) with esbuild, as wrangler would. */
async function buildBenchWorkers(outdir: string): Promise<void> {
  const entries = (await readdir("bench/workers"))
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join("bench/workers", file));
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

/** Builds the three Workers' deploy bundles and the bench's peer Workers. */
export async function buildAll(): Promise<void> {
  await Promise.all([buildWorkers(), buildBenchWorkers(BENCH_OUT)]);
}

/** Starts the gateway with all peers in one workerd (bundles from buildAll()). */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const secrets = options.secrets ?? newSecrets();
  const workers = gatewayWorkers(options, secrets);
  let logLines = 0;
  // The options are in the classic (v4) shape that wrangler's config reader returns.
  const config = convertV4MiniflareOptions({
    handleStructuredLogs: () => {
      logLines++;
    },
    resourcePersistencePath: options.stateDir,
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
    workers: options.sockets === undefined ? workers : workersBehind(workers, options.sockets),
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
    url: socketUrl,
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

/**
 * Throughput of 64 KiB answers, every variant loaded by wrk from its own
 * process in interleaved rounds, with the CPU share each process got.
 */
import { cpuSeconds } from "./processes.ts";
import { withCpuShares } from "./processes.ts";
import type { Spread } from "./stats.ts";
import { interleave, spread } from "./stats.ts";
import { runWrk } from "./tools.ts";
import type { WebSocketAnswer } from "./websocket-client.ts";
import { openWebSocket } from "./websocket-client.ts";

export interface HttpVariant {
  id: string;
  description: string;
  url: string;
  headers?: Record<string, string>;
  /** GET unless set; a POST sends `body` with every request. */
  method?: "POST";
  body?: string;
  /**
   * When set, each request takes the next of these paths (on url's origin,
   * wrapping around) instead of url's own path: a different token per request.
   */
  paths?: readonly string[];
  expectStatus: number;
  expectBytes: number;
  /** Callgrind only: a WebSocket upgrade (bench/websocket-client.ts) instead of a request; expectBytes is its first message's length. */
  webSocket?: boolean;
  /** Callgrind only: requests counted per round, instead of the section's setting. */
  requests?: number;
  /** Callgrind only: how long a round waits after its last answer before its dump (background work of the requests). */
  settleMs?: number;
}

/** The URL of a variant's `turn`-th request (its own URL unless it rotates paths). */
export function requestUrl(variant: HttpVariant, turn: number): string {
  const paths = variant.paths;
  if (paths === undefined || paths.length === 0) return variant.url;
  return new URL(paths[turn % paths.length] ?? "/", variant.url).href;
}

/** The fetch() options of a variant's request (method, headers, body). */
export function requestInit(variant: HttpVariant): RequestInit {
  return { headers: variant.headers, ...(variant.method ? { method: variant.method, body: variant.body ?? "" } : {}) };
}

export interface VariantSummary {
  description: string;
  available: boolean;
  /** Why a variant could not run (its warm-up answered the wrong thing). */
  unavailable?: string;
  requestsPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  /**
   * CPU time the server (workerd or nginx) spent per request, in µs: far less
   * sensitive than req/s to what else runs on the machine, so it shows where
   * time goes even when throughput is noisy.
   */
  serverCpuUsPerRequest: Spread;
  cpuShares: Record<string, Spread>;
  /**
   * For a variant that rotates paths: requests sent over all rounds (at most;
   * wrk does not count those still in flight when it stops) and how many
   * distinct paths it had. Requests beyond that count reused a path.
   */
  pathTurns?: { sent: number; distinct: number };
}

export interface ThroughputSettings {
  rounds: number;
  seconds: number;
  connections: number;
}

/** One request of a variant (or its WebSocket opened): the status and the body's (or first message's) size. */
export async function exchange(variant: HttpVariant, turn: number, timeoutMs: number): Promise<WebSocketAnswer> {
  const url = requestUrl(variant, turn);
  if (variant.webSocket === true) return openWebSocket(url, timeoutMs);
  const response = await fetch(url, { ...requestInit(variant), signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, bytes: (await response.arrayBuffer()).byteLength };
}

/** One request as wrk would send it: checks status and body size, so a broken variant is never measured. */
export async function checkVariant(variant: HttpVariant, turn = 0): Promise<string | undefined> {
  try {
    const { status, bytes } = await exchange(variant, turn, 60_000);
    if (status !== variant.expectStatus) return `answered ${status}, expected ${variant.expectStatus}`;
    if (bytes !== variant.expectBytes) return `answered ${bytes} bytes, expected ${variant.expectBytes}`;
    return undefined;
  } catch (error) {
    return `failed: ${String(error)}`;
  }
}

export async function measureThroughput(
  variants: readonly HttpVariant[],
  settings: ThroughputSettings,
  processes: Record<string, () => number>,
): Promise<Record<string, VariantSummary>> {
  const summaries: Record<string, VariantSummary> = {};
  const runnable: HttpVariant[] = [];
  for (const variant of variants) {
    const problem = await checkVariant(variant);
    if (problem === undefined) runnable.push(variant);
    else console.log(`bench: ${variant.id} unavailable: ${problem}`);
    summaries[variant.id] = {
      description: variant.description,
      available: problem === undefined,
      ...(problem === undefined ? {} : { unavailable: problem }),
      requestsPerSecond: spread([]),
      p50Ms: spread([]),
      p99Ms: spread([]),
      serverCpuUsPerRequest: spread([]),
      cpuShares: {},
    };
  }
  const byId = new Map(runnable.map((variant) => [variant.id, variant]));
  // Where each rotating variant's next run starts in its paths: rounds go on from
  // where the last one stopped, so a path is not sent twice while any is unused.
  const nextPath = new Map<string, number>();
  const results = await interleave(
    runnable.map((variant) => variant.id),
    settings.rounds,
    async (id, round) => {
      const variant = byId.get(id);
      if (variant === undefined) throw new Error(`bench: no variant ${id}`);
      // checkVariant sent the first path already.
      const firstPath = nextPath.get(id) ?? 1;
      const {
        result,
        shares,
        cpuSeconds: used,
      } = await withCpuShares(processes, async () => {
        const wrk = await runWrk(variant.url, {
          seconds: settings.seconds,
          connections: settings.connections,
          headers: variant.headers,
          ...(variant.method ? { method: variant.method, body: variant.body ?? "" } : {}),
          ...(variant.paths ? { paths: variant.paths, firstPath } : {}),
        });
        return { result: wrk, extraCpu: { wrk: wrk.cpuSeconds } };
      });
      // Requests still in flight when wrk stopped were sent too: at most one per connection.
      if (variant.paths) nextPath.set(id, firstPath + result.requests + settings.connections);
      if (result.non2xx > 0 || result.socketErrors > 0) {
        throw new Error(
          `bench: ${id} had ${result.non2xx} non-2xx answers and ${result.socketErrors} socket errors under load`,
        );
      }
      process.stdout.write(
        `  round ${round + 1} ${id.padEnd(20)} ${result.requestsPerSecond.toFixed(0).padStart(7)} req/s\n`,
      );
      const serverSeconds = (used.workerd ?? 0) + (used.nginx ?? 0);
      return { ...result, shares, serverCpuUsPerRequest: (serverSeconds / result.requests) * 1e6 };
    },
  );
  for (const [id, runs] of Object.entries(results)) {
    const summary = summaries[id];
    if (summary === undefined) continue;
    summary.requestsPerSecond = spread(runs.map((run) => run.requestsPerSecond));
    summary.p50Ms = spread(runs.map((run) => run.p50Ms));
    summary.p99Ms = spread(runs.map((run) => run.p99Ms));
    summary.serverCpuUsPerRequest = spread(runs.map((run) => run.serverCpuUsPerRequest));
    const groups = Object.keys(runs[0]?.shares ?? {});
    summary.cpuShares = Object.fromEntries(
      groups.map((group) => [group, spread(runs.map((run) => run.shares[group] ?? 0))]),
    );
    const paths = byId.get(id)?.paths;
    if (paths) {
      summary.pathTurns = { sent: nextPath.get(id) ?? 0, distinct: paths.length };
      if (summary.pathTurns.sent > paths.length) {
        console.log(
          `bench: ${id} sent up to ${summary.pathTurns.sent} requests over ${paths.length} distinct paths: some paths were sent again`,
        );
      }
    }
  }
  return summaries;
}

/** CPU seconds of this Node process (the bench host, which also runs Miniflare's Node side). */
export function hostCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Sum of several processes' CPU seconds (nginx master + worker). */
export function groupCpuSeconds(pids: () => number[]): () => number {
  return () => pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

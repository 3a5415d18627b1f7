/**
 * `npm run bench`: the gateway measured side by side with its floor and its
 * peers, in one run, in interleaved rounds; prints every ratio with its target
 * and writes bench/results/latest.{json,md,svg}.
 *
 *   npm run bench                      # the full run (about 8 minutes)
 *   BENCH_QUICK=1 npm run bench        # a smoke run: 1 round, short loads
 *   BENCH_ROUNDS=7 BENCH_SECONDS=4 npm run bench
 *   BENCH_CALLGRIND_REQUESTS=300 npm run bench    # callgrind: requests per variant and round
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join } from "node:path";
import { mediaPath, signMediaToken } from "../shared/media-token.ts";
import type { Gateway, GatewayOptions, SocketName } from "./harness.ts";
import { buildAll, PORTS, startGateway } from "./harness.ts";
import type { HopStepsSummary } from "./hop-steps.ts";
import { measureHopSteps } from "./hop-steps.ts";
import type { InstructionsSection } from "./instructions.ts";
import { callgrindWrapper, measureInstructions } from "./instructions.ts";
import type { LargeObjectSummary } from "./large-objects.ts";
import { LARGE_OBJECT_BYTES, measureLargeObject } from "./large-objects.ts";
import type { Nginx } from "./nginx.ts";
import { startNginx } from "./nginx.ts";
import { cpuSeconds } from "./processes.ts";
import type { Check } from "./report.ts";
import { markdownTable, svgChart, textTable, verdictOf, writeResults } from "./report.ts";
import type { SseLevelSummary, SseVariant } from "./sse.ts";
import { checkSseVariant, measureSseLevel, startSseRig } from "./sse.ts";
import type { Spread } from "./stats.ts";
import { ratioSpread, spread } from "./stats.ts";
import type { HttpVariant, VariantSummary } from "./throughput.ts";
import { groupCpuSeconds, hostCpuSeconds, measureThroughput } from "./throughput.ts";
import type { TokenVerifySummary } from "./token-verify.ts";
import { measureTokenVerify } from "./token-verify.ts";
import { ensureTools, toolVersion } from "./tools.ts";

const quick = process.env.BENCH_QUICK === "1";
const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 5)),
  seconds: Number(process.env.BENCH_SECONDS ?? (quick ? 1 : 2)),
  connections: 16,
  sseRounds: quick ? 1 : 3,
  sseEvents: quick ? 20 : 30,
  sseMidStreams: 250,
  sseManyStreams: 1000,
  // At 1,000 streams opening takes about a second through workerd: 4.5 s of events leave two or more of steady state.
  sseManyEvents: quick ? 30 : 45,
  // The steady state starts this long after the last stream opened, once the opening burst's backlog has drained.
  sseSettleMs: 1000,
  verifySeconds: quick ? 0.5 : 1.5,
  stepSeconds: quick ? 0.3 : 0.6,
  largeRounds: quick ? 1 : 5,
  /** Callgrind: warm-up, then counted requests per variant and round, in concurrent loops (about 1.5 minutes in a full run). */
  instructions: {
    warmup: quick ? 50 : 150,
    requests: Number(process.env.BENCH_CALLGRIND_REQUESTS ?? (quick ? 30 : 100)),
    rounds: quick ? 1 : 3,
    concurrency: 4,
  },
};
/**
 * Distinct tokens for media-hit-fresh-token: more than its wrk rounds send
 * (its req/s stays under 2,500 here), so no token is sent twice in a run.
 */
const FRESH_TOKENS = Math.max(2000, settings.rounds * settings.seconds * 3000);

const SMALL_KEY = "bench/64k.mp4";
const SMALL_BYTES = 64 * 1024;
const LARGE_KEY = "bench/1g.mp4";
const RANGE_16K = "bytes=1024-17407";
/** Any path the router sends to MEDIA; the floor Worker answers it. */
const HOP_PATH = "/media/v1/hop-profile";
/** Where the media Worker stores SMALL_KEY in the Cache API (its cache key for bucket `media`). */
const SMALL_CACHE_KEY = `https://media-cache.invalid/media/${encodeURIComponent(SMALL_KEY)}`;

/** The bytes the seed Worker writes for a small object (the same pattern), for nginx's copy. */
function seededBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i % (1024 * 1024)) % 251;
  return bytes;
}

async function seed(url: string, key: string, size: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/?key=${encodeURIComponent(key)}&size=${size}&type=video%2Fmp4`, { method: "PUT" });
  if (!response.ok) throw new Error(`bench: seeding ${key} answered ${response.status}: ${await response.text()}`);
  return (performance.now() - started) / 1000;
}

function versions(): Record<string, string> {
  const packageVersion = (name: string): string => (JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")) as { version: string }).version;
  return {
    harness: "Miniflare API (one workerd process, a direct socket per Worker; not wrangler dev)",
    workerd: execFileSync("node_modules/.bin/workerd", ["--version"]).toString().trim(),
    miniflare: packageVersion("miniflare"),
    wrangler: packageVersion("wrangler"),
    node: process.version,
    wrk: toolVersion("wrk", ["--version"]),
    nginx: toolVersion("nginx", ["-v"]),
    kernel: release(),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? "unknown"}`,
  };
}

/**
 * A pair of throughput variants compared round by round. By default on req/s
 * (numerator / denominator: the targets are judged on this). With `by: "cpu"`
 * on server CPU per request instead, as denominator's cost / numerator's cost
 * (so above 1 still means "numerator is cheaper"): informational, it shows the
 * cost without most of the machine's noise.
 */
function ratioCheck(
  id: string,
  label: string,
  throughput: Record<string, VariantSummary>,
  numerator: string,
  denominator: string,
  target?: Check["target"],
  by: "rps" | "cpu" = "rps",
): Check {
  const a = throughput[numerator];
  const b = throughput[denominator];
  const missing = [a, b].find((variant) => variant?.available !== true);
  let value = spread([]);
  if (a && b) {
    value =
      by === "rps"
        ? ratioSpread(a.requestsPerSecond.rounds, b.requestsPerSecond.rounds)
        : ratioSpread(b.serverCpuUsPerRequest.rounds, a.serverCpuUsPerRequest.rounds);
  }
  return { id, label, unit: "x", value, ...(target ? { target } : {}), ...(missing ? { unavailable: missing.unavailable ?? "variant missing" } : {}) };
}

/**
 * A pair compared by instructions per request under callgrind, round by
 * round, as denominator's count / numerator's (above 1 means "numerator is
 * cheaper", like the CPU rows): informational.
 */
function instructionRatioCheck(id: string, label: string, section: InstructionsSection | undefined, numerator: string, denominator: string): Check {
  const [a, b] = [section?.variants[numerator], section?.variants[denominator]];
  const missing = [a, b].find((count) => count?.available !== true);
  const unavailable = section === undefined ? "not run" : (section.unavailable ?? (missing ? (missing.unavailable ?? "variant missing") : undefined));
  const value = a && b ? ratioSpread(b.instructionsPerRequest.rounds, a.instructionsPerRequest.rounds) : spread([]);
  return { id, label, unit: "x", value, ...(unavailable === undefined ? {} : { unavailable }) };
}

function spreadCheck(id: string, label: string, unit: string, value: Spread | undefined, target?: Check["target"], unavailable?: string): Check {
  return { id, label, unit, value: value ?? spread([]), ...(target ? { target } : {}), ...(unavailable ? { unavailable } : {}) };
}

/** Paths signed for one gateway instance (each start has its own token secret). */
interface SignedPaths {
  small: string;
  /** The same object, each path with a token of its own. */
  freshSmall: readonly string[];
}

/** Signs `freshCount` distinct tokens for the small object (they differ in `exp`), besides the one reused everywhere. */
async function signedPaths(gateway: Gateway, freshCount: number): Promise<SignedPaths & { large: string }> {
  const now = Math.floor(Date.now() / 1000);
  const secret = await crypto.subtle.importKey("raw", new TextEncoder().encode(gateway.secrets.mediaTokenSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sign = (key: string, ttlSeconds = 3600): Promise<string> => signMediaToken({ key, ttlSeconds, kid: "v1", secret, now });
  const fresh = await Promise.all(Array.from({ length: freshCount }, (_, i) => sign(SMALL_KEY, 3601 + i)));
  return { small: mediaPath(await sign(SMALL_KEY)), large: mediaPath(await sign(LARGE_KEY)), freshSmall: fresh.map(mediaPath) };
}

/**
 * The throughput variants served by the gateway's workerd (nginx's are added
 * beside them): one definition for the wrk rounds and for callgrind.
 */
function gatewayVariants(gateway: Gateway, paths: SignedPaths): HttpVariant[] {
  const url = (socket: SocketName): string => gateway.url(socket);
  const smallPath = paths.small;
  return [
    { id: "floor", description: "Floor Worker: 64 KiB from memory", url: url("floor"), expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "media-hit", description: "Media Worker direct, signed URL, cache hit", url: `${url("media")}${smallPath}`, expectStatus: 200, expectBytes: SMALL_BYTES },
    {
      id: "media-hit-fresh-token",
      description: "Media Worker direct, cache hit, a new signed token every request",
      url: url("media"),
      paths: paths.freshSmall,
      expectStatus: 200,
      expectBytes: SMALL_BYTES,
    },
    { id: "router-hit", description: "Router -> media, signed URL, cache hit", url: `${url("routerNoAssets")}${smallPath}`, expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "router-assets-hit", description: "Local assets layer -> router -> media, cache hit", url: `${url("router")}${smallPath}`, expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "forwarder-hit", description: "Bare forwarder -> media, cache hit", url: `${url("forwarder")}${smallPath}`, expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "bare-cache", description: "Bare cache Worker: caches.default.match only", url: url("bareCache"), expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "bare-cache-rewrap", description: "Bare cache Worker answering a new Response around the hit's body", url: url("bareCacheRewrap"), expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "media-miss", description: "Media Worker direct, cache cap 0: R2 path", url: `${url("mediaNoCache")}${smallPath}`, expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "bare-r2", description: "Bare R2 Worker: BUCKET.get only", url: url("bareR2"), expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "media-hit-206", description: "Media Worker direct, 16 KiB range on a hit", url: `${url("media")}${smallPath}`, headers: { Range: RANGE_16K }, expectStatus: 206, expectBytes: 16 * 1024 },
    // The hop's profile: router and bare forwarder, both in front of the floor Worker.
    { id: "hop-forwarder", description: "Bare forwarder -> floor", url: `${url("forwarderToFloor")}${HOP_PATH}`, expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "hop-forwarder-class", description: "Bare forwarder as a WorkerEntrypoint class -> floor", url: `${url("forwarderClassToFloor")}${HOP_PATH}`, expectStatus: 200, expectBytes: SMALL_BYTES },
    { id: "hop-router", description: "Router -> floor (the real router bundle)", url: `${url("routerToFloor")}${HOP_PATH}`, expectStatus: 200, expectBytes: SMALL_BYTES },
  ];
}

/** The variants counted under callgrind (gatewayVariants' ids). */
const INSTRUCTION_VARIANTS: readonly string[] = [
  "floor",
  "media-hit",
  "media-hit-fresh-token",
  "router-hit",
  "forwarder-hit",
  "bare-cache",
  "media-miss",
  "bare-r2",
  "media-hit-206",
  "hop-forwarder",
  "hop-router",
];

/** Instructions per request of INSTRUCTION_VARIANTS, in a gateway whose workerd runs under callgrind. */
async function countInstructions(valgrindUnavailable: string | undefined, options: GatewayOptions): Promise<InstructionsSection> {
  const section: InstructionsSection = { settings: settings.instructions, variants: {} };
  if (valgrindUnavailable !== undefined) {
    console.log(`bench: callgrind unavailable: ${valgrindUnavailable}`);
    return { ...section, unavailable: valgrindUnavailable };
  }
  const directory = await mkdtemp(join(tmpdir(), "gateway-bench-callgrind-"));
  try {
    const starting = performance.now();
    const counted = await startGateway({ ...options, workerdCommand: await callgrindWrapper(directory) });
    try {
      section.startupSeconds = (performance.now() - starting) / 1000;
      const { warmup, requests, rounds } = settings.instructions;
      // Every request of the fresh-token variant (check, warm-up, counted) gets its own token.
      const paths = await signedPaths(counted, 1 + warmup + requests * rounds);
      const variants = gatewayVariants(counted, paths).filter((variant) => INSTRUCTION_VARIANTS.includes(variant.id));
      const counting = performance.now();
      section.variants = await measureInstructions(variants, counted.workerdPid, directory, settings.instructions);
      section.seconds = (performance.now() - counting) / 1000;
    } finally {
      await counted.dispose();
    }
  } catch (error) {
    section.unavailable = error instanceof Error ? error.message : String(error);
    console.log(`bench: callgrind unavailable: ${section.unavailable}`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  return section;
}

interface Sections {
  throughput: Record<string, VariantSummary>;
  instructions?: InstructionsSection;
  tokenVerify?: TokenVerifySummary;
  largeObject?: LargeObjectSummary;
  largeObjectError?: string;
  sse: SseLevelSummary[];
  /** SSE variants whose first stream failed, with why. */
  sseUnavailable: Record<string, string>;
  hopSteps?: HopStepsSummary;
  /** Whether the bare cache Worker found the entry the media Worker stored (one shared cache). */
  bareCacheSharesMediaEntry?: boolean;
}

/** The SSE variants that proxy the origin, ours first: each gets its own rows beside the direct connection. */
const SSE_PROXIES = ["router-api", "api", "nginx", "pump"] as const;

function checksOf(sections: Sections): Check[] {
  const t = sections.throughput;
  const checks: Check[] = [
    ratioCheck("router-vs-forwarder", "Router hop: our router / bare forwarder", t, "router-hit", "forwarder-hit", { op: ">=", value: 0.95 }),
    ratioCheck("router-vs-direct", "Router hop: through router / straight to media", t, "router-hit", "media-hit", { op: ">=", value: 0.85 }),
    ratioCheck("forwarder-vs-direct", "Bare forwarder / straight to media", t, "forwarder-hit", "media-hit"),
    ratioCheck("router-assets-vs-direct", "Router behind the local assets layer / straight to media", t, "router-assets-hit", "media-hit"),
    ratioCheck("hit-vs-bare-cache", "Media hit / bare cache Worker", t, "media-hit", "bare-cache", { op: ">=", value: 0.8 }),
    ratioCheck("hit-vs-floor", "Media hit / floor", t, "media-hit", "floor"),
    ratioCheck("bare-cache-rewrap-vs-bare-cache", "Bare cache Worker re-wrapping the hit / returning it as is", t, "bare-cache-rewrap", "bare-cache"),
    ratioCheck("bare-cache-vs-floor", "Bare cache Worker / floor (Cache API simulator cost)", t, "bare-cache", "floor"),
    ratioCheck("miss-vs-bare-r2", "Media miss (R2) / bare R2 Worker", t, "media-miss", "bare-r2", { op: ">=", value: 0.8 }),
    ratioCheck("range-vs-full-hit", "206 (16 KiB range) on a hit / full 64 KiB hit", t, "media-hit-206", "media-hit"),
    ratioCheck("floor-vs-nginx", "Floor Worker / nginx static 64 KiB (context)", t, "floor", "nginx-static"),
    ratioCheck("hit-vs-nginx", "Media hit / nginx static 64 KiB (context)", t, "media-hit", "nginx-static"),
    ratioCheck("range-hit-vs-nginx-range", "Media 206 hit / nginx 206 (context)", t, "media-hit-206", "nginx-range"),
  ];
  checks.push(
    ratioCheck("router-vs-forwarder-cpu", "  same, by workerd CPU/request: router vs bare forwarder", t, "router-hit", "forwarder-hit", undefined, "cpu"),
    ratioCheck("router-vs-direct-cpu", "  same, by workerd CPU/request: router vs straight to media", t, "router-hit", "media-hit", undefined, "cpu"),
    ratioCheck("hit-vs-bare-cache-cpu", "  same, by workerd CPU/request: media hit vs bare cache", t, "media-hit", "bare-cache", undefined, "cpu"),
    ratioCheck("bare-cache-rewrap-cpu", "  same, by workerd CPU/request: bare cache re-wrapping vs as is", t, "bare-cache-rewrap", "bare-cache", undefined, "cpu"),
    ratioCheck("miss-vs-bare-r2-cpu", "  same, by workerd CPU/request: media miss vs bare R2", t, "media-miss", "bare-r2", undefined, "cpu"),
  );
  const counts = sections.instructions;
  checks.push(
    instructionRatioCheck("router-vs-forwarder-instr", "  same, by instructions (callgrind): router vs bare forwarder", counts, "router-hit", "forwarder-hit"),
    instructionRatioCheck("router-vs-direct-instr", "  same, by instructions (callgrind): router vs straight to media", counts, "router-hit", "media-hit"),
    instructionRatioCheck("hit-vs-bare-cache-instr", "  same, by instructions (callgrind): media hit vs bare cache", counts, "media-hit", "bare-cache"),
    instructionRatioCheck("miss-vs-bare-r2-instr", "  same, by instructions (callgrind): media miss vs bare R2", counts, "media-miss", "bare-r2"),
  );
  checks.push(
    ratioCheck("profile-hop-router", "Hop profile: router / bare forwarder, both -> floor", t, "hop-router", "hop-forwarder"),
    ratioCheck("profile-hop-router-cpu", "  same, by workerd CPU/request", t, "hop-router", "hop-forwarder", undefined, "cpu"),
    instructionRatioCheck("profile-hop-router-instr", "  same, by instructions (callgrind)", counts, "hop-router", "hop-forwarder"),
  );
  checks.push(
    ratioCheck("fresh-token-vs-same-token", "Media hit, a new token every request / same token", t, "media-hit-fresh-token", "media-hit"),
    ratioCheck("fresh-token-vs-same-token-cpu", "  same, by workerd CPU/request", t, "media-hit-fresh-token", "media-hit", undefined, "cpu"),
    instructionRatioCheck("fresh-token-vs-same-token-instr", "  same, by instructions (callgrind)", counts, "media-hit-fresh-token", "media-hit"),
  );
  const verify = sections.tokenVerify;
  checks.push(spreadCheck("verify-cached-vs-import", "Token verify: cached CryptoKey / import per call (jose in workerd)", "x", verify?.ratio, undefined, verify ? undefined : "not run"));
  const large = sections.largeObject;
  const largeMissing = large ? undefined : (sections.largeObjectError ?? "not run");
  checks.push(
    spreadCheck("large-end-vs-start", "1 MiB range at end / at start of 1 GiB (time to last byte)", "x", large?.endOverStartTotal, { op: "<=", value: 2 }, largeMissing),
    spreadCheck("large-end-vs-start-ttfb", "1 MiB range at end / at start of 1 GiB (time to first byte)", "x", large?.endOverStartTtfb, undefined, largeMissing),
    spreadCheck(
      "large-rss-growth",
      "workerd RSS growth while one full 1 GiB stream is served",
      "MiB",
      large ? spread([large.fullStream.rssGrowthMiB]) : undefined,
      { op: "<=", value: 64, text: "< 64 MiB" },
      largeMissing,
    ),
  );
  for (const level of sections.sse) {
    const v = level.variants;
    const routerApi = v["router-api"];
    // Judged at the steady state: every stream open (the load the target names), the opening burst drained.
    const peers = ["nginx", "pump"].map((id) => v[id]?.addedSteadyP99Ms.median ?? Number.NaN);
    // "No worse than either peer": at most the better (smaller) of the two peers' added p99.
    const bestPeer = Math.min(...peers.filter((value) => !Number.isNaN(value)));
    const many = level.streams === settings.sseManyStreams;
    const sseMissing = (id: string): string | undefined => (v[id] === undefined ? (sections.sseUnavailable[id] ?? "not run") : undefined);
    checks.push(
      spreadCheck(`sse-${level.streams}-lost`, `SSE ${level.streams} stream(s): events lost via router+api`, "events", routerApi?.lost, { op: "<=", value: 0, text: "0" }, sseMissing("router-api")),
    );
    for (const id of SSE_PROXIES) {
      const variant = v[id];
      const isOurs = id === "router-api";
      const via = variant?.description ?? id;
      checks.push(
        spreadCheck(
          `sse-${level.streams}-${id}-added-p99-steady`,
          `SSE ${level.streams} stream(s), all open: added p99 via ${via}`,
          "ms",
          variant?.addedSteadyP99Ms,
          isOurs && many && Number.isFinite(bestPeer) ? { op: "<=", value: bestPeer, text: `<= both peers' (nginx ${peers.map((p) => p.toFixed(2)).join(" ms, pump ")} ms)` } : undefined,
          sseMissing(id),
        ),
      );
    }
    for (const id of SSE_PROXIES) {
      checks.push(
        spreadCheck(`sse-${level.streams}-${id}-added-p99`, `SSE ${level.streams} stream(s), every event (opening burst included): added p99 via ${v[id]?.description ?? id}`, "ms", v[id]?.addedP99Ms, undefined, sseMissing(id)),
      );
    }
    if (many) {
      for (const id of ["direct", ...SSE_PROXIES]) {
        checks.push(spreadCheck(`sse-${level.streams}-${id}-open`, `SSE ${level.streams} streams: time to open them all via ${v[id]?.description ?? id}`, "ms", v[id]?.openMs, undefined, id === "direct" ? undefined : sseMissing(id)));
      }
    }
  }
  return checks;
}

/** The callgrind section's table (instructions per request, and over the floor Worker's). */
function instructionLines(section: InstructionsSection | undefined): string[] {
  if (section === undefined) return ["Instructions per request (callgrind): not run."];
  if (section.unavailable !== undefined) return [`Instructions per request (callgrind): unavailable (${section.unavailable}).`];
  const { warmup, requests, rounds, concurrency } = section.settings;
  const floor = section.variants.floor?.instructionsPerRequest.median;
  const thousands = (value: number): string => `${(value / 1000).toFixed(0)}k`;
  const lines = [
    `Instructions per request (callgrind: all of workerd's threads while ${requests} requests ran, ${concurrency} at a time, per variant and round; ${rounds} interleaved round(s) after ${warmup} warm-up requests per variant; median of rounds, min – max; workerd started under valgrind in ${(section.startupSeconds ?? Number.NaN).toFixed(0)} s, counting took ${(section.seconds ?? Number.NaN).toFixed(0)} s):`,
    "",
    "| Variant | instructions/request | min – max | over the floor Worker |",
    "|---|---:|---:|---:|",
  ];
  for (const [id, count] of Object.entries(section.variants)) {
    const value = count.instructionsPerRequest;
    lines.push(
      count.available
        ? `| ${id}: ${count.description} | ${thousands(value.median)} | ${thousands(value.min)} – ${thousands(value.max)} | ${floor === undefined || id === "floor" ? "–" : thousands(value.median - floor)} |`
        : `| ${id}: ${count.description} | n/a: ${count.unavailable ?? ""} | | |`,
    );
  }
  return lines;
}

const percent = (share: Spread | undefined): string => `${((share?.median ?? Number.NaN) * 100).toFixed(0)}%`;

/** The measurements behind the checks, as markdown tables (also readable on stdout). */
function details(sections: Sections): string {
  const lines: string[] = [
    "Throughput per variant (wrk, 64 KiB; req/s median of rounds) and CPU share of the machine (all cores = 100%):",
    "",
    "| Variant | req/s | min – max | p99 ms | server CPU µs/req | workerd | wrk | nginx | bench host | others |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [id, v] of Object.entries(sections.throughput)) {
    const share = (group: string): string => percent(v.cpuShares[group]);
    lines.push(
      v.available
        ? `| ${id}: ${v.description} | ${v.requestsPerSecond.median.toFixed(0)} | ${v.requestsPerSecond.min.toFixed(0)} – ${v.requestsPerSecond.max.toFixed(0)} | ${v.p99Ms.median.toFixed(2)} | ${v.serverCpuUsPerRequest.median.toFixed(0)} | ${share("workerd")} | ${share("wrk")} | ${share("nginx")} | ${share("benchHost")} | ${share("others")} |`
        : `| ${id}: ${v.description} | n/a: ${v.unavailable ?? ""} | | | | | | | | |`,
    );
  }
  for (const [id, v] of Object.entries(sections.throughput)) {
    if (v.pathTurns === undefined) continue;
    const { sent, distinct } = v.pathTurns;
    lines.push(
      "",
      `${id}: at most ${sent} requests over all rounds, over ${distinct} distinct tokens${sent > distinct ? ": some tokens were sent again" : ": none sent twice"}.`,
    );
  }
  const forwarder = sections.throughput["hop-forwarder"];
  if (forwarder?.available) {
    const extraOver = (id: string): Spread =>
      spread((sections.throughput[id]?.serverCpuUsPerRequest.rounds ?? []).map((us, round) => us - (forwarder.serverCpuUsPerRequest.rounds[round] ?? Number.NaN)));
    const [router, asClass] = [extraOver("hop-router"), extraOver("hop-forwarder-class")];
    lines.push(
      "",
      `Hop profile, end to end: workerd CPU per request ${forwarder.serverCpuUsPerRequest.median.toFixed(0)} µs for the bare forwarder -> floor; the router -> floor costs ${router.median.toFixed(0)} µs more (per-round differences ${router.min.toFixed(0)} – ${router.max.toFixed(0)} µs), the same forwarder as a WorkerEntrypoint class ${asClass.median.toFixed(0)} µs more (${asClass.min.toFixed(0)} – ${asClass.max.toFixed(0)} µs).`,
    );
  }
  const steps = sections.hopSteps;
  if (steps) {
    const parts = Object.entries(steps.stepUs).map(([step, us]) => `${step} ${us.median.toFixed(1)} µs (${us.min.toFixed(1)} – ${us.max.toFixed(1)})`);
    lines.push(
      "",
      `Hop profile, step by step (the router's own functions, and one media-style log line, each in a loop of ${steps.batch} inside workerd; workerd CPU per execution beyond an empty loop): ${parts.join("; ")}.`,
    );
  }
  lines.push("", ...instructionLines(sections.instructions));
  for (const level of sections.sse) {
    lines.push(
      "",
      `SSE, ${level.streams} stream(s), ${level.eventsPerStream} events each, one every 100 ms (medians of rounds; "all open": events written from ${level.settleMs} ms after the last stream opened; RSS growth of the proxying process per open stream):`,
      "",
      "| Variant | lost | p50 ms | p99 ms | added p99 ms | all open: p99 ms | all open: added p99 ms | open all ms | RSS KiB/stream | proxy CPU µs/event | workerd | nginx | origin | client | others |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const [id, v] of Object.entries(level.variants)) {
      lines.push(
        `| ${id}: ${v.description} | ${v.lost.median} (max ${v.lost.max}) | ${v.p50Ms.median.toFixed(2)} | ${v.p99Ms.median.toFixed(2)} | ${v.addedP99Ms.median.toFixed(2)} | ${v.steadyP99Ms.median.toFixed(2)} | ${v.addedSteadyP99Ms.median.toFixed(2)} | ${v.openMs.median.toFixed(0)} | ${Number.isNaN(v.rssPerStreamKiB.median) ? "–" : v.rssPerStreamKiB.median.toFixed(1)} | ${Number.isNaN(v.proxyCpuUsPerEvent.median) ? "–" : v.proxyCpuUsPerEvent.median.toFixed(0)} | ${percent(v.cpuShares.workerd)} | ${percent(v.cpuShares.nginx)} | ${percent(v.cpuShares.sseOrigin)} | ${percent(v.cpuShares.sseClient)} | ${percent(v.cpuShares.others)} |`,
      );
    }
  }
  for (const [id, problem] of Object.entries(sections.sseUnavailable)) lines.push("", `SSE ${id}: not measured (${problem}).`);
  const large = sections.largeObject;
  if (large) {
    const f = large.fullStream;
    lines.push(
      "",
      "Large object (1 GiB, through the router):",
      "",
      "| 1 MiB range | TTFB ms | total ms | MiB/s |",
      "|---|---:|---:|---:|",
      `| at start | ${large.start.ttfbMs.median.toFixed(1)} | ${large.start.totalMs.median.toFixed(1)} | ${large.start.mibPerSecond.median.toFixed(0)} |`,
      `| at end | ${large.end.ttfbMs.median.toFixed(1)} | ${large.end.totalMs.median.toFixed(1)} | ${large.end.mibPerSecond.median.toFixed(0)} |`,
      "",
      `Full 1 GiB stream: ${f.status}, ${f.bytes} bytes in ${f.seconds.toFixed(1)} s (${f.mibPerSecond.toFixed(0)} MiB/s); workerd RSS ${f.rssBeforeMiB.toFixed(0)} MiB before, peak ${f.rssPeakMiB.toFixed(0)} MiB (growth ${f.rssGrowthMiB.toFixed(1)} MiB).`,
    );
  } else if (sections.largeObjectError) lines.push("", `Large object: not measured (${sections.largeObjectError}).`);
  const verify = sections.tokenVerify;
  if (verify) {
    lines.push(
      "",
      `Token verification in workerd (jose jwtVerify, HS256, batches of ${verify.batch}): cached CryptoKey ${verify.cachedPerSecond.median.toFixed(0)}/s, import per call ${verify.importPerSecond.median.toFixed(0)}/s.`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const started = performance.now();
  const tools = ensureTools();
  console.log(`bench: ${settings.rounds} rounds x ${settings.seconds} s per throughput variant, wrk -t1 -c${settings.connections}`);

  await buildAll();
  const stateDir = await mkdtemp(join(tmpdir(), "gateway-bench-"));
  const gatewayOptions = { objectKey: SMALL_KEY, cacheKey: SMALL_CACHE_KEY, stateDir };
  const rig = await startSseRig(PORTS.sseOrigin).catch(async (error: unknown) => {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  });
  const sections: Sections = { throughput: {}, sse: [], sseUnavailable: {} };
  const seeding: Record<string, number> = {};
  let nginx: Nginx | undefined;
  let gateway: Gateway | undefined;
  let workerLogLines = 0;
  try {
    // Seeding runs in a throwaway instance: the measuring workerd then starts
    // without whatever memory a 1 GiB upload leaves behind, so its RSS growth
    // while streaming is measured from a clean start.
    const seeder = await startGateway({ ...gatewayOptions, sseOriginUrl: rig.originUrl });
    try {
      seeding.smallSeconds = await seed(seeder.url("seed"), SMALL_KEY, SMALL_BYTES);
      console.log("bench: writing the 1 GiB object to local R2 (streamed)");
      seeding.largeSeconds = await seed(seeder.url("seed"), LARGE_KEY, LARGE_OBJECT_BYTES);
    } finally {
      await seeder.dispose();
    }
    const live = await startGateway({ ...gatewayOptions, sseOriginUrl: rig.originUrl });
    gateway = live;
    nginx = await startNginx(seededBytes(SMALL_BYTES), rig.originUrl);
    const url = (socket: SocketName): string => live.url(socket);
    const paths = await signedPaths(live, FRESH_TOKENS);
    const [smallPath, largePath] = [paths.small, paths.large];

    console.log("bench: large objects (1 GiB), first, while workerd's memory is fresh");
    try {
      sections.largeObject = await measureLargeObject(`${url("routerNoAssets")}${largePath}`, live.workerdPid, settings.largeRounds);
    } catch (error) {
      sections.largeObjectError = String(error instanceof Error ? error.message : error);
      console.log(`bench: large objects unavailable: ${sections.largeObjectError}`);
    }

    // Fill the cache through the media Worker itself, then make sure the bare cache Worker sees an entry.
    await fetch(`${url("media")}${smallPath}`).then((response) => response.arrayBuffer());
    await new Promise((resolve) => setTimeout(resolve, 500));
    const bareCacheProbe = await fetch(url("bareCache"));
    await bareCacheProbe.arrayBuffer();
    sections.bareCacheSharesMediaEntry = bareCacheProbe.status === 200;
    if (!sections.bareCacheSharesMediaEntry) await fetch(url("bareCache"), { method: "POST" }).then((response) => response.text());

    const processes = {
      workerd: () => cpuSeconds(live.workerdPid),
      benchHost: hostCpuSeconds,
      nginx: groupCpuSeconds(() => nginx?.pids() ?? []),
    };
    const variants: HttpVariant[] = [
      ...gatewayVariants(live, paths),
      { id: "nginx-static", description: "nginx: the same 64 KiB file from disk", url: nginx.staticUrl, expectStatus: 200, expectBytes: SMALL_BYTES },
      { id: "nginx-range", description: "nginx: the same 16 KiB range", url: nginx.staticUrl, headers: { Range: RANGE_16K }, expectStatus: 206, expectBytes: 16 * 1024 },
    ];
    console.log("bench: throughput (64 KiB)");
    sections.throughput = await measureThroughput(variants, settings, processes);

    console.log("bench: the router's steps, one at a time");
    sections.hopSteps = await measureHopSteps(url("hopSteps"), live.workerdPid, settings.rounds, settings.stepSeconds);

    console.log("bench: token verification");
    sections.tokenVerify = await measureTokenVerify(url("verify"), smallPath.slice("/media/v1/".length), settings.rounds, settings.verifySeconds);

    const nginxPids = (): number[] => nginx?.pids() ?? [];
    const sseVariants: SseVariant[] = [
      { id: "direct", description: "direct to origin", url: `${rig.originUrl}/api/events`, proxyPids: () => [] },
      { id: "router-api", description: "router + api", url: `${url("routerNoAssets")}/api/events`, proxyPids: () => [live.workerdPid] },
      { id: "api", description: "api Worker alone (no router)", url: `${url("api")}/api/events`, proxyPids: () => [live.workerdPid] },
      { id: "nginx", description: "nginx (proxy_buffering off)", url: `${nginx.sseUrl}/api/events`, proxyPids: nginxPids },
      { id: "pump", description: "TransformStream pump Worker", url: `${url("ssePump")}/api/events`, proxyPids: () => [live.workerdPid] },
    ];
    const sseRunnable: SseVariant[] = [];
    for (const variant of sseVariants) {
      const problem = await checkSseVariant(variant);
      if (problem === undefined) sseRunnable.push(variant);
      else {
        sections.sseUnavailable[variant.id] = problem;
        console.log(`bench: SSE ${variant.id} unavailable: ${problem}`);
      }
    }
    for (const streams of [1, settings.sseMidStreams, settings.sseManyStreams]) {
      console.log(`bench: SSE, ${streams} stream(s), an event every 100 ms`);
      const events = streams === settings.sseManyStreams ? settings.sseManyEvents : settings.sseEvents;
      sections.sse.push(await measureSseLevel(rig, sseRunnable, streams, events, settings.sseRounds, processes, settings.sseSettleMs));
    }
    workerLogLines = live.logLines();

    // Last, in a second gateway (same ports, so the first one goes; same state
    // directory, so the seeded object is there): nothing else is measured
    // while valgrind slows workerd down.
    await nginx.stop();
    nginx = undefined;
    await live.dispose();
    gateway = undefined;
    console.log("bench: instructions per request (callgrind)");
    sections.instructions = await countInstructions(tools.valgrindUnavailable, { ...gatewayOptions, sseOriginUrl: rig.originUrl });
  } finally {
    await nginx?.stop();
    await gateway?.dispose();
    await rig.stop();
    await rm(stateDir, { recursive: true, force: true });
  }

  const checks = checksOf(sections);
  const durationSeconds = (performance.now() - started) / 1000;
  const harness = versions();
  const header = [
    `Run ${startedAt.toISOString()} in ${durationSeconds.toFixed(0)} s; ${settings.rounds} interleaved rounds (SSE: ${settings.sseRounds}); load avg at end ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    ...Object.entries(harness).map(([name, version]) => `${name}: ${version}`),
  ];
  console.log(`\n${header.join("\n")}\n`);
  console.log(textTable(checks));
  console.log(`\n${details(sections)}`);
  const markdown = [
    "# Benchmark results (latest run)",
    "",
    ...header.map((line) => `- ${line}`),
    "",
    markdownTable(checks),
    "",
    details(sections),
    "",
  ].join("\n");
  const failed = checks.filter((check) => verdictOf(check) === "miss").map((check) => check.id);
  const json = {
    startedAt: startedAt.toISOString(),
    durationSeconds,
    harness,
    settings,
    seeding,
    workerLogLines,
    checks: checks.map((check) => ({ ...check, verdict: verdictOf(check) })),
    missed: failed,
    ...sections,
  };
  await writeResults("bench/results", json, markdown, svgChart(checks));
  console.log(`\nbench: ${checks.length} checks, ${failed.length} missed${failed.length ? ` (${failed.join(", ")})` : ""}; wrote bench/results/latest.{json,md,svg}`);
}

await main();

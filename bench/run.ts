/**
 * `npm run bench`: the gateway measured side by side with its floor and its
 * peers, in one run, in interleaved rounds; prints every ratio with its target
 * and writes bench/results/latest.{json,md,svg}.
 *
 *   npm run bench                      # the full run (about 6 minutes)
 *   BENCH_QUICK=1 npm run bench        # a smoke run: 1 round, short loads
 *   BENCH_ROUNDS=7 BENCH_SECONDS=4 npm run bench
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join } from "node:path";
import { mediaPath, signMediaToken } from "../shared/media-token.ts";
import type { Gateway, SocketName } from "./harness.ts";
import { buildAll, PORTS, startGateway } from "./harness.ts";
import type { HopStepsSummary } from "./hop-steps.ts";
import { measureHopSteps } from "./hop-steps.ts";
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
  sseEvents: quick ? 10 : 30,
  sseMidStreams: 250,
  sseManyStreams: 1000,
  verifySeconds: quick ? 0.5 : 1.5,
  stepSeconds: quick ? 0.3 : 0.6,
  largeRounds: quick ? 1 : 5,
};

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

function spreadCheck(id: string, label: string, unit: string, value: Spread | undefined, target?: Check["target"], unavailable?: string): Check {
  return { id, label, unit, value: value ?? spread([]), ...(target ? { target } : {}), ...(unavailable ? { unavailable } : {}) };
}

interface Sections {
  throughput: Record<string, VariantSummary>;
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
  checks.push(
    ratioCheck("profile-hop-router", "Hop profile: router / bare forwarder, both -> floor", t, "hop-router", "hop-forwarder"),
    ratioCheck("profile-hop-router-cpu", "  same, by workerd CPU/request", t, "hop-router", "hop-forwarder", undefined, "cpu"),
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
    const peers = ["nginx", "pump"].map((id) => v[id]?.addedP99Ms.median ?? Number.NaN);
    // "No worse than either peer": at most the better (smaller) of the two peers' added p99.
    const bestPeer = Math.min(...peers.filter((value) => !Number.isNaN(value)));
    const sseMissing = (id: string): string | undefined => (v[id] === undefined ? (sections.sseUnavailable[id] ?? "not run") : undefined);
    checks.push(
      spreadCheck(`sse-${level.streams}-lost`, `SSE ${level.streams} stream(s): events lost via router+api`, "events", routerApi?.lost, { op: "<=", value: 0, text: "0" }, sseMissing("router-api")),
    );
    for (const id of ["router-api", "api", "nginx", "pump"]) {
      const variant = v[id];
      const isOurs = id === "router-api";
      checks.push(
        spreadCheck(
          `sse-${level.streams}-${id}-added-p99`,
          `SSE ${level.streams} stream(s): added p99 via ${variant?.description ?? id}`,
          "ms",
          variant?.addedP99Ms,
          isOurs && level.streams === settings.sseManyStreams && Number.isFinite(bestPeer) ? { op: "<=", value: bestPeer, text: `<= both peers' (nginx ${peers.map((p) => p.toFixed(2)).join(" ms, pump ")} ms)` } : undefined,
          sseMissing(id),
        ),
      );
    }
  }
  return checks;
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
  for (const level of sections.sse) {
    lines.push(
      "",
      `SSE, ${level.streams} stream(s), ${level.eventsPerStream} events each, one every 100 ms (medians of rounds; RSS growth of the proxying process per open stream):`,
      "",
      "| Variant | lost | p50 ms | p99 ms | added p99 ms | RSS KiB/stream | proxy CPU µs/event | workerd | nginx | origin | client | others |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const [id, v] of Object.entries(level.variants)) {
      lines.push(
        `| ${id}: ${v.description} | ${v.lost.median} (max ${v.lost.max}) | ${v.p50Ms.median.toFixed(2)} | ${v.p99Ms.median.toFixed(2)} | ${v.addedP99Ms.median.toFixed(2)} | ${Number.isNaN(v.rssPerStreamKiB.median) ? "–" : v.rssPerStreamKiB.median.toFixed(1)} | ${Number.isNaN(v.proxyCpuUsPerEvent.median) ? "–" : v.proxyCpuUsPerEvent.median.toFixed(0)} | ${percent(v.cpuShares.workerd)} | ${percent(v.cpuShares.nginx)} | ${percent(v.cpuShares.sseOrigin)} | ${percent(v.cpuShares.sseClient)} | ${percent(v.cpuShares.others)} |`,
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
  ensureTools();
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
    const sign = (key: string): Promise<string> => signMediaToken({ key, ttlSeconds: 3600, kid: "v1", secret: live.secrets.mediaTokenSecret });
    const smallPath = mediaPath(await sign(SMALL_KEY));
    const largePath = mediaPath(await sign(LARGE_KEY));

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
      { id: "floor", description: "Floor Worker: 64 KiB from memory", url: url("floor"), expectStatus: 200, expectBytes: SMALL_BYTES },
      { id: "media-hit", description: "Media Worker direct, signed URL, cache hit", url: `${url("media")}${smallPath}`, expectStatus: 200, expectBytes: SMALL_BYTES },
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
      sections.sse.push(await measureSseLevel(rig, sseRunnable, streams, settings.sseEvents, settings.sseRounds, processes));
    }
    workerLogLines = live.logLines();
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

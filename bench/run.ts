/**
 * `npm run bench`: the gateway measured side by side with its floor and its
 * peers, in one run, in interleaved rounds; prints every ratio with its target
 * and writes latest.{json,md,svg} to dist/bench-results/ (`--publish`: to
 * bench/results/). Knobs: bench/settings.ts.
 *
 *   npm run bench                      # the full run (about 8 minutes)
 *   BENCH_QUICK=1 npm run bench        # a smoke run: 1 round, short loads
 *   BENCH_ONLY=instructions BENCH_VARIANTS=media-hit,bare-cache npm run bench   # one pair by callgrind
 *
 * What is measured: bench/variants.ts (the wall-clock variants),
 * bench/callgrind-variants.ts (the kinds callgrind alone counts) and
 * bench/seeding.ts (the objects and tokens); the callgrind section:
 * bench/callgrind-section.ts; the rows: bench/checks.ts, bench/sse-checks.ts
 * and bench/budget-checks.ts; the markdown: bench/report.ts; the results
 * written: bench/publish.ts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countInstructions, rangedMissCount } from "./callgrind-section.ts";
import type { Sections } from "./check-kinds.ts";
import type { Gateway, GatewayOptions } from "./harness.ts";
import { buildAll, newSecrets, startGateway } from "./harness.ts";
import { measureIsolateHeaps } from "./isolate-heaps.ts";
import { measureHopSteps } from "./hop-steps.ts";
import { LARGE_OBJECT_BYTES, measureLargeObject } from "./large-objects.ts";
import type { Nginx } from "./nginx.ts";
import { startNginx } from "./nginx.ts";
import { PORTS } from "./ports.ts";
import { cpuSeconds } from "./processes.ts";
import { publishRun } from "./publish.ts";
import { FRESH_TOKENS, keepsVariant, runsSection, settings } from "./settings.ts";
import type { SseRig, SseVariant } from "./sse.ts";
import { checkSseVariant, measureSseLevel, startSseRig } from "./sse.ts";
import { groupCpuSeconds, hostCpuSeconds, measureThroughput } from "./throughput.ts";
import { measureTokenVerify } from "./token-verify.ts";
import { countUploadInstructions, measureUploadHeap, measureUploads } from "./uploads.ts";
import { ensureTools, harnessVersions } from "./tools.ts";
import {
  fillCache,
  LARGE_KEY,
  seed,
  seededBytes,
  seedRangedMisses,
  signedPaths,
  SMALL_BYTES,
  SMALL_CACHE_KEY,
  SMALL_KEY,
} from "./seeding.ts";
import { gatewayVariants, hopVariants, nginxVariants, sseVariants } from "./variants.ts";

/** Wall-clock seconds per section of this run, for the header (the full run must stay within 10 minutes). */
const timings: Record<string, number> = {};

async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    timings[name] = (timings[name] ?? 0) + (performance.now() - started) / 1000;
  }
}

/** The SSE levels, each with every variant whose first stream works. */
async function measureSse(
  sections: Sections,
  rig: SseRig,
  variants: readonly SseVariant[],
  processes: Record<string, () => number>,
): Promise<void> {
  const runnable: SseVariant[] = [];
  for (const variant of variants) {
    const problem = await checkSseVariant(variant);
    if (problem === undefined) runnable.push(variant);
    else {
      sections.sseUnavailable[variant.id] = problem;
      console.log(`bench: SSE ${variant.id} unavailable: ${problem}`);
    }
  }
  const levels = [
    { streams: 1, events: settings.sseEvents, rounds: settings.sseSingleRounds },
    { streams: settings.sseManyStreams, events: settings.sseManyEvents, rounds: settings.sseRounds },
  ];
  for (const { streams, events, rounds } of levels) {
    console.log(`bench: SSE, ${streams} stream(s), an event every 100 ms`);
    sections.sse.push(
      await timed(`sse ${streams}`, () =>
        measureSseLevel(rig, runnable, streams, events, rounds, processes, settings.sseSettleMs),
      ),
    );
  }
}

/** Every wall-clock section, in one gateway: large objects first (while workerd's memory is fresh), then throughput, hop, verify, SSE. */
async function measureWallClock(
  sections: Sections,
  gatewayOptions: Omit<GatewayOptions, "sseOriginUrl">,
  rig: SseRig,
): Promise<number> {
  let nginx: Nginx | undefined;
  let gateway: Gateway | undefined;
  try {
    const live = await startGateway({ ...gatewayOptions, sseOriginUrl: rig.originUrl });
    gateway = live;
    const liveNginx = await startNginx(seededBytes(SMALL_BYTES), rig.originUrl);
    nginx = liveNginx;
    const paths = await signedPaths(live.secrets, FRESH_TOKENS);
    if (runsSection("large")) {
      console.log("bench: large objects (1 GiB), first, while workerd's memory is fresh");
      try {
        sections.largeObject = await timed("large", () =>
          measureLargeObject(`${live.url("routerNoAssets")}${paths.large}`, live.workerdPid, settings.largeRounds),
        );
      } catch (error) {
        sections.largeObjectError = String(error instanceof Error ? error.message : error);
        console.log(`bench: large objects unavailable: ${sections.largeObjectError}`);
      }
    }
    sections.bareCacheSharesMediaEntry = await fillCache(live, paths);
    const processes = {
      workerd: () => cpuSeconds(live.workerdPid),
      benchHost: hostCpuSeconds,
      nginx: groupCpuSeconds(() => liveNginx.pids()),
    };
    if (runsSection("throughput")) {
      console.log("bench: throughput (64 KiB)");
      sections.throughput = await timed("throughput", () =>
        measureThroughput([...gatewayVariants(paths), ...nginxVariants(liveNginx)], settings, processes),
      );
    }
    if (runsSection("hop")) {
      console.log("bench: the router's hop profile (-> floor), and its steps one at a time");
      Object.assign(
        sections.throughput,
        await timed("hop", () => measureThroughput(hopVariants(), settings, processes)),
      );
      sections.hopSteps = await timed("hop", () =>
        measureHopSteps(live.url("hopSteps"), live.workerdPid, settings.rounds, settings.stepSeconds),
      );
    }
    if (runsSection("verify")) {
      console.log("bench: token verification");
      sections.tokenVerify = await timed("verify", () =>
        measureTokenVerify(
          live.url("verify"),
          paths.small.slice("/media/v1/".length),
          settings.rounds,
          settings.verifySeconds,
        ),
      );
    }
    if (runsSection("sse")) await measureSse(sections, rig, sseVariants(live, rig, liveNginx), processes);
    if (runsSection("uploads")) {
      console.log("bench: uploads (64 MiB): router -> media -> Durable Object -> R2 multipart vs a bare put");
      sections.uploads = await timed("uploads", () =>
        measureUploads(live.url("routerNoAssets"), live.url("bareR2Put"), live.secrets, settings.rounds),
      );
    }
    return live.logLines();
  } finally {
    await nginx?.stop();
    await gateway?.dispose();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const started = performance.now();
  const tools = ensureTools();
  console.log(
    `bench: ${settings.rounds} rounds x ${settings.seconds} s per throughput variant, wrk -t1 -c${settings.connections}; ports from ${PORTS.floor}`,
  );

  await timed("build", buildAll);
  const stateDir = await mkdtemp(join(tmpdir(), "gateway-bench-"));
  const gatewayOptions = { objectKey: SMALL_KEY, cacheKey: SMALL_CACHE_KEY, stateDir };
  const rig = await startSseRig(PORTS.sseOrigin).catch(async (error: unknown) => {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  });
  const sections: Sections = { throughput: {}, sse: [], sseUnavailable: {} };
  const seeding: Record<string, number> = {};
  let workerLogLines = 0;
  const wallClock = ["large", "throughput", "hop", "verify", "sse", "uploads"] as const;
  try {
    // Seeding runs in a throwaway instance: the measuring workerd then starts
    // without whatever memory a 1 GiB upload leaves behind, so its RSS growth
    // while streaming is measured from a clean start.
    const seeder = await startGateway({ ...gatewayOptions, sseOriginUrl: rig.originUrl });
    try {
      seeding.smallSeconds = await seed(seeder.url("seed"), SMALL_KEY, SMALL_BYTES);
      if (runsSection("instructions") && keepsVariant("media-miss-ranged"))
        seeding.rangedMissSeconds = await timed("seed-misses", async () => {
          const started = performance.now();
          await seedRangedMisses(seeder.url("seed"), rangedMissCount());
          return (performance.now() - started) / 1000;
        });
      if (runsSection("large") || runsSection("heap")) {
        console.log("bench: writing the 1 GiB object to local R2 (streamed)");
        seeding.largeSeconds = await timed("seed", () => seed(seeder.url("seed"), LARGE_KEY, LARGE_OBJECT_BYTES));
      }
    } finally {
      await seeder.dispose();
    }
    if (wallClock.some(runsSection)) workerLogLines = await measureWallClock(sections, gatewayOptions, rig);

    // In a gateway of its own with workerd's inspector on, so that no other section runs with one attached.
    if (runsSection("heap")) {
      console.log(`bench: isolate heaps (inspector): one full 1 GiB stream, ${settings.sseManyStreams} event streams`);
      const secrets = newSecrets();
      const paths = await signedPaths(secrets, 1);
      sections.isolateHeaps = await timed("heap", () =>
        measureIsolateHeaps(
          { ...gatewayOptions, sseOriginUrl: rig.originUrl, secrets },
          rig,
          paths.large,
          settings.sseManyStreams,
          settings.sseManyEvents,
          settings.sseSettleMs,
        ).catch((error: unknown) => ({ unavailable: error instanceof Error ? error.message : String(error) })),
      );
    }

    if (runsSection("uploads")) {
      console.log("bench: the media isolate's heap with uploads in flight (inspector)");
      sections.uploadHeap = await timed("uploads", () =>
        measureUploadHeap({ ...gatewayOptions, sseOriginUrl: rig.originUrl }, newSecrets()).catch((error: unknown) => ({
          unavailable: error instanceof Error ? error.message : String(error),
        })),
      );
    }

    if (runsSection("uploads")) {
      console.log("bench: uploads by instructions per MiB (callgrind)");
      sections.uploadInstructions = await timed("uploads", () =>
        countUploadInstructions(tools.valgrindUnavailable, { ...gatewayOptions, sseOriginUrl: rig.originUrl }),
      );
    }

    // Last, in a second gateway (same ports, so the first one is gone; same
    // state directory, so the seeded object is there): nothing else is
    // measured while valgrind slows workerd down.
    if (runsSection("instructions")) {
      console.log("bench: instructions per request (callgrind)");
      sections.instructions = await timed("instructions", () =>
        countInstructions(tools.valgrindUnavailable, { ...gatewayOptions, sseOriginUrl: rig.originUrl }),
      );
    }
  } finally {
    await rig.stop();
    await rm(stateDir, { recursive: true, force: true });
  }

  await publishRun({
    startedAt,
    durationSeconds: (performance.now() - started) / 1000,
    timings,
    harness: harnessVersions(),
    seeding,
    workerLogLines,
    sections,
  });
}

await main();

/**
 * `npm run soak`: 60 s of mixed traffic at 200 concurrent clients against the
 * whole gateway (router → media/api in one workerd, scripts/local-gateway.ts)
 * with the real local backend behind the api Worker. Loopback only, bounded,
 * stops by itself. Reports requests, 5xx, hung connections (a request with no
 * complete answer within HANG_MS), workerd's RSS after the first and the
 * last 20 s of the measured 60 s, which follow a warm-up of the same traffic,
 * and each Worker's own V8 heap through workerd's inspector
 * (scripts/isolate-heap.ts): after warm-up, at the end, and its peak.
 *
 * Traffic, by weight: media cache hits (small objects, whole or ranged),
 * media misses (objects above the cache cap, ranged reads from R2), API JSON,
 * uploads through the api proxy (256 KiB), event streams (read for a while,
 * some to the end, some hung up early). Beside them, SOAK_UPLOADERS (4)
 * clients upload with tus in a loop (scripts/soak-uploads.ts: 512 KiB and
 * 11 MiB, each downloaded and compared byte for byte, the 11 MiB ones beside a
 * control object stored by one put), and the media Worker posts each
 * completion to the backend's webhook, which verifies it.
 *
 *   SOAK_SECONDS=60 SOAK_WARMUP_SECONDS=90 SOAK_CLIENTS=200 npm run soak
 *   SOAK_INSPECTOR=0 npm run soak      # without the inspector (its cost on throughput)
 *   SOAK_SNAPSHOTS=<dir> npm run soak  # heap snapshots of our isolates after warm-up and at the end
 *   SOAK_PEERS=1 npm run soak          # the same traffic against the bench's bare peer Workers
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import { backendHandler, createBackendServer } from "../backend/server.ts";
import { UPLOAD_WEBHOOK_PATH } from "../backend/uploads.ts";
import { mediaPath } from "../shared/media-token.ts";
import { signMediaToken } from "../shared/token-sign.ts";
import { buildWorkers } from "./build-workers.ts";
import { rssKiB, smapsRollup, workerdPid } from "./workerd-process.ts";
import type { HeapReading, IsolateSession } from "./isolate-heap.ts";
import { mib, nudgeOnce, openIsolates, workerTarget } from "./isolate-heap.ts";
import { startLocalGateway } from "./local-gateway.ts";
import type { DownloadTiming } from "./soak-uploads.ts";
import { MULTIPART_UPLOAD_BYTES, newUploadTally, spread, uploadOnce } from "./soak-uploads.ts";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
/**
 * Traffic before the measured window. workerd's RSS climbs while its isolates'
 * heaps fill (about 1 GB here after 15-20k requests, then flat: V8 collects
 * lazily); "flat once warm" is judged after this.
 */
const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? 90);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 200);
/** Clients that upload with tus in a loop, beside the mixed ones (each upload holds about two 5 MiB parts). */
const UPLOADERS = Number(process.env.SOAK_UPLOADERS ?? 4);
/** The hardening port range on this shared machine is 8900-8919. */
const ROUTER_PORT = 8910;
const INSPECTOR_PORT = 8911;
const INSPECT = process.env.SOAK_INSPECTOR !== "0";
const SNAPSHOT_DIR = process.env.SOAK_SNAPSHOTS;
/**
 * The same traffic against the bench's bare peer Workers (bench/workers/) in
 * one workerd instead of ours: media hits to the bare cache Worker, misses to
 * the bare R2 Worker (one 64 KiB object), the api kinds to the bare fetch
 * Worker with the api's limiter, straight to the backend. Their RSS is the
 * runtime's and the simulators' own; no heap rows, no body checks.
 */
const PEERS = process.env.SOAK_PEERS === "1";
/** The peers' sockets: the bench's port layout from the start of this helper's bench range. */
const PEER_PORT_BASE = "8980";
/** How often each isolate's heap is read under load (a forced full collection each time); SOAK_HEAP_EVERY_SECONDS=0 reads only at rest. */
const HEAP_EVERY_MS = Number(process.env.SOAK_HEAP_EVERY_SECONDS ?? 10) * 1000;
/** Each Worker's live heap stays under this (the isolate's limit is 128 MB in production). */
const HEAP_BUDGET_BYTES = 32 * 1024 * 1024;
/** Each Worker's live heap changes by at most this between the end of warm-up and the end of the run. */
const HEAP_FLAT_PERCENT = 10;
/** Our Workers, and Miniflare's R2 and cache simulators (same process, reported for where the RSS goes). */
const WORKERS = ["gateway-router", "gateway-media", "gateway-api"] as const;
const SIMULATORS = ["r2:bucket", "cache:cache"] as const;
/** A request with no complete answer after this long counts as hung (a tus download: no byte for this long). */
const HANG_MS = 30_000;
const SMALL_OBJECTS = 40;
const SMALL_SIZE = 64 * 1024;
const LARGE_OBJECTS = 8;
const LARGE_SIZE = 2 * 1024 * 1024;
/** Below LARGE_SIZE, so the large objects are never cached: every read of them is a miss served from R2. */
const CACHE_MAX_BYTES = 1024 * 1024;

/** The part of an R2 binding (reached from Node through Miniflare) that seeding uses. */
interface SeedableBucket {
  put(key: string, value: Uint8Array, options: { httpMetadata: { contentType: string } }): Promise<unknown>;
}

type Kind = "media-hit" | "media-miss" | "api-json" | "upload" | "sse";
const MIX: [Kind, number][] = [
  ["media-hit", 40],
  ["media-miss", 15],
  ["api-json", 25],
  ["upload", 10],
  ["sse", 10],
];

interface Tally {
  requests: number;
  byKind: Record<Kind, number>;
  byStatus: Record<string, number>;
  serverErrors: number;
  networkErrors: number;
  hung: number;
  wrongBodies: number;
}

const tally: Tally = {
  requests: 0,
  byKind: { "media-hit": 0, "media-miss": 0, "api-json": 0, upload: 0, sse: 0 },
  byStatus: {},
  serverErrors: 0,
  networkErrors: 0,
  hung: 0,
  wrongBodies: 0,
};

const any = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** SOAK_ONLY=<kind> runs one kind of traffic alone (to find which one a trend belongs to). */
const ONLY = process.env.SOAK_ONLY as Kind | undefined;

function pick(): Kind {
  if (ONLY !== undefined) return ONLY;
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = Math.random() * total;
  for (const [kind, weight] of MIX) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return "api-json";
}

interface HeapSample {
  second: number;
  /** Read with no request in flight (after warm-up and at the end), not under load. */
  atRest: boolean;
  readings: Map<string, HeapReading>;
}

/**
 * Per isolate: the live heap at rest after warm-up and at the end (what the
 * isolate keeps between requests; flatness is judged on these two), the peak
 * of every reading (under load: 200 clients' requests in flight), and the change.
 * Readings under load swing by ±20% with what is in flight at that instant,
 * so they say nothing about growth.
 */
function heapSummary(samples: HeapSample[], target: string) {
  const used = (sample: HeapSample | undefined) => sample?.readings.get(target)?.usedBytes ?? 0;
  const rest = samples.filter((sample) => sample.atRest);
  const afterWarmup = rest[0];
  const end = rest.at(-1);
  const peak = Math.max(...samples.map(used));
  const changePercent = used(afterWarmup) > 0 ? ((used(end) - used(afterWarmup)) / used(afterWarmup)) * 100 : 0;
  return {
    afterWarmupMiB: mib(used(afterWarmup)),
    endMiB: mib(used(end)),
    peakMiB: mib(peak),
    peakUnderLoadMiB: mib(Math.max(0, ...samples.filter((sample) => !sample.atRest).map(used))),
    externalAtEndMiB: mib(end?.readings.get(target)?.externalBytes ?? 0),
    totalAtEndMiB: mib(end?.readings.get(target)?.totalBytes ?? 0),
    changePercent: Math.round(changePercent * 10) / 10,
    peakBytes: peak,
    uncollectedReadings: samples.filter((sample) => sample.readings.get(target)?.collected === false).length,
  };
}

/** The 11 MiB downloads' times (ms): to the headers, to the last byte, the longest wait between chunks; and their chunk counts. */
function downloadSpread(timings: DownloadTiming[]) {
  return {
    firstByteMs: spread(timings.map((timing) => timing.firstByteMs)),
    totalMs: spread(timings.map((timing) => timing.totalMs)),
    longestGapMs: spread(timings.map((timing) => timing.longestGapMs)),
    chunks: spread(timings.map((timing) => timing.chunks)),
  };
}

/** What one soak's requests go to. */
interface TrafficPlan {
  /** Paths (signed media URLs) of the cached and of the uncached objects. */
  small: string[];
  large: string[];
  uploadBody: Uint8Array<ArrayBuffer>;
  urlOf: (kind: Kind, path: string) => URL;
  /** Whether each answer's length is checked against what was asked for (the peers ignore Range). */
  checkBodies: boolean;
}

/** One request of the given kind; returns once its answer is complete (or hung/failed). */
async function requestOnce(kind: Kind, plan: TrafficPlan): Promise<void> {
  const signal = AbortSignal.timeout(HANG_MS);
  let path: string;
  let init: RequestInit = { signal };
  let expectBytes: number | undefined;
  if (kind === "media-hit") {
    path = any(plan.small);
    if (Math.random() < 0.5) {
      const start = Math.floor(Math.random() * (SMALL_SIZE - 1000));
      init = { ...init, headers: { Range: `bytes=${start}-${start + 999}` } };
      expectBytes = 1000;
    } else expectBytes = SMALL_SIZE;
  } else if (kind === "media-miss") {
    path = any(plan.large);
    const start = Math.floor(Math.random() * (LARGE_SIZE - 65_536));
    init = { ...init, headers: { Range: `bytes=${start}-${start + 65_535}` } };
    expectBytes = 65_536;
  } else if (kind === "api-json") {
    path = "/api/v1/hello";
  } else if (kind === "upload") {
    path = "/api/v1/upload";
    init = { ...init, method: "POST", body: plan.uploadBody, headers: { "Content-Type": "application/octet-stream" } };
  } else {
    // Ten events 100 ms apart; a third of the clients hang up after the third event.
    path = "/api/v1/events?every=100&count=10";
    init = { ...init, headers: { Accept: "text/event-stream" } };
  }
  tally.requests += 1;
  tally.byKind[kind] += 1;
  try {
    const response = await fetch(plan.urlOf(kind, path), init);
    tally.byStatus[response.status] = (tally.byStatus[response.status] ?? 0) + 1;
    if (response.status >= 500) tally.serverErrors += 1;
    if (kind === "sse" && Math.random() < 1 / 3 && response.body) {
      const reader = response.body.getReader();
      let events = 0;
      const decoder = new TextDecoder();
      while (events < 3) {
        const { done, value } = await reader.read();
        if (done) break;
        events += (decoder.decode(value).match(/\n\n/g) ?? []).length;
      }
      await reader.cancel();
      return;
    }
    const bytes = (await response.arrayBuffer()).byteLength;
    if (plan.checkBodies && expectBytes !== undefined && response.status < 300 && bytes !== expectBytes)
      tally.wrongBodies += 1;
  } catch (error) {
    if (signal.aborted) tally.hung += 1;
    else tally.networkErrors += 1;
    if (process.env.SOAK_VERBOSE) console.error(kind, error);
  }
}

async function main(): Promise<void> {
  console.log(`soak: building the Worker bundles`);
  await buildWorkers();
  const secrets = {
    ADMIN_TOKEN: randomBytes(24).toString("base64url"),
    MEDIA_TOKEN_SECRET_V1: randomBytes(32).toString("base64url"),
    BACKEND_AUTH_TOKEN: randomBytes(24).toString("base64url"),
  };
  const webhookSecret = `whsec_${randomBytes(32).toString("base64")}`;
  // The bare fetch Worker adds no proxy token: against the peers the backend asks for none.
  const backendSecrets = PEERS
    ? { MEDIA_TOKEN_SECRET_V1: secrets.MEDIA_TOKEN_SECRET_V1 }
    : {
        BACKEND_AUTH_TOKEN: secrets.BACKEND_AUTH_TOKEN,
        MEDIA_TOKEN_SECRET_V1: secrets.MEDIA_TOKEN_SECRET_V1,
        MEDIA_UPLOAD_WEBHOOK_SECRET: webhookSecret,
      };
  // The webhook deliveries by the backend's answer (204 verified; anything else refused), its log lines kept quiet.
  const webhooks: Record<string, number> = {};
  const handler = backendHandler(backendSecrets, () => undefined);
  /** Requests the backend has not finished answering (its idle keep-alive sockets are not counted). */
  let backendRequestsOpen = 0;
  const backend = createBackendServer(backendSecrets, (request: IncomingMessage, response: ServerResponse) => {
    if (request.url === UPLOAD_WEBHOOK_PATH)
      response.on("finish", () => (webhooks[response.statusCode] = (webhooks[response.statusCode] ?? 0) + 1));
    backendRequestsOpen += 1;
    response.on("close", () => (backendRequestsOpen -= 1));
    handler(request, response);
  });
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  let logLines = 0;
  /** The api's log lines for its 502s and 504s (the backend shares this process with the clients). */
  const backendFailures: string[] = [];
  if (PEERS) {
    await soakPeers(backendUrl, backend);
    return;
  }
  const gateway = await startLocalGateway({
    backendUrl,
    secrets,
    directPort: ROUTER_PORT,
    liftRateLimit: true,
    mediaVars: {
      CACHE_MAX_BYTES: String(CACHE_MAX_BYTES),
      MEDIA_UPLOAD_WEBHOOK_URL: `${backendUrl}${UPLOAD_WEBHOOK_PATH}`,
      MEDIA_UPLOAD_WEBHOOK_SECRET: webhookSecret,
    },
    onLog: (message) => {
      logLines += 1;
      if (message.includes('"backend-unreachable"') || message.includes('"backend-timeout"'))
        backendFailures.push(message);
    },
    ...(INSPECT ? { inspectorPort: INSPECTOR_PORT } : {}),
  });
  const pid = await workerdPid();
  const targets = [...WORKERS.map(workerTarget), ...SIMULATORS];
  const isolates: Map<string, IsolateSession> = INSPECT
    ? await openIsolates(INSPECTOR_PORT, targets)
    : new Map<string, IsolateSession>();

  try {
    // Miniflare's R2 type comes from a workers-types copy this program cannot resolve: only put() is used.
    const bucket = (await gateway.miniflare.getR2Bucket("MEDIA_BUCKET", "gateway-media")) as unknown as SeedableBucket;
    const small: string[] = [];
    const large: string[] = [];
    for (let i = 0; i < SMALL_OBJECTS; i++) {
      const key = `soak/small-${i}.mp4`;
      await bucket.put(key, randomBytes(SMALL_SIZE), { httpMetadata: { contentType: "video/mp4" } });
      small.push(
        mediaPath(await signMediaToken({ key, ttlSeconds: 3600, kid: "v1", secret: secrets.MEDIA_TOKEN_SECRET_V1 })),
      );
    }
    for (let i = 0; i < LARGE_OBJECTS; i++) {
      const key = `soak/large-${i}.mp4`;
      await bucket.put(key, randomBytes(LARGE_SIZE), { httpMetadata: { contentType: "video/mp4" } });
      large.push(
        mediaPath(await signMediaToken({ key, ttlSeconds: 3600, kid: "v1", secret: secrets.MEDIA_TOKEN_SECRET_V1 })),
      );
    }
    const uploadBody = randomBytes(256 * 1024);
    const base = gateway.url;
    const controlKey = "soak/control-upload-size.bin";
    const controlBytes = randomBytes(MULTIPART_UPLOAD_BYTES);
    await bucket.put(controlKey, controlBytes, { httpMetadata: { contentType: "application/octet-stream" } });
    const control = {
      url: new URL(
        mediaPath(
          await signMediaToken({ key: controlKey, ttlSeconds: 3600, kid: "v1", secret: secrets.MEDIA_TOKEN_SECRET_V1 }),
        ),
        base,
      ),
      bytes: controlBytes,
    };

    const one = (kind: Kind) =>
      requestOnce(kind, { small, large, uploadBody, urlOf: (_kind, path) => new URL(path, base), checkBodies: true });

    const started = Date.now();
    const samples: { second: number; rssKiB: number; requests: number }[] = [];
    const sampler = setInterval(() => {
      void rssKiB(pid).then((rss) =>
        samples.push({ second: Math.round((Date.now() - started) / 1000), rssKiB: rss, requests: tally.requests }),
      );
    }, 5_000);
    /** One request through each isolate (router, media via the cache, media via R2, api): workerd runs a forced collection only when a request enters it. */
    const nudge = async (): Promise<void> => {
      await Promise.all(
        [any(small), any(large), "/api/v1/hello"].map((path) =>
          nudgeOnce(new URL(path, base).href, { headers: { Range: "bytes=0-0" } }),
        ),
      );
    };
    const heapSamples: HeapSample[] = [];
    const snapshots: string[] = [];
    let heapReading: Promise<void> = Promise.resolve();
    /** Reads every isolate's heap; one reading at a time, so a slow collection never overlaps the next. */
    const readHeapsNow = async (atRest: boolean): Promise<void> => {
      const second = Math.round((Date.now() - started) / 1000);
      const readings = new Map<string, HeapReading>();
      for (const [target, session] of isolates) readings.set(target, await session.heap(nudge));
      heapSamples.push({ second, atRest, readings });
    };
    const snapshotAll = async (label: string): Promise<void> => {
      if (SNAPSHOT_DIR === undefined) return;
      await mkdir(SNAPSHOT_DIR, { recursive: true });
      for (const name of WORKERS) {
        const session = isolates.get(workerTarget(name));
        const path = `${SNAPSHOT_DIR}/${name}-${label}.heapsnapshot`;
        if (session) snapshots.push(`${path} (${mib(await session.snapshot(path))} MiB)`);
      }
    };
    const heapSampler = setInterval(() => {
      if (INSPECT && HEAP_EVERY_MS > 0) heapReading = heapReading.then(() => readHeapsNow(false));
    }, HEAP_EVERY_MS || 60_000);
    /** All clients sending until `until`; each finishes the request it is in. */
    const uploads = newUploadTally();
    const traffic = (until: number) =>
      Promise.all([
        ...Array.from({ length: CLIENTS }, async () => {
          while (Date.now() < until) await one(pick());
        }),
        ...Array.from({ length: ONLY === undefined ? UPLOADERS : 0 }, async (_, client) => {
          for (let round = client; Date.now() < until; round += 1)
            await uploadOnce(base, secrets.MEDIA_TOKEN_SECRET_V1, uploads, round, HANG_MS, control);
        }),
      ]);
    /** With every client's request finished: each isolate's live heap without requests in flight, and (SOAK_SNAPSHOTS) a snapshot. */
    const atRest = async (label: string): Promise<void> => {
      await heapReading;
      if (!INSPECT) return;
      await readHeapsNow(true);
      await snapshotAll(label);
    };

    console.log(
      `soak: ${CLIENTS} clients for ${WARMUP_SECONDS} s of warm-up and ${SECONDS} s measured, against ${base.href} (workerd pid ${pid})`,
    );
    await traffic(started + WARMUP_SECONDS * 1000);
    await atRest("warm");
    const measuredStart = Date.now();
    await traffic(measuredStart + SECONDS * 1000);
    clearInterval(sampler);
    clearInterval(heapSampler);
    const elapsed = (Date.now() - started) / 1000;
    await atRest("end");
    const smaps = await smapsRollup(pid);
    const rssAt = (second: number) =>
      samples.reduce(
        (best, sample) => (Math.abs(sample.second - second) < Math.abs(best.second - second) ? sample : best),
        samples[0] ?? { second: 0, rssKiB: 0, requests: 0 },
      );
    const measuredFrom = Math.round((measuredStart - started) / 1000);
    const first = rssAt(measuredFrom + 20);
    const last = rssAt(measuredFrom + SECONDS);
    const change = first.rssKiB > 0 ? ((last.rssKiB - first.rssKiB) / first.rssKiB) * 100 : 0;
    // Idle keep-alive connections from workerd may stay a while; streams the clients left must not.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Every completed upload's webhook, retried by its Durable Object until the backend answers 2xx.
    const webhookDeadline = Date.now() + 15_000;
    while ((webhooks[204] ?? 0) < uploads.completed && Date.now() < webhookDeadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
    const openAtBackend = await new Promise<number>((resolve) =>
      backend.getConnections((_error, count) => resolve(count)),
    );

    const report = {
      seconds: Math.round(elapsed),
      inspector: INSPECT,
      warmupSeconds: WARMUP_SECONDS,
      clients: CLIENTS,
      requests: tally.requests,
      requestsPerSecond: Math.round(tally.requests / elapsed),
      byKind: tally.byKind,
      byStatus: tally.byStatus,
      serverErrors5xx: tally.serverErrors,
      networkErrors: tally.networkErrors,
      hungConnections: tally.hung,
      wrongBodyLengths: tally.wrongBodies,
      tusUploads: {
        uploaders: UPLOADERS,
        ...uploads,
        patchMs: spread(uploads.patchMs),
        downloads: {
          uploaded: downloadSpread(uploads.downloads.uploaded),
          control: downloadSpread(uploads.downloads.control),
        },
        webhooksByBackendAnswer: webhooks,
      },
      workerdRssMiB: {
        [`at ${first.second} s`]: Math.round(first.rssKiB / 1024),
        [`at ${last.second} s`]: Math.round(last.rssKiB / 1024),
        changePercent: Math.round(change * 10) / 10,
        samples: samples.map((sample) => `${sample.second}s:${Math.round(sample.rssKiB / 1024)}`).join(" "),
      },
      workerdSmapsRollupMiB: smaps,
      heapMiB: Object.fromEntries(
        targets
          .filter((target) => isolates.has(target))
          .map((target) => {
            const { peakBytes: _peak, ...row } = heapSummary(heapSamples, target);
            return [target, row];
          }),
      ),
      heapSamplesMiB: Object.fromEntries(
        WORKERS.filter((name) => isolates.has(workerTarget(name))).map((name) => [
          name,
          heapSamples
            .map(
              (sample) =>
                `${sample.second}s${sample.atRest ? "(rest)" : ""}:${mib(sample.readings.get(workerTarget(name))?.usedBytes ?? 0)}`,
            )
            .join(" "),
        ]),
      ),
      ...(snapshots.length > 0 ? { heapSnapshots: snapshots } : {}),
      backendConnectionsOpen2sAfter: openAtBackend,
      backendRequestsOpen2sAfter: backendRequestsOpen,
      workerLogLines: logLines,
      apiBackendFailures: { count: backendFailures.length, first: backendFailures.slice(0, 5) },
    };
    console.log(JSON.stringify(report, null, 2));
    const heapProblems = WORKERS.filter((name) => isolates.has(workerTarget(name))).flatMap((name) => {
      const row = heapSummary(heapSamples, workerTarget(name));
      const problems: string[] = [];
      if (row.peakBytes >= HEAP_BUDGET_BYTES)
        problems.push(`${name}: used heap peaked at ${row.peakMiB} MiB (budget ${mib(HEAP_BUDGET_BYTES)} MiB)`);
      if (Math.abs(row.changePercent) > HEAP_FLAT_PERCENT)
        problems.push(
          `${name}: used heap changed ${row.changePercent}% after warm-up (${row.afterWarmupMiB} → ${row.endMiB} MiB)`,
        );
      return problems;
    });
    for (const name of WORKERS) {
      if (!isolates.has(workerTarget(name))) continue;
      const row = heapSummary(heapSamples, workerTarget(name));
      console.log(
        `soak: heap ${name.padEnd(15)} at rest after warm-up ${row.afterWarmupMiB} MiB, end ${row.endMiB} MiB (${row.changePercent}%), peak ${row.peakMiB} MiB (under load ${row.peakUnderLoadMiB} MiB)`,
      );
    }
    for (const problem of heapProblems) console.log(`soak: heap FAIL ${problem}`);
    const ok =
      tally.serverErrors === 0 &&
      tally.hung === 0 &&
      tally.networkErrors === 0 &&
      tally.wrongBodies === 0 &&
      uploads.serverErrors === 0 &&
      uploads.failed === 0 &&
      uploads.hung === 0 &&
      uploads.mismatched === 0 &&
      uploads.verified === uploads.completed &&
      (webhooks[204] ?? 0) === uploads.completed &&
      Object.keys(webhooks).every((status) => status === "204") &&
      Math.abs(change) <= 10 &&
      heapProblems.length === 0;
    console.log(
      `soak: ${ok ? "PASS" : "FAIL"} (targets: 0 5xx, 0 hung, 0 network errors, 0 wrong bodies, every tus upload completed and downloaded byte for byte with one verified webhook each, RSS within 10% from 20 s into the measured window to its end, each Worker's used heap under ${mib(HEAP_BUDGET_BYTES)} MiB and within ${HEAP_FLAT_PERCENT}% at rest from warm-up to the end)`,
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    for (const session of isolates.values()) session.close();
    await gateway.dispose();
    await new Promise<void>((resolve) => {
      backend.close(() => resolve());
      backend.closeAllConnections();
    });
  }
}

await main();

/** SOAK_PEERS=1: the same clients and mix against the bench's bare peers, reporting workerd's RSS (see PEERS). */
async function soakPeers(backendUrl: string, backend: { close(): void; closeAllConnections(): void }): Promise<void> {
  process.env.BENCH_PORT_BASE ??= PEER_PORT_BASE;
  const { buildAll, startGateway } = await import("../bench/harness.ts");
  const stateDir = await mkdtemp(join(tmpdir(), "soak-peers-"));
  await buildAll();
  const objectKey = "soak/peer-64k.mp4";
  const peers = await startGateway({
    sseOriginUrl: backendUrl,
    objectKey,
    cacheKey: "https://soak.invalid/peer-64k",
    stateDir,
    sockets: new Set(["bareCache", "bareR2", "bareFetchLimited", "seed"] as const),
  });
  try {
    await (
      await fetch(`${peers.url("seed")}/?key=${encodeURIComponent(objectKey)}&size=${SMALL_SIZE}`, { method: "PUT" })
    ).arrayBuffer();
    await (await fetch(peers.url("bareCache"), { method: "POST" })).arrayBuffer();
    const plan: TrafficPlan = {
      small: ["/peer"],
      large: ["/peer"],
      uploadBody: randomBytes(256 * 1024),
      urlOf: (kind, path) =>
        new URL(
          path,
          kind === "media-hit"
            ? peers.url("bareCache")
            : kind === "media-miss"
              ? peers.url("bareR2")
              : peers.url("bareFetchLimited"),
        ),
      checkBodies: false,
    };
    const started = Date.now();
    const rss: string[] = [];
    const sampler = setInterval(() => {
      void rssKiB(peers.workerdPid).then((kib) =>
        rss.push(`${Math.round((Date.now() - started) / 1000)}s:${Math.round(kib / 1024)}`),
      );
    }, 5_000);
    console.log(`soak: peers, ${CLIENTS} clients for ${WARMUP_SECONDS + SECONDS} s (workerd pid ${peers.workerdPid})`);
    const until = started + (WARMUP_SECONDS + SECONDS) * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < until) await requestOnce(pick(), plan);
      }),
    );
    clearInterval(sampler);
    const elapsed = (Date.now() - started) / 1000;
    console.log(
      JSON.stringify(
        {
          peers: true,
          seconds: Math.round(elapsed),
          requests: tally.requests,
          requestsPerSecond: Math.round(tally.requests / elapsed),
          byKind: tally.byKind,
          byStatus: tally.byStatus,
          workerdRssMiB: rss.join(" "),
          workerdSmapsRollupMiB: await smapsRollup(peers.workerdPid),
        },
        null,
        2,
      ),
    );
  } finally {
    await peers.dispose();
    await rm(stateDir, { recursive: true, force: true });
    backend.closeAllConnections();
    backend.close();
  }
}

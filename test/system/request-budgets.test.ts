/**
 * Invocation and subrequest budgets per request kind, counted through the
 * three real Workers (their deploy bundles, in one workerd through Miniflare)
 * and compared for equality with the data of docs/operations.md's "Limits and
 * budgets per request" table (docs/request-budgets.json, which the table is
 * made from), so the table and the counts cannot drift. What counts what:
 * - Worker invocations: a real tail Worker (test/workers/invocation-tally.js)
 *   named in every Worker's `tails`, one trace item per invocation.
 * - R2 reads: the media Worker's MEDIA_BUCKET is a real Worker
 *   (test/workers/counting-r2.js) that forwards each head() and get() to the
 *   real local bucket and counts it, the cache fill's read included.
 * - Cache matches: the `cache-io` entries media's `Server-Timing` writes
 *   around each cache call on the client's path; the fill's cache put is shown
 *   by the next request being a HIT with no R2 read.
 * - Backend fetches: requests and upgrades arriving at the real Node backend.
 * The api's rate-limiter calls are not counted (not a subrequest here).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import type { LegacyWorkerOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { backendHandler, createBackendServer } from "../../backend/server.ts";
import type { BudgetCounts } from "../../scripts/budget-table.ts";
import { readBudgetRows } from "../../scripts/budget-table.ts";
import { bundledWorker } from "../../scripts/bundled-worker.ts";
import { mediaPath, mediaPrefixPath } from "../../shared/media-token.ts";
import { signMediaToken } from "../../shared/token-sign.ts";
import { TEST_SECRETS } from "../secrets.ts";

/** Objects up to this size are cached (small, so one test object is above it). */
const CACHE_MAX_BYTES = 256 * 1024;

type Budget = BudgetCounts;

/** The rows with counts (the CPU-only row has none), keyed by kind: the table of docs/operations.md is made from them. */
function budgetsFromData(): Map<string, Budget> {
  const rows = new Map<string, Budget>();
  for (const row of readBudgetRows()) if (row.counts !== null) rows.set(row.kind, row.counts);
  return rows;
}

let miniflare: Miniflare;
let entry: URL;
let backendRequests = 0;
let closeBackend: () => Promise<void>;

async function startCountedBackend(): Promise<string> {
  const secrets = { ...TEST_SECRETS.media, BACKEND_AUTH_TOKEN: TEST_SECRETS.api.BACKEND_AUTH_TOKEN };
  const backend = backendHandler(secrets);
  const server = createBackendServer(secrets, (request: IncomingMessage, response: ServerResponse) => {
    backendRequests += 1;
    backend(request, response);
  });
  server.prependListener("upgrade", () => {
    backendRequests += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closeBackend = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A counter Worker's record since the last read (each read starts a new count). */
async function counted(worker: "invocation-tally" | "counting-r2"): Promise<string[]> {
  // Miniflare's Fetcher type does not resolve here (as in scripts/soak.ts): the part used is named.
  const fetcher = (await miniflare.getWorker(worker)) as unknown as { fetch(url: string): Promise<Response> };
  const response = await fetcher.fetch("http://counter.local/?reset=1");
  return (await response.json()) as string[];
}

/** Waits until a request's trailing work (waitUntil, tail delivery) has settled: no new invocation, R2 read or backend request for a while. */
async function settled(): Promise<{ invocations: string[]; r2: string[]; backend: number }> {
  const invocations: string[] = [];
  const r2: string[] = [];
  let quietRounds = 0;
  for (let round = 0; round < 60 && quietRounds < 5; round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const more = [...(await counted("invocation-tally")), ...(await counted("counting-r2"))];
    invocations.push(...more.filter((item) => item.includes(":")));
    r2.push(...more.filter((item) => !item.includes(":")));
    quietRounds = more.length === 0 ? quietRounds + 1 : 0;
  }
  const backend = backendRequests;
  backendRequests = 0;
  return { invocations, r2, backend };
}

interface Observed {
  budget: Budget;
  invocations: string[];
  serverTiming: string;
}

/** Sends one request (the body read to its end), lets its trailing work settle, and counts what it caused. */
async function observe(send: () => Promise<{ serverTiming: string; cachePutShown?: boolean }>): Promise<Observed> {
  await settled();
  const { serverTiming, cachePutShown } = await send();
  const { invocations, r2, backend } = await settled();
  const cachePuts = cachePutShown === undefined ? 0 : await cachePutsShownByNextHit(cachePutShown);
  return {
    budget: {
      invocations: invocations.length,
      cacheMatches: serverTiming.split(",").filter((entry) => entry.trim().startsWith("cache-io")).length,
      cachePuts,
      r2Heads: r2.filter((operation) => operation === "head").length,
      r2Gets: r2.filter((operation) => operation === "get").length,
      r2RangedGets: r2.filter((operation) => operation === "get-range").length,
      backendFetches: backend,
    },
    invocations,
    serverTiming,
  };
}

let lastMediaPath = "";

/** 1 when the object the last media request named is now a cache HIT served without any R2 read (the fill stored it), else 0. */
async function cachePutsShownByNextHit(expectFill: boolean): Promise<number> {
  if (!expectFill) return 0;
  const response = await miniflare.dispatchFetch(new URL(lastMediaPath, entry));
  await response.arrayBuffer();
  const { r2 } = await settled();
  return response.headers.get("Server-Timing")?.startsWith("cache;desc=hit") === true && r2.length === 0 ? 1 : 0;
}

async function seed(key: string, size: number): Promise<void> {
  const bucket = (await miniflare.getR2Bucket("BUCKET", "counting-r2")) as unknown as {
    put(key: string, value: Uint8Array, options: { httpMetadata: { contentType: string } }): Promise<unknown>;
  };
  await bucket.put(key, new Uint8Array(size).fill(7), { httpMetadata: { contentType: "video/mp4" } });
}

async function tokenPath(key: string): Promise<string> {
  const token = await signMediaToken({
    key,
    ttlSeconds: 600,
    kid: "v1",
    secret: TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1,
  });
  return mediaPath(token);
}

/** One media request through the router; `fills` says whether a cache fill is expected (then checked by a next request). */
function media(
  path: string,
  headers: Record<string, string> = {},
  fills?: boolean,
): () => Promise<{ serverTiming: string; cachePutShown?: boolean }> {
  return async () => {
    lastMediaPath = path;
    const response = await miniflare.dispatchFetch(new URL(path, entry), { headers });
    expect(response.status, path).toBe(headers.Range === undefined ? 200 : 206);
    await response.arrayBuffer();
    return {
      serverTiming: response.headers.get("Server-Timing") ?? "",
      ...(fills === undefined ? {} : { cachePutShown: fills }),
    };
  };
}

function gateway(path: string, init: RequestInit = {}, status = 200): () => Promise<{ serverTiming: string }> {
  return async () => {
    const response = await miniflare.dispatchFetch(
      new URL(path, entry),
      init as Parameters<Miniflare["dispatchFetch"]>[1],
    );
    expect(response.status, path).toBe(status);
    await response.arrayBuffer();
    return { serverTiming: response.headers.get("Server-Timing") ?? "" };
  };
}

async function webSocketUpgrade(): Promise<{ serverTiming: string }> {
  const url = new URL("/api/v1/ws", entry);
  url.protocol = "ws:";
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const echoed = new Promise<string>((resolve) => socket.once("message", (data: Buffer) => resolve(data.toString())));
  socket.send("ping");
  expect(await echoed).toBe("ping");
  socket.close();
  await new Promise((resolve) => socket.once("close", resolve));
  return { serverTiming: "" };
}

beforeAll(async () => {
  const backendUrl = await startCountedBackend();
  const router = bundledWorker("router", "wrangler.router.toml", { ...TEST_SECRETS.router });
  const mediaWorker = bundledWorker("media", "wrangler.media.toml", {
    ...TEST_SECRETS.media,
    SKIP_FALLBACK: "true",
    CACHE_MAX_BYTES: String(CACHE_MAX_BYTES),
  });
  const api = bundledWorker("api", "wrangler.api.toml", { ...TEST_SECRETS.api, BACKEND_URL: backendUrl });
  const { MEDIA_BUCKET: mainBucket, ...otherBuckets } = (mediaWorker.r2Buckets ?? {}) as Record<string, string>;
  const tails = ["invocation-tally"];
  const countingR2: LegacyWorkerOptions = {
    name: "counting-r2",
    modules: true,
    scriptPath: "./test/workers/counting-r2.js",
    compatibilityDate: "2026-11-01",
    r2Buckets: { BUCKET: mainBucket ?? "gateway-media" },
  };
  const tally: LegacyWorkerOptions = {
    name: "invocation-tally",
    modules: true,
    scriptPath: "./test/workers/invocation-tally.js",
    compatibilityDate: "2026-11-01",
  };
  miniflare = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      workers: [
        { ...router, tails },
        {
          ...mediaWorker,
          tails,
          r2Buckets: otherBuckets,
          serviceBindings: {
            ...(mediaWorker.serviceBindings as Record<string, string> | undefined),
            MEDIA_BUCKET: "counting-r2",
          },
        },
        { ...api, tails },
        countingR2,
        tally,
      ],
    }),
  );
  entry = await miniflare.ready;
}, 60_000);

afterAll(async () => {
  await miniflare.dispose();
  await closeBackend();
});

describe("invocations and subrequests per request kind equal the table in docs/operations.md", () => {
  const budgets = budgetsFromData();
  const scenarios: [string, () => Promise<() => Promise<{ serverTiming: string; cachePutShown?: boolean }>>][] = [
    [
      "media miss, plain GET (object within the cache cap)",
      async () => {
        await seed("budgets/plain.mp4", 64 * 1024);
        return media(await tokenPath("budgets/plain.mp4"), {}, true);
      },
    ],
    // The previous row's fill stored the object: these two are hits.
    ["media hit (full 200), via the router", async () => media(await tokenPath("budgets/plain.mp4"))],
    ["media hit, ranged (206)", async () => media(await tokenPath("budgets/plain.mp4"), { Range: "bytes=100-199" })],
    [
      "media miss, ranged (within the cap)",
      async () => {
        await seed("budgets/ranged.mp4", 64 * 1024);
        return media(await tokenPath("budgets/ranged.mp4"), { Range: "bytes=0-1023" }, true);
      },
    ],
    [
      "media miss above the cache cap (ranged)",
      async () => {
        await seed("budgets/large.mp4", CACHE_MAX_BYTES + 1);
        return media(await tokenPath("budgets/large.mp4"), { Range: "bytes=0-1023" });
      },
    ],
    [
      "segment under a prefix token (hit)",
      async () => {
        await seed("budgets/ladder/seg_1.m4s", 4096);
        const token = await signMediaToken({
          pfx: "budgets/ladder/",
          ttlSeconds: 600,
          kid: "v1",
          secret: TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1,
        });
        const path = `${mediaPrefixPath(token)}seg_1.m4s`;
        // The first request misses and fills; the one counted is the hit after it.
        await media(path)();
        await settled();
        return media(path);
      },
    ],
    ["api JSON GET", async () => gateway("/api/v1/hello")],
    [
      "upload (POST, body streamed)",
      async () => gateway("/api/v1/upload", { method: "POST", body: "u".repeat(64 * 1024) }),
    ],
    ["SSE setup", async () => gateway("/api/v1/events?every=10&count=2")],
    ["WebSocket upgrade", async () => webSocketUpgrade],
    ["`/_health`", async () => gateway("/_health")],
  ];

  it("has a counted scenario for every row with counts, and a row for every scenario", () => {
    expect([...budgets.keys()].sort()).toEqual(scenarios.map(([kind]) => kind).sort());
  });

  for (const [kind, prepare] of scenarios) {
    it(`${kind}: the counts equal the table's`, async () => {
      const expected = budgets.get(kind);
      expect(expected, `docs/request-budgets.json has no row "${kind}"`).toBeDefined();
      const observed = await observe(await prepare());
      expect(
        observed.budget,
        `${kind}: invocations ${observed.invocations.join(", ")}; Server-Timing ${observed.serverTiming}`,
      ).toEqual(expected);
    }, 30_000);
  }
});

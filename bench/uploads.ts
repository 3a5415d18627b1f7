/**
 * The uploads row: 64 MiB through router -> media -> the upload's Durable
 * Object -> R2 multipart (tus: one POST, then PATCHes of 20 MiB, a multiple
 * of the 5 MiB part size), against a bare Worker that streams the same body
 * into one R2 `put`. Wall-clock time per upload, in interleaved rounds; the
 * ratio is bare time / gateway time (1 = as fast as the bare Worker). Then,
 * in a gateway of its own with workerd's inspector on, the media isolate's
 * heap (the upload objects run in it) with 8 such uploads in flight; and,
 * in a gateway whose workerd runs under callgrind, the instructions per MiB
 * of one upload each way.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signUploadToken } from "../shared/token-sign.ts";
import type { IsolateSession } from "../scripts/isolate-heap.ts";
import { nudgeOnce, openIsolates, workerTarget } from "../scripts/isolate-heap.ts";
import type { BenchSecrets, GatewayOptions } from "./harness.ts";
import { newSecrets, startGateway } from "./harness.ts";
import { callgrindControl, callgrindWrapper, keepCallgrindDumps, newestDumpTotal } from "./instructions.ts";
import { PORTS } from "./ports.ts";
import type { Spread } from "./stats.ts";
import { interleave, ratioSpread, spread } from "./stats.ts";

const MIB = 1024 ** 2;
export const UPLOAD_BYTES = 64 * MIB;
/** tus chunk: a multiple of the part size (5 MiB for 64 MiB), under the edge's 100 MB body cap. */
export const UPLOAD_CHUNK_BYTES = 20 * MIB;
/** Gateway throughput / bare throughput, at least (issue 20). */
export const UPLOAD_TARGET = 0.7;

export interface UploadBenchSummary {
  bytes: number;
  chunkBytes: number;
  gatewayMs: Spread;
  bareMs: Spread;
  gatewayMibPerSecond: Spread;
  bareMibPerSecond: Spread;
  /** bare ms / gateway ms per round. */
  ratio: Spread;
  target: number;
}

/** A file that starts like an MP4 (the Worker checks `ftyp` at byte 4). */
function uploadBody(): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(UPLOAD_BYTES);
  for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
  body.set([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]);
  return body;
}

async function expectStatus(response: Response, status: number, what: string): Promise<void> {
  await response.body?.cancel();
  if (response.status !== status) throw new Error(`bench: ${what} answered ${response.status}, expected ${status}`);
}

/** One tus upload through the gateway; ms from the POST to the last 204 (the object exists in R2). */
async function gatewayUpload(
  routerUrl: string,
  secrets: BenchSecrets,
  body: Uint8Array<ArrayBuffer>,
  round: number,
): Promise<number> {
  const token = await signUploadToken({
    put: `bench/uploads/${round}-${crypto.randomUUID()}.mp4`,
    max: UPLOAD_BYTES,
    ct: "video/mp4",
    jti: `bench-${crypto.randomUUID()}`,
    ttlSeconds: 300,
    kid: "v1",
    secret: secrets.mediaTokenSecret,
  });
  const tus = { "Tus-Resumable": "1.0.0" };
  const started = performance.now();
  const created = await fetch(`${routerUrl}/media/uploads`, {
    method: "POST",
    headers: { ...tus, Authorization: `Bearer ${token}`, "Upload-Length": String(body.length) },
  });
  const location = created.headers.get("Location");
  await expectStatus(created, 201, "the upload's creation");
  if (location === null) throw new Error("bench: the creation has no Location");
  for (let offset = 0; offset < body.length; offset += UPLOAD_CHUNK_BYTES) {
    const chunk = body.subarray(offset, Math.min(offset + UPLOAD_CHUNK_BYTES, body.length));
    const patched = await fetch(`${routerUrl}${location}`, {
      method: "PATCH",
      headers: { ...tus, "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) },
      body: chunk,
    });
    await expectStatus(patched, 204, `a PATCH at ${offset}`);
  }
  return performance.now() - started;
}

/** The same bytes into the bare Worker's one put. */
async function bareUpload(bareUrl: string, body: Uint8Array<ArrayBuffer>, round: number): Promise<number> {
  const started = performance.now();
  const put = await fetch(`${bareUrl}/?key=bench/bare-uploads/${round}-${crypto.randomUUID()}`, {
    method: "PUT",
    body,
  });
  await expectStatus(put, 201, "the bare put");
  return performance.now() - started;
}

export async function measureUploads(
  routerUrl: string,
  bareUrl: string,
  secrets: BenchSecrets,
  rounds: number,
): Promise<UploadBenchSummary> {
  const body = uploadBody();
  // One of each first, unmeasured: isolates, the Durable Object class and R2's files warm up.
  await gatewayUpload(routerUrl, secrets, body, -1);
  await bareUpload(bareUrl, body, -1);
  const times = await interleave(["gateway", "bare"] as const, rounds, (variant, round) =>
    variant === "gateway" ? gatewayUpload(routerUrl, secrets, body, round) : bareUpload(bareUrl, body, round),
  );
  const mibPerSecond = (ms: readonly number[]) => spread(ms.map((value) => UPLOAD_BYTES / MIB / (value / 1000)));
  const summary: UploadBenchSummary = {
    bytes: UPLOAD_BYTES,
    chunkBytes: UPLOAD_CHUNK_BYTES,
    gatewayMs: spread(times.gateway),
    bareMs: spread(times.bare),
    gatewayMibPerSecond: mibPerSecond(times.gateway),
    bareMibPerSecond: mibPerSecond(times.bare),
    ratio: ratioSpread(times.bare, times.gateway),
    target: UPLOAD_TARGET,
  };
  const fixed = (value: number) => value.toFixed(2);
  console.log(
    `bench: uploads, 64 MiB: gateway ${fixed(summary.gatewayMs.median)} ms (${fixed(summary.gatewayMibPerSecond.median)} MiB/s), ` +
      `bare put ${fixed(summary.bareMs.median)} ms (${fixed(summary.bareMibPerSecond.median)} MiB/s); ` +
      `bare/gateway ${fixed(summary.ratio.median)} (min ${fixed(summary.ratio.min)}, max ${fixed(summary.ratio.max)}), ` +
      `target >= ${UPLOAD_TARGET}: ${summary.ratio.median >= UPLOAD_TARGET ? "pass" : "MISS"}`,
  );
  return summary;
}

/** Uploads in flight for the heap reading. */
export const UPLOADS_IN_FLIGHT = 8;

export interface UploadHeapSummary {
  uploads: number;
  beforeBytes: number;
  /** The largest reading while the uploads were in flight. */
  duringBytes: number;
  afterBytes: number;
  /** Memory outside the V8 heap (ArrayBuffer backing stores: the parts filling), the same three readings. */
  externalBeforeBytes: number;
  externalDuringBytes: number;
  externalAfterBytes: number;
  readings: number;
}

/** The media isolate's live heap (a forced collection first) before, during and after 8 concurrent 64 MiB uploads. */
export async function measureUploadHeap(options: GatewayOptions, secrets: BenchSecrets): Promise<UploadHeapSummary> {
  const gateway = await startGateway({
    ...options,
    secrets,
    sockets: new Set(["routerNoAssets", "media"] as const),
    inspectorPort: PORTS.inspector,
  });
  let sessions: Map<string, IsolateSession> | undefined;
  try {
    const target = workerTarget("gateway-media");
    sessions = await openIsolates(PORTS.inspector, [target]);
    const session = sessions.get(target);
    if (session === undefined) throw new Error("bench: no inspector session for gateway-media");
    const router = gateway.url("routerNoAssets");
    // A collection runs only when a request enters workerd: a discovery request to media.
    const nudge = () => nudgeOnce(`${gateway.url("media")}/media/uploads`, { method: "OPTIONS" });
    const read = async (): Promise<{ used: number; external: number }> => {
      const reading = await session.heap(nudge);
      if (!reading.collected) throw new Error("bench: the forced collection in gateway-media did not finish");
      return { used: reading.usedBytes, external: reading.externalBytes };
    };
    const body = uploadBody();
    await gatewayUpload(router, secrets, body, -1);
    const before = await read();
    const during = { ...before };
    let readings = 0;
    let done = false;
    const uploads = Promise.all(
      Array.from({ length: UPLOADS_IN_FLIGHT }, (_, index) => gatewayUpload(router, secrets, body, 1000 + index)),
    ).finally(() => (done = true));
    while (!done) {
      const reading = await read();
      during.used = Math.max(during.used, reading.used);
      during.external = Math.max(during.external, reading.external);
      readings += 1;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await uploads;
    const after = await read();
    const summary: UploadHeapSummary = {
      uploads: UPLOADS_IN_FLIGHT,
      beforeBytes: before.used,
      duringBytes: during.used,
      afterBytes: after.used,
      externalBeforeBytes: before.external,
      externalDuringBytes: during.external,
      externalAfterBytes: after.external,
      readings,
    };
    const mib = (bytes: number) => (bytes / MIB).toFixed(1);
    console.log(
      `bench: media isolate, ${UPLOADS_IN_FLIGHT} uploads of 64 MiB in flight (${readings} readings): ` +
        `V8 heap ${mib(before.used)} -> peak ${mib(during.used)} -> ${mib(after.used)} MiB; ` +
        `external ${mib(before.external)} -> peak ${mib(during.external)} -> ${mib(after.external)} MiB`,
    );
    return summary;
  } finally {
    for (const session of sessions?.values() ?? []) session.close();
    await gateway.dispose();
  }
}

export interface UploadInstructionsSummary {
  bytes: number;
  /** Instructions workerd executed (all threads) for one 64 MiB upload, per MiB. */
  gatewayPerMib: number;
  barePerMib: number;
  /** gateway / bare. */
  ratio: number;
}

/**
 * Instructions per MiB of one 64 MiB upload through router -> media ->
 * Durable Object -> R2 multipart, and of the bare put, counted by callgrind
 * in a gateway of its own: one unmeasured upload of each with
 * instrumentation off (isolates, the Durable Object class, JIT), then one
 * counted upload of each, each ended by a dump (which zeroes the counters).
 */
export async function countUploadInstructions(
  valgrindUnavailable: string | undefined,
  options: GatewayOptions,
): Promise<UploadInstructionsSummary | { unavailable: string }> {
  if (valgrindUnavailable !== undefined) return { unavailable: valgrindUnavailable };
  const directory = await mkdtemp(join(tmpdir(), "gateway-bench-upload-callgrind-"));
  const secrets = newSecrets();
  try {
    const gateway = await startGateway({
      ...options,
      secrets,
      sockets: new Set(["routerNoAssets", "bareR2Put"] as const),
      workerdCommand: await callgrindWrapper(directory),
    });
    try {
      const router = gateway.url("routerNoAssets");
      const bare = gateway.url("bareR2Put");
      const pid = gateway.workerdPid;
      const body = uploadBody();
      await gatewayUpload(router, secrets, body, -1);
      await bareUpload(bare, body, -1);
      // Let V8 finish what the warm-up queued on its background threads before counting.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await callgrindControl(directory, pid, "--instr=on");
      await callgrindControl(directory, pid, "--zero");
      const perMib = async (id: string, upload: () => Promise<number>): Promise<number> => {
        const seenBefore = new Set(await readdir(directory));
        await upload();
        await new Promise((resolve) => setTimeout(resolve, 500));
        await callgrindControl(directory, pid, `--dump=${id}`);
        return (await newestDumpTotal(directory, pid, seenBefore)) / (UPLOAD_BYTES / MIB);
      };
      const gatewayPerMib = await perMib("upload-gateway", () => gatewayUpload(router, secrets, body, 2000));
      const barePerMib = await perMib("upload-bare", () => bareUpload(bare, body, 2000));
      const summary = { bytes: UPLOAD_BYTES, gatewayPerMib, barePerMib, ratio: gatewayPerMib / barePerMib };
      const millions = (value: number) => (value / 1e6).toFixed(1);
      console.log(
        `bench: uploads by instructions: gateway ${millions(gatewayPerMib)} M/MiB, bare put ${millions(barePerMib)} M/MiB ` +
          `(${summary.ratio.toFixed(2)}x)`,
      );
      return summary;
    } finally {
      await gateway.dispose();
    }
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message : String(error) };
  } finally {
    await keepCallgrindDumps(directory);
    await rm(directory, { recursive: true, force: true });
  }
}

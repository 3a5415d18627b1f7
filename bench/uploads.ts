/**
 * The uploads row: 64 MiB through router -> media -> the upload's Durable
 * Object -> R2 multipart (tus: one POST, then PATCHes of 20 MiB, a multiple
 * of the 5 MiB part size), against a bare Worker that streams the same body
 * into one R2 `put`. Wall-clock time per upload, in interleaved rounds; the
 * ratio is bare time / gateway time (1 = as fast as the bare Worker).
 */
import { signUploadToken } from "../shared/media-token.ts";
import type { BenchSecrets } from "./harness.ts";
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

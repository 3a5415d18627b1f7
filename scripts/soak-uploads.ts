/**
 * The soak's tus uploads (scripts/soak.ts): a few clients that, in a loop,
 * create an upload with a fresh upload token, PATCH it in 5 MiB chunks, then
 * download the object through a download token and compare it byte for byte.
 * Uploads alternate between one part (512 KiB, one R2 `put`) and multipart
 * (11 MiB: three PATCHes, parts of 5 MiB), so both completion paths and the
 * upload Durable Objects run under the soak's load. A fixed number of
 * uploaders bounds the uploads in flight (each holds about two parts).
 *
 * Each 11 MiB upload's download is paired with one of an object of the same
 * size stored by one `put` (the control), so the report shows whether an
 * uploaded object reads slower than any other. A download is hung when no
 * byte arrives for the hang limit (before the answer or between chunks), not
 * when the whole body takes longer: under the soak's load on a 2-core machine
 * an 11 MiB body streams at a few hundred KiB/s at times, whatever stored it.
 */
import { randomBytes } from "node:crypto";
import { MEDIA_UPLOADS_PATH, mediaPath } from "../shared/media-token.ts";
import { newUploadJti } from "../shared/mint-input.ts";
import { signMediaToken, signUploadToken } from "../shared/token-sign.ts";

const MIB = 1024 * 1024;
const SIZES = [512 * 1024, 11 * MIB] as const;
const CHUNK_BYTES = 5 * MIB;
/** Stored without a file-signature check (no known signature for this type), so random bytes are a valid file. */
const CONTENT_TYPE = "application/octet-stream";

export interface UploadTally {
  started: number;
  /** The last PATCH answered 204 with the whole length. */
  completed: number;
  /** Downloaded through a download token and equal byte for byte. */
  verified: number;
  mismatched: number;
  /** A tus answer other than 201/204, a failed download, or a network error. */
  failed: number;
  /** A request with no complete answer within the soak's hang limit. */
  hung: number;
  /** Every tus and download answer by status. */
  byStatus: Record<string, number>;
  serverErrors: number;
  /** Each PATCH's time to its answer, in ms. */
  patchMs: number[];
  /** The 11 MiB downloads: of uploaded objects, and of the control stored by one put. */
  downloads: { uploaded: DownloadTiming[]; control: DownloadTiming[] };
}

/** One download's times, in ms: to the answer's headers, to its last byte, the longest wait between two chunks; and how many chunks came. */
export interface DownloadTiming {
  firstByteMs: number;
  totalMs: number;
  longestGapMs: number;
  chunks: number;
}

export function newUploadTally(): UploadTally {
  return {
    started: 0,
    completed: 0,
    verified: 0,
    mismatched: 0,
    failed: 0,
    hung: 0,
    byStatus: {},
    serverErrors: 0,
    patchMs: [],
    downloads: { uploaded: [], control: [] },
  };
}

/** An object of the multipart size stored by one put, downloaded beside each multipart upload's object. */
export interface ControlObject {
  url: URL;
  bytes: Buffer;
}

/** The multipart uploads' size, for the control object. */
export const MULTIPART_UPLOAD_BYTES = SIZES[1];

class IdleTimeout extends Error {}

/**
 * GETs `url` and reads its whole body, aborting when nothing arrives for
 * `idleMs` (the headers, or the next chunk): a hang, as opposed to a slow body.
 */
async function download(
  url: URL,
  idleMs: number,
): Promise<{ response: Response; body: Buffer; timing: DownloadTiming }> {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(new IdleTimeout()), idleMs);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new IdleTimeout()), idleMs);
  };
  const started = performance.now();
  try {
    const response = await fetch(url, { signal: controller.signal });
    const firstByteMs = performance.now() - started;
    rearm();
    const chunks: Uint8Array[] = [];
    let last = performance.now();
    let longestGapMs = 0;
    if (response.body !== null)
      for await (const chunk of response.body) {
        const now = performance.now();
        longestGapMs = Math.max(longestGapMs, now - last);
        last = now;
        chunks.push(chunk);
        rearm();
      }
    const timing = { firstByteMs, totalMs: performance.now() - started, longestGapMs, chunks: chunks.length };
    return { response, body: Buffer.concat(chunks), timing };
  } finally {
    clearTimeout(timer);
  }
}

/** p50, p99 and max of `values`, in whole ms (nearest rank). */
export function spread(values: number[]): { count: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => Math.round(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
  return { count: sorted.length, p50: rank(50), p99: rank(99), max: rank(100) };
}

/**
 * One upload, start to byte-for-byte check; `round` picks the size. Each tus
 * request has `hangMs` to answer in full; a download, `hangMs` between bytes.
 */
export async function uploadOnce(
  base: URL,
  secret: string,
  tally: UploadTally,
  round: number,
  hangMs: number,
  control: ControlObject,
): Promise<void> {
  const size = SIZES[round % SIZES.length] ?? SIZES[0];
  const bytes = randomBytes(size);
  const jti = newUploadJti();
  const key = `soak/uploads/${jti}`;
  const count = (response: Response): Response => {
    tally.byStatus[response.status] = (tally.byStatus[response.status] ?? 0) + 1;
    if (response.status >= 500) tally.serverErrors += 1;
    return response;
  };
  tally.started += 1;
  try {
    const token = await signUploadToken({
      put: key,
      max: size,
      ct: CONTENT_TYPE,
      jti,
      ttlSeconds: 600,
      kid: "v1",
      secret,
    });
    const created = count(
      await fetch(new URL(MEDIA_UPLOADS_PATH, base), {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Tus-Resumable": "1.0.0", "Upload-Length": String(size) },
        signal: AbortSignal.timeout(hangMs),
      }),
    );
    await created.body?.cancel();
    const location = created.headers.get("Location");
    if (created.status !== 201 || location === null) throw new Error(`creation answered ${created.status}`);
    for (let offset = 0; offset < size; offset += CHUNK_BYTES) {
      const patchStarted = performance.now();
      const patched = count(
        await fetch(new URL(location, base), {
          method: "PATCH",
          headers: {
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": String(offset),
            "Content-Type": "application/offset+octet-stream",
          },
          body: bytes.subarray(offset, Math.min(size, offset + CHUNK_BYTES)),
          signal: AbortSignal.timeout(hangMs),
        }),
      );
      await patched.body?.cancel();
      tally.patchMs.push(performance.now() - patchStarted);
      if (patched.status !== 204) throw new Error(`PATCH at ${offset} answered ${patched.status}`);
    }
    tally.completed += 1;
    const path = mediaPath(await signMediaToken({ key, ttlSeconds: 600, kid: "v1", secret }));
    const uploaded = await download(new URL(path, base), hangMs);
    count(uploaded.response);
    if (uploaded.response.status !== 200) throw new Error(`download answered ${uploaded.response.status}`);
    if (uploaded.body.equals(bytes)) tally.verified += 1;
    else tally.mismatched += 1;
    if (size !== MULTIPART_UPLOAD_BYTES) return;
    tally.downloads.uploaded.push(uploaded.timing);
    const controlled = await download(control.url, hangMs);
    count(controlled.response);
    if (controlled.response.status !== 200 || !controlled.body.equals(control.bytes))
      throw new Error(`the control download answered ${controlled.response.status} or differed`);
    tally.downloads.control.push(controlled.timing);
  } catch (error) {
    const timedOut = error instanceof IdleTimeout || (error instanceof Error && error.name === "TimeoutError");
    if (timedOut) tally.hung += 1;
    else tally.failed += 1;
    if (process.env.SOAK_VERBOSE) console.error("tus-upload", error);
  }
}

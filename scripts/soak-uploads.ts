/**
 * The soak's tus uploads (scripts/soak.ts): a few clients that, in a loop,
 * create an upload with a fresh upload token, PATCH it in 5 MiB chunks, then
 * download the object through a download token and compare it byte for byte.
 * Uploads alternate between one part (512 KiB, one R2 `put`) and multipart
 * (11 MiB: three PATCHes, parts of 5 MiB), so both completion paths and the
 * upload Durable Objects run under the soak's load. A fixed number of
 * uploaders bounds the uploads in flight (each holds about two parts).
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
}

export function newUploadTally(): UploadTally {
  return { started: 0, completed: 0, verified: 0, mismatched: 0, failed: 0, hung: 0, byStatus: {}, serverErrors: 0 };
}

/** One upload, start to byte-for-byte check; `round` picks the size; each request has `hangMs` to answer in full. */
export async function uploadOnce(
  base: URL,
  secret: string,
  tally: UploadTally,
  round: number,
  hangMs: number,
): Promise<void> {
  let signal = AbortSignal.timeout(hangMs);
  /** A fresh deadline for the next request. */
  const next = (): AbortSignal => (signal = AbortSignal.timeout(hangMs));
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
        signal: next(),
      }),
    );
    await created.body?.cancel();
    const location = created.headers.get("Location");
    if (created.status !== 201 || location === null) throw new Error(`creation answered ${created.status}`);
    for (let offset = 0; offset < size; offset += CHUNK_BYTES) {
      const patched = count(
        await fetch(new URL(location, base), {
          method: "PATCH",
          headers: {
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": String(offset),
            "Content-Type": "application/offset+octet-stream",
          },
          body: bytes.subarray(offset, Math.min(size, offset + CHUNK_BYTES)),
          signal: next(),
        }),
      );
      await patched.body?.cancel();
      if (patched.status !== 204) throw new Error(`PATCH at ${offset} answered ${patched.status}`);
    }
    tally.completed += 1;
    const download = mediaPath(await signMediaToken({ key, ttlSeconds: 600, kid: "v1", secret }));
    const fetched = count(await fetch(new URL(download, base), { signal: next() }));
    const body = Buffer.from(await fetched.arrayBuffer());
    if (fetched.status !== 200) throw new Error(`download answered ${fetched.status}`);
    if (body.equals(bytes)) tally.verified += 1;
    else tally.mismatched += 1;
  } catch (error) {
    if (signal.aborted) tally.hung += 1;
    else tally.failed += 1;
    if (process.env.SOAK_VERBOSE) console.error("tus-upload", error);
  }
}

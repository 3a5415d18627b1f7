/**
 * What the upload tests share: upload tokens signed with the test secrets,
 * tus requests to the real media Worker, files that start like their type.
 * Not part of the Worker bundle.
 */
import { exports } from "cloudflare:workers";
import type { UploadMintInput } from "../../../shared/mint-input";
import { signUploadToken } from "../../../shared/token-sign";
import { TEST_SECRETS } from "../../../test/secrets";
import { ORIGIN, patternBytes } from "../test-kit";

export const TUS = { "Tus-Resumable": "1.0.0" } as const;
const MIB = 1024 * 1024;
export { MIB };

/** An upload token (v2, the active test kid), `jti` fresh unless given. */
export function mintUpload(
  put: string,
  claims: Partial<Omit<UploadMintInput, "put">> & { ttlSeconds?: number; now?: number } = {},
): Promise<string> {
  return signUploadToken({
    put,
    max: claims.max ?? 64 * MIB,
    ct: claims.ct ?? "video/mp4",
    jti: claims.jti ?? `test-${crypto.randomUUID()}`,
    bkt: claims.bkt,
    replace: claims.replace,
    ttlSeconds: claims.ttlSeconds ?? 300,
    now: claims.now,
    kid: "v2",
    secret: TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2,
  });
}

/** A request to the real media Worker. */
export function send(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

/** POST /media/uploads with a token and a length (or `"deferred"`). */
export function createUpload(
  token: string,
  length: number | "deferred",
  headers: Record<string, string> = {},
  body?: BodyInit,
): Promise<Response> {
  const size: Record<string, string> =
    length === "deferred" ? { "Upload-Defer-Length": "1" } : { "Upload-Length": String(length) };
  return send("/media/uploads", {
    method: "POST",
    headers: {
      ...TUS,
      Authorization: `Bearer ${token}`,
      ...size,
      ...(body === undefined ? {} : { "Content-Type": "application/offset+octet-stream" }),
      ...headers,
    },
    body,
  });
}

/** One PATCH of `bytes` at `offset`. */
export function patch(
  location: string,
  offset: number,
  bytes: Uint8Array,
  headers: Record<string, string> = {},
): Promise<Response> {
  return send(location, {
    method: "PATCH",
    headers: {
      ...TUS,
      "Content-Type": "application/offset+octet-stream",
      "Upload-Offset": String(offset),
      ...headers,
    },
    body: bytes,
  });
}

/** The Location of a 201, or a failed test. */
export function locationOf(response: Response): string {
  const location = response.headers.get("Location");
  if (response.status !== 201 || location === null) throw new Error(`no upload created: ${response.status}`);
  return location;
}

/** `size` deterministic bytes that start like an MP4 (`ftyp` at byte 4). */
export function mp4Bytes(size: number, seed = 0): Uint8Array {
  const bytes = patternBytes(size, seed);
  bytes.set([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d].slice(0, size));
  return bytes;
}

/** The object as stored, as bytes, or null. */
export async function storedBytes(bucket: R2Bucket, key: string): Promise<Uint8Array | null> {
  const object = await bucket.get(key);
  return object === null ? null : new Uint8Array(await object.arrayBuffer());
}

/**
 * The media token contract, shared with the backend that mints tokens
 * (see README "Media tokens"): a compact JWS, HS256 only, header
 * `{"alg":"HS256","typ":"JWT","kid":"v<N>"}`, claims `key`, `bkt`, `exp`,
 * `nbf`, `iat`. The HMAC key for kid vN is the UTF-8 bytes of
 * MEDIA_TOKEN_SECRET_VN as stored (never base64-decoded).
 *
 * Signing lives here so the media Worker's `sign()`, the local development
 * backend and `npm run mint` produce tokens one way. Verification is the media
 * Worker's alone.
 */
import { SignJWT } from "jose";

export const MEDIA_TOKEN_ALG = "HS256";
/** Where a token is presented: `/media/v1/<jwt>`. */
export const MEDIA_TOKEN_PATH_PREFIX = "/media/v1/";

export interface MediaTokenClaims {
  /** R2 object key. */
  key: string;
  /** Bucket name (`media` when absent). */
  bkt?: string;
  exp: number;
  nbf?: number;
  iat?: number;
}

export interface SignRequest {
  key: string;
  bkt?: string;
  /** Lifetime in seconds from now. */
  ttlSeconds: number;
  /** `v<N>`: names the secret that signs. */
  kid: string;
  /** The secret's value as stored, or its HMAC CryptoKey (imported once by the media Worker). */
  secret: string | CryptoKey;
  /** Seconds since the epoch; the clock by default. */
  now?: number;
}

const encoder = new TextEncoder();

/** A compact JWS for one object, signed with one kid's secret. */
export async function signMediaToken(request: SignRequest): Promise<string> {
  const now = request.now ?? Math.floor(Date.now() / 1000);
  const claims: Omit<MediaTokenClaims, "exp" | "iat"> = { key: request.key };
  if (request.bkt !== undefined) claims.bkt = request.bkt;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: MEDIA_TOKEN_ALG, typ: "JWT", kid: request.kid })
    .setIssuedAt(now)
    .setExpirationTime(now + request.ttlSeconds)
    .sign(typeof request.secret === "string" ? encoder.encode(request.secret) : request.secret);
}

/** The path a client fetches for a token. */
export function mediaPath(token: string): string {
  return `${MEDIA_TOKEN_PATH_PREFIX}${token}`;
}

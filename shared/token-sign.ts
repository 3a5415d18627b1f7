/**
 * Signing media tokens, for every minter: the media Worker's `sign()`, the
 * local backend, `npm run mint`, and the tests and tools that forge tokens.
 * `mintToken` signs a request `readMintInput` has accepted; the two signers
 * below it sign claims as given.
 */
import { SignJWT } from "jose";
import type { DownloadTokenClaims, UploadTokenClaims } from "./media-token.ts";
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  MEDIA_TOKEN_ALG,
  MEDIA_UPLOADS_PATH,
  V11_HEADER,
  mintedPath,
} from "./media-token.ts";
import type { MintInput } from "./mint-input.ts";
import { newUploadJti } from "./mint-input.ts";

/** The key that signs: a kid and its secret as stored, or its HMAC CryptoKey (imported once by the media Worker). */
export interface Signer {
  /** `v<N>`: names the secret that signs. */
  kid: string;
  secret: string | CryptoKey;
}

/** A minted token and where it is presented; `jti` for an upload token. */
export interface MintedToken {
  token: string;
  /** `/media/v1/<jwt>`, a prefix token's base `/media/v1/<jwt>/`, or `/media/uploads` for an upload token. */
  path: string;
  /** Seconds since the epoch. */
  exp: number;
  jti?: string;
}

/** Signs what a minter was asked for, with the contract's default lifetime when it names none. */
export async function mintToken(input: MintInput, signer: Signer): Promise<MintedToken> {
  const now = Math.floor(Date.now() / 1000);
  const ttlSeconds = input.ttl ?? DEFAULT_TOKEN_TTL_SECONDS;
  const exp = now + ttlSeconds;
  if (input.put !== undefined) {
    const jti = input.jti ?? newUploadJti();
    const token = await signUploadToken({ ...input, jti, ttlSeconds, now, ...signer });
    return { token, path: MEDIA_UPLOADS_PATH, exp, jti };
  }
  const token = await signMediaToken({ ...input, ttlSeconds, now, ...signer });
  return { token, path: mintedPath(token, input), exp };
}

interface SignRequest extends Partial<Omit<DownloadTokenClaims, "exp" | "nbf" | "iat">>, Signer {
  /** Lifetime in seconds from now. */
  ttlSeconds: number;
  /** Seconds since the epoch; the clock by default. */
  now?: number;
}

const encoder = new TextEncoder();

/**
 * A compact JWS signed with one kid's secret, the claims as given (minters
 * check them first with `readMintInput`). A token with `ip` carries the
 * critical `v11` header, so the fail-open form is never minted.
 */
export async function signMediaToken(request: SignRequest): Promise<string> {
  const now = request.now ?? Math.floor(Date.now() / 1000);
  const claims: Omit<DownloadTokenClaims, "exp" | "iat"> = {};
  if (request.key !== undefined) claims.key = request.key;
  if (request.pfx !== undefined) claims.pfx = request.pfx;
  if (request.bkt !== undefined) claims.bkt = request.bkt;
  if (request.dl !== undefined) claims.dl = request.dl;
  if (request.ip !== undefined) claims.ip = request.ip;
  const bound = request.ip !== undefined;
  return new SignJWT({ ...claims })
    .setProtectedHeader({
      alg: MEDIA_TOKEN_ALG,
      typ: "JWT",
      kid: request.kid,
      ...(bound ? { crit: [V11_HEADER], [V11_HEADER]: true } : {}),
    })
    .setIssuedAt(now)
    .setExpirationTime(now + request.ttlSeconds)
    .sign(keyOf(request.secret), bound ? { crit: { [V11_HEADER]: true } } : undefined);
}

interface UploadSignRequest extends Omit<UploadTokenClaims, "exp">, Signer {
  /** Lifetime in seconds from now: the deadline to create the upload. */
  ttlSeconds: number;
  now?: number;
}

/** An upload token signed with one kid's secret, the claims as given (minters check them first with `readMintInput`). */
export async function signUploadToken(request: UploadSignRequest): Promise<string> {
  const now = request.now ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, string | number | boolean> = {
    put: request.put,
    max: request.max,
    ct: request.ct,
    jti: request.jti,
  };
  if (request.bkt !== undefined) claims.bkt = request.bkt;
  if (request.replace === true) claims.replace = true;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: MEDIA_TOKEN_ALG, typ: "JWT", kid: request.kid })
    .setIssuedAt(now)
    .setExpirationTime(now + request.ttlSeconds)
    .sign(keyOf(request.secret));
}

function keyOf(secret: string | CryptoKey): Uint8Array | CryptoKey {
  return typeof secret === "string" ? encoder.encode(secret) : secret;
}

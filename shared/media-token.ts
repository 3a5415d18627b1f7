/**
 * The media token contract's names and claims (docs/media.md has it for
 * backend authors): a compact JWS, HS256 only, header
 * `{"alg":"HS256","typ":"JWT","kid":"v<N>"}`, claims `key` or `pfx`, `bkt`,
 * `exp`, `nbf`, `iat`, `dl`, `ip` (v1, v1.1), or `put`, `max`, `ct`, `jti`,
 * `replace` (v1.2 uploads), and the paths a token is presented at.
 *
 * The rest of the contract sits beside it: the secrets and kids
 * (token-secrets.ts), the claim rules (token-rules.ts), what a minter is
 * asked for (mint-input.ts) and signing (token-sign.ts). Runs in Workers and
 * in Node alike.
 */

export const MEDIA_TOKEN_ALG = "HS256";
/** Where a token is presented: `/media/v1/<jwt>`, or `/media/v1/<jwt>/<path>` for a prefix token. */
export const MEDIA_TOKEN_PATH_PREFIX = "/media/v1/";
/** Where an upload is created (`POST`); each upload lives at `/media/uploads/<id>`. */
export const MEDIA_UPLOADS_PATH = "/media/uploads";
/** Clock skew accepted between the backend that mints and the edge that verifies. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** The bucket a token names when its `bkt` claim is absent. */
export const DEFAULT_BUCKET_NAME = "media";
/** The protected header parameter a v1.1 token marks critical, so an older verifier refuses an `ip` it would ignore. */
export const V11_HEADER = "v11";

/** Default and longest lifetime of a minted token: long enough for a film, short enough to expire a leak. */
export const DEFAULT_TOKEN_TTL_SECONDS = 300;
export const MAX_TOKEN_TTL_SECONDS = 24 * 60 * 60;

/** The claims a download token (v1, v1.1) may carry. */
export interface DownloadTokenClaims {
  /** One R2 object key (exclusive with `pfx`). */
  key?: string;
  /** A key prefix ending with `/`: every object under it (exclusive with `key`). */
  pfx?: string;
  /** Bucket name (`media` when absent). */
  bkt?: string;
  exp: number;
  nbf?: number;
  iat?: number;
  /** Download file name: the answer becomes an attachment under it. */
  dl?: string;
  /** Client address or CIDR the token is bound to (requires the `v11` critical header). */
  ip?: string;
}

/**
 * The claims an upload token (v1.2) carries: the mirror image of a download
 * token. `put` names one object to create, `max` bounds its size, `ct` is the
 * Content-Type it is stored with, `jti` makes the token create at most one
 * upload, `replace` lets it overwrite, `exp` is the deadline to create the
 * upload (not to finish it). A token with `put` is never a download token,
 * and an upload token carries no `key`, `pfx`, `dl` or `ip`.
 */
export interface UploadTokenClaims {
  put: string;
  bkt?: string;
  max: number;
  ct: string;
  jti: string;
  replace?: boolean;
  exp: number;
}

/** The path a client fetches for a single-object token: `/media/v1/<jwt>`. */
export function mediaPath(token: string): string {
  return `${MEDIA_TOKEN_PATH_PREFIX}${token}`;
}

/** The base path of a prefix token, `/media/v1/<jwt>/`: a player's relative URLs resolve against it. */
export function mediaPrefixPath(token: string): string {
  return `${MEDIA_TOKEN_PATH_PREFIX}${token}/`;
}

/** The path a minter hands out for a token: the object's path, or a prefix token's base path. */
export function mintedPath(token: string, grant: { pfx?: string | undefined }): string {
  return grant.pfx === undefined ? mediaPath(token) : mediaPrefixPath(token);
}

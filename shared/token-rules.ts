/**
 * The media token contract's claim rules, once: each returns a problem code
 * (a member of the unions below), never a sentence. The media Worker's
 * verifiers read a token's claims with `readDownloadClaims` and
 * `readUploadClaims`; every minter checks what it is asked to sign with the
 * same two (mint-input.ts), and makes its sentences from the codes.
 */
import { DEFAULT_BUCKET_NAME, MAX_TOKEN_TTL_SECONDS } from "./media-token.ts";
import type { AddressRange } from "./ip-range.ts";
import { parseAddressRange } from "./ip-range.ts";

/** The key rule a key, prefix, upload key or resolved path breaks. */
export type KeyRule =
  "not-unicode" | "too-long" | "leading-slash" | "backslash" | "control-character" | "dot-dot-segment";

type PrefixProblem = `bad-prefix: ${"not-a-string" | "empty" | "no-trailing-slash" | KeyRule}`;
type PutProblem = `bad-put: ${"not-a-key" | "trailing-slash" | KeyRule}`;

/** Why a download token's claims (v1, v1.1) grant nothing. */
export type DownloadClaimProblem =
  | "put-on-download"
  | "key-and-pfx"
  | "missing-key"
  | `bad-key: ${KeyRule}`
  | PrefixProblem
  | "unknown-bucket"
  | "bad-dl"
  | "bad-ip";

/** The download claims an upload token may not carry. */
type DownloadOnlyClaim = "key" | "pfx" | "dl" | "ip";

/** Why an upload token's claims (v1.2) grant nothing. */
export type UploadClaimProblem =
  | "missing-put"
  | `put-with-${DownloadOnlyClaim}`
  | PutProblem
  | "unknown-bucket"
  | "missing-max"
  | "bad-max"
  | "missing-ct"
  | "bad-ct"
  | "missing-jti"
  | "bad-jti"
  | "bad-replace";

/** Why a lifetime asked of a minter (`ttl`) is refused. */
export type LifetimeProblem = "bad-ttl";

/** Every claim rule's code. */
export type ClaimProblem = DownloadClaimProblem | UploadClaimProblem | LifetimeProblem;

const encoder = new TextEncoder();

/** R2's own key limit; for a prefix token, of the whole key (prefix + path). */
export const MAX_KEY_BYTES = 1024;
/** C0 controls, DEL and C1 controls: none belongs in a key or a file name that ends up in logs and headers. */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** The key rule a string breaks, or undefined. Shared by keys, prefixes and upload keys. */
function keyRuleBroken(key: string): KeyRule | undefined {
  // A lone surrogate has no UTF-8 form: R2, URLs and headers would each treat it differently.
  if (!key.isWellFormed()) return "not-unicode";
  if (encoder.encode(key).byteLength > MAX_KEY_BYTES) return "too-long";
  if (key.startsWith("/")) return "leading-slash";
  if (key.includes("\\")) return "backslash";
  if (CONTROL_CHARACTER.test(key)) return "control-character";
  if (key.split("/").includes("..")) return "dot-dot-segment";
  return undefined;
}

/** Why an object key (`key`) is refused, or undefined when it is acceptable. */
export function objectKeyProblem(key: unknown): "missing-key" | `bad-key: ${KeyRule}` | undefined {
  if (typeof key !== "string" || key.length === 0) return "missing-key";
  const rule = keyRuleBroken(key);
  return rule === undefined ? undefined : `bad-key: ${rule}`;
}

/** Why a key prefix (`pfx`) is refused: it obeys the key rules, is not empty and ends with `/`. */
function prefixProblem(pfx: unknown): PrefixProblem | undefined {
  if (typeof pfx !== "string") return "bad-prefix: not-a-string";
  if (pfx.length === 0) return "bad-prefix: empty";
  if (!pfx.endsWith("/")) return "bad-prefix: no-trailing-slash";
  const rule = keyRuleBroken(pfx);
  return rule === undefined ? undefined : `bad-prefix: ${rule}`;
}

/** Why an upload key (`put`) is refused: the key rules, and it names an object, never a prefix. */
function putKeyProblem(put: unknown): PutProblem | undefined {
  if (typeof put !== "string" || put.length === 0) return "bad-put: not-a-key";
  if (put.endsWith("/")) return "bad-put: trailing-slash";
  const rule = keyRuleBroken(put);
  return rule === undefined ? undefined : `bad-put: ${rule}`;
}

/** Longest `dl` file name, in UTF-8 bytes (what file systems commonly allow). */
export const MAX_DOWNLOAD_NAME_BYTES = 255;

/**
 * Characters that make a name display as something other than what it is:
 * the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069,
 * `gpj.exe` shown as `exe.jpg`) and every other format character (Unicode
 * category Cf: zero-width joiners and spaces, soft hyphen, BOM, tags), which
 * the bidi controls belong to; listed apart so the rule reads as the
 * Trojan Source class it refuses.
 */
const DISPLAY_SPOOFING_CHARACTER = /[\u202a-\u202e\u2066-\u2069]|\p{Cf}/u;
/** `.`, `..`, `...`: names a file system treats as the directory itself, its parent, or an invisible file. */
const DOTS_ONLY = /^\.+$/;

/**
 * True when `dl` is a file name the contract accepts: 1-255 bytes of UTF-8,
 * no `/`, `\`, control or format character, not made only of dots.
 */
function isDownloadName(dl: unknown): dl is string {
  if (typeof dl !== "string" || dl.length === 0 || !dl.isWellFormed()) return false;
  if (encoder.encode(dl).byteLength > MAX_DOWNLOAD_NAME_BYTES) return false;
  if (dl.includes("/") || dl.includes("\\") || CONTROL_CHARACTER.test(dl)) return false;
  return !DISPLAY_SPOOFING_CHARACTER.test(dl) && !DOTS_ONLY.test(dl);
}

/** A MIME type essence as stored: lower case `type/subtype` of RFC 6838 restricted-name characters, no parameters. */
const CONTENT_TYPE_ESSENCE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
/** `jti`: 16-128 URL-safe characters, so it can be a webhook id and a storage name as it is. */
const UPLOAD_ID_CLAIM = /^[A-Za-z0-9_-]{16,128}$/;

/** True for a `ct` claim the contract accepts. */
function isContentTypeEssence(value: unknown): value is string {
  return typeof value === "string" && CONTENT_TYPE_ESSENCE.test(value);
}

/** True for a `jti` claim the contract accepts. */
function isUploadJti(value: unknown): value is string {
  return typeof value === "string" && UPLOAD_ID_CLAIM.test(value);
}

/** True for `max`: a whole number of bytes from 1 to `largest`. */
function isUploadSize(max: unknown, largest: number): max is number {
  return typeof max === "number" && Number.isSafeInteger(max) && max >= 1 && max <= largest;
}

/** Why a minter's lifetime (`ttl`, seconds) is refused, or undefined for a whole number from 1 to a day. */
export function lifetimeProblem(ttl: unknown): LifetimeProblem | undefined {
  const whole = typeof ttl === "number" && Number.isSafeInteger(ttl);
  return whole && ttl >= 1 && ttl <= MAX_TOKEN_TTL_SECONDS ? undefined : "bad-ttl";
}

/** The claims of a download token, or of a download mint request, as the rules read them. */
export type DownloadClaimValues = Readonly<Partial<Record<"key" | "pfx" | "bkt" | "dl" | "ip" | "put", unknown>>>;

/** A download token's claims once every rule has passed: what they name, parsed once. */
export interface DownloadClaims<B extends string = string> {
  scope: { key: string } | { pfx: string };
  bucket: B;
  dl?: string;
  ip?: AddressRange;
}

/**
 * Reads a download token's claims (after the signature and lifetime), or the
 * first rule they break. `isBucket` is the reader's bucket list (a minter
 * that does not know it accepts any name).
 */
export function readDownloadClaims<B extends string>(
  claims: DownloadClaimValues,
  isBucket: (value: unknown) => value is B,
): DownloadClaims<B> | { problem: DownloadClaimProblem } {
  // v1.2: a token that carries `put` is an upload token, never a download.
  if (claims.put !== undefined) return { problem: "put-on-download" };
  if (claims.key !== undefined && claims.pfx !== undefined) return { problem: "key-and-pfx" };
  let scope: DownloadClaims["scope"];
  if (claims.pfx !== undefined) {
    const problem = prefixProblem(claims.pfx);
    if (problem !== undefined || typeof claims.pfx !== "string")
      return { problem: problem ?? "bad-prefix: not-a-string" };
    scope = { pfx: claims.pfx };
  } else {
    const problem = objectKeyProblem(claims.key);
    if (problem !== undefined || typeof claims.key !== "string") return { problem: problem ?? "missing-key" };
    scope = { key: claims.key };
  }
  const bucket = claims.bkt ?? DEFAULT_BUCKET_NAME;
  if (!isBucket(bucket)) return { problem: "unknown-bucket" };
  const read: DownloadClaims<B> = { scope, bucket };
  if (claims.dl !== undefined) {
    if (!isDownloadName(claims.dl)) return { problem: "bad-dl" };
    read.dl = claims.dl;
  }
  if (claims.ip !== undefined) {
    const range = parseAddressRange(claims.ip);
    if (range === undefined) return { problem: "bad-ip" };
    read.ip = range;
  }
  return read;
}

/** The claims of an upload token, or of an upload mint request, as the rules read them. */
export type UploadClaimValues = Readonly<
  Partial<Record<"put" | "bkt" | "max" | "ct" | "jti" | "replace" | DownloadOnlyClaim, unknown>>
>;

/** What an upload token's claims grant once every rule has passed. */
export interface UploadClaims<B extends string = string> {
  /** The object key to create. */
  put: string;
  bucket: B;
  /** The most bytes the object may have. */
  max: number;
  /** The Content-Type the object is stored with. */
  ct: string;
  /** One token, one upload: also the webhook's id. */
  jti: string;
  /** Whether an existing object may be overwritten. */
  replace: boolean;
}

/**
 * Reads an upload token's claims (after the signature and lifetime), or the
 * first rule they break. `largest` is the reader's largest upload: `max` may
 * not exceed it.
 */
export function readUploadClaims<B extends string>(
  claims: UploadClaimValues,
  isBucket: (value: unknown) => value is B,
  largest: number,
): UploadClaims<B> | { problem: UploadClaimProblem } {
  if (claims.put === undefined) return { problem: "missing-put" };
  for (const download of ["key", "pfx", "dl", "ip"] as const) {
    if (claims[download] !== undefined) return { problem: `put-with-${download}` };
  }
  const putProblem = putKeyProblem(claims.put);
  if (putProblem !== undefined || typeof claims.put !== "string")
    return { problem: putProblem ?? "bad-put: not-a-key" };
  const bucket = claims.bkt ?? DEFAULT_BUCKET_NAME;
  if (!isBucket(bucket)) return { problem: "unknown-bucket" };
  if (claims.max === undefined) return { problem: "missing-max" };
  if (!isUploadSize(claims.max, largest)) return { problem: "bad-max" };
  if (claims.ct === undefined) return { problem: "missing-ct" };
  if (!isContentTypeEssence(claims.ct)) return { problem: "bad-ct" };
  if (claims.jti === undefined) return { problem: "missing-jti" };
  if (!isUploadJti(claims.jti)) return { problem: "bad-jti" };
  if (claims.replace !== undefined && typeof claims.replace !== "boolean") return { problem: "bad-replace" };
  return { put: claims.put, bucket, max: claims.max, ct: claims.ct, jti: claims.jti, replace: claims.replace === true };
}

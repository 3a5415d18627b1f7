/**
 * What a minter is asked for, in one type for every front door (`sign()`
 * over RPC, `POST /_sign`, `npm run mint`, the local backend), read by one
 * function: the fields' types, then the contract's claim rules
 * (token-rules.ts, the ones the verifier reads tokens with), then the
 * lifetime. A refusal is a code, with the sentence made from it in one table.
 */
import { MAX_TOKEN_TTL_SECONDS } from "./media-token.ts";
import type { ClaimProblem } from "./token-rules.ts";
import { MAX_DOWNLOAD_NAME_BYTES, lifetimeProblem, readDownloadClaims, readUploadClaims } from "./token-rules.ts";

/** A download token (v1, v1.1): one object (`key`) or a prefix ending in `/` (`pfx`). */
export interface DownloadMintInput {
  key?: string;
  pfx?: string;
  bkt?: string;
  /** Seconds; 1 to 86400, 300 when absent. */
  ttl?: number;
  dl?: string;
  ip?: string;
  put?: undefined;
}

/** An upload token (v1.2): `put` names the one object to create. */
export interface UploadMintInput {
  put: string;
  bkt?: string;
  max: number;
  ct: string;
  /** Generated when absent. */
  jti?: string;
  replace?: boolean;
  /** Seconds to create the upload in; 1 to 86400, 300 when absent. */
  ttl?: number;
  key?: undefined;
  pfx?: undefined;
  dl?: undefined;
  ip?: undefined;
}

/** What a minter is asked for: `put` tells an upload token from a download token. */
export type MintInput = DownloadMintInput | UploadMintInput;

/** Each field a mint request may carry, with its JSON type. */
const FIELD_TYPES = {
  key: "string",
  pfx: "string",
  bkt: "string",
  ttl: "number",
  dl: "string",
  ip: "string",
  put: "string",
  max: "number",
  ct: "string",
  jti: "string",
  replace: "boolean",
} as const;
type MintField = keyof typeof FIELD_TYPES;
const MINT_FIELDS = Object.keys(FIELD_TYPES) as MintField[];
/** The fields as the types above make them. */
type MintFields = { [F in MintField]?: { string: string; number: number; boolean: boolean }[(typeof FIELD_TYPES)[F]] };

/** Why a mint request is refused: a claim rule, or a request that is no mint request. */
export type MintProblem = ClaimProblem | "not-an-object" | "missing-scope" | `wrong-type: ${MintField}`;

export interface MintRefusal {
  problem: MintProblem;
  /** The sentence for the caller, made from the code. */
  message: string;
}

/** What the reader knows of the Worker that will verify: its bucket names and its largest upload. */
export interface MintLimits {
  buckets?: readonly string[] | undefined;
  largest?: number | undefined;
}

/** The largest `max` a minter accepts without knowing the Worker's Tus-Max-Size: R2's largest object (5 TiB less 5 GiB). */
const R2_LARGEST_OBJECT_BYTES = 5 * 1024 ** 4 - 5 * 1024 ** 3;

/**
 * The mint request in `value`, its `jti` generated when an upload token has
 * none, or the first rule it breaks. A reader given no bucket list accepts
 * any bucket name (the media Worker, which has the list, reads it again).
 */
export function readMintInput(value: UploadMintInput, limits?: MintLimits): UploadMintInput | MintRefusal;
export function readMintInput(value: DownloadMintInput, limits?: MintLimits): DownloadMintInput | MintRefusal;
export function readMintInput(value: unknown, limits?: MintLimits): MintInput | MintRefusal;
export function readMintInput(value: unknown, limits: MintLimits = {}): MintInput | MintRefusal {
  const refuse = (problem: MintProblem): MintRefusal => ({ problem, message: mintMessage(problem, limits) });
  if (typeof value !== "object" || value === null || Array.isArray(value)) return refuse("not-an-object");
  const fields = value as Readonly<Record<string, unknown>>;
  for (const field of MINT_FIELDS) {
    if (fields[field] !== undefined && typeof fields[field] !== FIELD_TYPES[field])
      return refuse(`wrong-type: ${field}`);
  }
  // Every field present has the type FIELD_TYPES names (checked above).
  const { key, pfx, bkt, ttl, dl, ip, put, max, ct, jti, replace } = fields as MintFields;
  const isBucket = (name: unknown): name is string =>
    typeof name === "string" && (limits.buckets === undefined || limits.buckets.includes(name));

  if (put !== undefined) {
    const claims = { put, bkt, max, ct, jti: jti ?? newUploadJti(), replace, key, pfx, dl, ip };
    const read = readUploadClaims(claims, isBucket, limits.largest ?? R2_LARGEST_OBJECT_BYTES);
    if ("problem" in read) return refuse(read.problem);
    const problem = ttl === undefined ? undefined : lifetimeProblem(ttl);
    if (problem !== undefined) return refuse(problem);
    const input: UploadMintInput = { put: read.put, max: read.max, ct: read.ct, jti: read.jti };
    if (bkt !== undefined) input.bkt = bkt;
    if (replace !== undefined) input.replace = replace;
    if (ttl !== undefined) input.ttl = ttl;
    return input;
  }
  if (key === undefined && pfx === undefined) return refuse("missing-scope");
  const read = readDownloadClaims({ key, pfx, bkt, dl, ip }, isBucket);
  if ("problem" in read) return refuse(read.problem);
  const problem = ttl === undefined ? undefined : lifetimeProblem(ttl);
  if (problem !== undefined) return refuse(problem);
  const input: DownloadMintInput = { ...read.scope };
  if (bkt !== undefined) input.bkt = bkt;
  if (ttl !== undefined) input.ttl = ttl;
  if (dl !== undefined) input.dl = dl;
  if (ip !== undefined) input.ip = ip;
  return input;
}

/** A fresh `jti`: 128 random bits, base64url. */
export function newUploadJti(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** A problem code without its detail: `bad-key: too-long` → `bad-key`. */
type Family<P extends string> = P extends `${infer F}: ${string}` ? F : P;

/** How each field's JSON type reads in a sentence. */
const FIELD_TYPE_NAMES: Readonly<Record<string, string>> = {
  ttl: "a number of seconds",
  max: "a number of bytes",
  ct: "a string (a MIME type such as video/mp4)",
  replace: "true or false",
};

const putWith = (problem: string) =>
  `put and ${problem.slice("put-with-".length)} are exclusive: an upload token names one object to create`;
const mustBeSize = (_problem: string, limits: MintLimits) =>
  `max must be a whole number of bytes from 1 to ${limits.largest ?? R2_LARGEST_OBJECT_BYTES}`;
const mustBeType = () => "ct must be a lower-case MIME type without parameters (video/mp4)";
const mustBeJti = () => "jti must be 16-128 characters of A-Z a-z 0-9 _ -";
const keyRefused = (problem: string) => `key refused (${problem})`;

/** The one table of sentences: a refusal's message, from its code. */
const MESSAGES: { readonly [F in Family<MintProblem>]: (problem: string, limits: MintLimits) => string } = {
  "not-an-object": () =>
    'A mint request must be a JSON object: {"key":"…"}, {"pfx":"…/"} or {"put":"…","max":…,"ct":"…"}.',
  "missing-scope": () => "Give key (one object) or pfx (a prefix ending in /), or put (an object to upload).",
  "wrong-type": (problem) => {
    const field = problem.slice("wrong-type: ".length);
    return `${field} must be ${FIELD_TYPE_NAMES[field] ?? "a string"}.`;
  },
  "put-on-download": () => "put makes an upload token, never a download token",
  "key-and-pfx": () => "key and pfx are exclusive: a token names one object or one prefix",
  "missing-key": keyRefused,
  "bad-key": keyRefused,
  "bad-prefix": (problem) => `pfx refused (${problem})`,
  "unknown-bucket": (_problem, limits) =>
    `bkt must be one of ${limits.buckets === undefined ? "the Worker's buckets" : limits.buckets.join(", ")}`,
  "bad-dl": () =>
    `dl refused (bad-dl): a file name of 1-${MAX_DOWNLOAD_NAME_BYTES} bytes of UTF-8 without / \\, control or format (bidi, zero-width) characters, not only dots`,
  "bad-ip": () =>
    "ip refused (bad-ip): a canonical IPv4 or IPv6 address, or a CIDR with no host bits set (203.0.113.7, 2001:db8:1:2::/64)",
  "missing-put": () => "put must name the object to create",
  "put-with-key": putWith,
  "put-with-pfx": putWith,
  "put-with-dl": putWith,
  "put-with-ip": putWith,
  "bad-put": (problem) => `put refused (${problem}): an object key, not ending in /`,
  "missing-max": mustBeSize,
  "bad-max": mustBeSize,
  "missing-ct": mustBeType,
  "bad-ct": mustBeType,
  "missing-jti": mustBeJti,
  "bad-jti": mustBeJti,
  "bad-replace": () => "replace must be true or false",
  "bad-ttl": () => `ttl must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`,
};

/** The sentence for a refusal's code. */
function mintMessage(problem: MintProblem, limits: MintLimits): string {
  const family = problem.split(": ")[0] as Family<MintProblem>;
  return MESSAGES[family](problem, limits);
}

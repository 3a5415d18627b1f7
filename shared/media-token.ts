/**
 * The media token contract, v1.1, in one place (docs/media.md has it for
 * backend authors): a compact JWS, HS256 only, header
 * `{"alg":"HS256","typ":"JWT","kid":"v<N>"}`, claims `key` or `pfx`, `bkt`,
 * `exp`, `nbf`, `iat`, `dl`, `ip`. The HMAC key for kid vN is the UTF-8 bytes
 * of MEDIA_TOKEN_SECRET_VN as stored (never base64-decoded).
 *
 * Every side of the contract reads its rules from here: the media Worker's
 * verifier and `sign()`, the local development backend, `npm run mint`, the
 * secrets script and the deploy checks. Runs in Workers and in Node alike.
 */
import { SignJWT } from "jose";

export const MEDIA_TOKEN_ALG = "HS256";
/** Where a token is presented: `/media/v1/<jwt>`, or `/media/v1/<jwt>/<path>` for a prefix token. */
export const MEDIA_TOKEN_PATH_PREFIX = "/media/v1/";
/** Clock skew accepted between the backend that mints and the edge that verifies. */
export const CLOCK_TOLERANCE_SECONDS = 30;

// ---------------------------------------------------------------- secrets and kids

/** A secret shorter than this is not loaded: HS256 needs a key at least as long as its output (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;
/** The setting that names the kid new tokens are signed with. */
export const ACTIVE_KID_SETTING = "MEDIA_TOKEN_ACTIVE_KID";
const SECRET_NAME = /^MEDIA_TOKEN_SECRET_V([1-9][0-9]{0,5})$/;
const KID = /^v([1-9][0-9]{0,5})$/;

/** True for a kid of the form `v<N>` (N from 1, no leading zero). */
export function isKid(value: string): boolean {
  return KID.test(value);
}

/** The kid a secret name signs for (`MEDIA_TOKEN_SECRET_V2` → `v2`), or undefined when the name is not one. */
export function kidOfSecretName(name: string): string | undefined {
  const version = SECRET_NAME.exec(name)?.[1];
  return version === undefined ? undefined : `v${version}`;
}

/** The secret name of a kid (`v2` → `MEDIA_TOKEN_SECRET_V2`), or undefined when it is not a kid. */
export function secretNameOfKid(kid: string): string | undefined {
  const version = KID.exec(kid)?.[1];
  return version === undefined ? undefined : `MEDIA_TOKEN_SECRET_V${version}`;
}

const encoder = new TextEncoder();

/** Why a secret's value is not loaded, or undefined when it is. */
export function secretProblem(value: string): "too-short" | undefined {
  return encoder.encode(value).byteLength < MIN_SECRET_BYTES ? "too-short" : undefined;
}

interface LoadedSecret {
  kid: string;
  /** The N of `v<N>`, for ordering. */
  version: number;
  /** The value as stored. */
  secret: string;
}

interface SigningSecrets {
  /** Every loadable secret, lowest kid first. */
  loaded: LoadedSecret[];
  /** Secrets present but not loaded, with why (never the value). */
  refused: { kid: string; reason: "too-short" }[];
  /** The kid new tokens are signed with; undefined when nothing is loaded. */
  activeKid: string | undefined;
  /** Set when MEDIA_TOKEN_ACTIVE_KID names a kid that is not loaded (the highest one signs instead). */
  activeKidProblem?: "active-kid-not-loaded";
}

/**
 * The one active-kid rule: MEDIA_TOKEN_ACTIVE_KID when it names a loaded kid,
 * else the highest N loaded (so a rotation that adds V3 before the setting
 * changes keeps signing).
 */
export function chooseActiveKid(
  loadedKids: readonly string[],
  setting: string | undefined,
): Pick<SigningSecrets, "activeKid" | "activeKidProblem"> {
  const wanted = setting?.trim() ?? "";
  const highest = [...loadedKids].sort((a, b) => kidVersion(a) - kidVersion(b)).at(-1);
  if (wanted === "") return { activeKid: highest };
  if (loadedKids.includes(wanted)) return { activeKid: wanted };
  return { activeKid: highest, activeKidProblem: "active-kid-not-loaded" };
}

function kidVersion(kid: string): number {
  return Number(KID.exec(kid)?.[1] ?? 0);
}

/** Every `MEDIA_TOKEN_SECRET_V<N>` in `vars` that is long enough, and the active kid among them. */
export function readSigningSecrets(vars: Readonly<Record<string, unknown>>): SigningSecrets {
  const loaded: LoadedSecret[] = [];
  const refused: SigningSecrets["refused"] = [];
  for (const [name, value] of Object.entries(vars)) {
    const kid = kidOfSecretName(name);
    if (kid === undefined || typeof value !== "string") continue;
    const problem = secretProblem(value);
    if (problem !== undefined) refused.push({ kid, reason: problem });
    else loaded.push({ kid, version: kidVersion(kid), secret: value });
  }
  loaded.sort((a, b) => a.version - b.version);
  const setting = vars[ACTIVE_KID_SETTING];
  return {
    loaded,
    refused,
    ...chooseActiveKid(
      loaded.map((entry) => entry.kid),
      typeof setting === "string" ? setting : undefined,
    ),
  };
}

/** The registry in the backend's log format: `media_token: active=v2 registry=[v1:526d65e9,v2:c33b55fc]`. */
export function registryLine(
  activeKid: string | undefined,
  kids: readonly { kid: string; fingerprint: string }[],
): string {
  return `media_token: active=${activeKid ?? "none"} registry=[${kids.map((entry) => `${entry.kid}:${entry.fingerprint}`).join(",")}]`;
}

// ---------------------------------------------------------------- lifetimes

/** Default and longest lifetime of a minted token: long enough for a film, short enough to expire a leak. */
export const DEFAULT_TOKEN_TTL_SECONDS = 300;
export const MAX_TOKEN_TTL_SECONDS = 24 * 60 * 60;

/** Why a lifetime is refused, or undefined for a whole number of seconds from 1 to a day. */
function ttlProblem(ttl: unknown): string | undefined {
  if (typeof ttl === "number" && Number.isSafeInteger(ttl) && ttl >= 1 && ttl <= MAX_TOKEN_TTL_SECONDS)
    return undefined;
  return `ttl must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`;
}

// ---------------------------------------------------------------- keys, prefixes, paths

/** R2's own key limit; for a prefix token, of the whole key (prefix + path). */
const MAX_KEY_BYTES = 1024;
/** C0 controls, DEL and C1 controls: none belongs in a key or a file name that ends up in logs and headers. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** The key rule a string breaks (`leading-slash`, …), or undefined. Shared by keys, prefixes and resolved paths. */
function keyRuleBroken(key: string): string | undefined {
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
export function objectKeyProblem(key: unknown): string | undefined {
  if (typeof key !== "string" || key.length === 0) return "missing-key";
  const rule = keyRuleBroken(key);
  return rule === undefined ? undefined : `bad-key: ${rule}`;
}

/** Why a key prefix (`pfx`) is refused: it obeys the key rules, is not empty and ends with `/`. */
function prefixProblem(pfx: unknown): string | undefined {
  if (typeof pfx !== "string") return "bad-prefix: not-a-string";
  if (pfx.length === 0) return "bad-prefix: empty";
  if (!pfx.endsWith("/")) return "bad-prefix: no-trailing-slash";
  const rule = keyRuleBroken(pfx);
  return rule === undefined ? undefined : `bad-prefix: ${rule}`;
}

const MALFORMED_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/**
 * The object key a prefix token names for the path after it (`/720p/seg.m4s`,
 * as `new URL(request.url).pathname` has it): `pfx` plus the path
 * percent-decoded once. One spelling per key: an empty path or segment, a
 * decoded `.`/`..`, `/` or `\`, a control character, a malformed escape or
 * invalid UTF-8 is refused.
 */
function keyUnderPrefix(pfx: string, path: string): { key: string } | { problem: string } {
  if (path === "" || path === "/") return { problem: "bad-path: empty" };
  const segments = path.slice(1).split("/");
  const decoded: string[] = [];
  for (const segment of segments) {
    if (segment === "") return { problem: "bad-path: empty-segment" };
    if (MALFORMED_ESCAPE.test(segment)) return { problem: "bad-path: bad-escape" };
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return { problem: "bad-path: not-utf8" };
    }
    if (name === "." || name === "..") return { problem: "bad-path: dot-segment" };
    if (name.includes("/")) return { problem: "bad-path: encoded-slash" };
    if (name.includes("\\")) return { problem: "bad-path: backslash" };
    if (CONTROL_CHARACTER.test(name)) return { problem: "bad-path: control-character" };
    decoded.push(name);
  }
  const key = `${pfx}${decoded.join("/")}`;
  if (encoder.encode(key).byteLength > MAX_KEY_BYTES) return { problem: "bad-path: too-long" };
  return { key };
}

// ---------------------------------------------------------------- download names

/** Longest `dl` file name, in UTF-8 bytes (what file systems commonly allow). */
const MAX_DOWNLOAD_NAME_BYTES = 255;

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

/** RFC 8187 attr-char: everything else in `filename*` is percent-encoded. */
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

/**
 * `Content-Disposition: attachment` for a valid `dl` name: a quoted ASCII
 * fallback (each character outside 0x20-0x7E, and `"`, `\`, `%`, becomes `_`,
 * RFC 6266 appendix D) and the exact name in `filename*` (RFC 8187).
 */
export function contentDispositionFor(dl: string): string {
  let fallback = "";
  for (const character of dl) {
    const code = character.codePointAt(0) ?? 0;
    fallback +=
      code < 0x20 || code > 0x7e || character === '"' || character === "\\" || character === "%" ? "_" : character;
  }
  let encoded = "";
  for (const byte of encoder.encode(dl)) {
    const character = String.fromCharCode(byte);
    encoded +=
      byte < 0x80 && ATTR_CHAR.test(character) ? character : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

// ---------------------------------------------------------------- client addresses

/** An address or CIDR, as a family and the address's bits. */
interface AddressRange {
  family: 4 | 6;
  bits: bigint;
  /** Leading bits that must match: 32 or 128 for a single address. */
  prefixLength: number;
}

interface Address {
  family: 4 | 6;
  bits: bigint;
}

const WIDTH = { 4: 32, 6: 128 } as const;
/** ::ffff:0:0/96, the IPv4-mapped block. */
const MAPPED_PREFIX = 0xffffn << 32n;
const CANONICAL_IPV4 = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/;
const PREFIX_LENGTH = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseIpv4(text: string): bigint | undefined {
  if (!CANONICAL_IPV4.test(text)) return undefined;
  let bits = 0n;
  for (const part of text.split(".")) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    bits = (bits << 8n) | BigInt(octet);
  }
  return bits;
}

/** Any RFC 4291 text form (one `::` at most, a dotted quad last), no zone. */
function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === "") return [];
    const groups: number[] = [];
    const parts = half.split(":");
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (HEX_GROUP.test(part)) {
        groups.push(Number.parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  // A dotted quad may only end the address.
  if (halves.length === 2 && (halves[0] ?? "").includes(".")) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  let bits = 0n;
  for (const group of [...head, ...Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail])
    bits = (bits << 16n) | BigInt(group);
  return bits;
}

function parseAddress(text: string): Address | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, bits: v4 };
  const v6 = text.includes(":") ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { family: 6, bits: v6 };
}

function isMapped(address: Address): boolean {
  return address.family === 6 && address.bits >> 32n === MAPPED_PREFIX >> 32n;
}

function hostMask(family: 4 | 6, prefixLength: number): bigint {
  return (1n << BigInt(WIDTH[family] - prefixLength)) - 1n;
}

/**
 * An `ip` claim: a canonical IPv4 address, an IPv6 address (no zone, not
 * IPv4-mapped), or either as a CIDR with no host bits set past the prefix.
 * Undefined for anything else (the token is refused: `bad-ip`).
 */
function parseAddressRange(claim: unknown): AddressRange | undefined {
  if (typeof claim !== "string") return undefined;
  const [addressText = "", lengthText, extra] = claim.split("/");
  if (extra !== undefined) return undefined;
  const address = parseAddress(addressText);
  if (address === undefined || isMapped(address)) return undefined;
  const width: number = WIDTH[address.family];
  let prefixLength = width;
  if (lengthText !== undefined) {
    if (!PREFIX_LENGTH.test(lengthText) || Number(lengthText) > width) return undefined;
    prefixLength = Number(lengthText);
  }
  if ((address.bits & hostMask(address.family, prefixLength)) !== 0n) return undefined;
  return { family: address.family, bits: address.bits, prefixLength };
}

/**
 * Whether the client address (`CF-Connecting-IP`, null when absent) falls
 * inside the range. An IPv4-mapped client compares as IPv4; an absent or
 * unreadable address, or another family, does not match.
 */
function clientAddressMatches(range: AddressRange, client: string | null): boolean {
  if (client === null) return false;
  let address = parseAddress(client.trim());
  if (address === undefined) return false;
  if (isMapped(address)) address = { family: 4, bits: address.bits & 0xffffffffn };
  if (address.family !== range.family) return false;
  const mask = hostMask(range.family, range.prefixLength);
  return (address.bits & ~mask) === range.bits;
}

// ---------------------------------------------------------------- claims and grants

interface MediaTokenClaims {
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

/** The bucket a token names when its `bkt` claim is absent. */
export const DEFAULT_BUCKET_NAME = "media";

/** The protected header parameter a v1.1 token marks critical, so an older verifier refuses an `ip` it would ignore. */
export const V11_HEADER = "v11";

/** What a verified token grants, its claims checked and parsed once. */
export type MediaGrant<B extends string = string> = ({ key: string } | { pfx: string }) & {
  bucket: B;
  /** The Content-Disposition a `dl` claim asks for. */
  contentDisposition?: string;
  /** The client range an `ip` claim binds the token to. */
  ip?: AddressRange;
};

/** The protected header parameters a grant depends on. */
interface GrantHeader {
  crit?: unknown;
  v11?: unknown;
}

/**
 * Reads what a signature-checked payload grants, or the sanitized reason it
 * grants nothing. `isBucket` is the verifier's own bucket list.
 */
export function readGrant<B extends string>(
  payload: Readonly<Partial<Record<keyof MediaTokenClaims, unknown>>>,
  header: GrantHeader,
  isBucket: (value: unknown) => value is B,
): MediaGrant<B> | { problem: string } {
  const hasKey = payload.key !== undefined;
  const hasPrefix = payload.pfx !== undefined;
  if (hasKey && hasPrefix) return { problem: "key-and-pfx" };
  let scope: { key: string } | { pfx: string };
  if (hasPrefix) {
    const problem = prefixProblem(payload.pfx);
    if (problem !== undefined || typeof payload.pfx !== "string")
      return { problem: problem ?? "bad-prefix: not-a-string" };
    scope = { pfx: payload.pfx };
  } else {
    const problem = objectKeyProblem(payload.key);
    if (problem !== undefined || typeof payload.key !== "string") return { problem: problem ?? "missing-key" };
    scope = { key: payload.key };
  }
  const bucket = payload.bkt ?? DEFAULT_BUCKET_NAME;
  if (!isBucket(bucket)) return { problem: "unknown-bucket" };
  const grant: MediaGrant<B> = { ...scope, bucket };
  if (payload.dl !== undefined) {
    if (!isDownloadName(payload.dl)) return { problem: "bad-dl" };
    grant.contentDisposition = contentDispositionFor(payload.dl);
  }
  if (payload.ip !== undefined) {
    const range = parseAddressRange(payload.ip);
    if (range === undefined) return { problem: "bad-ip" };
    const critical = Array.isArray(header.crit) && header.crit.includes(V11_HEADER) && header.v11 === true;
    if (!critical) return { problem: "ip-without-crit" };
    grant.ip = range;
  }
  return grant;
}

/**
 * The checks that run on every request after a grant is known (the grant
 * may come from the verified-token cache): the object the path names, and
 * the client address.
 */
export function authorizeRequest(
  grant: MediaGrant,
  path: string,
  client: string | null,
): { key: string } | { problem: string } {
  let key: string;
  if ("key" in grant) {
    if (path !== "") return { problem: "bad-path: after-key" };
    key = grant.key;
  } else {
    const resolved = keyUnderPrefix(grant.pfx, path);
    if ("problem" in resolved) return resolved;
    key = resolved.key;
  }
  if (grant.ip !== undefined && !clientAddressMatches(grant.ip, client)) return { problem: "ip-mismatch" };
  return { key };
}

// ---------------------------------------------------------------- minting

/** What a front door (`sign()`, `POST /_sign`, `npm run mint`, the backend) is asked to mint. */
export interface MintInput {
  key?: string;
  pfx?: string;
  bkt?: string;
  /** Seconds; 1 to 86400, 300 when absent. */
  ttl?: number;
  dl?: string;
  ip?: string;
}

/**
 * Why a mint request is refused, as a sentence for the caller, or undefined.
 * `buckets` lists the bucket names when the caller knows them.
 */
export function mintProblem(input: MintInput, buckets?: readonly string[]): string | undefined {
  if (typeof input !== "object" || input === null) return "give { key } (one object) or { pfx } (a prefix ending in /)";
  if (input.key !== undefined && input.pfx !== undefined)
    return "key and pfx are exclusive: a token names one object or one prefix";
  if (input.pfx !== undefined) {
    const problem = prefixProblem(input.pfx);
    if (problem !== undefined) return `pfx refused (${problem})`;
  } else {
    const problem = objectKeyProblem(input.key);
    if (problem !== undefined) return `key refused (${problem})`;
  }
  if (input.bkt !== undefined && typeof input.bkt !== "string") return "bkt must be a string";
  if (buckets !== undefined && !buckets.includes(input.bkt ?? DEFAULT_BUCKET_NAME))
    return `bkt must be one of ${buckets.join(", ")}`;
  if (input.ttl !== undefined) {
    const problem = ttlProblem(input.ttl);
    if (problem !== undefined) return problem;
  }
  if (input.dl !== undefined && !isDownloadName(input.dl)) {
    return `dl refused (bad-dl): a file name of 1-${MAX_DOWNLOAD_NAME_BYTES} bytes of UTF-8 without / \\, control or format (bidi, zero-width) characters, not only dots`;
  }
  if (input.ip !== undefined && parseAddressRange(input.ip) === undefined) {
    return "ip refused (bad-ip): a canonical IPv4 or IPv6 address, or a CIDR with no host bits set (203.0.113.7, 2001:db8:1:2::/64)";
  }
  return undefined;
}

interface SignRequest {
  key?: string;
  pfx?: string;
  bkt?: string;
  dl?: string;
  ip?: string;
  /** Lifetime in seconds from now. */
  ttlSeconds: number;
  /** `v<N>`: names the secret that signs. */
  kid: string;
  /** The secret's value as stored, or its HMAC CryptoKey (imported once by the media Worker). */
  secret: string | CryptoKey;
  /** Seconds since the epoch; the clock by default. */
  now?: number;
}

/**
 * A compact JWS signed with one kid's secret, the claims as given (the front
 * doors check them first with `mintProblem`). A token with `ip` carries the
 * critical `v11` header, so the fail-open form is never minted.
 */
export async function signMediaToken(request: SignRequest): Promise<string> {
  const now = request.now ?? Math.floor(Date.now() / 1000);
  const claims: Omit<MediaTokenClaims, "exp" | "iat"> = {};
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
    .sign(
      typeof request.secret === "string" ? encoder.encode(request.secret) : request.secret,
      bound ? { crit: { [V11_HEADER]: true } } : undefined,
    );
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

/**
 * The token and the path after it in a request's pathname (`/media/v1/<jwt>/<path>`),
 * or undefined when the pathname is not a media token route (no token at all).
 */
export function splitMediaPath(pathname: string): { token: string; path: string } | undefined {
  if (!pathname.startsWith(MEDIA_TOKEN_PATH_PREFIX)) return undefined;
  const rest = pathname.slice(MEDIA_TOKEN_PATH_PREFIX.length);
  const slash = rest.indexOf("/");
  const token = slash === -1 ? rest : rest.slice(0, slash);
  if (token === "") return undefined;
  return { token, path: slash === -1 ? "" : rest.slice(slash) };
}

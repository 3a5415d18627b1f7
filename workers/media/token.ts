/**
 * Media token verification (the contract is in shared/ and docs/media.md): HS256 only, `kid` picks the secret from a registry of every
 * MEDIA_TOKEN_SECRET_V<N> present, so old and new kids verify side by side
 * during a rotation.
 */
import type { JWTPayload, JWTVerifyOptions } from "jose";
import { decodeProtectedHeader, errors, jwtVerify } from "jose";
import { fingerprint } from "../../shared/fingerprint";
import { CLOCK_TOLERANCE_SECONDS, MEDIA_TOKEN_ALG, V11_HEADER } from "../../shared/media-token";
import { isKid, readSigningSecrets } from "../../shared/token-secrets";
import type { BucketName } from "./buckets";
import { isBucketName } from "./buckets";
import type { GrantProblem, MediaGrant } from "./grant";
import { readGrant } from "./grant";

/** Longer tokens are not parsed at all: a legitimate one is a few hundred characters. */
const MAX_TOKEN_CHARS = 4096;
/**
 * Successful verifications kept per registry in one isolate. A player sends
 * one signed URL for every byte range of a video, so repeats come close
 * together; the bound keeps memory flat whatever the traffic (tokens are at
 * most MAX_TOKEN_CHARS, so at most about 4 MB of token text).
 */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 1000;

interface KidEntry {
  kid: string;
  /** The N of `v<N>`, for ordering. */
  version: number;
  /** First 8 hex of SHA-256 of the secret: safe to show, proves which secret is loaded. */
  fingerprint: string;
  /** Imported once, used for every verification and signature in this isolate. */
  key: CryptoKey;
}

export interface KidRegistry {
  kids: ReadonlyMap<string, KidEntry>;
  /** The kid `sign()` uses; undefined when no secret is loaded. */
  activeKid: string | undefined;
  /** The registry in the backend's log format: `media_token: active=v2 registry=[v1:526d65e9,v2:c33b55fc]`. */
  line: string;
  /** Secrets present but not loaded, with why (never the value). */
  refused: { kid: string; reason: "too-short" }[];
  /** Set when MEDIA_TOKEN_ACTIVE_KID names a kid that is not loaded. */
  activeKidProblem?: "active-kid-not-loaded";
}

const encoder = new TextEncoder();

/** The registry in the backend's log format: `media_token: active=v2 registry=[v1:526d65e9,v2:c33b55fc]`. */
function registryLine(activeKid: string | undefined, kids: readonly { kid: string; fingerprint: string }[]): string {
  return `media_token: active=${activeKid ?? "none"} registry=[${kids.map((entry) => `${entry.kid}:${entry.fingerprint}`).join(",")}]`;
}

/**
 * Builds the registry from every `MEDIA_TOKEN_SECRET_V<N>` in `env` that the
 * contract loads (shared/token-secrets.ts: the secret floor, the active kid).
 */
export async function buildKidRegistry(env: object): Promise<KidRegistry> {
  const secrets = readSigningSecrets(env as Record<string, unknown>);
  const entries: KidEntry[] = [];
  for (const { kid, version, secret } of secrets.loaded) {
    const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    entries.push({ kid, version, fingerprint: await fingerprint(secret), key });
  }
  const registry: KidRegistry = {
    kids: new Map(entries.map((entry) => [entry.kid, entry])),
    activeKid: secrets.activeKid,
    line: registryLine(secrets.activeKid, entries),
    refused: secrets.refused,
  };
  if (secrets.activeKidProblem) registry.activeKidProblem = secrets.activeKidProblem;
  return registry;
}

/** Why a token's signature or lifetime does not check: a short, fixed reason for the log. */
export type SignatureProblem =
  | "malformed"
  | "malformed: non-canonical"
  | "bad-alg"
  | "bad-crit"
  | "missing-kid"
  | "unknown-kid"
  | "expired"
  | "not-yet-valid"
  | "invalid: nbf"
  | "invalid: exp"
  | "invalid: iat"
  | "invalid: claims"
  | "invalid: signature"
  | "invalid: other";

/** A token whose signature, lifetime and claims all check: what it grants, and the kid that signed it. */
type VerifiedMediaToken = { ok: true; kid: string } & MediaGrant<BucketName>;

interface RejectedMediaToken {
  ok: false;
  /** A short, fixed reason for the log: never the token, the secret or the key. */
  reason: SignatureProblem | GrantProblem;
  kid?: string;
}

/** A token that verified, with the times its acceptance depends on. */
interface VerifiedEntry {
  result: VerifiedMediaToken;
  exp: number;
  nbf: number | undefined;
}

/**
 * Successful verifications per registry, least recently used first (a Map
 * iterates in insertion order). Keyed by the registry, not the isolate, so a
 * rebuilt registry (other secrets, a test's own Env) starts empty and a token
 * is only ever accepted under the keys that verified it.
 */
const verifiedTokens = new WeakMap<KidRegistry, Map<string, VerifiedEntry>>();

/** What the cache holds for a registry, read-only: its size and whether a token is in it (without refreshing it). */
export function verifiedTokenCache(registry: KidRegistry): { size: number; has(token: string): boolean } {
  const entries = verifiedTokens.get(registry);
  return { size: entries?.size ?? 0, has: (token) => entries?.has(token) ?? false };
}

/** jose's time checks (nbf, exp, with the same tolerance) at `seconds` since the epoch. */
function withinLifetime(entry: VerifiedEntry, seconds: number): boolean {
  if (entry.nbf !== undefined && entry.nbf > seconds + CLOCK_TOLERANCE_SECONDS) return false;
  return entry.exp > seconds - CLOCK_TOLERANCE_SECONDS;
}

function remember(registry: KidRegistry, token: string, entry: VerifiedEntry): void {
  let entries = verifiedTokens.get(registry);
  if (entries === undefined) {
    entries = new Map();
    verifiedTokens.set(registry, entries);
  }
  entries.delete(token);
  if (entries.size >= VERIFIED_TOKEN_CACHE_ENTRIES) {
    const leastRecent = entries.keys().next();
    if (leastRecent.done !== true) entries.delete(leastRecent.value);
  }
  entries.set(token, entry);
}

const BASE64URL_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** A segment in the base64url alphabet. */
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]*$/;
/** One that only padding or whitespace keep out of it: a lenient decoder reads the same bytes. */
const PADDED_OR_SPACED_SEGMENT = /^[A-Za-z0-9_=\s-]*$/;

/**
 * False when a segment of `token` is a second spelling of the same bytes:
 * padding, whitespace, or spare bits set in the last digit (jose, like
 * `Uint8Array.fromBase64`, decodes them all leniently, so one token would
 * have up to eight spellings). A segment with other characters is left to
 * jose, which refuses it as malformed.
 */
export function isCanonicalSpelling(token: string): boolean {
  const segments = token.split(".");
  // Not a compact JWS at all (a path segment, a JWE): jose refuses it with its own reason.
  if (segments.length !== 3) return true;
  for (const segment of segments) {
    if (!BASE64URL_SEGMENT.test(segment)) {
      if (PADDED_OR_SPACED_SEGMENT.test(segment)) return false;
      continue;
    }
    // The last digit of 2 (or 3) leftover digits carries 4 (or 2) bits beyond the last byte: they must be zero.
    const leftover = segment.length % 4;
    // One leftover digit encodes no byte: jose refuses it as malformed.
    if (leftover < 2) continue;
    const lastDigit = BASE64URL_DIGITS.indexOf(segment.charAt(segment.length - 1));
    if ((lastDigit & (leftover === 2 ? 0b1111 : 0b11)) !== 0) return false;
  }
  return true;
}

/**
 * Verifies a compact JWS against the registry and checks its claims, at
 * `now` (ms since the epoch). Every failure becomes a fixed reason string;
 * nothing from the token itself is echoed except a well-formed kid.
 *
 * A token that verified before under this registry skips jose and the HMAC:
 * the signature, header and claims of an identical string cannot have
 * changed, only the time, which is checked again on every hit. An entry out
 * of its lifetime is dropped and the token verified in full, so its
 * rejection and reason are exactly jose's.
 */
export async function verifyMediaToken(
  token: string,
  registry: KidRegistry,
  now = Date.now(),
): Promise<VerifiedMediaToken | RejectedMediaToken> {
  if (token.length === 0 || token.length > MAX_TOKEN_CHARS) return { ok: false, reason: "malformed" };
  // Before the cache: each spelling jose would also accept would otherwise be an entry of its own.
  if (!isCanonicalSpelling(token)) return { ok: false, reason: "malformed: non-canonical" };
  const entries = verifiedTokens.get(registry);
  const cached = entries?.get(token);
  if (entries !== undefined && cached !== undefined) {
    entries.delete(token);
    // jose's epoch(): whole seconds, rounded down.
    if (withinLifetime(cached, Math.floor(now / 1000))) {
      entries.set(token, cached); // now the most recently used
      return { ...cached.result };
    }
  }

  const signer = tokenSigner(token, registry);
  if ("reason" in signer) return { ok: false, ...signer };
  const { header, kid, entry } = signer;

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, entry.key, contractVerifyOptions(now, ["exp"])));
  } catch (error) {
    return { ok: false, reason: joseFailureReason(error), kid };
  }

  const grant = readGrant(payload, header, isBucketName);
  if ("problem" in grant) return { ok: false, reason: grant.problem, kid };
  const result: VerifiedMediaToken = { ok: true, kid, ...grant };
  // jose has checked both are numbers (exp is required); a token without a numeric exp is simply not cached.
  if (typeof payload.exp === "number")
    remember(registry, token, { result: { ...result }, exp: payload.exp, nbf: payload.nbf });
  return result;
}

/**
 * The registry entry whose key must have signed a token (download or upload),
 * from its protected header (HS256, a well-formed and loaded kid), or the
 * fixed reason there is none.
 */
export function tokenSigner(
  token: string,
  registry: KidRegistry,
):
  | { header: ReturnType<typeof decodeProtectedHeader>; kid: string; entry: KidEntry }
  | { reason: SignatureProblem; kid?: string } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { reason: "malformed" };
  }
  if (header.alg !== MEDIA_TOKEN_ALG) return { reason: "bad-alg" };
  if (typeof header.kid !== "string") return { reason: "missing-kid" };
  if (!isKid(header.kid)) return { reason: "unknown-kid" };
  const kid = header.kid;
  const entry = registry.kids.get(kid);
  if (entry === undefined) return { reason: "unknown-kid", kid };
  return { header, kid, entry };
}

/**
 * jose's options for any contract token (download or upload): HS256 only, the
 * contract's clock tolerance, and v1.1's critical header understood (any
 * other critical parameter refuses the token).
 */
export function contractVerifyOptions(now: number, requiredClaims: string[]): JWTVerifyOptions {
  return {
    algorithms: [MEDIA_TOKEN_ALG],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    currentDate: new Date(now),
    requiredClaims,
    crit: { [V11_HEADER]: true },
  };
}

/** jose's error classes mapped to the log's fixed reasons. */
export function joseFailureReason(error: unknown): SignatureProblem {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    // jose raises the same error for an nbf in the future and for one that is not a number: only the first is "not yet valid".
    if (error.claim === "nbf") return error.reason === "check_failed" ? "not-yet-valid" : "invalid: nbf";
    if (error.claim === "exp") return "invalid: exp";
    if (error.claim === "iat") return "invalid: iat";
    return "invalid: claims";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "invalid: signature";
  if (error instanceof errors.JOSEAlgNotAllowed) return "bad-alg";
  // A critical header parameter this verifier does not know (crit naming anything but v11).
  if (error instanceof errors.JOSENotSupported) return "bad-crit";
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return "malformed";
  return "invalid: other";
}

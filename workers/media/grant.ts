/**
 * What a verified download token grants (its claims read by the contract's
 * rules, shared/token-rules.ts, once per token), and the checks every request
 * runs against a grant: the object its path names and the client's address.
 */
import { V11_HEADER } from "../../shared/media-token";
import type { AddressRange } from "../../shared/ip-range";
import { clientAddressMatches } from "../../shared/ip-range";
import type { DownloadClaimProblem } from "../../shared/token-rules";
import { readDownloadClaims } from "../../shared/token-rules";
import type { PathProblem } from "./path";
import { keyUnderPrefix } from "./path";

/** What a verified token grants, its claims checked and parsed once. */
export type MediaGrant<B extends string = string> = ({ key: string } | { pfx: string }) & {
  bucket: B;
  /** The Content-Disposition a `dl` claim asks for. */
  contentDisposition?: string;
  /** The client range an `ip` claim binds the token to. */
  ip?: AddressRange;
};

/** Why a signature-checked token grants nothing: a claim rule, or an `ip` without v1.1's critical header. */
export type GrantProblem = DownloadClaimProblem | "ip-without-crit";

/** Why a request is refused under a grant. */
export type RequestProblem = PathProblem | "ip-mismatch";

/** The protected header parameters a grant depends on. */
interface GrantHeader {
  crit?: unknown;
  v11?: unknown;
}

/**
 * Reads what a signature-checked payload grants, or the reason it grants
 * nothing. `isBucket` is the verifier's own bucket list.
 */
export function readGrant<B extends string>(
  payload: Readonly<Record<string, unknown>>,
  header: GrantHeader,
  isBucket: (value: unknown) => value is B,
): MediaGrant<B> | { problem: GrantProblem } {
  const claims = readDownloadClaims(payload, isBucket);
  if ("problem" in claims) return claims;
  const grant: MediaGrant<B> = { ...claims.scope, bucket: claims.bucket };
  if (claims.dl !== undefined) grant.contentDisposition = contentDispositionFor(claims.dl);
  if (claims.ip !== undefined) {
    const critical = Array.isArray(header.crit) && header.crit.includes(V11_HEADER) && header.v11 === true;
    if (!critical) return { problem: "ip-without-crit" };
    grant.ip = claims.ip;
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
): { key: string } | { problem: RequestProblem } {
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

/** RFC 8187 attr-char: everything else in `filename*` is percent-encoded. */
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;
const encoder = new TextEncoder();

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

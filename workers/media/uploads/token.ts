/**
 * Upload token verification (contract v1.2, shared/token-rules.ts): the same
 * HS256, kid registry and clock tolerance as a download token, then the
 * upload claims. Creation is rare next to range requests, so nothing is
 * cached: every POST verifies in full.
 */
import type { JWTPayload } from "jose";
import { jwtVerify } from "jose";
import { CLOCK_TOLERANCE_SECONDS } from "../../../shared/media-token";
import type { UploadClaimProblem, UploadClaims } from "../../../shared/token-rules";
import { readUploadClaims } from "../../../shared/token-rules";
import type { BucketName } from "../buckets";
import { isBucketName } from "../buckets";
import type { KidRegistry, SignatureProblem } from "../token";
import { contractVerifyOptions, isCanonicalSpelling, joseFailureReason, tokenSigner } from "../token";

/** The same bound as a download token: a legitimate one is a few hundred characters. */
const MAX_TOKEN_CHARS = 4096;

export type UploadTokenCheck =
  /** `deadline`: when the token can no longer create anything (its exp plus the clock tolerance), ms since the epoch. */
  | ({ ok: true; kid: string; deadline: number } & UploadClaims<BucketName>)
  /** `reason`: a short, fixed string for the log, never the token, the secret or the key. */
  | { ok: false; reason: UploadTokenProblem; kid?: string };

/** Why an upload token creates nothing. */
type UploadTokenProblem = "missing-token" | "missing-exp" | SignatureProblem | UploadClaimProblem;

/** The bearer token of an `Authorization` header, or undefined when it holds none. */
export function bearerToken(authorization: string | null): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(authorization ?? "");
  return match?.[1];
}

/** Verifies an upload token at `now` (ms since the epoch); `largest` is the Worker's Tus-Max-Size. */
export async function verifyUploadToken(
  token: string | undefined,
  registry: KidRegistry,
  largest: number,
  now = Date.now(),
): Promise<UploadTokenCheck> {
  if (token === undefined) return { ok: false, reason: "missing-token" };
  if (token.length > MAX_TOKEN_CHARS) return { ok: false, reason: "malformed" };
  const signer = tokenSigner(token, registry);
  if ("reason" in signer) return { ok: false, ...signer };
  const { kid, entry } = signer;
  if (!isCanonicalSpelling(token)) return { ok: false, reason: "malformed: non-canonical", kid };
  let payload: JWTPayload;
  try {
    // exp is checked by jose when present; its absence is the grant's own reason (missing-exp). v1.1's
    // critical header is understood so that an `ip` claim is refused by its own rule: put-with-ip.
    ({ payload } = await jwtVerify(token, entry.key, contractVerifyOptions(now, [])));
  } catch (error) {
    return { ok: false, reason: joseFailureReason(error), kid };
  }
  // The deadline to create the upload: required here, where a download token's is required by jose.
  if (payload.exp === undefined) return { ok: false, reason: "missing-exp", kid };
  const grant = readUploadClaims(payload, isBucketName, largest);
  if ("problem" in grant) return { ok: false, reason: grant.problem, kid };
  // jose refuses an exp that is not a number.
  const deadline = (payload.exp + CLOCK_TOLERANCE_SECONDS) * 1000;
  return { ok: true, kid, deadline, ...grant };
}

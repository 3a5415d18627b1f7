/**
 * The `upload.completed` webhook, signed per Standard Webhooks
 * (https://www.standardwebhooks.com): `webhook-id` (the token's `jti`, the
 * same on every retry), `webhook-timestamp` (seconds, of this attempt) and
 * `webhook-signature` `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed
 * with the bytes of MEDIA_UPLOAD_WEBHOOK_SECRET's base64 after `whsec_`.
 */

/** What the backend learns about a completed upload. */
export interface UploadCompletedData {
  key: string;
  bucket: string;
  size: number;
  etag: string;
  contentType: string;
  jti: string;
  metadata: Record<string, string>;
}

export interface UploadCompletedEvent {
  type: "upload.completed";
  /** When the upload completed (RFC 3339). */
  timestamp: string;
  data: UploadCompletedData;
}

/** A delivery waiting in the upload's storage: the body is fixed once, every attempt signs it anew. */
export interface PendingDelivery {
  id: string;
  body: string;
  /** ms since the epoch: retries stop 24 h after it. */
  firstAttempt: number;
  attempts: number;
}

/** Retries stop this long after the first attempt. */
export const WEBHOOK_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Waits after the 1st, 2nd, … failed attempt (then the last one again), as Standard Webhooks suggests. */
const RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000];
/** A backend that does not answer within this is a failed attempt. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/** When to try again after `attempts` failures, or undefined when the window is over. */
export function nextAttemptAt(delivery: PendingDelivery, now: number): number | undefined {
  const delay = RETRY_DELAYS_MS[Math.min(delivery.attempts - 1, RETRY_DELAYS_MS.length - 1)] ?? 0;
  const next = now + delay;
  return next - delivery.firstAttempt > WEBHOOK_RETRY_WINDOW_MS ? undefined : next;
}

const encoder = new TextEncoder();

/** The HMAC key of a `whsec_<base64>` secret, or undefined when it is not one. */
export async function webhookKey(secret: string | undefined): Promise<CryptoKey | undefined> {
  const encoded = secret?.startsWith("whsec_") ? secret.slice("whsec_".length) : undefined;
  if (encoded === undefined || encoded === "") return undefined;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(encoded), (character) => character.charCodeAt(0));
  } catch {
    return undefined;
  }
  return crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** The three Standard Webhooks headers of one attempt at `nowSeconds`. */
export async function webhookHeaders(
  key: CryptoKey,
  id: string,
  body: string,
  nowSeconds: number,
): Promise<Record<string, string>> {
  const signed = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${nowSeconds}.${body}`)));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(nowSeconds),
    "webhook-signature": `v1,${btoa(String.fromCharCode(...signed))}`,
  };
}

/** One attempt: the backend's status, or a reason when it gave none (unreachable, timed out). */
export async function attemptDelivery(
  url: URL,
  key: CryptoKey,
  delivery: PendingDelivery,
): Promise<{ status: number } | { reason: string }> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "edge-gateway-media/uploads",
        ...(await webhookHeaders(key, delivery.id, delivery.body, Math.floor(Date.now() / 1000))),
      },
      body: delivery.body,
      // A redirect is a failed attempt: the signed body never goes anywhere it was not configured to.
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { status: response.status };
  } catch (error) {
    return { reason: error instanceof DOMException && error.name === "TimeoutError" ? "timeout" : "unreachable" };
  }
}

/**
 * Operator-only endpoints (`Authorization: Bearer <ADMIN_TOKEN>`; anyone
 * else gets 401 and learns nothing):
 *
 * - `GET /_status`: each Worker's deployed version, and the media Worker's
 *   status() over RPC: loaded kids with fingerprints (never values), the
 *   active kid, bound buckets. Operators compare the fingerprints with the
 *   backend's log and with `npm run fingerprint`.
 * - `POST /_sign` `{"key":"…","bkt":"media","ttl":60}`: a `/media/v1/<jwt>`
 *   path from the media Worker's sign() over RPC, so the smoke test proves
 *   the signing path without anyone outside the media Worker holding a secret.
 */
import { errorResponse, jsonResponse } from "../../shared/errors";
import type { VersionInfo } from "../../shared/health";
import { versionInfo } from "../../shared/health";
import type { Logger } from "../../shared/log";
import type { MediaStatus, SignInput } from "../media/control";
import { HEALTH_TIMEOUT_MS, withDeadline } from "./health";

/** A sign request is a key, a bucket and a lifetime: anything larger is not one. */
const MAX_SIGN_BODY_BYTES = 4096;

type Failed = { status: "failed"; reason: "timeout" | "error" };

export interface StatusDocument {
  status: "ok" | "degraded";
  requestId: string;
  workers: {
    router: { version: VersionInfo };
    media: ({ status: "ok" } & MediaStatus) | Failed;
    api: { status: "ok"; version: VersionInfo } | Failed;
  };
}

interface StatusDependencies {
  MEDIA: { status(): Promise<MediaStatus> };
  API: { health(): Promise<{ version: VersionInfo }> };
  VERSION: WorkerVersionMetadata;
}

/** The 401 for a caller without the admin token: the same for a wrong token and none. */
export function operatorOnly(requestId: string): Response {
  return errorResponse(401, "unauthorized", "This endpoint is for operators: send Authorization: Bearer <ADMIN_TOKEN>.", requestId, {
    "WWW-Authenticate": 'Bearer realm="gateway-operator"',
  });
}

async function ask<T>(target: string, call: () => Promise<T>, requestId: string, log: Logger): Promise<({ status: "ok" } & T) | Failed> {
  try {
    const answer = await withDeadline(call, HEALTH_TIMEOUT_MS);
    if (answer !== "timeout") return { status: "ok", ...answer };
    log.warn("status-dependency-failed", { requestId, target, reason: "timeout" });
    return { status: "failed", reason: "timeout" };
  } catch {
    log.warn("status-dependency-failed", { requestId, target, reason: "error" });
    return { status: "failed", reason: "error" };
  }
}

/** `GET /_status` for an operator: 200, or 503 when a Worker did not answer. */
export async function statusResponse(env: StatusDependencies, requestId: string, log: Logger): Promise<Response> {
  const [media, api] = await Promise.all([
    ask("media", () => env.MEDIA.status(), requestId, log),
    ask("api", async () => ({ version: (await env.API.health()).version }), requestId, log),
  ]);
  const healthy = media.status === "ok" && api.status === "ok";
  const document: StatusDocument = {
    status: healthy ? "ok" : "degraded",
    requestId,
    workers: { router: { version: versionInfo(env.VERSION) }, media, api },
  };
  return jsonResponse(document, healthy ? 200 : 503);
}

/** The body of a sign request, or the reason it is not one. */
export function parseSignBody(text: string): SignInput | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'The body must be JSON: {"key":"…","bkt":"media","ttl":60}.';
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return 'The body must be a JSON object: {"key":"…"}.';
  const { key, bkt, ttl } = body as Record<string, unknown>;
  if (typeof key !== "string") return "key must be a string.";
  if (bkt !== undefined && typeof bkt !== "string") return "bkt must be a string.";
  if (ttl !== undefined && typeof ttl !== "number") return "ttl must be a number of seconds.";
  return { key, ...(bkt === undefined ? {} : { bkt }), ...(ttl === undefined ? {} : { ttl }) };
}

/**
 * `POST /_sign` for an operator. The media Worker validates the input and
 * throws TypeError/RangeError with a safe message for bad input: that is a
 * 400 here. Anything else (no secret loaded, the Worker failing) is a 503.
 */
export async function signResponse(
  request: Request,
  media: { sign(input: SignInput): Promise<string> },
  requestId: string,
  log: Logger,
): Promise<Response> {
  const tooLarge = () => errorResponse(413, "payload_too_large", `The body is larger than ${MAX_SIGN_BODY_BYTES} bytes.`, requestId);
  // A declared length is refused unread; a chunked body is read (operators only) and measured.
  if (Number(request.headers.get("Content-Length") ?? "0") > MAX_SIGN_BODY_BYTES) return tooLarge();
  const text = await request.text();
  if (new TextEncoder().encode(text).byteLength > MAX_SIGN_BODY_BYTES) return tooLarge();
  const input = parseSignBody(text);
  if (typeof input === "string") return errorResponse(400, "bad_request", input, requestId);
  try {
    const path = await media.sign(input);
    return jsonResponse({ path, requestId }, 200);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) return errorResponse(400, "bad_request", error.message, requestId);
    log.error("sign-failed", { requestId, target: "media" });
    return errorResponse(503, "dependency_failed", "The media Worker could not sign: see its registry log line (is a MEDIA_TOKEN_SECRET_V<N> of at least 32 bytes set?).", requestId);
  }
}

/**
 * `GET|HEAD /media/v1/<jwt>` and `/media/v1/<jwt>/<path>` (a prefix token):
 * route, method, token, the per-request path and address checks, then
 * delivery. Every token failure is the same bare 401; every storage failure
 * a JSON 503.
 */
import { errorResponse } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { keyHint } from "../../shared/log";
import { MEDIA_TOKEN_PATH_PREFIX, authorizeRequest, splitMediaPath } from "../../shared/media-token";
import { answerWithPassedRequestId } from "../../shared/request-id";
import { bucketChain } from "./buckets";
import { ObjectChangedError, deliverMedia } from "./deliver";
import { corsHeaders, corsPreflightHeaders } from "./policy";
import { deliverySettings } from "./settings";
import { kidRegistry, verifyMediaToken } from "./token";

const ALLOWED_METHODS = "GET, HEAD, OPTIONS";

/**
 * RFC 6750 §3 / RFC 9110 §15.5.2: a 401 names its scheme. No body and no
 * detail: a stranger probing tokens learns nothing from the answer.
 */
function invalidTokenResponse(): Response {
  return new Response(null, {
    status: 401,
    headers: {
      "WWW-Authenticate": 'Bearer error="invalid_token"',
      "Cache-Control": "no-store",
      "Content-Length": "0",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

/** Answers one request for the media Worker, with the request id it was passed (or a new one) on every answer. */
export function handleMediaRequest(request: Request, env: MediaEnv, ctx: ExecutionContext, log: Logger): Promise<Response> {
  return answerWithPassedRequestId(request, (requestId) => answerMediaRequest(request, requestId, env, ctx, log));
}

async function answerMediaRequest(request: Request, requestId: string, env: MediaEnv, ctx: ExecutionContext, log: Logger): Promise<Response> {
  const started = Date.now();
  const target = splitMediaPath(new URL(request.url).pathname);
  if (target === undefined) return errorResponse(404, "not_found", "No such media route.", requestId);
  // Whatever the segments hold (a token, a truncated one, junk, object names), they never reach a log line.
  const path = `${MEDIA_TOKEN_PATH_PREFIX}:token${target.path === "" ? "" : "/:path"}`;

  const settings = deliverySettings(env);
  if (request.method === "OPTIONS") {
    const cors = corsHeaders(request.headers.get("Origin"), settings.corsOrigins);
    const preflight = "Access-Control-Allow-Origin" in cors ? corsPreflightHeaders() : {};
    return new Response(null, { status: 204, headers: { Allow: ALLOWED_METHODS, ...cors, ...preflight } });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return errorResponse(405, "method_not_allowed", "Media is read with GET or HEAD.", requestId, { Allow: ALLOWED_METHODS });
  }

  const verified = await verifyMediaToken(target.token, await kidRegistry(env, log));
  // The verified-token cache holds the grant; what the path names and who asks are checked on every request.
  const authorized = verified.ok ? authorizeRequest(verified, target.path, request.headers.get("CF-Connecting-IP")) : { problem: verified.reason };
  if (!verified.ok || "problem" in authorized) {
    log.warn("media-token-rejected", { requestId, method: request.method, path, status: 401, reason: "problem" in authorized ? authorized.problem : "invalid: other", kid: verified.kid });
    return invalidTokenResponse();
  }
  const { key } = authorized;

  const logFields = { requestId, method: request.method, path, bucket: verified.bucket, keyHint: keyHint(key), kid: verified.kid };
  try {
    const delivery = await deliverMedia({
      request,
      bucket: verified.bucket,
      key,
      chain: bucketChain(env, verified.bucket),
      settings,
      contentDisposition: verified.contentDisposition,
      cache: settings.cacheMaxBytes > 0 ? caches.default : undefined,
      waitUntil: (promise) => ctx.waitUntil(promise),
      onFillError: () => log.warn("media-cache-fill-failed", { ...logFields, reason: "cache-fill-failed" }),
    });
    const status = delivery.response?.status ?? 404;
    // A line per range request would be most of the Worker's log volume (and a measurable share of
    // its CPU: `npm run bench`): successes are sampled, a missing object is always logged.
    if (status >= 400 || Math.random() < settings.servedLogRate) log.info("media-served", { ...logFields, status, cache: delivery.cache, servedFrom: delivery.servedFrom, bytes: delivery.bytes, durationMs: Date.now() - started });
    return delivery.response ?? errorResponse(404, "not_found", "No such media object.", requestId);
  } catch (error) {
    const reason = error instanceof ObjectChangedError ? "object-changed" : "storage-failed";
    log.error("media-storage-failed", { ...logFields, status: 503, reason, durationMs: Date.now() - started });
    return errorResponse(503, "storage_unavailable", "Media storage did not answer; try again.", requestId, { "Retry-After": "1" });
  }
}

/**
 * `GET|HEAD /media/v1/<jwt>` and `/media/v1/<jwt>/<path>` (a prefix token):
 * route, method, token, the per-request path and address checks, then
 * delivery, and the headers every answer carries. Every token failure is the same bare 401; every storage failure
 * a JSON 503.
 */
import { errorResponse } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { keyHint } from "../../shared/log";
import { MEDIA_TOKEN_PATH_PREFIX } from "../../shared/media-token";
import { RequestMetrics, recordedAnswer } from "../../shared/metrics";
import { answerWithPassedRequestId } from "../../shared/request-id";
import type { MediaConfig } from "./config";
import { mediaConfig } from "./config";
import { deliverMedia } from "./deliver";
import { authorizeRequest } from "./grant";
import { splitMediaPath } from "./path";
import { addCorsHeaders } from "./policy";
import { verifyMediaToken } from "./token";
import { answerUploadRequest, isUploadPath } from "./uploads/route";

const ALLOWED_METHODS = "GET, HEAD, OPTIONS";

/**
 * RFC 6750 §3 / RFC 9110 §15.5.2: a 401 names its scheme. No body and no
 * detail: a stranger probing tokens learns nothing from the answer.
 */
export function invalidTokenResponse(): Response {
  return new Response(null, {
    status: 401,
    headers: {
      "WWW-Authenticate": 'Bearer error="invalid_token"',
      "Cache-Control": "no-store",
      "Content-Length": "0",
    },
  });
}

/** One answer, and whether it shows (or revalidates) the bytes of an inline type. */
interface MediaAnswer {
  response: Response;
  inline: boolean;
}

const notInline = (response: Response): MediaAnswer => ({ response, inline: false });

/**
 * The headers of every media answer, whatever built it (a delivery, a 401,
 * a JSON 404 or 503, a 405, a preflight): a browser sniffs nothing, and
 * runs nothing from a media URL it navigates to, since every answer but an
 * inline type's is sandboxed (Chromium plays no directly opened video under
 * a CSP sandbox: docs/media.md); and a cross-origin player sees the status
 * itself, the 401 above all, or it could never refresh its token.
 */
function withMediaHeaders({ response, inline }: MediaAnswer, request: Request, config: MediaConfig): Response {
  const { headers } = response;
  if (!inline) {
    // A JSON error already has the gateway's document policy: the sandbox is added to it, never a looser one put in its place.
    const documentPolicy = headers.get("Content-Security-Policy");
    headers.set("Content-Security-Policy", documentPolicy === null ? "sandbox" : `sandbox; ${documentPolicy}`);
  }
  headers.set("X-Content-Type-Options", "nosniff");
  addCorsHeaders(headers, request, config.settings.corsOrigins);
  return response;
}

/**
 * Answers one request for the media Worker, with the request id it was passed
 * (or a new one) on every answer, and writes its one data point (shared/metrics.ts).
 */
export function handleMediaRequest(
  request: Request,
  env: MediaEnv,
  ctx: ExecutionContext,
  log: Logger,
): Promise<Response> {
  const uploading = isUploadPath(new URL(request.url).pathname);
  const metrics = new RequestMetrics(
    env.METRICS,
    "media",
    env.VERSION,
    request.method,
    uploading ? "upload" : "object",
  );
  return recordedAnswer(metrics, () =>
    answerWithPassedRequestId(request, async (requestId) => {
      const config = mediaConfig(env);
      // Uploads (tus, contract v1.2) have a folder of their own, with their own CORS: workers/media/uploads/.
      if (uploading) return answerUploadRequest(request, requestId, env, config, log, metrics);
      return withMediaHeaders(await answerMediaRequest(request, requestId, config, ctx, log, metrics), request, config);
    }),
  );
}

async function answerMediaRequest(
  request: Request,
  requestId: string,
  config: MediaConfig,
  ctx: ExecutionContext,
  log: Logger,
  metrics: RequestMetrics,
): Promise<MediaAnswer> {
  const started = Date.now();
  const target = splitMediaPath(new URL(request.url).pathname);
  if (target === undefined) {
    metrics.note({ routeKind: "no-route" });
    return notInline(errorResponse(404, "not_found", "No such media route.", requestId));
  }
  metrics.note({ routeKind: target.path === "" ? "object" : "prefix" });
  // Whatever the segments hold (a token, a truncated one, junk, object names), they never reach a log line.
  const path = `${MEDIA_TOKEN_PATH_PREFIX}:token${target.path === "" ? "" : "/:path"}`;

  if (request.method === "OPTIONS") {
    metrics.note({ routeKind: "preflight" });
    return notInline(new Response(null, { status: 204, headers: { Allow: ALLOWED_METHODS } }));
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return notInline(
      errorResponse(405, "method_not_allowed", "Media is read with GET or HEAD.", requestId, {
        Allow: ALLOWED_METHODS,
      }),
    );
  }

  const verified = await verifyMediaToken(target.token, await config.kidRegistry(log));
  // The verified-token cache holds the grant; what the path names and who asks are checked on every request.
  const authorized = verified.ok
    ? authorizeRequest(verified, target.path, request.headers.get("CF-Connecting-IP"))
    : { problem: verified.reason };
  if (!verified.ok || "problem" in authorized) {
    const reason = "problem" in authorized ? authorized.problem : "invalid: other";
    log.warn("media-token-rejected", {
      requestId,
      method: request.method,
      path,
      status: 401,
      reason,
      kid: verified.kid,
    });
    metrics.note({ reason, kid: verified.kid });
    return notInline(invalidTokenResponse());
  }
  const { key } = authorized;

  // Built only for a line that is written: most successes are not logged.
  const logFields = () => ({
    requestId,
    method: request.method,
    path,
    bucket: verified.bucket,
    keyHint: keyHint(key),
    kid: verified.kid,
  });
  const delivery = await deliverMedia({
    request,
    requestId,
    bucket: verified.bucket,
    key,
    config,
    contentDisposition: verified.contentDisposition,
    waitUntil: (promise) => ctx.waitUntil(promise),
    onFillError: () => log.warn("media-cache-fill-failed", { ...logFields(), reason: "cache-fill-failed" }),
  });
  const status = delivery.response.status;
  metrics.note({
    cache: delivery.cache,
    servedFrom: delivery.servedFrom,
    bucket: verified.bucket,
    kid: verified.kid,
    bytes: delivery.bytes,
    upstreamMs: delivery.storageMs,
  });
  // A line per range request would be most of the Worker's log volume (and a measurable share of
  // its CPU: `npm run bench`): successes are sampled, a missing object is always logged.
  if (delivery.failure !== undefined) {
    log.error("media-storage-failed", {
      ...logFields(),
      status,
      reason: delivery.failure,
      durationMs: Date.now() - started,
    });
  } else if (status >= 400 || Math.random() < config.settings.servedLogRate) {
    log.info("media-served", {
      ...logFields(),
      status,
      cache: delivery.cache,
      servedFrom: delivery.servedFrom,
      bytes: delivery.bytes,
      durationMs: Date.now() - started,
    });
  }
  return delivery;
}

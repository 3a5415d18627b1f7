/**
 * The media Worker's data plane. Its entry (handleMediaRequest) makes each
 * request's context (context.ts) and puts on every answer, an error's or an
 * exception's included, the request id, the headers of its kind (media's
 * below, uploads' in uploads/route.ts) and the one data point
 * (shared/metrics.ts).
 *
 * - `GET|HEAD /media/v1/<jwt>` and `/media/v1/<jwt>/<path>` (a prefix token),
 *   before the app: token, the per-request path and address checks, then
 *   delivery (deliver.ts). Every token failure is the same bare 401; every
 *   storage failure a JSON 503.
 * - The Hono app, built once per isolate, for everything else:
 *   `/media/uploads[/<id>]` (uploads/route.ts, tus); another method on
 *   `/media/v1/…` (a preflight's 204, a 405); the JSON 404 of `app.notFound`.
 * - An exception, anywhere: the JSON 500.
 */
import { Hono } from "hono/tiny";
import { errorResponse, exceptionAnswer } from "../../shared/errors";
import { appAnswer, keptHeadAnswer } from "../../shared/head";
import { createLogger, keyHint } from "../../shared/log";
import { MEDIA_TOKEN_PATH_PREFIX, MEDIA_UPLOADS_PATH } from "../../shared/media-token";
import { withRequestId } from "../../shared/request-id";
import type { MediaContext } from "./context";
import { mediaContext } from "./context";
import { deliverMedia } from "./deliver";
import { authorizeRequest } from "./grant";
import type { MediaTarget } from "./path";
import { splitMediaPath } from "./path";
import { addCorsHeaders } from "./policy";
import { verifyMediaToken } from "./token";
import { answerUploadRequest, isUploadPath, withUploadHeaders } from "./uploads/route";

const ALLOWED_METHODS = "GET, HEAD, OPTIONS";

const log = createLogger("media");

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

/** What the app's routes are handed: the request's context (made once, at the entry) and the Env for the upload bindings. */
interface MediaApp {
  Bindings: { call: MediaContext; env: MediaEnv };
}

/**
 * The routes of every answer but a delivery, which goes before the app
 * (handleMediaRequest). Routes match the path the entry read, as the
 * router's table reads it (WHATWG, undecoded): hono's default path decodes
 * `%75`, which would make `/media/%75ploads` the uploads path.
 */
const app = new Hono<MediaApp>({
  getPath: (request, options) => options?.env?.call.pathname ?? new URL(request.url).pathname,
});

// Every method of the uploads path goes to route.ts, which reads the request's own method (with
// X-HTTP-Method-Override): hono dispatches HEAD as GET, and a tus HEAD must never meet a GET route.
app.all(`${MEDIA_UPLOADS_PATH}/*`, (c) => keptHeadAnswer(c.req.raw, answerUploadRequest(c.env.call, c.env.env)));
app.all(`${MEDIA_TOKEN_PATH_PREFIX}*`, (c) => keptHeadAnswer(c.req.raw, otherTokenPathMethod(c.env.call)));
app.notFound((c) => keptHeadAnswer(c.req.raw, noMediaRoute(c.env.call)));
// An exception leaves the app for the entry, whose one JSON 500 answers every exception alike.
app.onError((error) => {
  throw error;
});

/**
 * Answers one request for the media Worker (the default handler's fetch):
 * its context, once; the answer, a delivery straight from here (every byte
 * range a player asks for: hono's dispatch would cost more than the rest of
 * a cache hit, docs/benchmarks.md) or the app's; then, whatever answered or
 * threw, the request id, its kind's headers and its one data point.
 */
export async function handleMediaRequest(request: Request, env: MediaEnv, ctx: ExecutionContext): Promise<Response> {
  const pathname = new URL(request.url).pathname;
  const uploading = isUploadPath(pathname);
  const call = mediaContext(request, pathname, env, log, uploading ? "upload" : "object");
  let answer: MediaAnswer;
  try {
    answer = isDelivery(request.method, pathname)
      ? await answerMediaRequest(call, (promise) => ctx.waitUntil(promise))
      : notInline(await appAnswer(request, app.fetch(request, { call, env }, ctx)));
  } catch (error) {
    answer = notInline(exceptionAnswer(call, "media", error));
  }
  const response = uploading
    ? withUploadHeaders(answer.response, call)
    : withMediaHeaders(answer.response, answer.inline, call);
  return call.metrics.answered(withRequestId(response, call.requestId));
}

/** A GET or HEAD under `/media/v1/`: a token's delivery (or its 401, or the route's 404). */
function isDelivery(method: string, pathname: string): boolean {
  return (method === "GET" || method === "HEAD") && pathname.startsWith(MEDIA_TOKEN_PATH_PREFIX);
}

/**
 * The headers of every media answer, whatever built it (a delivery, a 401,
 * a JSON 404 or 503, a 405, a preflight): a browser sniffs nothing, and
 * runs nothing from a media URL it navigates to, since every answer but an
 * inline type's is sandboxed (Chromium plays no directly opened video under
 * a CSP sandbox: docs/media.md); and a cross-origin player sees the status
 * itself, the 401 above all, or it could never refresh its token.
 */
function withMediaHeaders(response: Response, inline: boolean, call: MediaContext): Response {
  const { headers } = response;
  if (!inline) {
    // A JSON error already has the gateway's document policy: the sandbox is added to it, never a looser one put in its place.
    const documentPolicy = headers.get("Content-Security-Policy");
    headers.set("Content-Security-Policy", documentPolicy === null ? "sandbox" : `sandbox; ${documentPolicy}`);
  }
  headers.set("X-Content-Type-Options", "nosniff");
  addCorsHeaders(headers, call.request, call.config.settings.corsOrigins);
  return response;
}

/** The JSON 404 of a path the media Worker does not serve. */
function noMediaRoute(call: MediaContext): Response {
  call.metrics.note({ routeKind: "no-route" });
  return errorResponse(404, "not_found", "No such media route.", call.requestId);
}

/** The token and path a `/media/v1/…` path names (its route kind noted), or undefined for the route's 404. */
function mediaTarget(call: MediaContext): MediaTarget | undefined {
  const target = splitMediaPath(call.pathname);
  if (target !== undefined) call.metrics.note({ routeKind: target.path === "" ? "object" : "prefix" });
  return target;
}

/** Any method but GET and HEAD on a `/media/v1/…` path: a preflight's 204, else the 405. */
function otherTokenPathMethod(call: MediaContext): Response {
  if (mediaTarget(call) === undefined) return noMediaRoute(call);
  if (call.request.method === "OPTIONS") {
    call.metrics.note({ routeKind: "preflight" });
    return new Response(null, { status: 204, headers: { Allow: ALLOWED_METHODS } });
  }
  return errorResponse(405, "method_not_allowed", "Media is read with GET or HEAD.", call.requestId, {
    Allow: ALLOWED_METHODS,
  });
}

/** A GET or HEAD under `/media/v1/`: its token, then the delivery. */
async function answerMediaRequest(
  call: MediaContext,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<MediaAnswer> {
  const { request, config, log, metrics } = call;
  const started = Date.now();
  const target = mediaTarget(call);
  if (target === undefined) return notInline(noMediaRoute(call));
  // Whatever the segments hold (a token, a truncated one, junk, object names), they never reach a log line.
  const path = `${MEDIA_TOKEN_PATH_PREFIX}:token${target.path === "" ? "" : "/:path"}`;

  const verified = await verifyMediaToken(target.token, await call.kidRegistry());
  // The verified-token cache holds the grant; what the path names and who asks are checked on every request.
  const authorized = verified.ok
    ? authorizeRequest(verified, target.path, request.headers.get("CF-Connecting-IP"))
    : { problem: verified.reason };
  if (!verified.ok || "problem" in authorized) {
    const reason = "problem" in authorized ? authorized.problem : "invalid: other";
    log.warn("media-token-rejected", {
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
    method: request.method,
    path,
    bucket: verified.bucket,
    keyHint: keyHint(key),
    kid: verified.kid,
  });
  const delivery = await deliverMedia({
    request,
    requestId: call.requestId,
    bucket: verified.bucket,
    key,
    config,
    contentDisposition: verified.contentDisposition,
    waitUntil,
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

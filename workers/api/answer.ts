/**
 * One api request, start to end: classify it once, then CORS (only when
 * API_CORS_ORIGINS lists origins; WebSocket upgrades skip it) → rate limit →
 * proxy. The Worker entry calls this with its bindings; tests call it with
 * other settings against the same real origin.
 */
import { addCorsHeaders, preflightHeaders } from "../../shared/cors";
import { errorResponse } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { loggablePath } from "../../shared/log";
import type { RequestMetrics } from "../../shared/metrics";
import { answerWithPassedRequestId } from "../../shared/request-id";
import { API_CORS } from "./cors";
import type { RequestKind } from "./headers";
import { classifyRequest } from "./headers";
import { proxyToBackend } from "./proxy";
import { withinRateLimit } from "./rate-limit";
import type { ProxySettings } from "./settings";
import { retryLaterStream } from "./sse";

/**
 * Answers an `/api/*` request (as the router forwarded it) from the backend,
 * with the request id it was passed (or a new one) on every answer, noting on
 * `metrics` what its data point needs.
 */
export function answerApiRequest(
  request: Request,
  settings: ProxySettings,
  limiter: RateLimit,
  log: Logger,
  metrics: RequestMetrics,
): Promise<Response> {
  return answerWithPassedRequestId(request, (requestId) => {
    const kind = classifyRequest(request.headers, settings);
    metrics.note({ routeKind: kind.upgrade ? "websocket" : kind.eventStream ? "event-stream" : "http" });
    if (!kind.cors) return limitThenProxy(request, kind, requestId, settings, limiter, log, metrics);
    // With an allow-list the gateway answers every preflight itself: it never reaches the backend or the limiter.
    if (request.method === "OPTIONS") {
      metrics.note({ routeKind: "preflight" });
      return Promise.resolve(
        new Response(null, { status: 204, headers: preflightHeaders(API_CORS, settings.corsOrigins, request.headers) }),
      );
    }
    return limitThenProxy(request, kind, requestId, settings, limiter, log, metrics).then((response) => {
      addCorsHeaders(response.headers, API_CORS, settings.corsOrigins, request.headers.get("Origin"));
      return response;
    });
  });
}

async function limitThenProxy(
  request: Request,
  kind: RequestKind,
  requestId: string,
  settings: ProxySettings,
  limiter: RateLimit,
  log: Logger,
  metrics: RequestMetrics,
): Promise<Response> {
  if (!(await withinRateLimit(limiter, request.headers))) {
    log.warn("rate-limited", {
      requestId,
      method: request.method,
      path: loggablePath(new URL(request.url).pathname),
      status: 429,
    });
    const retryAfter = { "Retry-After": String(settings.rateLimitPeriodSeconds) };
    // An EventSource would stop for good on a 429: tell it to come back after the period instead.
    if (kind.eventStream) return retryLaterStream(settings.rateLimitPeriodSeconds * 1000, "rate_limited", retryAfter);
    return errorResponse(429, "rate_limited", "Too many requests: slow down and retry later.", requestId, retryAfter);
  }
  return proxyToBackend(request, kind, settings, requestId, log, metrics);
}

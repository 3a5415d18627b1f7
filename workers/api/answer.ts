/**
 * One api request, start to end: classify it once, then preflights (the
 * gateway's) → refused methods and paths (refusals.ts) → rate limit → proxy,
 * with CORS added when API_CORS_ORIGINS lists origins (WebSocket upgrades
 * skip it). The Worker entry calls this with its bindings; tests call it with
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
import { refusal } from "./refusals";
import type { ProxySettings } from "./settings";
import { retryLaterStream } from "./sse";

/** A CORS preflight: OPTIONS from a page, asking whether it may send a method (Fetch standard, "CORS-preflight request"). */
function isPreflight(request: Request): boolean {
  return (
    request.method === "OPTIONS" &&
    request.headers.has("Origin") &&
    request.headers.has("Access-Control-Request-Method")
  );
}

/**
 * Answers an `/api/*` request (as the router forwarded it) from the backend,
 * with the request id it was passed (or a new one) on every answer, noting on
 * `metrics` what its data point needs. The gateway alone decides CORS: it
 * answers every preflight itself (with an allow-list, every OPTIONS), so none
 * reaches the backend or the limiter.
 */
export function answerApiRequest(
  request: Request,
  settings: ProxySettings,
  limiter: RateLimit,
  log: Logger,
  metrics: RequestMetrics,
): Promise<Response> {
  return answerWithPassedRequestId(request, (requestId) => {
    const publicUrl = new URL(request.url);
    const kind = classifyRequest(request.headers, settings);
    metrics.note({ routeKind: kind.upgrade ? "websocket" : kind.eventStream ? "event-stream" : "http" });
    if (request.method === "OPTIONS" && (kind.cors || isPreflight(request))) {
      metrics.note({ routeKind: "preflight" });
      return Promise.resolve(preflightAnswer(request, publicUrl, settings, requestId, log));
    }
    const refused = refusal(request, publicUrl.pathname, settings, requestId, log);
    const answer = refused
      ? Promise.resolve(refused)
      : limitThenProxy(request, publicUrl, kind, requestId, settings, limiter, log, metrics);
    if (!kind.cors) return answer;
    return answer.then((response) => {
      addCorsHeaders(response.headers, API_CORS, settings.corsOrigins, request.headers.get("Origin"));
      return response;
    });
  });
}

/** The gateway's preflight answer: 204, with a grant only for an allow-listed origin (a refusal is logged). */
function preflightAnswer(
  request: Request,
  publicUrl: URL,
  settings: ProxySettings,
  requestId: string,
  log: Logger,
): Response {
  const headers = preflightHeaders(API_CORS, settings.corsOrigins, request.headers);
  if (isPreflight(request) && !("Access-Control-Allow-Origin" in headers)) {
    log.warn("cors-preflight-refused", {
      requestId,
      method: request.method,
      path: loggablePath(publicUrl.pathname),
      status: 204,
      reason: "origin-not-allowed",
    });
  }
  return new Response(null, { status: 204, headers });
}

async function limitThenProxy(
  request: Request,
  publicUrl: URL,
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
      path: loggablePath(publicUrl.pathname),
      status: 429,
    });
    const retryAfter = { "Retry-After": String(settings.rateLimitPeriodSeconds) };
    // An EventSource would stop for good on a 429: tell it to come back after the period instead.
    if (kind.eventStream) return retryLaterStream(settings.rateLimitPeriodSeconds * 1000, "rate_limited", retryAfter);
    return errorResponse(429, "rate_limited", "Too many requests: slow down and retry later.", requestId, retryAfter);
  }
  return proxyToBackend(request, publicUrl, kind, settings, requestId, log, metrics);
}

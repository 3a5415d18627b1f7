/**
 * One api request, start to end, below the entry (index.ts, which puts the
 * request id and CORS on the answer): the gateway's preflights → refused
 * methods and paths (refusals.ts) → rate limit → proxy.
 */
import { preflightHeaders } from "../../shared/cors";
import { corsHeaders } from "../../shared/cors";
import { errorResponse } from "../../shared/errors";
import { loggablePath } from "../../shared/log";
import type { ApiContext } from "./context";
import { API_CORS } from "./cors";
import { proxyToBackend } from "./proxy";
import { withinRateLimit } from "./rate-limit";
import { refusalAnswer, refusalOf } from "./refusals";
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
 * Whether the gateway answers this OPTIONS itself: every preflight, and with
 * an allow-list every OPTIONS, so none reaches the backend or the limiter.
 */
function isGatewayOptions(call: ApiContext): boolean {
  return call.request.method === "OPTIONS" && (call.kind.cors || isPreflight(call.request));
}

/**
 * The CORS headers of an answer (the entry puts them on every one): a preflight's, the grant when CORS applies (an allow-list, not a
 * WebSocket upgrade), else none. The gateway alone decides CORS.
 */
export function apiCorsHeaders(call: ApiContext): Record<string, string> {
  const { request, settings } = call;
  if (isGatewayOptions(call)) return preflightHeaders(API_CORS, settings.corsOrigins, request.headers);
  if (!call.kind.cors) return {};
  return corsHeaders(API_CORS, settings.corsOrigins, request.headers.get("Origin"));
}

/**
 * The gateway's own answer to a request it does not forward, nothing
 * reaching the limiter or the backend: a preflight's 204, a refused method
 * or path; undefined for a request it forwards.
 */
export function gatewayAnswer(call: ApiContext): Response | undefined {
  if (isGatewayOptions(call)) {
    call.metrics.note({ routeKind: "preflight" });
    return preflightAnswer(call);
  }
  const refusal = refusalOf(call);
  return refusal === undefined ? undefined : refusalAnswer(call, refusal);
}

/** Whether the gateway answers this request itself (gatewayAnswer), without building that answer. */
export function answeredByGateway(call: ApiContext): boolean {
  return isGatewayOptions(call) || refusalOf(call) !== undefined;
}

/** The gateway's preflight answer: 204 (its grant, if any, from apiCorsHeaders); a refused origin is logged. */
function preflightAnswer({ request, publicUrl, settings, log }: ApiContext): Response {
  if (isPreflight(request) && !settings.corsOrigins.has(request.headers.get("Origin") ?? "")) {
    log.warn("cors-preflight-refused", {
      method: request.method,
      path: loggablePath(publicUrl.pathname),
      status: 204,
      reason: "origin-not-allowed",
    });
  }
  return new Response(null, { status: 204 });
}

/** A request the gateway forwards: the rate limit (a 429), then the backend. */
export async function forwardToBackend(call: ApiContext, limiter: RateLimit): Promise<Response> {
  const { request, settings } = call;
  if (!(await withinRateLimit(limiter, request.headers))) {
    call.log.warn("rate-limited", {
      method: request.method,
      path: loggablePath(call.publicUrl.pathname),
      status: 429,
    });
    const retryAfter = { "Retry-After": String(settings.rateLimitPeriodSeconds) };
    // An EventSource would stop for good on a 429: tell it to come back after the period instead.
    if (call.kind.eventStream)
      return retryLaterStream(settings.rateLimitPeriodSeconds * 1000, "rate_limited", retryAfter);
    return errorResponse(
      429,
      "rate_limited",
      "Too many requests: slow down and retry later.",
      call.requestId,
      retryAfter,
    );
  }
  return proxyToBackend(call);
}

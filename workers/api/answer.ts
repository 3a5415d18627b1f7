/**
 * One api request, start to end: CORS (only when API_CORS_ORIGINS lists
 * origins; WebSocket upgrades skip it) → rate limit → proxy.
 * The Worker entry calls this with its bindings; tests call it with other
 * settings against the same real origin.
 */
import { errorResponse } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { loggablePath } from "../../shared/log";
import { answerWithPassedRequestId } from "../../shared/request-id";
import { withCors } from "./cors";
import { isWebSocketUpgrade } from "./headers";
import { proxyToBackend } from "./proxy";
import { withinRateLimit } from "./rate-limit";
import type { ProxySettings } from "./settings";
import { retryLaterStream, wantsEventStream } from "./sse";

/**
 * Answers an `/api/*` request (as the router forwarded it) from the backend,
 * with the request id it was passed (or a new one) on every answer.
 */
export function answerApiRequest(request: Request, settings: ProxySettings, limiter: RateLimit, log: Logger): Promise<Response> {
  return answerWithPassedRequestId(request, (requestId) => {
    const handle = (allowed: Request): Promise<Response> => limitThenProxy(allowed, requestId, settings, limiter, log);
    // hono/cors re-wraps responses, which would drop a 101's socket; CORS does not govern WebSockets anyway.
    if (settings.corsOrigins.length === 0 || isWebSocketUpgrade(request.headers)) return handle(request);
    return withCors(settings, request, handle);
  });
}

async function limitThenProxy(request: Request, requestId: string, settings: ProxySettings, limiter: RateLimit, log: Logger): Promise<Response> {
  if (!(await withinRateLimit(limiter, request.headers))) {
    log.warn("rate-limited", { requestId, method: request.method, path: loggablePath(new URL(request.url).pathname), status: 429 });
    const retryAfter = { "Retry-After": String(settings.rateLimitPeriodSeconds) };
    // An EventSource would stop for good on a 429: tell it to come back after the period instead.
    if (wantsEventStream(request.headers)) return retryLaterStream(settings.rateLimitPeriodSeconds * 1000, "rate_limited", retryAfter);
    return errorResponse(429, "rate_limited", "Too many requests: slow down and retry later.", requestId, retryAfter);
  }
  return proxyToBackend(request, settings, requestId, log);
}

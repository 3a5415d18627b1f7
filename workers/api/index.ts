/**
 * The api Worker: a streaming reverse proxy to BACKEND_URL (docs/api.md).
 * Reached only through the router (no public route), which has already
 * decided the request id and stripped the headers only the gateway may set.
 *
 * - The data plane, the default handler (handleApiRequest below): it makes
 *   the request context (context.ts: request id, bound logger, data point,
 *   settings, the request's kind) and puts the request id and CORS
 *   (answer.ts's apiCorsHeaders, shared/cors.ts) on every answer. A request
 *   the gateway forwards goes straight to the limiter and the proxy; what the
 *   gateway answers itself (a preflight, a refusal) is the Hono app's.
 * - answer.ts: gateway preflights → refusals (refusals.ts) → rate limit (rate-limit.ts) → proxy
 * - proxy.ts: the upstream fetch, 502/504, streaming both ways, WebSocket 101s
 * - headers.ts: hop-by-hop, X-Forwarded-*, proxy token, Location rewrite
 * - sse.ts: event streams (retry-while-down answer, optional heartbeat)
 * - settings.ts: the vars, parsed once per isolate
 * - `health()` is on the `Control` entrypoint over RPC (the router binds it as API_CONTROL).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { Hono } from "hono/tiny";
import { applyCorsHeaders } from "../../shared/cors";
import type { WorkerControl } from "../../shared/control";
import { exceptionAnswer } from "../../shared/errors";
import { appAnswer, keptHeadAnswer } from "../../shared/head";
import type { WorkerHealth } from "../../shared/health";
import { healthOf } from "../../shared/health";
import { createLogger } from "../../shared/log";
import { requestContext } from "../../shared/context";
import { RequestMetrics } from "../../shared/metrics";
import { passedRequestId, withRequestId } from "../../shared/request-id";
import { answeredByGateway, apiCorsHeaders, forwardToBackend, gatewayAnswer } from "./answer";
import type { ApiContext } from "./context";
import { apiContext } from "./context";

const log = createLogger("api");

/** What the app's route is handed: the request's context (made once, at the entry) and the limiter. */
interface ApiApp {
  Bindings: { call: ApiContext; limiter: RateLimit };
}

/**
 * The api's one route: the gateway's own answer (a preflight, a refusal),
 * else the backend's. The entry sends it only the requests the gateway
 * answers itself: a forwarded one goes before the app (hono's dispatch would
 * cost more than the rest of the api's work, docs/benchmarks.md).
 */
const app = new Hono<ApiApp>();
app.all("*", (c) =>
  keptHeadAnswer(c.req.raw, gatewayAnswer(c.env.call) ?? forwardToBackend(c.env.call, c.env.limiter)),
);
// An exception leaves the app for the entry, whose one JSON 500 answers every exception alike.
app.onError((error) => {
  throw error;
});

/**
 * Answers one request for the api Worker: its context, once; the answer;
 * then, whatever answered or threw (a stream, a 101, an exception's 500),
 * the request id and CORS, set in place, and its one data point.
 */
async function handleApiRequest(request: Request, env: ApiEnv): Promise<Response> {
  let call: ApiContext;
  try {
    call = apiContext(request, env, log);
  } catch (error) {
    return unsettledAnswer(request, env, error);
  }
  let response: Response;
  try {
    response = answeredByGateway(call)
      ? await appAnswer(request, app.fetch(request, { call, limiter: env.RATE_LIMITER }))
      : await forwardToBackend(call, env.RATE_LIMITER);
  } catch (error) {
    response = exceptionAnswer(call, "api", error);
  }
  withRequestId(response, call.requestId);
  applyCorsHeaders(response.headers, apiCorsHeaders(call));
  return call.metrics.answered(response);
}

/**
 * The answer when this Env's settings do not parse (a malformed BACKEND_URL,
 * a deploy mistake): the same JSON 500, request id and data point, without
 * CORS, whose allow-list is among those settings.
 */
function unsettledAnswer(request: Request, env: ApiEnv, error: unknown): Response {
  const metrics = new RequestMetrics(env.METRICS, "api", env.VERSION, request.method, "http");
  const call = requestContext(passedRequestId(request.headers), log, metrics);
  return metrics.answered(withRequestId(exceptionAnswer(call, "api", error), call.requestId));
}

/**
 * A plain handler object: the data plane needs no RPC, and a WorkerEntrypoint
 * class costs an instance per request (docs/benchmarks.md).
 */
export default {
  fetch: handleApiRequest,
} satisfies ExportedHandler<ApiEnv>;

/** The control plane over RPC. Keep it additive: RPC calls cannot be pinned to a version during a gradual rollout. */
export class Control extends WorkerEntrypoint<ApiEnv> implements WorkerControl {
  /** Liveness and deployed version, for the router's /_health. */
  async health(): Promise<WorkerHealth> {
    return healthOf("api", this.env.VERSION);
  }
}

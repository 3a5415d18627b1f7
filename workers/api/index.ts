/**
 * The api Worker: a streaming reverse proxy to BACKEND_URL (docs/api.md).
 * Reached only through the router (no public route), which has already
 * decided the request id and stripped the headers only the gateway may set.
 *
 * - The data plane, the default handler: the Hono app below. Its middleware
 *   makes the request context (context.ts: request id, bound logger, data
 *   point, settings, the request's kind) and puts the request id and CORS
 *   (answer.ts's apiCorsHeaders, shared/cors.ts) on every answer.
 * - answer.ts: gateway preflights → refusals (refusals.ts) → rate limit (rate-limit.ts) → proxy
 * - proxy.ts: the upstream fetch, 502/504, streaming both ways, WebSocket 101s
 * - headers.ts: hop-by-hop, X-Forwarded-*, proxy token, Location rewrite
 * - sse.ts: event streams (retry-while-down answer, optional heartbeat)
 * - settings.ts: the vars, parsed once per isolate
 * - `health()` is on the `Control` entrypoint over RPC (the router binds it as API_CONTROL).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { Hono } from "hono/tiny";
import type { MiddlewareHandler } from "hono";
import { applyCorsHeaders } from "../../shared/cors";
import type { WorkerControl } from "../../shared/control";
import { errorResponse } from "../../shared/errors";
import { appAnswer, keepHeadAnswer } from "../../shared/head";
import type { WorkerHealth } from "../../shared/health";
import { healthOf } from "../../shared/health";
import { createLogger } from "../../shared/log";
import { withRequestId } from "../../shared/request-id";
import { answerApiRequest, apiCorsHeaders } from "./answer";
import type { ApiContext } from "./context";
import { apiContext } from "./context";

const log = createLogger("api");

interface ApiApp {
  Bindings: ApiEnv;
  Variables: { call: ApiContext };
}

const app = new Hono<ApiApp>();

/**
 * The request's context, once; on whatever answers (a stream, a 101, an
 * exception's 500), the request id and CORS, set in place (re-setting c.res
 * would re-make the response), and its one data point.
 */
const entry: MiddlewareHandler<ApiApp> = async (c, next) => {
  const call = apiContext(c.req.raw, c.env, log);
  c.set("call", call);
  await next();
  const response = withRequestId(c.res, call.requestId);
  applyCorsHeaders(response.headers, apiCorsHeaders(call));
  keepHeadAnswer(call.request, call.metrics.answered(response));
};

app.use(entry);
app.all("*", (c) => answerApiRequest(c.get("call"), c.env.RATE_LIMITER));
app.onError((error, c) => {
  c.get("call").log.error("api-failed", { reason: error.name, status: 500 });
  return errorResponse(500, "internal_error", "The api Worker failed to answer.", c.get("call").requestId);
});

/**
 * A plain handler object: the data plane needs no RPC, and a WorkerEntrypoint
 * class costs an instance per request (docs/benchmarks.md).
 */
export default {
  fetch: (request: Request, env: ApiEnv): Response | Promise<Response> => appAnswer(request, app.fetch(request, env)),
} satisfies ExportedHandler<ApiEnv>;

/** The control plane over RPC. Keep it additive: RPC calls cannot be pinned to a version during a gradual rollout. */
export class Control extends WorkerEntrypoint<ApiEnv> implements WorkerControl {
  /** Liveness and deployed version, for the router's /_health. */
  async health(): Promise<WorkerHealth> {
    return healthOf("api", this.env.VERSION);
  }
}

/**
 * The api Worker: a streaming reverse proxy to BACKEND_URL (docs/api.md).
 * Reached only through the router (no public route), which has already
 * decided the request id and stripped the headers only the gateway may set.
 *
 * - answer.ts: CORS → rate limit (rate-limit.ts) → proxy
 * - proxy.ts: the upstream fetch, 502/504, streaming both ways
 * - headers.ts: hop-by-hop, X-Forwarded-*, proxy token, Location rewrite
 * - sse.ts: event streams (retry-while-down answer, optional heartbeat)
 * - settings.ts: the vars, parsed once per isolate
 *
 * The data plane is the default handler; `health()` is on the `Control`
 * entrypoint over RPC (the router binds it as API_CONTROL).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { WorkerControl } from "../../shared/control";
import type { WorkerHealth } from "../../shared/health";
import { healthOf } from "../../shared/health";
import { createLogger } from "../../shared/log";
import { RequestMetrics, recordedAnswer } from "../../shared/metrics";
import { answerApiRequest } from "./answer";
import { proxySettings } from "./settings";

const log = createLogger("api");

/**
 * A plain handler object: the data plane needs no RPC, and a WorkerEntrypoint
 * class costs an instance per request (docs/benchmarks.md).
 */
export default {
  fetch(request: Request, env: ApiEnv): Promise<Response> {
    const metrics = new RequestMetrics(env.METRICS, "api", env.VERSION, request.method, "http");
    return recordedAnswer(metrics, () => answerApiRequest(request, proxySettings(env), env.RATE_LIMITER, log, metrics));
  },
} satisfies ExportedHandler<ApiEnv>;

/** The control plane over RPC. Keep it additive: RPC calls cannot be pinned to a version during a gradual rollout. */
export class Control extends WorkerEntrypoint<ApiEnv> implements WorkerControl {
  /** Liveness and deployed version, for the router's /_health. */
  async health(): Promise<WorkerHealth> {
    return healthOf("api", this.env.VERSION);
  }
}

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
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { WorkerHealth } from "../../shared/health";
import { healthOf } from "../../shared/health";
import { createLogger } from "../../shared/log";
import { answerApiRequest } from "./answer";
import { proxySettings } from "./settings";

const log = createLogger("api");

export default class Api extends WorkerEntrypoint<ApiEnv> {
  override async fetch(request: Request): Promise<Response> {
    return answerApiRequest(request, proxySettings(this.env), this.env.RATE_LIMITER, log);
  }

  /** Control path: liveness and deployed version, for the router's /_health. */
  async health(): Promise<WorkerHealth> {
    return healthOf("api", this.env.VERSION);
  }
}

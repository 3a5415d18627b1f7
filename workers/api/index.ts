/**
 * The api Worker: a streaming reverse proxy to BACKEND_URL.
 * Reached only through the router (no public route).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { errorResponse } from "../../shared/errors";
import type { WorkerHealth } from "../../shared/health";
import { healthOf } from "../../shared/health";
import { REQUEST_ID_HEADER } from "../../shared/request-id";

export default class Api extends WorkerEntrypoint<ApiEnv> {
  override async fetch(request: Request): Promise<Response> {
    const requestId = request.headers.get(REQUEST_ID_HEADER) ?? crypto.randomUUID();
    return errorResponse(404, "not_found", "No such api route.", requestId);
  }

  /** Control path: liveness and deployed version, for the router's /_health. */
  async health(): Promise<WorkerHealth> {
    return healthOf("api", this.env.VERSION);
  }
}

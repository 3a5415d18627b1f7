/**
 * The media Worker: verifies signed media tokens and streams objects from R2.
 * Reached only through the router (no public route).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { errorResponse } from "../../shared/errors";
import type { WorkerHealth } from "../../shared/health";
import { healthOf } from "../../shared/health";
import { REQUEST_ID_HEADER } from "../../shared/request-id";

export default class Media extends WorkerEntrypoint<MediaEnv> {
  override async fetch(request: Request): Promise<Response> {
    const requestId = request.headers.get(REQUEST_ID_HEADER) ?? crypto.randomUUID();
    return errorResponse(404, "not_found", "No such media route.", requestId);
  }

  /** Control path: liveness and deployed version, for the router's /_health. */
  async health(): Promise<WorkerHealth> {
    return healthOf("media", this.env.VERSION);
  }
}

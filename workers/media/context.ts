/**
 * A media request's context, made once at the entry (handle.ts):
 * the shared request context (id, bound logger, data point), the request
 * itself and this Env's parsed config.
 */
import type { RequestContext } from "../../shared/context";
import { requestContext } from "../../shared/context";
import type { Logger } from "../../shared/log";
import type { RouteKind } from "../../shared/metrics";
import { RequestMetrics } from "../../shared/metrics";
import { passedRequestId } from "../../shared/request-id";
import type { MediaConfig } from "./config";
import { mediaConfig } from "./config";
import type { KidRegistry } from "./token";

export interface MediaContext extends RequestContext {
  readonly request: Request;
  /** The request's path as WHATWG parses it (undecoded), as the router's route table reads it. */
  readonly pathname: string;
  readonly config: MediaConfig;
  /** The kid registry; its line, written once per isolate, goes to the Worker's log without a request id. */
  kidRegistry(): Promise<KidRegistry>;
}

/** The context of one request, with the id the router passed (or a new one). */
export function mediaContext(
  request: Request,
  pathname: string,
  env: MediaEnv,
  log: Logger,
  routeKind: RouteKind,
): MediaContext {
  const metrics = new RequestMetrics(env.METRICS, "media", env.VERSION, request.method, routeKind);
  const config = mediaConfig(env);
  return {
    ...requestContext(passedRequestId(request.headers), log, metrics),
    request,
    pathname,
    config,
    kidRegistry: () => config.kidRegistry(log),
  };
}

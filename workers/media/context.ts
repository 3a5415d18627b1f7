/**
 * A media request's context, made once by the app's middleware (handle.ts):
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

export interface MediaContext extends RequestContext {
  readonly request: Request;
  /** The request's path as WHATWG parses it (undecoded), as the router's route table reads it. */
  readonly pathname: string;
  readonly config: MediaConfig;
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
  return {
    ...requestContext(passedRequestId(request.headers), log, metrics),
    request,
    pathname,
    config: mediaConfig(env),
  };
}

/**
 * An api request's context, made once at the entry (index.ts):
 * the shared request context (id, bound logger, data point), the request,
 * its public URL and kind, and this Env's parsed settings.
 */
import type { RequestContext } from "../../shared/context";
import { requestContext } from "../../shared/context";
import type { Logger } from "../../shared/log";
import { RequestMetrics } from "../../shared/metrics";
import { passedRequestId } from "../../shared/request-id";
import type { RequestKind } from "./headers";
import { classifyRequest } from "./headers";
import type { ProxySettings } from "./settings";
import { proxySettings } from "./settings";

export interface ApiContext extends RequestContext {
  readonly request: Request;
  readonly publicUrl: URL;
  readonly kind: RequestKind;
  readonly settings: ProxySettings;
}

/** The context of one request, with the id the router passed (or a new one). */
export function apiContext(request: Request, env: ApiEnv, log: Logger): ApiContext {
  const settings = proxySettings(env);
  const kind = classifyRequest(request.headers, settings);
  const routeKind = kind.upgrade ? "websocket" : kind.eventStream ? "event-stream" : "http";
  const metrics = new RequestMetrics(env.METRICS, "api", env.VERSION, request.method, routeKind);
  return {
    ...requestContext(passedRequestId(request.headers), log, metrics),
    request,
    publicUrl: new URL(request.url),
    kind,
    settings,
  };
}

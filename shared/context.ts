/**
 * One request's context, made once at a Worker's entry (before its Hono
 * app, which is handed it): the request id, a logger that writes it on every line, and
 * the request's metrics data point. Functions take the context, or the few
 * values they need from it, never a request id and a logger side by side.
 */
import type { LogFields, Logger } from "./log.ts";
import type { RequestMetrics } from "./metrics.ts";

export interface RequestContext {
  readonly requestId: string;
  /** Every line it writes carries the request id. */
  readonly log: Logger;
  readonly metrics: RequestMetrics;
}

/** The context of one request: `log` bound to its id. */
export function requestContext(requestId: string, log: Logger, metrics: RequestMetrics): RequestContext {
  const bound = (fields?: LogFields): LogFields => ({ requestId, ...fields });
  return {
    requestId,
    metrics,
    log: {
      info: (event, fields) => log.info(event, bound(fields)),
      warn: (event, fields) => log.warn(event, bound(fields)),
      error: (event, fields) => log.error(event, bound(fields)),
    },
  };
}

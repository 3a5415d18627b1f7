/**
 * Forwarding over a service binding: the request goes on with its method,
 * headers and streaming body untouched, less the headers only the gateway may
 * set, plus the request id; the response comes back as the service made it
 * (the service has put the request id on it).
 */
import { errorResponse } from "../../shared/errors";
import type { RequestContext } from "../../shared/context";
import { loggablePath } from "../../shared/log";
import { REQUEST_ID_HEADER } from "../../shared/request-id";
import { isGatewayOnlyHeader } from "../../shared/trust";

/** The request as the service should see it: gateway-only headers dropped, the decided request id set. */
export function trustedRequest(request: Request, requestId: string): Request {
  const forwarded = new Request(request);
  // Collect first: deleting while iterating a Headers object skips entries.
  const untrusted = [...forwarded.headers.keys()].filter(isGatewayOnlyHeader);
  for (const name of untrusted) forwarded.headers.delete(name);
  forwarded.headers.set(REQUEST_ID_HEADER, requestId);
  return forwarded;
}

/**
 * Sends the request to the service and returns its response as it is: the
 * service has put the request id on it, so nothing wraps or reads the body.
 * A service that throws (an uncaught exception in that Worker) becomes a 502
 * in the JSON error shape, never the runtime's HTML error page.
 */
export async function forwardToService(
  service: Fetcher,
  target: string,
  request: Request,
  call: RequestContext,
): Promise<Response> {
  const { requestId, log, metrics } = call;
  try {
    return await metrics.timeUpstream(service.fetch(trustedRequest(request, requestId)));
  } catch {
    log.error("service-failed", {
      target,
      method: request.method,
      path: loggablePath(new URL(request.url).pathname),
    });
    return errorResponse(502, "upstream_error", `The ${target.toLowerCase()} service failed to answer.`, requestId);
  }
}

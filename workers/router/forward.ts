/**
 * Forwarding over a service binding: the request goes on with its method,
 * headers and streaming body untouched, less the headers only the gateway may
 * set; the response comes back as it is, with the request id added.
 */
import { errorResponse } from "../../shared/errors";
import type { Logger } from "../../shared/log";
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
 * Sends the request to the service and returns its response unbuffered.
 * A service that throws (an uncaught exception in that Worker) becomes a 502
 * in the JSON error shape, never the runtime's HTML error page.
 */
export async function forwardToService(
  service: Fetcher,
  target: string,
  request: Request,
  requestId: string,
  log: Logger,
): Promise<Response> {
  try {
    return await service.fetch(trustedRequest(request, requestId));
  } catch {
    log.error("service-failed", { requestId, target, method: request.method, path: loggablePath(new URL(request.url).pathname) });
    return errorResponse(502, "upstream_error", `The ${target.toLowerCase()} service failed to answer.`, requestId);
  }
}

/**
 * The response with `X-Request-Id` set. Responses from a binding have
 * immutable headers, so this makes a new one around the same body stream:
 * nothing is read or buffered here. Checked in workerd for the api proxy
 * (workers/router/api-proxy.test.ts): a gzip body keeps its Content-Encoding
 * and compressed Content-Length (the runtime passes the encoded bytes, it
 * does not decode and re-encode), and SSE events arrive one by one.
 */
export function withRequestId(response: Response, requestId: string): Response {
  if (response.webSocket) {
    // A 101 carries its socket in `webSocket`, which a Response used as init does not pass on.
    const headers = new Headers(response.headers);
    headers.set(REQUEST_ID_HEADER, requestId);
    return new Response(null, { status: 101, statusText: response.statusText, headers, webSocket: response.webSocket });
  }
  // The response itself as init: status, status text and headers are copied in
  // one native step, about half the CPU of copying the headers through a JS
  // Headers object first (measured by `npm run bench`, hop profile step "rewrap").
  const wrapped = new Response(response.body, response);
  wrapped.headers.set(REQUEST_ID_HEADER, requestId);
  return wrapped;
}

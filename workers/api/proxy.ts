/**
 * The reverse proxy: one request to BACKEND_URL, bodies streamed both ways.
 * The upstream fetch listens to `request.signal` (`enable_request_signal`),
 * so a client that goes away aborts it explicitly; a compressed body passes
 * through as bytes, and must never get `encodeBody: "manual"` (that would
 * send decoded bytes labelled gzip). Why, as measured in workerd: the
 * api-path section of docs/benchmarks.md.
 */
import { errorResponse } from "../../shared/errors";
import { loggablePath } from "../../shared/log";
import type { ApiContext } from "./context";
import { dropHopByHop, publicLocation, upstreamHeaders, upstreamUrl } from "./headers";
import type { ProxySettings } from "./settings";
import { isEventStream, OUTAGE_RETRY_MS, retryLaterStream, withHeartbeat } from "./sse";

/** The abort reason of the headers timer, told apart from a client disconnect. */
class HeadersTimeout extends Error {}

/** Methods whose requests carry no body (fetch() refuses one). */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/**
 * Cross-site WebSocket hijacking guard. Browsers send cookies with a
 * WebSocket handshake from any site and CORS does not apply to it, so a page
 * elsewhere could open a socket as the user. A browser always sends `Origin`:
 * allow the gateway's own origin and the CORS allow-list; a client with no
 * `Origin` is not a browser (no ambient cookies to abuse) and passes.
 */
function socketOriginAllowed(origin: string | null, publicUrl: URL, settings: ProxySettings): boolean {
  return origin === null || origin === publicUrl.origin || settings.corsOrigins.has(origin);
}

/**
 * Sends the request to the backend and returns its answer as a stream.
 *
 * @example
 * const response = await proxyToBackend(apiContext(request, env, log));
 */
export async function proxyToBackend(call: ApiContext): Promise<Response> {
  const { request, publicUrl, kind, settings, requestId, log, metrics } = call;
  const { upgrade, eventStream: sse } = kind;
  if (upgrade && !settings.websockets) {
    return errorResponse(501, "not_implemented", "WebSocket connections are disabled on this gateway.", requestId);
  }
  if (upgrade && !socketOriginAllowed(request.headers.get("Origin"), publicUrl, settings)) {
    log.warn("websocket-origin-refused", {
      method: request.method,
      path: loggablePath(publicUrl.pathname),
      status: 403,
    });
    return errorResponse(
      403,
      "forbidden",
      "WebSocket connections are accepted from this site's own pages only.",
      requestId,
    );
  }

  const upstream = new AbortController();
  // The timer covers only the wait for the response headers: once they are
  // here it is cleared, so a long SSE stream or download is never cut by it.
  const timer = setTimeout(() => upstream.abort(new HeadersTimeout()), settings.headersTimeoutMs);
  const onClientGone = (): void => upstream.abort(request.signal.reason);
  if (!upgrade) request.signal.addEventListener("abort", onClientGone, { once: true });

  let response: Response;
  const started = Date.now();
  try {
    response = await metrics.timeUpstream(
      fetch(upstreamUrl(publicUrl, settings), {
        method: request.method,
        headers: upstreamHeaders(request, publicUrl, settings, kind),
        body: BODYLESS_METHODS.has(request.method) ? null : request.body,
        redirect: "manual",
        signal: upstream.signal,
      }),
    );
  } catch {
    const timedOut = upstream.signal.reason instanceof HeadersTimeout;
    const fields = {
      method: request.method,
      path: loggablePath(publicUrl.pathname),
      durationMs: Date.now() - started,
    };
    if (timedOut) {
      log.warn("backend-timeout", { ...fields, status: 504, reason: "no-response-headers" });
      return backendUnavailable(504, "upstream_timeout", "The backend did not answer in time.", requestId, sse);
    }
    log.warn("backend-unreachable", {
      ...fields,
      status: 502,
      reason: request.signal.aborted ? "client-gone" : "connect-failed",
    });
    return backendUnavailable(502, "upstream_unreachable", "The backend could not be reached.", requestId, sse);
  } finally {
    clearTimeout(timer);
  }

  if (response.webSocket) {
    // The socket travels in `webSocket`; a 101 has no body to stream.
    const headers = new Headers(response.headers);
    toClientHeaders(headers, publicUrl, settings, true);
    return new Response(null, { status: 101, statusText: response.statusText, headers, webSocket: response.webSocket });
  }
  return clientResponse(response, publicUrl, settings);
}

/**
 * The backend's response as the client gets it: hop-by-hop headers dropped,
 * `Set-Cookie` kept one by one, a backend-origin `Location` rewritten. Its own
 * 4xx/5xx pass as they are. The response itself is the init of the new one,
 * around the same body: status, status text and headers are copied natively, once.
 */
function clientResponse(response: Response, publicUrl: URL, settings: ProxySettings): Response {
  const eventStream = isEventStream(response.headers);
  // Workers types a fetched body as ReadableStream<any>; its chunks are bytes.
  let body = response.body as ReadableStream<Uint8Array> | null;
  // With a heartbeat the bytes cross JS, where a compressed body would be
  // decoded and then re-encoded by a buffering encoder: skip it then.
  if (eventStream && body && settings.heartbeatSeconds > 0 && !response.headers.has("content-encoding"))
    body = withHeartbeat(body, settings.heartbeatSeconds);
  const client = new Response(body, response);
  toClientHeaders(client.headers, publicUrl, settings, false);
  if (eventStream) client.headers.set("Cache-Control", "no-cache");
  return client;
}

/**
 * What never reaches the client from the backend: hop-by-hop headers, the
 * proxy token (a backend that echoes request headers would hand it out), and
 * every `Access-Control-*` header (CORS is the gateway's decision, answer.ts).
 */
function toClientHeaders(headers: Headers, publicUrl: URL, settings: ProxySettings, upgrade: boolean): void {
  const { authHeader } = settings;
  dropHopByHop(headers, upgrade, (name) => name === authHeader || name.startsWith("access-control-"));
  const location = headers.get("location");
  if (location !== null) headers.set("location", publicLocation(location, publicUrl, settings));
}

/**
 * 502/504 in the JSON error shape, or, for an EventSource, a 200 that tells
 * it to retry (it would give up for good on an error status).
 */
function backendUnavailable(
  status: 502 | 504,
  code: "upstream_unreachable" | "upstream_timeout",
  message: string,
  requestId: string,
  sse: boolean,
): Response {
  if (sse) return retryLaterStream(OUTAGE_RETRY_MS, code);
  return errorResponse(status, code, message, requestId);
}

/**
 * The reverse proxy: one request to BACKEND_URL, bodies streamed both ways.
 *
 * Client disconnects (measured in workerd 2026-11-02, router → api → Node
 * origin, workers/router/api-proxy.test.ts): the backend sees its connection
 * close within tens of milliseconds, both mid-stream and while still waiting
 * for headers, with or without any flag. The runtime cancels an invocation's
 * pending subrequests and the pipe of a passed-through body when the client
 * goes, and that cancellation crosses service bindings. So the router needs
 * no flag. This Worker still sets:
 * - `enable_request_signal` (wrangler.api.toml; workerd has no default-on
 *   date for it): `request.signal` then fires on disconnect, and the upstream
 *   fetch below listens to it. That keeps the abort explicit instead of
 *   resting only on implicit cancellation, which would stop covering us the
 *   moment the pipe went through JS we do not cancel, or through waitUntil.
 *   `request_signal_passthrough` is not needed: the signal is wired by hand,
 *   since the fetch also needs the header timer's signal.
 * - `brotli_content_encoding` (on by date since 2024-04-29): fetch()
 *   understands `br` as well as `gzip`, so either passes through as bytes.
 *
 * What we measured about Content-Encoding in workerd (2026-11-02), which this
 * file depends on: a fetch() response with `Content-Encoding: gzip` reads as
 * decoded bytes, yet a Response built around that same, untouched body
 * (`new Response(upstream.body, { headers })`, as here and in the router's
 * `withRequestId`) goes out as the original compressed bytes: the runtime
 * skips the decode/re-encode pair. `encodeBody: "manual"` must NOT be used
 * with such a body: it sends the decoded bytes labelled gzip (corrupt).
 */
import { errorResponse } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { loggablePath } from "../../shared/log";
import { isWebSocketUpgrade, publicLocation, upstreamHeaders, upstreamUrl, withoutHopByHop } from "./headers";
import type { ProxySettings } from "./settings";
import { isEventStream, OUTAGE_RETRY_MS, retryLaterStream, wantsEventStream, withHeartbeat } from "./sse";

/** The abort reason of the headers timer, told apart from a client disconnect. */
class HeadersTimeout extends Error {}

/** Methods whose requests carry no body (fetch() refuses one). */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/**
 * Sends the request to the backend and returns its answer as a stream.
 *
 * @example
 * const response = await proxyToBackend(request, proxySettings(env), requestId, log);
 */
export async function proxyToBackend(request: Request, settings: ProxySettings, requestId: string, log: Logger): Promise<Response> {
  const publicUrl = new URL(request.url);
  const sse = wantsEventStream(request.headers);
  const upgrade = isWebSocketUpgrade(request.headers);
  if (upgrade && !settings.websockets) {
    return errorResponse(501, "not_implemented", "WebSocket connections are disabled on this gateway.", requestId);
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
    response = await fetch(upstreamUrl(publicUrl, settings), {
      method: request.method,
      headers: upstreamHeaders(request, publicUrl, settings, sse),
      body: BODYLESS_METHODS.has(request.method) ? null : request.body,
      redirect: "manual",
      signal: upstream.signal,
    });
  } catch {
    const timedOut = upstream.signal.reason instanceof HeadersTimeout;
    const fields = { requestId, method: request.method, path: loggablePath(publicUrl.pathname), durationMs: Date.now() - started };
    if (timedOut) {
      log.warn("backend-timeout", { ...fields, status: 504, reason: "no-response-headers" });
      return backendUnavailable(504, "upstream_timeout", "The backend did not answer in time.", requestId, sse);
    }
    log.warn("backend-unreachable", { ...fields, status: 502, reason: request.signal.aborted ? "client-gone" : "connect-failed" });
    return backendUnavailable(502, "upstream_unreachable", "The backend could not be reached.", requestId, sse);
  } finally {
    clearTimeout(timer);
  }

  if (response.webSocket) {
    // The socket travels in `webSocket`; a 101 has no body to stream.
    return new Response(null, { status: 101, statusText: response.statusText, headers: responseHeaders(response, publicUrl, settings), webSocket: response.webSocket });
  }
  return clientResponse(response, publicUrl, settings);
}

/**
 * The backend's response as the client gets it: hop-by-hop headers dropped,
 * `Set-Cookie` kept one by one (a Headers copy keeps each entry), a
 * backend-origin `Location` rewritten. Its own 4xx/5xx pass as they are.
 */
function clientResponse(response: Response, publicUrl: URL, settings: ProxySettings): Response {
  const headers = responseHeaders(response, publicUrl, settings);
  // Workers types a fetched body as ReadableStream<any>; its chunks are bytes.
  let body = response.body as ReadableStream<Uint8Array> | null;
  if (isEventStream(headers)) {
    headers.set("Cache-Control", "no-cache");
    // With a heartbeat the bytes cross JS, where a compressed body would be
    // decoded and then re-encoded by a buffering encoder: skip it then.
    if (body && settings.heartbeatSeconds > 0 && !headers.has("content-encoding")) body = withHeartbeat(body, settings.heartbeatSeconds);
  }
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

function responseHeaders(response: Response, publicUrl: URL, settings: ProxySettings): Headers {
  const headers = withoutHopByHop(response.headers, response.status === 101);
  const location = headers.get("location");
  if (location !== null) headers.set("location", publicLocation(location, publicUrl, settings));
  return headers;
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

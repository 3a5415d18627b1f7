/**
 * Header rules of the proxy, as small pure builders: what the backend sees,
 * what the client gets back, and where a redirect points.
 */
import { isGatewayOnlyHeader } from "../../shared/trust";
import type { ProxySettings } from "./settings";
import { wantsEventStream } from "./sse";

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never
 * forwarded. Plus the proxy authentication pair (RFC 9110 §11.7), which RFC
 * 2616 also listed: credentials meant for a proxy on the way, and this
 * gateway is the last proxy, so they must not reach the backend (nor a
 * backend's challenge reach the browser as if from a proxy).
 */
const HOP_BY_HOP_HEADERS: readonly string[] = [
  "connection",
  "proxy-connection",
  "keep-alive",
  "te",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
];

/** `Connection: close, X-Foo` makes X-Foo hop-by-hop as well (RFC 9110 §7.6.1). */
export function connectionListedHeaders(headers: Headers): string[] {
  return (headers.get("connection") ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
}

const HOP_BY_HOP: ReadonlySet<string> = new Set(HOP_BY_HOP_HEADERS);

/**
 * Deletes the hop-by-hop headers from mutable `headers`, and every header
 * `alsoDrop` names; an upgrade keeps `Connection` and `Upgrade`, its handshake
 * needs them. With `alsoDrop`, one pass over the names present; without, the
 * fixed list is deleted outright, which costs less than listing the names.
 */
export function dropHopByHop(headers: Headers, keepUpgrade = false, alsoDrop?: (name: string) => boolean): void {
  if (alsoDrop === undefined) {
    for (const name of [...HOP_BY_HOP_HEADERS, ...connectionListedHeaders(headers)]) {
      if (!keepUpgrade || (name !== "connection" && name !== "upgrade")) headers.delete(name);
    }
    return;
  }
  const names = [...headers.keys()];
  const listed = names.includes("connection") ? connectionListedHeaders(headers) : [];
  for (const name of names) {
    if (keepUpgrade && (name === "connection" || name === "upgrade")) continue;
    if (HOP_BY_HOP.has(name) || listed.includes(name) || alsoDrop(name)) headers.delete(name);
  }
}

/** What the api needs to know about a request, decided once when it arrives and handed down. */
export interface RequestKind {
  /** A WebSocket handshake (`Upgrade: websocket`): keeps its Connection/Upgrade headers, skips CORS. */
  upgrade: boolean;
  /** An EventSource (`Accept: text/event-stream`): an outage or a 429 answers with a retry stream. */
  eventStream: boolean;
  /** CORS applies: API_CORS_ORIGINS lists origins and this is not an upgrade (CORS does not govern WebSockets). */
  cors: boolean;
}

export function classifyRequest(headers: Headers, settings: ProxySettings): RequestKind {
  const upgrade = headers.get("upgrade")?.toLowerCase() === "websocket";
  return { upgrade, eventStream: wantsEventStream(headers), cors: settings.corsOrigins.size > 0 && !upgrade };
}

/** The backend URL for a public one: same path (less `/api` when stripping) and query; fetch() parses it. */
export function upstreamUrl(publicUrl: URL, settings: ProxySettings): string {
  let path = publicUrl.pathname;
  if (settings.stripApiPrefix) path = path.slice("/api".length) || "/";
  return `${settings.backendOrigin}${settings.backendBasePath}${path}${publicUrl.search}`;
}

/**
 * What the backend receives: the client's headers less hop-by-hop ones, the
 * gateway's own `X-Forwarded-*`, and the proxy token in its header (any
 * client copy replaced). `Authorization` and `Cookie` pass untouched.
 */
export function upstreamHeaders(request: Request, publicUrl: URL, settings: ProxySettings, kind: RequestKind): Headers {
  const headers = new Headers(request.headers);
  // The router already strips the gateway-only headers (the trust boundary); dropping them again here, with
  // the same shared rule, keeps the api safe when it is reached some other way. fetch() derives Host from the
  // URL (the public host travels in X-Forwarded-Host), and a client's copy of the proxy token header goes.
  const { authHeader } = settings;
  dropHopByHop(headers, kind.upgrade, (name) => name === "host" || name === authHeader || isGatewayOnlyHeader(name));
  const clientIp = request.headers.get("cf-connecting-ip");
  if (clientIp) headers.set("x-forwarded-for", clientIp);
  headers.set("x-forwarded-proto", publicUrl.protocol.slice(0, -1));
  headers.set("x-forwarded-host", publicUrl.host);
  if (settings.authToken) headers.set(authHeader, settings.authToken);
  // An event stream must reach the client uncompressed: a compressing encoder
  // holds bytes back until its block fills, which delays events.
  if (kind.eventStream) headers.set("accept-encoding", "identity");
  return headers;
}

/**
 * A `Location` on the backend's origin, rewritten to the public one (with the
 * `/api` prefix restored when it was stripped). Other origins and relative
 * references that stay on the public path pass unchanged.
 */
export function publicLocation(location: string, publicUrl: URL, settings: ProxySettings): string {
  let target: URL;
  try {
    target = new URL(location, `${settings.backendOrigin}${settings.backendBasePath}/`);
  } catch {
    return location;
  }
  if (target.origin !== settings.backendOrigin) return location;
  let path = target.pathname;
  const base = settings.backendBasePath;
  if (base !== "" && (path === base || path.startsWith(`${base}/`))) path = path.slice(base.length) || "/";
  if (settings.stripApiPrefix) path = `/api${path === "/" ? "" : path}`;
  return `${publicUrl.origin}${path}${target.search}${target.hash}`;
}

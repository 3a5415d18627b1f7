/**
 * Headers only the gateway may set. The router strips every client-supplied
 * copy before forwarding, so the media and api Workers can trust what arrives.
 */

/** Exact names (lower case, as `Headers` iterates them). */
const GATEWAY_ONLY_HEADERS: ReadonlySet<string> = new Set([
  // Proxy chain facts: set by the api Worker from CF-Connecting-IP and the public URL.
  "forwarded",
  "x-real-ip",
  // Lets a caller pin a Worker version (gradual deployments); only operators may.
  "cloudflare-workers-version-overrides",
  "cloudflare-workers-version-key",
  // Default name of the header that proves to the backend that a request came through the proxy.
  "x-proxy-token",
]);

/** Prefixes of gateway-only header families: every `X-Forwarded-*`, every internal `X-Gateway-*`. */
const GATEWAY_ONLY_PREFIXES: readonly string[] = ["x-forwarded-", "x-gateway-"];

export function isGatewayOnlyHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return GATEWAY_ONLY_HEADERS.has(lower) || GATEWAY_ONLY_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

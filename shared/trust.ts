/**
 * Headers only the gateway may set. The router strips every client-supplied
 * copy before forwarding, so the media and api Workers, and the backend
 * behind them, can trust what arrives.
 *
 * `CF-Connecting-IP` is not on the list: at the edge Cloudflare sets it from
 * the connection, overwriting any client copy, and the api Worker derives
 * `X-Forwarded-For` and the rate-limit key from it (locally, `npm run dev`
 * sets it from the socket the same way: scripts/dev-front.ts).
 */

/**
 * Exact names (lower case, as `Headers` iterates them), each with who reads
 * it: a backend or one of its libraries would take a client's copy as the
 * client's address, the public URL or the route. docs/hardening.md,
 * "Trust boundary classes", has the table.
 */
export const GATEWAY_ONLY_HEADERS: ReadonlyMap<string, string> = new Map([
  // Client address: the proxy chain facts the api Worker sets itself are X-Forwarded-For/-Proto/-Host.
  ["forwarded", "RFC 7239; Spring ForwardedHeaderFilter, gorilla/handlers ProxyHeaders, request-ip"],
  ["x-real-ip", "nginx realip, chi RealIP, Echo, Gin RemoteIPHeaders, request-ip"],
  ["x-client-ip", "request-ip (its first choice), Apache mod_remoteip setups"],
  ["true-client-ip", "Akamai and Cloudflare Enterprise; chi RealIP (first choice), request-ip"],
  ["x-cluster-client-ip", "Rackspace/Riverbed load balancers; request-ip, Rack (older)"],
  ["client-ip", "Rails ActionDispatch::RemoteIp (HTTP_CLIENT_IP)"],
  ["fastly-client-ip", "Fastly; request-ip"],
  ["forwarded-for", "request-ip"],
  ["x-forwarded", "request-ip (no dash)"],
  ["x-original-forwarded-for", "ingress-nginx (the client's XFF before the controller's own)"],
  ["x-original-for", "ASP.NET Core ForwardedHeadersMiddleware"],
  ["x-original-proto", "ASP.NET Core ForwardedHeadersMiddleware"],
  ["x-original-host", "ASP.NET Core ForwardedHeadersMiddleware"],
  ["x-proxyuser-ip", "Google Cloud proxies; Ktor and hand-written lookups"],
  ["wl-proxy-client-ip", "Oracle WebLogic plug-in; Java getClientIp helpers"],
  ["proxy-client-ip", "Apache/WebLogic proxies; Java getClientIp helpers"],
  ["x-appengine-user-ip", "Google App Engine; request-ip"],
  ["x-appengine-remote-addr", "Google App Engine; Gin TrustedPlatform"],
  ["do-connecting-ip", "DigitalOcean App Platform; request-ip"],
  ["fly-client-ip", "Fly.io; Gin TrustedPlatform"],
  ["cf-pseudo-ipv4", "Cloudflare Pseudo IPv4; request-ip"],
  ["cf-connecting-ipv6", "Cloudflare Pseudo IPv4 (the real address when CF-Connecting-IP is a pseudo one)"],
  ["x-azure-clientip", "Azure Front Door"],
  ["x-azure-socketip", "Azure Front Door"],
  ["x-envoy-external-address", "Envoy (trusted client address)"],
  // URL rewrite and host override: a framework routes or builds absolute URLs by them.
  ["x-original-url", "IIS URL Rewrite; Symfony/Laravel/Zend request (routes by it)"],
  ["x-rewrite-url", "ISAPI_Rewrite; Zend Framework 1, older Symfony (routes by it)"],
  ["x-original-uri", "nginx auth_request setups, Traefik forward auth"],
  ["x-host", "Zend/Laminas, Magento and hand-written host lookups"],
  ["x-http-host-override", "WebSphere, Zend; host override"],
  ["x-forwarded-server", "Apache mod_proxy (also covered by the x-forwarded- prefix)"],
  // Lets a caller pin a Worker version (gradual deployments); only operators may.
  ["cloudflare-workers-version-overrides", "Cloudflare gradual deployments"],
  ["cloudflare-workers-version-key", "Cloudflare gradual deployments"],
  // Default name of the header that proves to the backend that a request came through the proxy.
  ["x-proxy-token", "this gateway's backend auth (BACKEND_AUTH_HEADER default)"],
]);

/**
 * Prefixes of gateway-only header families: every `X-Forwarded-*` (Express
 * `trust proxy`, Django, Rack, Spring, ASP.NET Core, Tomcat RemoteIpValve read
 * -For/-Host/-Proto/-Port/-Prefix/-Ssl/-Scheme), every internal `X-Gateway-*`.
 */
const GATEWAY_ONLY_PREFIXES: readonly string[] = ["x-forwarded-", "x-gateway-"];

export function isGatewayOnlyHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return GATEWAY_ONLY_HEADERS.has(lower) || GATEWAY_ONLY_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

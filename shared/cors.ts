/**
 * CORS (Fetch standard, "CORS protocol"): one implementation, configured
 * once per Worker. The policies differ on purpose: media is read-only and
 * credential-free and exposes the range headers a player needs to seek; the
 * api allows credentials and write methods and exposes the request id and
 * Retry-After. An origin off the allow-list gets no grant, only `Vary:
 * Origin`, so a shared cache never hands one origin's answer to another; an
 * empty allow-list means same-origin only and adds nothing at all.
 * hono's `cors` cannot express that rule: it sends Allow-Credentials,
 * Expose-Headers and a preflight's grant to any origin (docs/benchmarks.md).
 */

interface CorsOptions {
  /** Methods a preflight may ask for. */
  allowMethods: readonly string[];
  /** Request headers a preflight may ask for; omitted: whatever it asks for (echoed, and varied on). */
  allowHeaders?: readonly string[];
  /** Response headers a page may read beyond the CORS-safelisted ones. */
  exposeHeaders: readonly string[];
  /** `Access-Control-Allow-Credentials: true`: cookies and Authorization may flow. */
  credentials: boolean;
  /** How long a browser may cache a preflight answer. */
  maxAgeSeconds: number;
}

/** A policy with its header values joined once, not per request. */
export interface CorsPolicy {
  /** Granted on every answer to an allowed origin, besides Allow-Origin. */
  readonly grant: Readonly<Record<string, string>>;
  /** Added to a preflight answer for an allowed origin. */
  readonly preflight: Readonly<Record<string, string>>;
  /** Whether a preflight's requested headers are echoed back. */
  readonly echoRequestHeaders: boolean;
}

export function corsPolicy(options: CorsOptions): CorsPolicy {
  const grant: Record<string, string> = {};
  if (options.credentials) grant["Access-Control-Allow-Credentials"] = "true";
  if (options.exposeHeaders.length > 0) grant["Access-Control-Expose-Headers"] = options.exposeHeaders.join(", ");
  const preflight: Record<string, string> = {
    "Access-Control-Allow-Methods": options.allowMethods.join(", "),
    "Access-Control-Max-Age": String(options.maxAgeSeconds),
  };
  if (options.allowHeaders !== undefined) preflight["Access-Control-Allow-Headers"] = options.allowHeaders.join(", ");
  return { grant, preflight, echoRequestHeaders: options.allowHeaders === undefined };
}

/**
 * The CORS headers of an answer to `origin` (the request's `Origin`, null when
 * it sent none): nothing without an allow-list, `Vary: Origin` for an origin
 * off it, the grant for one on it.
 */
export function corsHeaders(
  policy: CorsPolicy,
  allowed: ReadonlySet<string>,
  origin: string | null,
): Record<string, string> {
  if (allowed.size === 0) return {};
  if (origin === null || !allowed.has(origin)) return { Vary: "Origin" };
  return { Vary: "Origin", "Access-Control-Allow-Origin": origin, ...policy.grant };
}

/**
 * The CORS headers of a preflight answer (an OPTIONS request): those of
 * `corsHeaders`, plus, for an allowed origin, the methods, the request
 * headers (the policy's list, or the ones asked for) and the cache lifetime.
 */
export function preflightHeaders(
  policy: CorsPolicy,
  allowed: ReadonlySet<string>,
  requestHeaders: Headers,
): Record<string, string> {
  const headers = corsHeaders(policy, allowed, requestHeaders.get("Origin"));
  if (!("Access-Control-Allow-Origin" in headers)) return headers;
  Object.assign(headers, policy.preflight);
  const asked = policy.echoRequestHeaders ? requestHeaders.get("Access-Control-Request-Headers") : null;
  if (asked !== null && asked.trim() !== "") {
    headers["Access-Control-Allow-Headers"] = asked
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "")
      .join(", ");
    headers.Vary = "Origin, Access-Control-Request-Headers";
  }
  return headers;
}

/**
 * Puts CORS headers (those of `corsHeaders` or `preflightHeaders`) on a
 * response this Worker built (mutable headers); `Vary` is appended to what
 * the response already varies on.
 */
export function applyCorsHeaders(headers: Headers, cors: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(cors)) {
    if (name === "Vary") headers.append(name, value);
    else headers.set(name, value);
  }
}

/** Adds the CORS headers of an answer to `origin` to a response this Worker built (see `applyCorsHeaders`). */
export function addCorsHeaders(
  headers: Headers,
  policy: CorsPolicy,
  allowed: ReadonlySet<string>,
  origin: string | null,
): void {
  applyCorsHeaders(headers, corsHeaders(policy, allowed, origin));
}

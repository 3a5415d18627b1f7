/**
 * What the api refuses before anything reaches the backend: methods that
 * only echo or tunnel, and paths that a backend or framework would decode
 * into a walk out of `/api` (or out of BACKEND_URL's base path) or cut short. The rules
 * and why: docs/api.md, "What the gateway refuses".
 */
import { errorResponse } from "../../shared/errors";
import { loggablePath } from "../../shared/log";
import type { ApiContext } from "./context";

/**
 * TRACE echoes the request back (an Apache backend would echo the proxy
 * token), TRACK is IIS's TRACE, CONNECT asks for a tunnel. Method names are
 * case-sensitive (RFC 9110 §9.1), but servers differ on that, so every
 * spelling is refused.
 */
const REFUSED_METHODS: ReadonlySet<string> = new Set(["TRACE", "TRACK", "CONNECT"]);

/**
 * Headers a framework reads as the method a POST stands for (Express's
 * method-override, ASP.NET Core's HttpMethodOverride, Symfony, Laravel, Zend):
 * a refused method named there is refused as if it were the request's own.
 */
const METHOD_OVERRIDE_HEADERS = ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"] as const;

/** The refused method a request is, or stands for through an override header, with the header that names it. */
function refusedMethod(request: Request): { method: string; header?: string } | undefined {
  const method = request.method.toUpperCase();
  if (REFUSED_METHODS.has(method)) return { method };
  for (const header of METHOD_OVERRIDE_HEADERS) {
    const named = request.headers.get(header);
    if (named === null) continue;
    // A list (two copies of the header) is read differently by each framework: any refused member refuses it.
    const refused = named
      .split(",")
      .map((part) => part.trim().toUpperCase())
      .find((part) => REFUSED_METHODS.has(part));
    if (refused !== undefined) return { method: refused, header };
  }
  return undefined;
}

/** The methods the api forwards, for the 405's `Allow`. */
const ALLOW = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/** Why a path was refused, as logged. */
export type PathRefusal = "control-character" | "dot-segment" | "backslash" | "double-encoded" | "encoded-slash";

/** A percent-escape of an ASCII character: the only bytes that can spell `.`, `/`, `\`, `;` or `%`. */
const ASCII_ESCAPE = /%([0-7][0-9a-f])/gi;
/** After one decoding, an escape that a second decoding would turn into `.`, `/` or `\`. */
const TRAVERSAL_ESCAPE = /%(2e|2f|5c)/i;
const ENCODED_SLASH = /%2f/i;
/** C0 controls and DEL: a C backend ends the path at a NUL, and CR/LF split a logged or re-sent line. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Whether an /api path (a parsed URL's pathname: the URL parser has already
 * resolved literal and `%2e` dot segments and turned `\` into `/`) holds,
 * once percent-decoded as a backend would decode it, a control character
 * (C0 or DEL), a `.` or `..` segment
 * (also as Tomcat reads `..;x`), a backslash, an escape that decodes again to
 * one of those, or (unless allowed) an encoded slash.
 *
 * @example
 * pathRefusal("/api/..%2fsecret", false); // "dot-segment"
 * pathRefusal("/api/users/42", false); // undefined
 */
export function pathRefusal(pathname: string, allowEncodedSlashes: boolean): PathRefusal | undefined {
  // Nearly every path has neither: one scan each, and nothing else runs.
  if (!pathname.includes("%") && !pathname.includes(";")) return undefined;
  const decoded = pathname.replace(ASCII_ESCAPE, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  if (CONTROL_CHARACTER.test(decoded)) return "control-character";
  if (decoded.includes("\\")) return "backslash";
  for (const segment of decoded.split("/")) {
    const end = segment.indexOf(";");
    const bare = end === -1 ? segment : segment.slice(0, end);
    if (bare === "." || bare === "..") return "dot-segment";
  }
  if (TRAVERSAL_ESCAPE.test(decoded)) return "double-encoded";
  if (!allowEncodedSlashes && ENCODED_SLASH.test(pathname)) return "encoded-slash";
  return undefined;
}

const PATH_MESSAGES: Readonly<Record<PathRefusal, string>> = {
  "control-character": "The path holds an encoded control character.",
  "dot-segment": "The path holds an encoded '.' or '..' segment.",
  backslash: "The path holds a backslash.",
  "double-encoded": "The path holds a double-encoded '.', '/' or '\\'.",
  "encoded-slash": "The path holds an encoded slash (%2F).",
};

/** Why the gateway will not forward a request: a refused method (405) or path (400). */
type Refusal = { status: 405; method: string; header?: string } | { status: 400; reason: PathRefusal };

/** Why the gateway will not forward this request, or undefined when it forwards it. */
export function refusalOf({ request, publicUrl, settings }: ApiContext): Refusal | undefined {
  const refused = refusedMethod(request);
  if (refused !== undefined) return { status: 405, ...refused };
  const reason = pathRefusal(publicUrl.pathname, settings.allowEncodedSlashes);
  return reason === undefined ? undefined : { status: 400, reason };
}

/** The gateway's own answer to a request it will not forward (405 for a refused method, 400 for a refused path), logged with the reason. */
export function refusalAnswer({ request, publicUrl, requestId, log }: ApiContext, refusal: Refusal): Response {
  const path = loggablePath(publicUrl.pathname);
  if (refusal.status === 400) {
    log.warn("path-refused", { method: request.method, path, status: 400, reason: refusal.reason });
    return errorResponse(400, "bad_request", PATH_MESSAGES[refusal.reason], requestId);
  }
  const { method, header } = refusal;
  log.warn("method-refused", {
    method: request.method,
    path,
    status: 405,
    reason: header === undefined ? method.toLowerCase() : `${method.toLowerCase()} via ${header.toLowerCase()}`,
  });
  const spelled = header === undefined ? method : `${method} (through ${header})`;
  return errorResponse(405, "method_not_allowed", `${spelled} is not forwarded to the backend.`, requestId, {
    Allow: ALLOW,
  });
}

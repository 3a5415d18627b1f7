/**
 * A media request's path: the token in it, and for a prefix token the object
 * key the rest of the path names. One spelling per key: whatever a URL
 * parser could read two ways is refused.
 */
import { MEDIA_TOKEN_PATH_PREFIX } from "../../shared/media-token";
import { CONTROL_CHARACTER, MAX_KEY_BYTES } from "../../shared/token-rules";

/** What a `/media/v1/…` path names: the token, and the path under a prefix token (empty for an object token). */
export interface MediaTarget {
  token: string;
  path: string;
}

/** Why the path after a token names no object (logged as the 401's reason). */
export type PathProblem = `bad-path: ${
  | "after-key"
  | "empty"
  | "empty-segment"
  | "bad-escape"
  | "not-utf8"
  | "dot-segment"
  | "encoded-slash"
  | "backslash"
  | "control-character"
  | "too-long"}`;

/**
 * The token and the path after it in a request's pathname (`/media/v1/<jwt>/<path>`),
 * or undefined when the pathname is not a media token route (no token at all).
 */
export function splitMediaPath(pathname: string): MediaTarget | undefined {
  if (!pathname.startsWith(MEDIA_TOKEN_PATH_PREFIX)) return undefined;
  const rest = pathname.slice(MEDIA_TOKEN_PATH_PREFIX.length);
  const slash = rest.indexOf("/");
  const token = slash === -1 ? rest : rest.slice(0, slash);
  if (token === "") return undefined;
  return { token, path: slash === -1 ? "" : rest.slice(slash) };
}

const MALFORMED_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const encoder = new TextEncoder();

/**
 * The object key a prefix token names for the path after it (`/720p/seg.m4s`,
 * as `new URL(request.url).pathname` has it): `pfx` plus the path
 * percent-decoded once. One spelling per key: an empty path or segment, a
 * decoded `.`/`..`, `/` or `\`, a control character, a malformed escape or
 * invalid UTF-8 is refused.
 */
export function keyUnderPrefix(pfx: string, path: string): { key: string } | { problem: PathProblem } {
  if (path === "" || path === "/") return { problem: "bad-path: empty" };
  const segments = path.slice(1).split("/");
  const decoded: string[] = [];
  for (const segment of segments) {
    if (segment === "") return { problem: "bad-path: empty-segment" };
    if (MALFORMED_ESCAPE.test(segment)) return { problem: "bad-path: bad-escape" };
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return { problem: "bad-path: not-utf8" };
    }
    if (name === "." || name === "..") return { problem: "bad-path: dot-segment" };
    if (name.includes("/")) return { problem: "bad-path: encoded-slash" };
    if (name.includes("\\")) return { problem: "bad-path: backslash" };
    if (CONTROL_CHARACTER.test(name)) return { problem: "bad-path: control-character" };
    decoded.push(name);
  }
  const key = `${pfx}${decoded.join("/")}`;
  if (encoder.encode(key).byteLength > MAX_KEY_BYTES) return { problem: "bad-path: too-long" };
  return { key };
}

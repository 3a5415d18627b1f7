/**
 * Structured logs: one JSON object per line, with the request id.
 *
 * The logger takes only the fields listed here, by type and again at run time,
 * so a secret, a token or a header value cannot reach a log line by accident:
 * whoever wants to log something new must add a field here, in review.
 */

import type { WorkerName } from "./worker-names.ts";

/** Which bucket of a media chain answered: the main one, or the fallback. */
export type ServedFrom = "main" | "fallback";
type LogLevel = "info" | "warn" | "error";

export interface LogFields {
  requestId?: string;
  method?: string;
  /** A path made safe by `loggablePath` (tokens cut out, no query string). */
  path?: string;
  status?: number;
  /** A short, sanitized reason such as `expired` or `backend-unreachable`. */
  reason?: string;
  durationMs?: number;
  bucket?: string;
  /** An object key shortened by `keyHint`, never the full key. */
  keyHint?: string;
  cache?: "hit" | "miss" | "bypass";
  servedFrom?: ServedFrom;
  kid?: string;
  /** The media token registry line, in the backend's format. */
  registry?: string;
  target?: string;
  bytes?: number;
}

const ALLOWED_FIELDS: ReadonlySet<string> = new Set<keyof LogFields>([
  "requestId",
  "method",
  "path",
  "status",
  "reason",
  "durationMs",
  "bucket",
  "keyHint",
  "cache",
  "servedFrom",
  "kid",
  "registry",
  "target",
  "bytes",
]);

/** Longest string a log field keeps: a runaway value cannot flood the log pipeline. */
const MAX_FIELD_CHARS = 200;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export function createLogger(worker: WorkerName): Logger {
  const write = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    const line: Record<string, string | number> = { level, worker, event };
    for (const [name, value] of Object.entries(fields)) {
      if (!ALLOWED_FIELDS.has(name)) continue;
      if (typeof value === "number") line[name] = value;
      else if (typeof value === "string") line[name] = value.slice(0, MAX_FIELD_CHARS);
    }
    const text = JSON.stringify(line);
    if (level === "error") console.error(text);
    else if (level === "warn") console.warn(text);
    else console.log(text);
  };
  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
  };
}

/** A JWT-shaped path segment: three base64url parts (the last may be empty). */
const TOKEN_SEGMENT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Segments this long are never route names; they are ids or tokens. */
const MAX_SEGMENT_CHARS = 64;

/** The path with token-like segments replaced and the query dropped (queries can hold secrets). */
export function loggablePath(pathname: string): string {
  return pathname
    .split("/")
    .map((segment) => (TOKEN_SEGMENT.test(segment) || segment.length > MAX_SEGMENT_CHARS ? ":token" : segment))
    .join("/")
    .slice(0, MAX_FIELD_CHARS);
}

/** Enough of an object key to find it again in a bucket listing, never the whole key. */
export function keyHint(key: string): string {
  return key.length <= 24 ? key : `${key.slice(0, 12)}…${key.slice(-8)}`;
}

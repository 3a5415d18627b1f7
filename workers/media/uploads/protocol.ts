/**
 * tus 1.0 (https://tus.io/protocols/resumable-upload) as this Worker speaks
 * it: the version, the extensions, header parsing, and the one way an
 * answer becomes a Response (tus headers, `no-store`, the JSON error body
 * where a body is allowed), and the upload CORS policy.
 */
import type { CorsPolicy } from "../../../shared/cors";
import { corsHeaders, corsPolicy, preflightHeaders } from "../../../shared/cors";
import type { ErrorCode } from "../../../shared/errors";
import { errorResponse } from "../../../shared/errors";

export const TUS_VERSION = "1.0.0";
export const TUS_EXTENSIONS = "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination";
export const TUS_CHECKSUM_ALGORITHMS = "sha1";
/** The only body type a PATCH (and a creation with data) may carry. */
export const OFFSET_OCTET_STREAM = "application/offset+octet-stream";

/** What an upload step answers, as plain data (it crosses the Durable Object's RPC boundary). */
export interface TusAnswer {
  status: number;
  /** tus headers of the answer (`Upload-Offset`, `Location`, …). */
  headers?: Record<string, string>;
  /** For a refusal: the JSON error body's code and message. */
  error?: { code: ErrorCode; message: string };
  /** The bucket the upload writes to, when the answer knows it: for the request's data point only. */
  bucket?: string;
}

/** A refusal with its JSON body, and any tus headers the client needs (the current offset on a 409). */
export function refusal(status: number, code: ErrorCode, message: string, headers?: Record<string, string>): TusAnswer {
  return { status, error: { code, message }, ...(headers ? { headers } : {}) };
}

export const NOT_FOUND: TusAnswer = refusal(
  404,
  "not_found",
  "No such upload: it expired, completed or never existed.",
);

/** A header holding a non-negative whole number (no sign, no leading zeros, safe as a number), or why not. */
export function parseByteCount(value: string | null): number | undefined | "invalid" {
  if (value === null) return undefined;
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(value)) return "invalid";
  const count = Number(value);
  return Number.isSafeInteger(count) ? count : "invalid";
}

/** The upload CORS policy: tus needs its request headers allowed and its answer headers exposed. */
const UPLOAD_CORS: CorsPolicy = corsPolicy({
  allowMethods: ["POST", "HEAD", "PATCH", "DELETE", "OPTIONS"],
  allowHeaders: [
    "Authorization",
    "Content-Type",
    "Tus-Resumable",
    "Upload-Length",
    "Upload-Defer-Length",
    "Upload-Offset",
    "Upload-Metadata",
    "Upload-Checksum",
    "X-HTTP-Method-Override",
    "X-Request-Id",
  ],
  exposeHeaders: [
    "Location",
    "Tus-Resumable",
    "Tus-Version",
    "Tus-Extension",
    "Tus-Max-Size",
    "Tus-Checksum-Algorithm",
    "Upload-Offset",
    "Upload-Length",
    "Upload-Defer-Length",
    "Upload-Expires",
    "X-Request-Id",
  ],
  credentials: false,
  maxAgeSeconds: 86400,
});

/** CORS headers for an answer to `request` (with the preflight's when it is one). */
export function uploadCorsHeaders(
  request: Request,
  allowed: ReadonlySet<string>,
  preflight: boolean,
): Record<string, string> {
  return preflight
    ? preflightHeaders(UPLOAD_CORS, allowed, request.headers)
    : corsHeaders(UPLOAD_CORS, allowed, request.headers.get("Origin"));
}

/** The Response of an answer: tus headers, never cached, a JSON error body unless the method is HEAD (the request id and CORS are added by the media app, to every answer). */
export function tusResponse(answer: TusAnswer, method: string, requestId: string): Response {
  const headers: Record<string, string> = {
    "Tus-Resumable": TUS_VERSION,
    "Cache-Control": "no-store",
    ...answer.headers,
  };
  if (answer.error !== undefined && method !== "HEAD")
    return errorResponse(answer.status, answer.error.code, answer.error.message, requestId, headers);
  return new Response(null, { status: answer.status, headers });
}

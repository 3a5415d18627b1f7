import type { Logger } from "./log.ts";
import { withRequestId } from "./request-id.ts";

/**
 * The one JSON error shape every Worker answers with:
 * `{"error":{"status":404,"code":"not_found","message":"…","requestId":"…"}}`.
 * Never HTML, never a stack trace, never a secret.
 */

export type ErrorCode =
  | "not_found"
  | "method_not_allowed"
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "payload_too_large"
  | "conflict"
  | "unsupported_media_type"
  | "precondition_failed"
  | "checksum_mismatch"
  | "rate_limited"
  | "upstream_unreachable"
  | "upstream_timeout"
  | "upstream_error"
  | "storage_unavailable"
  | "not_implemented"
  | "dependency_failed"
  | "internal_error";

export interface ErrorBody {
  error: {
    status: number;
    code: ErrorCode;
    message: string;
    requestId: string;
  };
}

/**
 * Headers for every JSON document the gateway writes itself: it is never a
 * page, so it may load nothing, be framed by nobody and leak no referrer.
 */
export const JSON_DOCUMENT_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "application/json; charset=utf-8",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

/** A JSON response with the gateway's document headers (and any extra ones). */
export function jsonResponse(body: unknown, status: number, extraHeaders?: HeadersInit): Response {
  const headers = new Headers(JSON_DOCUMENT_HEADERS);
  if (extraHeaders) new Headers(extraHeaders).forEach((value, name) => headers.set(name, value));
  return new Response(JSON.stringify(body), { status, headers });
}

export function errorResponse(
  status: number,
  code: ErrorCode,
  message: string,
  requestId: string,
  extraHeaders?: HeadersInit,
): Response {
  const body: ErrorBody = { error: { status, code, message, requestId } };
  const response = jsonResponse(body, status, extraHeaders);
  return withRequestId(response, requestId);
}

/**
 * The JSON 500 of a service Worker's exception, logged as `<worker>-failed`
 * with the error's name only (the runtime would answer with a bare 500,
 * without the request id or CORS).
 */
export function exceptionAnswer(
  call: { requestId: string; log: Logger },
  worker: "media" | "api",
  error: unknown,
): Response {
  call.log.error(`${worker}-failed`, { reason: error instanceof Error ? error.name : "thrown", status: 500 });
  return errorResponse(500, "internal_error", `The ${worker} Worker failed to answer.`, call.requestId);
}

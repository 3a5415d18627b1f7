/**
 * Request ids. The router decides the id (it is the trust boundary); the media
 * and api Workers read what it passed and put it in every log line and error.
 */

export const REQUEST_ID_HEADER = "X-Request-Id";

/** At most 128 characters of `[A-Za-z0-9._-]`: safe in a header, a log line and a file name. */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function isWellFormedRequestId(value: string | null): value is string {
  return value !== null && WELL_FORMED_REQUEST_ID.test(value);
}

/**
 * The id a service Worker (media, api) uses: the one the router decided and
 * passed on (services trust the router), or a fresh one when called some other way.
 */
export function passedRequestId(headers: Headers): string {
  return headers.get(REQUEST_ID_HEADER) ?? crypto.randomUUID();
}

/**
 * Where a response's headers come from: `built` by this Worker (mutable), or
 * `fetched` from fetch() or a binding such as the static assets (immutable).
 */
export type ResponseSource = "built" | "fetched";

/**
 * The one way a Worker puts the request id on its answer. Every Worker answers
 * with the id it decided or was passed, so the router can hand a service's
 * response on untouched. A built response gets it in place; a fetched one is
 * re-made around the same body stream (nothing read or buffered), with the
 * response itself as init, which copies status and headers in one native step.
 */
export function withRequestId(response: Response, requestId: string, source: ResponseSource = "built"): Response {
  const answer = source === "fetched" ? new Response(response.body, response) : response;
  answer.headers.set(REQUEST_ID_HEADER, requestId);
  return answer;
}

/** Keeps a well-formed client id (so a caller can trace its own request), else makes a new one. */
export function decideRequestId(headers: Headers): string {
  const offered = headers.get(REQUEST_ID_HEADER);
  return isWellFormedRequestId(offered) ? offered : crypto.randomUUID();
}

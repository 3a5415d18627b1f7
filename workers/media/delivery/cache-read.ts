/** The edge cache read: a stored copy (whole, or a range the cache slices from it) as a prepared answer, or a miss. */
import { parseContentRange, rangeHeaderOf } from "../http-semantics";
import { servedTypeFor } from "../policy";
import type { DeliveryRequest, Prepared, Representation, IoSpans } from "./model";
import { STORED_SIZE_HEADER } from "./model";
import { decideAnswer } from "./conditionals";

/** The representation a cached copy describes; undefined when it is not a copy this Worker stored. */
async function representationOfCached(
  key: string,
  headers: Headers,
  size: number,
): Promise<Representation | undefined> {
  const etag = headers.get("ETag");
  const lastModified = headers.get("Last-Modified");
  if (etag === null || lastModified === null) return undefined;
  return {
    size,
    etag,
    lastModified,
    type: await servedTypeFor(key, headers.get("Content-Type")),
    servedFrom: headers.get("X-Served-From") === "fallback" ? "fallback" : "main",
  };
}

/**
 * The answer from the edge cache, or undefined when it has no usable copy (a
 * miss: storage answers). A single range is asked of the cache itself, which
 * slices the stored 200; If-Range, several ranges and ranges it cannot
 * satisfy fall back to the whole copy.
 */
export async function answerFromCache(
  delivery: DeliveryRequest,
  cache: Cache,
  cacheKey: string,
  spans: IoSpans,
): Promise<Prepared | undefined> {
  const range = rangeHeaderOf(delivery.asks.range);
  if (range !== undefined) {
    // Our re-serialised range only: the client's conditionals are decided here, never by the cache.
    const answer = await spans.span("cache", () => cache.match(new Request(cacheKey, { headers: { Range: range } })));
    if (answer === undefined) return undefined;
    if (answer.status === 200) return answerFromCachedWhole(delivery, cache, cacheKey, answer, spans);
    const part = answer.status === 206 ? await answerFromCachedPart(delivery, answer) : undefined;
    if (part !== undefined) return part;
    await answer.body?.cancel();
  }
  // A bare lookup: the client's conditionals and Range are decided here, never by the cache.
  const hit = await spans.span("cache", () => cache.match(cacheKey));
  return hit === undefined ? undefined : answerFromCachedWhole(delivery, cache, cacheKey, hit, spans);
}

/**
 * A 206 the cache sliced from our stored copy, when it is exactly the answer
 * this request gets; else undefined (the caller falls back to the whole copy).
 * Its Content-Range names the stored body's real size: a copy whose body is
 * shorter than the size we stored with it (a truncated put) is never served.
 */
async function answerFromCachedPart(delivery: DeliveryRequest, part: Response): Promise<Prepared | undefined> {
  const served = parseContentRange(part.headers.get("Content-Range"));
  if (served === undefined || part.headers.get(STORED_SIZE_HEADER) !== String(served.size)) return undefined;
  const representation = await representationOfCached(delivery.key, part.headers, served.size);
  if (representation === undefined) return undefined;
  const answer = decideAnswer(delivery.asks, representation);
  if (answer.kind === "partial") {
    return answer.offset === served.offset && answer.length === served.length
      ? { representation, answer, body: part.body }
      : undefined;
  }
  if (answer.kind === "full") return undefined; // If-Range did not match: the whole copy answers
  await part.body?.cancel();
  return { representation, answer, body: null };
}

/** The answer from the whole cached copy (a bare lookup's, or the cache's 200 to a range that covers it). */
async function answerFromCachedWhole(
  delivery: DeliveryRequest,
  cache: Cache,
  cacheKey: string,
  hit: Response,
  spans: IoSpans,
): Promise<Prepared | undefined> {
  const length = hit.headers.get("Content-Length");
  const representation =
    length !== null && /^[0-9]{1,15}$/.test(length)
      ? await representationOfCached(delivery.key, hit.headers, Number(length))
      : undefined;
  if (representation === undefined) {
    // Not a copy this Worker stored (no length or validators): read from storage, which refills it.
    await hit.body?.cancel();
    return undefined;
  }
  const answer = decideAnswer(delivery.asks, representation);
  const wholeBody = answer.kind === "full" || (answer.kind === "partial" && answer.length === representation.size);
  if (wholeBody && delivery.request.method === "GET") return { representation, answer, body: hit.body };
  await hit.body?.cancel();
  if (answer.kind !== "partial") return { representation, answer, body: null };

  // One canonical range, computed here against the cached size.
  const rangeRequest = new Request(cacheKey, {
    headers: { Range: `bytes=${answer.offset}-${answer.offset + answer.length - 1}` },
  });
  const partial = await spans.span("cache", () => cache.match(rangeRequest));
  if (partial?.status !== 206 || partial.headers.get("ETag") !== representation.etag) {
    await partial?.body?.cancel();
    return undefined; // evicted or replaced between the two lookups: read from storage
  }
  return { representation, answer, body: partial.body };
}

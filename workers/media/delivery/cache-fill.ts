/** The cache fill: the whole object stored in the edge cache from a second, full R2 read, in the background and bounded per isolate. */
import { cacheTagFor } from "../../../shared/cache-tag";
import type { ObjectSource } from "../buckets";
import { cacheControlFor } from "../policy";
import type { DeliveryRequest, Representation } from "./model";
import { STORED_SIZE_HEADER, hasBody } from "./model";

/** Cache fills in flight in this isolate, by cache key: one full read per object at a time. */
const fillsInFlight = new Map<string, Promise<void>>();

/**
 * At most this many fills run at once in an isolate; a miss beyond it is
 * served without a fill (a later miss fills it). Each fill is a second R2
 * read and a cache write held in waitUntil: a burst of misses on many
 * distinct objects must not turn into as many background reads.
 */
export const MAX_FILLS_IN_FLIGHT = 16;

/**
 * Stores the whole object in the edge cache from a separate full R2 read, in
 * the background. Never a tee of the client's stream: its slower branch
 * would buffer in memory.
 */
export function maybeFillCache(
  delivery: DeliveryRequest,
  cacheKey: string,
  source: ObjectSource,
  representation: Representation,
  r2Etag: string,
): void {
  const { cache, settings } = delivery.config;
  if (cache === undefined || representation.size > settings.cacheMaxBytes) return;
  if (fillsInFlight.has(cacheKey) || fillsInFlight.size >= MAX_FILLS_IN_FLIGHT) return;
  const fill = (async () => {
    const object = await source.get(delivery.key, { onlyIf: { etagMatches: r2Etag } });
    if (object === null || !hasBody(object)) return; // replaced meanwhile: the next miss fills it
    const headers = new Headers({
      "Content-Type": representation.type.contentType,
      "Content-Length": String(representation.size),
      ETag: representation.etag,
      "Last-Modified": representation.lastModified,
      "Cache-Control": cacheControlFor(delivery.key, representation.servedFrom, settings),
      "Cache-Tag": cacheTagFor(delivery.bucket, delivery.key),
      "X-Served-From": representation.servedFrom,
      [STORED_SIZE_HEADER]: String(representation.size),
    });
    await cache.put(cacheKey, new Response(object.body, { status: 200, headers }));
  })()
    .catch(async (error: unknown) => {
      // A put whose body failed part-way can leave a truncated entry behind (workerd's cache does):
      // remove it, or every later hit would serve the broken copy until it expires.
      await cache.delete(cacheKey).catch(() => false);
      delivery.onFillError(error);
    })
    .finally(() => fillsInFlight.delete(cacheKey));
  fillsInFlight.set(cacheKey, fill);
  delivery.waitUntil(fill);
}

/** How many fills are in flight in this isolate (tests check the bound). */
export function fillsInFlightCount(): number {
  return fillsInFlight.size;
}

/**
 * Delivery of one verified object: edge cache first (keyed by bucket and
 * key), then R2 (main bucket, then fallback), with every range and
 * precondition decided by http-semantics.ts. The seams, in delivery/:
 * conditionals.ts, cache-read.ts, r2-read.ts, cache-fill.ts, answer.ts
 * (every answer: 200, 206, 304, 412, 416); the JSON 404 and 503 here.
 */
import { errorResponse } from "../../shared/errors";
import { cacheKeyFor } from "./policy";
import type { CacheStatus, Delivery, DeliveryRequest } from "./delivery/model";
import { IoSpans, ObjectChangedError } from "./delivery/model";
import { asksOf } from "./delivery/conditionals";
import { answerFromCache } from "./delivery/cache-read";
import { answerFromStorage } from "./delivery/r2-read";
import { respond } from "./delivery/answer";

/** Answers one GET or HEAD for a verified object, whatever happens (a storage failure is a JSON 503). */
export async function deliverMedia(input: Omit<DeliveryRequest, "asks">): Promise<Delivery> {
  const delivery: DeliveryRequest = { ...input, asks: asksOf(input.request) };
  const spans = new IoSpans();
  const { cache } = delivery.config;
  const cacheKey = cacheKeyFor(delivery.bucket, delivery.key);
  let cacheStatus: CacheStatus = "bypass";
  try {
    const fromCache = cache === undefined ? undefined : await answerFromCache(delivery, cache, cacheKey, spans);
    if (cache !== undefined) cacheStatus = fromCache === undefined ? "miss" : "hit";
    const prepared = fromCache ?? (await answerFromStorage(delivery, cacheKey, spans));
    if (prepared === undefined) {
      const response = errorResponse(404, "not_found", "No such media object.", delivery.requestId);
      return { response, cache: cacheStatus, bytes: 0, storageMs: spans.totalMs, inline: false };
    }
    return { ...respond(delivery, prepared, spans.serverTiming(cacheStatus), cacheStatus), storageMs: spans.totalMs };
  } catch (error) {
    const response = errorResponse(
      503,
      "storage_unavailable",
      "Media storage did not answer; try again.",
      delivery.requestId,
      { "Retry-After": "1" },
    );
    return {
      response,
      cache: cacheStatus,
      bytes: 0,
      storageMs: spans.totalMs,
      failure: error instanceof ObjectChangedError ? "object-changed" : "storage-failed",
      inline: false,
    };
  }
}

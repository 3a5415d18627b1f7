/** The R2 read: the main bucket, then the fallback, by metadata first when the request needs it; a miss fills the cache. */
import type { ServedFrom } from "../../../shared/log";
import type { ObjectSource } from "../buckets";
import { servedTypeFor } from "../policy";
import type { DeliveryRequest, Prepared, Representation, IoSpans } from "./model";
import { FULL, ObjectChangedError, hasBody } from "./model";
import { decideAnswer, needsMetadataFirst } from "./conditionals";
import { maybeFillCache } from "./cache-fill";

/** The first bucket in the chain that has the object, by metadata or with its body. */
async function findInChain<T extends R2Object>(
  delivery: DeliveryRequest,
  read: (source: ObjectSource) => Promise<T | null>,
): Promise<{ object: T; servedFrom: ServedFrom; source: ObjectSource } | undefined> {
  for (const { servedFrom, source } of delivery.config.chains[delivery.bucket].sources) {
    const object = await read(source);
    if (object !== null) return { object, servedFrom, source };
  }
  return undefined;
}

async function representationOfObject(key: string, object: R2Object, servedFrom: ServedFrom): Promise<Representation> {
  return {
    size: object.size,
    etag: object.httpEtag,
    lastModified: object.uploaded.toUTCString(),
    type: await servedTypeFor(key, object.httpMetadata?.contentType),
    servedFrom,
  };
}

/** The answer from R2, or undefined when no bucket in the chain has the object. Throws when R2 fails. */
export async function answerFromStorage(
  delivery: DeliveryRequest,
  cacheKey: string,
  spans: IoSpans,
): Promise<Prepared | undefined> {
  const { key, request } = delivery;

  if (!needsMetadataFirst(delivery)) {
    // Plain GET: one round trip, body and metadata together.
    const found = await spans.span("r2", () => findInChain(delivery, (source) => source.get(key)));
    if (found === undefined) return undefined;
    const { object } = found;
    if (!hasBody(object)) throw new ObjectChangedError(); // a get without onlyIf always has a body
    const representation = await representationOfObject(key, object, found.servedFrom);
    maybeFillCache(delivery, cacheKey, found.source, representation, object.etag);
    return { representation, answer: FULL, body: object.body };
  }

  const found = await spans.span("r2", () => findInChain(delivery, (source) => source.head(key)));
  if (found === undefined) return undefined;
  const representation = await representationOfObject(key, found.object, found.servedFrom);
  const answer = decideAnswer(delivery.asks, representation);
  if (request.method !== "GET" || (answer.kind !== "full" && answer.kind !== "partial")) {
    return { representation, answer, body: null };
  }

  // Our own validator from head(), never the client's: the body must be the object we just decided on.
  const options: R2GetOptions = { onlyIf: { etagMatches: found.object.etag } };
  if (answer.kind === "partial") options.range = { offset: answer.offset, length: answer.length };
  const object = await spans.span("r2", () => found.source.get(key, options));
  if (object === null || !hasBody(object)) throw new ObjectChangedError();
  maybeFillCache(delivery, cacheKey, found.source, representation, found.object.etag);
  return { representation, answer, body: object.body };
}

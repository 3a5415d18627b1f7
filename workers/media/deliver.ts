/**
 * Delivery of one verified object: edge cache first (keyed by bucket and
 * key), then R2 (main bucket, then fallback), with every range and
 * precondition decided here by http-semantics.ts. Every answer (200, 206,
 * 304, 412, 416, the JSON 404 and 503) is built here.
 */
import { cacheTagFor } from "../../shared/cache-tag";
import { errorResponse } from "../../shared/errors";
import type { ObjectSource } from "./buckets";
import type { BucketName } from "./buckets";
import type { ServedFrom } from "../../shared/log";
import type { MediaConfig } from "./config";
import type { ConditionalHeaders, RangeDecision, RangeSpec, Validators } from "./http-semantics";
import {
  conditionalHeaders,
  contentRange,
  evaluatePreconditions,
  ifRangeAllowsRange,
  parseContentRange,
  parseRangeSpec,
  rangeHeaderOf,
  resolveRange,
} from "./http-semantics";
import type { ServedType } from "./policy";
import { attachmentDisposition, cacheControlFor, cacheKeyFor, servedTypeFor } from "./policy";

type CacheStatus = "hit" | "miss" | "bypass";

/** What the request asks, read from its headers once. */
interface Asks {
  conditions: ConditionalHeaders;
  /** Whether any of the four precondition fields is present (most requests carry none). */
  conditional: boolean;
  /** The Range as read without the size (`whole` for a HEAD: Range applies to GET only). */
  range: RangeSpec;
  ifRange: string | null;
}

interface DeliveryRequest {
  request: Request;
  asks: Asks;
  requestId: string;
  bucket: BucketName;
  key: string;
  config: MediaConfig;
  /** A token's `dl` download name as a header: set on 200 and 206 answers (HEAD too), never stored in the cache. */
  contentDisposition?: string;
  waitUntil(promise: Promise<unknown>): void;
  /** Called when a background cache fill fails (the client's answer is unaffected). */
  onFillError(error: unknown): void;
}

interface Delivery {
  response: Response;
  cache: CacheStatus;
  servedFrom?: ServedFrom;
  /** Body bytes sent (0 for HEAD, 304, 412, 416 and the JSON errors). */
  bytes: number;
  /** Milliseconds spent waiting on the edge cache and R2 before answering. */
  storageMs: number;
  /** Why storage failed, when the response is the JSON 503. */
  failure?: "object-changed" | "storage-failed";
  /** The answer shows (200, 206) or revalidates (304) bytes of an inline type: a browser must be able to render it. */
  inline: boolean;
}

/** One stored object as both R2 and a cached copy describe it. */
interface Representation {
  size: number;
  /** Strong entity tag with quotes, as R2's `httpEtag`. */
  etag: string;
  /** The HTTP-date, as sent (a cached copy's header is used as stored, never re-formatted). */
  lastModified: string;
  /** Judged again on every answer, a cached copy's included: never the stored string as stored. */
  type: ServedType;
  servedFrom: ServedFrom;
}

/** The validators the RFC 9110 rules compare, parsed only for a request that has conditions. */
function validatorsOf(representation: Representation): Validators {
  return { etag: representation.etag, lastModified: new Date(representation.lastModified) };
}

/** What to answer, decided from the request and the representation alone. */
type Answer = { kind: "not-modified" } | { kind: "precondition-failed" } | RangeDecision;

/** A decided answer with the body it sends (null when it sends none). */
interface Prepared {
  representation: Representation;
  answer: Answer;
  body: ReadableStream | null;
}

const FULL: Answer = { kind: "full" };

/** Reads the request's conditionals and Range once. */
function asksOf(request: Request): Asks {
  const { headers } = request;
  const conditions = conditionalHeaders(headers);
  const range: RangeSpec = request.method === "GET" ? parseRangeSpec(headers.get("Range")) : { kind: "whole" };
  return {
    conditions,
    conditional:
      conditions.ifMatch !== null ||
      conditions.ifNoneMatch !== null ||
      conditions.ifModifiedSince !== null ||
      conditions.ifUnmodifiedSince !== null,
    range,
    // If-Range only qualifies a range: without one it is never read.
    ifRange: range.kind === "whole" ? null : headers.get("If-Range"),
  };
}

/** §13.2.2 preconditions, then If-Range, then Range (GET only: a HEAD answers as the full GET would). */
function decideAnswer(asks: Asks, representation: Representation): Answer {
  if (asks.conditional) {
    const outcome = evaluatePreconditions(asks.conditions, validatorsOf(representation));
    if (outcome !== "proceed") return { kind: outcome };
  }
  if (asks.range.kind === "whole") return FULL;
  if (asks.ifRange !== null && !ifRangeAllowsRange(asks.ifRange, validatorsOf(representation))) return FULL;
  return resolveRange(asks.range, representation.size);
}

/** Whether the request asks anything that needs the object's metadata before its body. */
function needsMetadataFirst(delivery: DeliveryRequest): boolean {
  return delivery.request.method !== "GET" || delivery.asks.conditional || delivery.request.headers.has("Range");
}

/** Durations of I/O spans only (in production, timers do not advance during CPU work). */
class IoSpans {
  private spans = "";
  /** The spans' total, in ms. */
  totalMs = 0;

  async span<T>(name: "cache" | "r2", work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await work();
    } finally {
      const elapsed = Date.now() - started;
      this.totalMs += elapsed;
      this.spans += `, ${name}-io;dur=${elapsed}`;
    }
  }

  serverTiming(cacheStatus: CacheStatus): string {
    return `cache;desc=${cacheStatus}${this.spans}`;
  }
}

/** The object was replaced or deleted between reading its metadata and its body. */
class ObjectChangedError extends Error {
  override readonly name = "ObjectChangedError";
  constructor() {
    super("object changed during the read");
  }
}

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

/**
 * The object's size, stored with every cached copy: the cache answers a range
 * with a Content-Length of the part only, and a Content-Range whose size is
 * the stored body's, so a mismatch exposes a truncated copy.
 */
const STORED_SIZE_HEADER = "X-Object-Size";

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
async function answerFromCache(
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

function hasBody(object: R2Object | R2ObjectBody): object is R2ObjectBody {
  return "body" in object;
}

/** The answer from R2, or undefined when no bucket in the chain has the object. Throws when R2 fails. */
async function answerFromStorage(
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
function maybeFillCache(
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

/** Builds the answer's headers (in one record, handed to the Response once) and body from the representation and the decision. */
function respond(
  delivery: DeliveryRequest,
  prepared: Prepared,
  serverTiming: string,
  cacheStatus: CacheStatus,
): Omit<Delivery, "storageMs"> {
  const { key, request, config } = delivery;
  const { representation, answer } = prepared;
  const headers: Record<string, string> = {
    "Accept-Ranges": "bytes",
    ETag: representation.etag,
    "Last-Modified": representation.lastModified,
    "Cache-Control": cacheControlFor(key, representation.servedFrom, config.settings),
    "X-Served-From": representation.servedFrom,
    "Server-Timing": serverTiming,
  };
  const result = (status: number, body: ReadableStream | null, bytes: number): Omit<Delivery, "storageMs"> => ({
    response: new Response(body, { status, headers }),
    cache: cacheStatus,
    servedFrom: representation.servedFrom,
    bytes,
    // A 304's headers update the browser's stored answer: they must not sandbox an inline one.
    inline: representation.type.inline && status !== 412 && status !== 416,
  });

  if (answer.kind === "not-modified") return result(304, null, 0);
  if (answer.kind === "precondition-failed" || answer.kind === "unsatisfiable") {
    headers["Content-Length"] = "0";
    if (answer.kind === "unsatisfiable") headers["Content-Range"] = `bytes */${representation.size}`;
    return result(answer.kind === "unsatisfiable" ? 416 : 412, null, 0);
  }

  headers["Content-Type"] = representation.type.contentType;
  if (!representation.type.inline) headers["Content-Disposition"] = attachmentDisposition(key);
  if (delivery.contentDisposition !== undefined) headers["Content-Disposition"] = delivery.contentDisposition;
  const length = answer.kind === "partial" ? answer.length : representation.size;
  if (answer.kind === "partial")
    headers["Content-Range"] = contentRange(answer.offset, answer.length, representation.size);
  headers["Content-Length"] = String(length);
  const get = request.method === "GET";
  return result(answer.kind === "partial" ? 206 : 200, get ? prepared.body : null, get ? length : 0);
}

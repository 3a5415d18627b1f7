/**
 * Delivery of one verified object: edge cache first (keyed by bucket and
 * key), then R2 (main bucket, then fallback), with every range and
 * precondition decided here by http-semantics.ts.
 */
import type { BucketChain, BucketName, ObjectSource } from "./buckets";
import type { RangeDecision, Validators } from "./http-semantics";
import { conditionalHeaders, contentRange, evaluatePreconditions, ifRangeAllowsRange, parseRange } from "./http-semantics";
import { cacheTagFor } from "../../shared/cache-tag";
import type { ServedFrom } from "../../shared/log";
import type { CachePolicySettings } from "./policy";
import { attachmentHeaders, cacheControlFor, cacheKeyFor, contentTypeFor, corsHeaders, isInlineType } from "./policy";

export type CacheStatus = "hit" | "miss" | "bypass";

export interface DeliverySettings extends CachePolicySettings {
  /** Largest object stored in the edge cache; 0 turns the cache off. */
  cacheMaxBytes: number;
  corsOrigins: ReadonlySet<string>;
  /** Share of successful deliveries logged as "media-served" (failures always are). */
  servedLogRate: number;
}

export interface DeliveryRequest {
  request: Request;
  bucket: BucketName;
  key: string;
  chain: BucketChain;
  settings: DeliverySettings;
  /** A token's `dl` download name as a header: set on 200 and 206 answers (HEAD too), never stored in the cache. */
  contentDisposition?: string;
  /** caches.default, or undefined where there is no cache. */
  cache: Cache | undefined;
  waitUntil(promise: Promise<unknown>): void;
  /** Called when a background cache fill fails (the client's answer is unaffected). */
  onFillError(error: unknown): void;
}

export interface Delivery {
  /** Undefined when no bucket in the chain has the object (the caller answers its JSON 404). */
  response: Response | undefined;
  cache: CacheStatus;
  servedFrom?: ServedFrom;
  /** Body bytes sent (0 for HEAD, 304, 412, 416). */
  bytes: number;
}

/** One stored object as both R2 and a cached copy describe it. */
interface Representation {
  size: number;
  validators: Validators;
  contentType: string;
  servedFrom: ServedFrom;
}

/** What to answer, decided from the request and the representation alone. */
type Answer = { kind: "not-modified" } | { kind: "precondition-failed" } | RangeDecision;

/** §13.2.2 preconditions, then If-Range, then Range (GET only: a HEAD answers as the full GET would). */
export function decideAnswer(request: Request, representation: Representation): Answer {
  const outcome = evaluatePreconditions(conditionalHeaders(request.headers), representation.validators);
  if (outcome !== "proceed") return { kind: outcome };
  if (request.method !== "GET") return { kind: "full" };
  const range = request.headers.get("Range");
  if (range === null || !ifRangeAllowsRange(request.headers.get("If-Range"), representation.validators)) return { kind: "full" };
  return parseRange(range, representation.size);
}

/** Whether the request asks anything that needs the object's metadata before its body. */
function needsMetadataFirst(request: Request): boolean {
  const headers = request.headers;
  return (
    request.method !== "GET" ||
    headers.has("Range") ||
    headers.has("If-Match") ||
    headers.has("If-None-Match") ||
    headers.has("If-Modified-Since") ||
    headers.has("If-Unmodified-Since")
  );
}

/** Durations of I/O spans only (in production, timers do not advance during CPU work). */
class ServerTiming {
  private readonly spans: string[] = [];
  cacheStatus: CacheStatus = "bypass";

  async span<T>(name: "cache" | "r2", work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await work();
    } finally {
      this.spans.push(`${name}-io;dur=${Date.now() - started}`);
    }
  }

  header(): string {
    return [`cache;desc=${this.cacheStatus}`, ...this.spans].join(", ");
  }
}

/** Answers one GET or HEAD for a verified object. Throws when R2 fails (the caller answers 503). */
export async function deliverMedia(delivery: DeliveryRequest): Promise<Delivery> {
  const timing = new ServerTiming();
  const { cache } = delivery;
  const cacheKey = cacheKeyFor(delivery.bucket, delivery.key);

  if (cache !== undefined && delivery.settings.cacheMaxBytes > 0) {
    // A bare lookup: the client's conditionals and Range are decided here, never by the cache.
    const hit = await timing.span("cache", () => cache.match(cacheKey));
    if (hit !== undefined) {
      timing.cacheStatus = "hit";
      const served = await answerFromCache(delivery, hit, cacheKey, cache, timing);
      if (served !== undefined) return served;
    } else {
      timing.cacheStatus = "miss";
    }
  }
  return answerFromStorage(delivery, cacheKey, timing);
}

function representationOfCached(hit: Response): Representation | undefined {
  const length = hit.headers.get("Content-Length");
  const etag = hit.headers.get("ETag");
  const lastModified = hit.headers.get("Last-Modified");
  const servedFrom = hit.headers.get("X-Served-From");
  if (length === null || !/^[0-9]{1,15}$/.test(length) || etag === null || lastModified === null) return undefined;
  return {
    size: Number(length),
    validators: { etag, lastModified: new Date(lastModified) },
    contentType: hit.headers.get("Content-Type") ?? "application/octet-stream",
    servedFrom: servedFrom === "fallback" ? "fallback" : "main",
  };
}

async function answerFromCache(
  delivery: DeliveryRequest,
  hit: Response,
  cacheKey: string,
  cache: Cache,
  timing: ServerTiming,
): Promise<Delivery | undefined> {
  const representation = representationOfCached(hit);
  if (representation === undefined) {
    // Not a copy this Worker stored (no length or validators): read from storage, which refills it.
    await hit.body?.cancel();
    timing.cacheStatus = "miss";
    return undefined;
  }
  const answer = decideAnswer(delivery.request, representation);
  if (answer.kind === "full" && delivery.request.method === "GET") {
    return respond(delivery, representation, answer, hit.body, timing);
  }
  await hit.body?.cancel();
  if (answer.kind !== "partial") return respond(delivery, representation, answer, null, timing);

  // One canonical range, computed here against the cached size.
  const rangeRequest = new Request(cacheKey, { headers: { Range: `bytes=${answer.offset}-${answer.offset + answer.length - 1}` } });
  const partial = await timing.span("cache", () => cache.match(rangeRequest));
  if (partial?.status !== 206 || partial.headers.get("ETag") !== representation.validators.etag) {
    await partial?.body?.cancel();
    timing.cacheStatus = "miss"; // evicted or replaced between the two lookups: read from storage
    return undefined;
  }
  return respond(delivery, representation, answer, partial.body, timing);
}

/** The first bucket in the chain that has the object, by metadata or with its body. */
async function findInChain<T extends R2Object>(
  chain: BucketChain,
  read: (source: ObjectSource) => Promise<T | null>,
): Promise<{ object: T; servedFrom: ServedFrom; source: ObjectSource } | undefined> {
  for (const { servedFrom, source } of chain.sources) {
    const object = await read(source);
    if (object !== null) return { object, servedFrom, source };
  }
  return undefined;
}

function representationOfObject(key: string, object: R2Object, servedFrom: ServedFrom): Representation {
  return {
    size: object.size,
    validators: { etag: object.httpEtag, lastModified: object.uploaded },
    contentType: contentTypeFor(key, object.httpMetadata?.contentType),
    servedFrom,
  };
}

function hasBody(object: R2Object | R2ObjectBody): object is R2ObjectBody {
  return "body" in object;
}

async function answerFromStorage(delivery: DeliveryRequest, cacheKey: string, timing: ServerTiming): Promise<Delivery> {
  const { chain, key, request } = delivery;

  if (!needsMetadataFirst(request)) {
    // Plain GET: one round trip, body and metadata together.
    const found = await timing.span("r2", () => findInChain(chain, (source) => source.get(key)));
    if (found === undefined) return notFound(timing);
    const { object } = found;
    if (!hasBody(object)) throw new ObjectChangedError(); // a get without onlyIf always has a body
    const representation = representationOfObject(key, object, found.servedFrom);
    maybeFillCache(delivery, cacheKey, found.source, representation, object.etag);
    return respond(delivery, representation, { kind: "full" }, object.body, timing);
  }

  const found = await timing.span("r2", () => findInChain(chain, (source) => source.head(key)));
  if (found === undefined) return notFound(timing);
  const representation = representationOfObject(key, found.object, found.servedFrom);
  const answer = decideAnswer(request, representation);
  if (request.method !== "GET" || (answer.kind !== "full" && answer.kind !== "partial")) {
    return respond(delivery, representation, answer, null, timing);
  }

  // Our own validator from head(), never the client's: the body must be the object we just decided on.
  const options: R2GetOptions = { onlyIf: { etagMatches: found.object.etag } };
  if (answer.kind === "partial") options.range = { offset: answer.offset, length: answer.length };
  const object = await timing.span("r2", () => found.source.get(key, options));
  if (object === null || !hasBody(object)) throw new ObjectChangedError();
  maybeFillCache(delivery, cacheKey, found.source, representation, found.object.etag);
  return respond(delivery, representation, answer, object.body, timing);
}

/** The object was replaced or deleted between reading its metadata and its body. */
export class ObjectChangedError extends Error {
  override readonly name = "ObjectChangedError";
  constructor() {
    super("object changed during the read");
  }
}

/** Cache fills in flight in this isolate, by cache key: one full read per object at a time. */
const fillsInFlight = new Map<string, Promise<void>>();

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
  const { cache, settings } = delivery;
  if (cache === undefined || settings.cacheMaxBytes <= 0 || representation.size > settings.cacheMaxBytes) return;
  if (fillsInFlight.has(cacheKey)) return;
  const fill = (async () => {
    const object = await source.get(delivery.key, { onlyIf: { etagMatches: r2Etag } });
    if (object === null || !hasBody(object)) return; // replaced meanwhile: the next miss fills it
    const headers = new Headers({
      "Content-Type": representation.contentType,
      "Content-Length": String(representation.size),
      ETag: representation.validators.etag,
      "Last-Modified": representation.validators.lastModified.toUTCString(),
      "Cache-Control": cacheControlFor(delivery.key, representation.servedFrom, settings),
      "Cache-Tag": cacheTagFor(delivery.bucket, delivery.key),
      "X-Served-From": representation.servedFrom,
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

/** The waiting fill for a cache key, if any (tests wait on it instead of sleeping). */
export function cacheFillFor(bucket: BucketName, key: string): Promise<void> | undefined {
  return fillsInFlight.get(cacheKeyFor(bucket, key));
}

function notFound(timing: ServerTiming): Delivery {
  return { response: undefined, cache: timing.cacheStatus, bytes: 0 };
}

/** Builds the answer's headers and body from the representation and the decision. */
function respond(
  delivery: DeliveryRequest,
  representation: Representation,
  answer: Answer,
  body: ReadableStream | null,
  timing: ServerTiming,
): Delivery {
  const { key, request, settings } = delivery;
  const headers = new Headers({
    "Accept-Ranges": "bytes",
    ETag: representation.validators.etag,
    "Last-Modified": representation.validators.lastModified.toUTCString(),
    "Cache-Control": cacheControlFor(key, representation.servedFrom, settings),
    "X-Content-Type-Options": "nosniff",
    "X-Served-From": representation.servedFrom,
    "Server-Timing": timing.header(),
    ...corsHeaders(request.headers.get("Origin"), settings.corsOrigins),
  });
  const result = (status: number, responseBody: ReadableStream | null, bytes: number): Delivery => ({
    response: new Response(responseBody, { status, headers }),
    cache: timing.cacheStatus,
    servedFrom: representation.servedFrom,
    bytes,
  });

  if (answer.kind === "not-modified") return result(304, null, 0);
  if (answer.kind === "precondition-failed" || answer.kind === "unsatisfiable") {
    headers.set("Content-Length", "0");
    if (answer.kind === "unsatisfiable") headers.set("Content-Range", `bytes */${representation.size}`);
    return result(answer.kind === "unsatisfiable" ? 416 : 412, null, 0);
  }

  headers.set("Content-Type", representation.contentType);
  if (!isInlineType(representation.contentType)) {
    for (const [name, value] of Object.entries(attachmentHeaders(key))) headers.set(name, value);
  }
  if (delivery.contentDisposition !== undefined) headers.set("Content-Disposition", delivery.contentDisposition);
  if (answer.kind === "partial") {
    headers.set("Content-Range", contentRange(answer.offset, answer.length, representation.size));
    headers.set("Content-Length", String(answer.length));
    return result(206, request.method === "GET" ? body : null, request.method === "GET" ? answer.length : 0);
  }
  headers.set("Content-Length", String(representation.size));
  return result(200, request.method === "GET" ? body : null, request.method === "GET" ? representation.size : 0);
}

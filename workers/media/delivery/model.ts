/** What one delivery works with: the request as asked, the representation, the decided answer, its I/O spans. */
import type { ServedFrom } from "../../../shared/log";
import type { BucketName } from "../buckets";
import type { MediaConfig } from "../config";
import type { ConditionalHeaders, RangeDecision, RangeSpec } from "../http-semantics";
import type { ServedType } from "../policy";

export type CacheStatus = "hit" | "miss" | "bypass";

/** What the request asks, read from its headers once. */
export interface Asks {
  conditions: ConditionalHeaders;
  /** Whether any of the four precondition fields is present (most requests carry none). */
  conditional: boolean;
  /** The Range as read without the size (`whole` for a HEAD: Range applies to GET only). */
  range: RangeSpec;
  ifRange: string | null;
}

export interface DeliveryRequest {
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

export interface Delivery {
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
export interface Representation {
  size: number;
  /** Strong entity tag with quotes, as R2's `httpEtag`. */
  etag: string;
  /** The HTTP-date, as sent (a cached copy's header is used as stored, never re-formatted). */
  lastModified: string;
  /** Judged again on every answer, a cached copy's included: never the stored string as stored. */
  type: ServedType;
  servedFrom: ServedFrom;
}

/** What to answer, decided from the request and the representation alone. */
export type Answer = { kind: "not-modified" } | { kind: "precondition-failed" } | RangeDecision;

/** A decided answer with the body it sends (null when it sends none). */
export interface Prepared {
  representation: Representation;
  answer: Answer;
  body: ReadableStream | null;
}

export const FULL: Answer = { kind: "full" };

/** Durations of I/O spans only (in production, timers do not advance during CPU work). */
export class IoSpans {
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
export class ObjectChangedError extends Error {
  override readonly name = "ObjectChangedError";
  constructor() {
    super("object changed during the read");
  }
}

/**
 * The object's size, stored with every cached copy: the cache answers a range
 * with a Content-Length of the part only, and a Content-Range whose size is
 * the stored body's, so a mismatch exposes a truncated copy.
 */
export const STORED_SIZE_HEADER = "X-Object-Size";

/** Whether R2 answered with the object's body (a get), not only its metadata (a head, or a get whose condition failed). */
export function hasBody(object: R2Object | R2ObjectBody): object is R2ObjectBody {
  return "body" in object;
}

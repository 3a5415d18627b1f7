/**
 * One Workers Analytics Engine data point per answer, from every Worker, into
 * the dataset bound as METRICS. The schema (which field is which blob or
 * double) is POINT_SCHEMA below, in one place: the writer, the tests' reader
 * and the SQL in docs/operations.md follow it.
 *
 * Point fields are closed vocabularies and numbers, never a path, a key, a
 * token or a header value: a data point is kept and queried like a log line.
 */
import type { ServedFrom } from "./log.ts";
import type { WorkerName } from "./worker-names.ts";

/** What kind of request a Worker answered, per Worker. */
export type RouteKind =
  // router
  | "forward-media"
  | "forward-api"
  | "endpoint"
  | "build-asset"
  | "spa"
  // media
  | "object"
  | "prefix"
  | "upload"
  | "preflight"
  | "no-route"
  // api
  | "http"
  | "event-stream"
  | "websocket";

/** What a Worker notes about a request while answering it; the status and the duration come from the answer. */
export interface PointFields {
  routeKind: RouteKind;
  cache?: "hit" | "miss" | "bypass";
  servedFrom?: ServedFrom;
  /** Why a media token was refused (`expired`, `invalid: signature`, …): set on 401s only. */
  reason?: string;
  bucket?: string;
  kid?: string;
  /** Body bytes sent; when not noted, the answer's Content-Length (0 for HEAD and bodies of unknown length). */
  bytes?: number;
  /** Milliseconds the Worker waited for what it called (a service, the backend, storage); absent when it called nothing. */
  upstreamMs?: number;
}

/** A data point as written: the field names, in the order of the dataset's columns. */
export interface DecodedPoint {
  worker: string;
  routeKind: string;
  cache: string;
  servedFrom: string;
  reason: string;
  bucket: string;
  kid: string;
  version: string;
  method: string;
  status: number;
  bytes: number;
  durationMs: number;
  /** -1 when the Worker called nothing upstream. */
  upstreamMs: number;
}

type BlobName = { [K in keyof DecodedPoint]: DecodedPoint[K] extends string ? K : never }[keyof DecodedPoint];
type DoubleName = { [K in keyof DecodedPoint]: DecodedPoint[K] extends number ? K : never }[keyof DecodedPoint];

/**
 * The dataset's columns: `index1` is the Worker (the sampling key); `blob<N>`
 * and `double<N>` are these names in order (blob1 = worker, …, double1 =
 * status, …). Append only: a deployed Worker writes by position.
 */
export const POINT_SCHEMA = {
  index: "worker",
  blobs: ["worker", "routeKind", "cache", "servedFrom", "reason", "bucket", "kid", "version", "method"],
  doubles: ["status", "bytes", "durationMs", "upstreamMs"],
} as const satisfies { index: BlobName; blobs: readonly BlobName[]; doubles: readonly DoubleName[] };

/**
 * One request's data point: made at the Worker's entry, noted on while the
 * request is answered, written once from the answer (`answered`) or from the
 * exception that replaced it (`failed`, a 500). A second write is ignored.
 */
export class RequestMetrics {
  private readonly started = Date.now();
  private readonly fields: PointFields;
  private written = false;

  constructor(
    private readonly dataset: AnalyticsEngineDataset,
    private readonly worker: WorkerName,
    private readonly version: WorkerVersionMetadata,
    private readonly method: string,
    routeKind: RouteKind,
  ) {
    this.fields = { routeKind };
  }

  /** Adds what the Worker learnt about the request (a later note wins). */
  note(fields: Partial<PointFields>): void {
    Object.assign(this.fields, fields);
  }

  /** The upstream call's answer, with the time it took noted as `upstreamMs`. */
  async timeUpstream<T>(call: Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await call;
    } finally {
      this.fields.upstreamMs = Date.now() - started;
    }
  }

  /** Writes the point for this answer and hands the answer on. */
  answered(response: Response): Response {
    const declared = this.method === "HEAD" ? 0 : Number(response.headers.get("Content-Length") ?? "0");
    this.write(response.status, this.fields.bytes ?? (Number.isFinite(declared) ? declared : 0));
    return response;
  }

  /** Writes the point of a request whose handler threw: the runtime answers it with a 500. */
  failed(): void {
    this.write(500, 0);
  }

  private write(status: number, bytes: number): void {
    if (this.written) return;
    this.written = true;
    const point: DecodedPoint = {
      worker: this.worker,
      routeKind: this.fields.routeKind,
      cache: this.fields.cache ?? "",
      servedFrom: this.fields.servedFrom ?? "",
      reason: this.fields.reason ?? "",
      bucket: this.fields.bucket ?? "",
      kid: this.fields.kid ?? "",
      version: this.version.id,
      method: this.method,
      status,
      bytes,
      durationMs: Date.now() - this.started,
      upstreamMs: this.fields.upstreamMs ?? -1,
    };
    this.dataset.writeDataPoint({
      indexes: [point[POINT_SCHEMA.index]],
      blobs: POINT_SCHEMA.blobs.map((name) => point[name]),
      doubles: POINT_SCHEMA.doubles.map((name) => point[name]),
    });
  }
}

/** Runs a Worker's handler and writes its one data point, whether it answers or throws. */
export async function recordedAnswer(metrics: RequestMetrics, answer: () => Promise<Response>): Promise<Response> {
  try {
    return metrics.answered(await answer());
  } catch (error) {
    metrics.failed();
    throw error;
  }
}

/** A written data point read back by POINT_SCHEMA (tests and tooling; the Workers only write). */
export function decodePoint(point: AnalyticsEngineDataPoint): DecodedPoint {
  const blob = (name: BlobName): string => {
    const value = point.blobs?.[POINT_SCHEMA.blobs.indexOf(name)];
    return typeof value === "string" ? value : "";
  };
  const double = (name: DoubleName): number => point.doubles?.[POINT_SCHEMA.doubles.indexOf(name)] ?? Number.NaN;
  return {
    worker: blob("worker"),
    routeKind: blob("routeKind"),
    cache: blob("cache"),
    servedFrom: blob("servedFrom"),
    reason: blob("reason"),
    bucket: blob("bucket"),
    kid: blob("kid"),
    version: blob("version"),
    method: blob("method"),
    status: double("status"),
    bytes: double("bytes"),
    durationMs: double("durationMs"),
    upstreamMs: double("upstreamMs"),
  };
}

/**
 * A recording stand-in for the METRICS Analytics Engine binding. A test double
 * on purpose: the local simulator (Miniflare) accepts writeDataPoint() and
 * discards the point, so nothing local can read a written point back.
 */
import type { RequestContext } from "../shared/context";
import { requestContext } from "../shared/context";
import { createLogger } from "../shared/log";
import type { DecodedPoint } from "../shared/metrics";
import { RequestMetrics, decodePoint } from "../shared/metrics";
import type { WorkerName } from "../shared/worker-names";

export interface RecordingDataset extends AnalyticsEngineDataset {
  /** Every point written, read back by the schema, in order. */
  readonly points: DecodedPoint[];
}

export function recordingDataset(): RecordingDataset {
  const points: DecodedPoint[] = [];
  return {
    points,
    writeDataPoint(point?: AnalyticsEngineDataPoint): void {
      points.push(decodePoint(point ?? {}));
    },
  };
}

/** A request's context for calling a Worker's functions below its entry, with its data point recorded. */
export function testContext(worker: WorkerName, requestId: string): RequestContext {
  const version: WorkerVersionMetadata = { id: "test-version", tag: "", timestamp: "" };
  return requestContext(
    requestId,
    createLogger(worker),
    new RequestMetrics(recordingDataset(), worker, version, "GET", "http"),
  );
}

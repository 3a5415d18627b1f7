/**
 * A recording stand-in for the METRICS Analytics Engine binding. A test double
 * on purpose: the local simulator (Miniflare) accepts writeDataPoint() and
 * discards the point, so nothing local can read a written point back.
 */
import type { DecodedPoint } from "../shared/metrics";
import { decodePoint } from "../shared/metrics";

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

/**
 * Large objects through the router: a 1 MiB range at the start vs at the end
 * of a 1 GiB object (time to first byte, time to last byte, throughput), and
 * workerd's peak RSS while one full 1 GiB stream is served.
 */
import { request as httpRequest } from "node:http";
import { rssBytes, sampleRss } from "./processes.ts";
import type { Spread } from "./stats.ts";
import { interleave, spread } from "./stats.ts";

export const LARGE_OBJECT_BYTES = 1024 ** 3;
export const RANGE_BYTES = 1024 ** 2;

interface Timed {
  status: number;
  bytes: number;
  ttfbMs: number;
  totalMs: number;
}

/** One GET, body read and discarded; times to the headers and to the last byte. */
export function timedGet(url: string, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(url, { agent: false, headers }, (response) => {
      const ttfbMs = performance.now() - started;
      let bytes = 0;
      response.on("data", (chunk: Buffer) => (bytes += chunk.length));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, bytes, ttfbMs, totalMs: performance.now() - started }),
      );
      response.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

export interface LargeObjectSummary {
  objectBytes: number;
  rangeBytes: number;
  start: { ttfbMs: Spread; totalMs: Spread; mibPerSecond: Spread };
  end: { ttfbMs: Spread; totalMs: Spread; mibPerSecond: Spread };
  /** end / start, per round. */
  endOverStartTotal: Spread;
  endOverStartTtfb: Spread;
  fullStream: {
    status: number;
    bytes: number;
    seconds: number;
    mibPerSecond: number;
    rssBeforeMiB: number;
    rssPeakMiB: number;
    rssGrowthMiB: number;
  };
}

const MIB = 1024 ** 2;

export async function measureLargeObject(
  url: string,
  workerdPid: number,
  rounds: number,
  requestsPerRound = 3,
): Promise<LargeObjectSummary> {
  const ranges = {
    start: `bytes=0-${RANGE_BYTES - 1}`,
    end: `bytes=${LARGE_OBJECT_BYTES - RANGE_BYTES}-${LARGE_OBJECT_BYTES - 1}`,
  };
  const results = await interleave(["start", "end"] as const, rounds, async (where) => {
    const runs: Timed[] = [];
    for (let i = 0; i < requestsPerRound; i++) {
      const timed = await timedGet(url, { Range: ranges[where] });
      if (timed.status !== 206 || timed.bytes !== RANGE_BYTES)
        throw new Error(`bench: range at ${where} answered ${timed.status} with ${timed.bytes} bytes`);
      runs.push(timed);
    }
    const ttfb = spread(runs.map((run) => run.ttfbMs)).median;
    const total = spread(runs.map((run) => run.totalMs)).median;
    return { ttfb, total };
  });
  const side = (where: "start" | "end") => ({
    ttfbMs: spread(results[where].map((run) => run.ttfb)),
    totalMs: spread(results[where].map((run) => run.total)),
    mibPerSecond: spread(results[where].map((run) => RANGE_BYTES / MIB / (run.total / 1000))),
  });

  const rssBefore = rssBytes(workerdPid);
  const sampler = sampleRss(workerdPid);
  const full = await timedGet(url, {}, 300_000);
  const rssPeak = sampler.stop();
  return {
    objectBytes: LARGE_OBJECT_BYTES,
    rangeBytes: RANGE_BYTES,
    start: side("start"),
    end: side("end"),
    endOverStartTotal: spread(results.end.map((run, round) => run.total / (results.start[round]?.total ?? Number.NaN))),
    endOverStartTtfb: spread(results.end.map((run, round) => run.ttfb / (results.start[round]?.ttfb ?? Number.NaN))),
    fullStream: {
      status: full.status,
      bytes: full.bytes,
      seconds: full.totalMs / 1000,
      mibPerSecond: full.bytes / MIB / (full.totalMs / 1000),
      rssBeforeMiB: rssBefore / MIB,
      rssPeakMiB: rssPeak / MIB,
      rssGrowthMiB: (rssPeak - rssBefore) / MIB,
    },
  };
}

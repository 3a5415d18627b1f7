/**
 * Streaming stays out of the heap: the media isolate's V8 heap while one
 * full 1 GiB object is served, and the api and router isolates' heaps with
 * 1,000 event streams open and after they close. Its own gateway with
 * workerd's inspector on (scripts/isolate-heap.ts; a forced full collection
 * before every reading), so no other section runs with an inspector attached.
 */
import type { HeapReading, IsolateSession } from "../scripts/isolate-heap.ts";
import { mib, nudgeOnce, openIsolates, workerTarget } from "../scripts/isolate-heap.ts";
import type { GatewayOptions } from "./harness.ts";
import { startGateway } from "./harness.ts";
import { timedGet } from "./large-objects.ts";
import { API_JSON_PATH } from "./origin-bodies.ts";
import { PORTS } from "./ports.ts";
import type { SseRig } from "./sse.ts";

const KIB = 1024;

export interface HeapDelta {
  beforeBytes: number;
  /** The largest reading during the load. */
  duringBytes: number;
  afterBytes: number;
}

export interface IsolateHeapsSection {
  /** gateway-media while one full 1 GiB GET is served through the router. */
  largeObject?: HeapDelta & { objectBytes: number; readings: number };
  /** gateway-api and gateway-router with `streams` event streams open (router -> api -> origin), and after they closed. */
  sse?: { streams: number; byWorker: Record<string, HeapDelta> };
  unavailable?: string;
}

/** Growth under the load, per unit (bytes per stream, or in all for one object). */
export function growthBytes(delta: HeapDelta, units = 1): number {
  return (delta.duringBytes - delta.beforeBytes) / units;
}

/** How far the heap is from where it started once the load is gone, in percent. */
export function afterChangePercent(delta: HeapDelta): number {
  return delta.beforeBytes > 0 ? ((delta.afterBytes - delta.beforeBytes) / delta.beforeBytes) * 100 : Number.NaN;
}

export async function measureIsolateHeaps(
  options: GatewayOptions,
  rig: SseRig,
  largePath: string | undefined,
  streams: number,
  events: number,
  settleMs: number,
): Promise<IsolateHeapsSection> {
  const gateway = await startGateway({
    ...options,
    sseOriginUrl: rig.originUrl,
    sockets: new Set(["routerNoAssets", "media"] as const),
    inspectorPort: PORTS.inspector,
  });
  const names = ["gateway-router-no-assets", "gateway-media", "gateway-api"];
  let sessions: Map<string, IsolateSession> | undefined;
  try {
    sessions = await openIsolates(PORTS.inspector, names.map(workerTarget));
    const router = gateway.url("routerNoAssets");
    // A collection runs only when a request enters workerd: one through router -> api (the origin's JSON) and one to media (a 401).
    const nudge = async (): Promise<void> => {
      await Promise.all(
        [`${router}${API_JSON_PATH}`, `${gateway.url("media")}/media/v1/heap-nudge`].map((url) => nudgeOnce(url)),
      );
    };
    const read = async (name: string): Promise<HeapReading> => {
      const session = sessions?.get(workerTarget(name));
      if (!session) throw new Error(`bench: no inspector session for ${name}`);
      const reading = await session.heap(nudge);
      if (!reading.collected)
        throw new Error(`bench: the forced collection in ${name} did not finish; its reading would include garbage`);
      return reading;
    };
    const section: IsolateHeapsSection = {};

    if (largePath !== undefined) {
      const before = await read("gateway-media");
      let during = before.usedBytes;
      let readings = 0;
      let done = false;
      const stream = timedGet(`${router}${largePath}`, {}, 300_000).finally(() => (done = true));
      while (!done) {
        during = Math.max(during, (await read("gateway-media")).usedBytes);
        readings += 1;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const full = await stream;
      if (full.status !== 200) throw new Error(`bench: the 1 GiB GET answered ${full.status} with ${full.bytes} bytes`);
      const after = await read("gateway-media");
      section.largeObject = {
        beforeBytes: before.usedBytes,
        duringBytes: during,
        afterBytes: after.usedBytes,
        objectBytes: full.bytes,
        readings,
      };
    }

    const sseWorkers = ["gateway-api", "gateway-router-no-assets"];
    const readAll = async (): Promise<number[]> => {
      const used: number[] = [];
      for (const name of sseWorkers) used.push((await read(name)).usedBytes);
      return used;
    };
    let during: number[] = [];
    const streamsOnce = async (whileAllOpen?: () => Promise<void>): Promise<void> => {
      const result = await rig.run(
        {
          id: "router-api",
          description: "router + api, heap readings",
          url: `${router}/api/events`,
          proxyPids: () => [gateway.workerdPid],
          ...(whileAllOpen ? { whileAllOpen } : {}),
        },
        streams,
        events,
        settleMs,
      );
      if (result.failedStreams > 0)
        throw new Error(`bench: ${result.failedStreams} of ${streams} event streams failed in the heap run`);
    };
    // A first round of as many streams, unmeasured: what the isolates set up once (compiled code, pools sized for the peak) is not per stream.
    await streamsOnce();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = await readAll();
    await streamsOnce(async () => {
      during = await readAll();
    });
    // The client has closed every stream; the isolates drop what they held once the closes are processed.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await readAll();
    section.sse = {
      streams,
      byWorker: Object.fromEntries(
        sseWorkers.map((name, index) => [
          name,
          { beforeBytes: before[index] ?? 0, duringBytes: during[index] ?? 0, afterBytes: after[index] ?? 0 },
        ]),
      ),
    };
    return section;
  } finally {
    for (const session of sessions?.values() ?? []) session.close();
    await gateway.dispose();
  }
}

/** The section as text lines for the bench's details. */
export function heapLines(section: IsolateHeapsSection | undefined): string[] {
  if (section === undefined) return [];
  if (section.unavailable !== undefined) return [`Isolate heaps: unavailable (${section.unavailable})`];
  const lines = ["Isolate heaps (V8 used heap after a forced collection, through workerd's inspector):"];
  const large = section.largeObject;
  if (large) {
    lines.push(
      `  media, one full ${mib(large.objectBytes)} MiB GET: before ${mib(large.beforeBytes)} MiB, peak of ${large.readings} readings during ${mib(large.duringBytes)} MiB (+${(growthBytes(large) / KIB).toFixed(1)} KiB), after ${mib(large.afterBytes)} MiB`,
    );
  }
  for (const [name, delta] of Object.entries(section.sse?.byWorker ?? {})) {
    lines.push(
      `  ${name}, ${section.sse?.streams ?? 0} event streams: before ${mib(delta.beforeBytes)} MiB, all open ${mib(delta.duringBytes)} MiB (${(growthBytes(delta, section.sse?.streams) / KIB).toFixed(2)} KiB per stream), closed ${mib(delta.afterBytes)} MiB (${afterChangePercent(delta).toFixed(1)}%)`,
    );
  }
  return lines;
}

/**
 * The SSE latency client (its own process, loopback only). It reads one JSON
 * command per line on stdin, `{"url":…,"streams":N,"events":E,"headers":{…},"settleMs":S}`,
 * opens N concurrent streams, and answers one JSON line: events received and
 * lost, per-event latency (origin write → client read) p50/p99/max in ms over
 * every event and over the steady state, and how long opening the N took.
 * It prints `{"allOpen":true}` once every stream has its headers, so the
 * caller can sample the server's memory while all of them are live.
 *
 *   node bench/sse-client.ts
 */
import { request as httpRequest } from "node:http";
import { createInterface } from "node:readline";

interface Command {
  url: string;
  streams: number;
  events: number;
  headers?: Record<string, string>;
  /** The steady state starts this long after the last stream opened (the opening burst's backlog drains first). */
  settleMs?: number;
}

export interface SseRunResult {
  streams: number;
  expected: number;
  received: number;
  lost: number;
  failedStreams: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From the first request to the last stream's headers: how long opening them all took. */
  openMs: number;
  /**
   * Events written once every stream was open and `settleMs` more had passed:
   * the steady state at this many streams. Opening N streams is a burst of N
   * requests; events of the first streams queue behind it, and its backlog
   * takes a moment to drain. `openMs` prices the burst, these the steady state.
   */
  steadyEvents: number;
  steadyP50Ms: number;
  steadyP99Ms: number;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function nearestRank(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function run(command: Command): Promise<SseRunResult> {
  const latencies = new Float64Array(command.streams * command.events);
  const writtenAt = new Float64Array(command.streams * command.events);
  const startedAt = now();
  let allOpenAt = Number.POSITIVE_INFINITY;
  let received = 0;
  let failedStreams = 0;
  let open = 0;
  let ended = 0;
  return new Promise((resolve) => {
    const deadline = setTimeout(() => finish(), command.events * 100 + 20_000);
    const sockets: (() => void)[] = [];
    const finish = (): void => {
      clearTimeout(deadline);
      for (const close of sockets) close();
      const steady = latencies
        .subarray(0, received)
        .filter((_, i) => (writtenAt[i] ?? 0) >= allOpenAt + (command.settleMs ?? 0))
        .sort();
      const sorted = latencies.subarray(0, received).sort();
      resolve({
        openMs: allOpenAt - startedAt,
        steadyEvents: steady.length,
        steadyP50Ms: nearestRank(steady, 50),
        steadyP99Ms: nearestRank(steady, 99),
        streams: command.streams,
        expected: command.streams * command.events,
        received,
        lost: command.streams * command.events - received,
        failedStreams,
        p50Ms: nearestRank(sorted, 50),
        p99Ms: nearestRank(sorted, 99),
        maxMs: nearestRank(sorted, 100),
      });
    };
    const streamDone = (): void => {
      ended++;
      if (ended === command.streams) finish();
    };
    for (let i = 0; i < command.streams; i++) {
      const url = new URL(command.url);
      url.searchParams.set("events", String(command.events));
      url.searchParams.set("stream", String(i));
      let done = false;
      const doneOnce = (): void => {
        if (done) return;
        done = true;
        streamDone();
      };
      const req = httpRequest(
        url,
        { agent: false, headers: { Accept: "text/event-stream", ...command.headers } },
        (response) => {
          if (response.statusCode !== 200) {
            failedStreams++;
            response.resume();
            doneOnce();
            return;
          }
          open++;
          if (open === command.streams) {
            allOpenAt = now();
            console.log(JSON.stringify({ allOpen: true }));
          }
          let buffered = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            const readAt = now();
            buffered += chunk;
            let boundary = buffered.indexOf("\n\n");
            while (boundary !== -1) {
              const event = buffered.slice(0, boundary);
              buffered = buffered.slice(boundary + 2);
              const data = /^data: (.*)$/m.exec(event)?.[1];
              if (data !== undefined && received < latencies.length) {
                writtenAt[received] = Number(data);
                latencies[received++] = readAt - Number(data);
              }
              boundary = buffered.indexOf("\n\n");
            }
          });
          response.on("end", doneOnce);
          response.on("error", doneOnce);
        },
      );
      req.on("error", () => {
        if (!done) failedStreams++;
        doneOnce();
      });
      sockets.push(() => req.destroy());
      req.end();
    }
  });
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === "") continue;
  const result = await run(JSON.parse(line) as Command);
  console.log(JSON.stringify(result));
}

/**
 * SSE latency: the same origin reached directly, through router + api,
 * through nginx (`proxy_buffering off`) and through a TransformStream pump
 * Worker; at 1 stream and at 1,000 concurrent streams, an event every 100 ms.
 * The origin and the client are each one long-lived Node process for the
 * whole section, so their clocks' offset is the same for every variant.
 */
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { cpuSeconds, rssBytes, withCpuShares } from "./processes.ts";
import type { SseRunResult } from "./sse-client.ts";
import type { Spread } from "./stats.ts";
import { interleave, spread } from "./stats.ts";

export interface SseVariant {
  id: string;
  description: string;
  url: string;
  headers?: Record<string, string>;
  /** Processes whose memory grows with the streams this variant holds open (empty: none but the origin). */
  proxyPids: () => number[];
  /** Called once every stream is open and events flow (the isolate-heap section reads heaps there). */
  whileAllOpen?: () => Promise<void>;
}

export interface SseLevelSummary {
  streams: number;
  eventsPerStream: number;
  /** The steady state starts this long after the last stream opened. */
  settleMs: number;
  variants: Record<
    string,
    {
      description: string;
      lost: Spread;
      failedStreams: Spread;
      p50Ms: Spread;
      p99Ms: Spread;
      /** p99 minus the direct connection's p99 in the same round. */
      addedP99Ms: Spread;
      /**
       * The same over the steady state only: events the origin wrote once every
       * stream was open. Opening 1,000 streams is a burst of 1,000 requests,
       * and events of the first streams queue behind it; `openMs` prices that.
       */
      steadyP99Ms: Spread;
      addedSteadyP99Ms: Spread;
      /** From the first request to the last stream's headers. */
      openMs: Spread;
      /** Proxy process RSS growth per open stream, in KiB. */
      rssPerStreamKiB: Spread;
      /** CPU time of the proxying process (workerd or nginx) per event delivered, in µs. */
      proxyCpuUsPerEvent: Spread;
      cpuShares: Record<string, Spread>;
    }
  >;
}

const NODE = process.execPath;

/** A long-lived child that speaks JSON lines. */
class JsonLineProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters: ((line: Record<string, unknown>) => void)[] = [];

  private readonly script: string;

  constructor(script: string, args: string[] = []) {
    this.script = script;
    this.child = spawn(NODE, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    const lines = createInterface({ input: this.child.stdout });
    lines.on("line", (line) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = { text: line };
      }
      this.waiters.shift()?.(parsed);
    });
  }

  /** The next line the process prints; rejects after `timeoutMs` (a crashed child never answers). */
  next(timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bench: ${this.script} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  send(command: unknown): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end();
    this.child.kill("SIGTERM");
    await exited;
  }
}

export interface SseRig {
  originUrl: string;
  originPid: number;
  clientPid: number;
  stop(): Promise<void>;
  /** `settleMs`: how long after the last stream opened the steady state starts (see sse-client.ts). */
  run(
    variant: SseVariant,
    streams: number,
    events: number,
    settleMs: number,
  ): Promise<SseRunResult & { rssPerStreamKiB: number }>;
}

/** Starts the origin on `port` and the client; both stay up for the whole section. */
export async function startSseRig(port: number): Promise<SseRig> {
  const origin = new JsonLineProcess("bench/sse-origin.ts", [String(port)]);
  await origin.next(10_000); // "listening"
  const client = new JsonLineProcess("bench/sse-client.ts");
  return {
    originUrl: `http://127.0.0.1:${port}`,
    originPid: origin.pid,
    clientPid: client.pid,
    async stop() {
      await Promise.all([client.stop(), origin.stop()]);
    },
    async run(variant, streams, events, settleMs) {
      const rssOf = (): number => variant.proxyPids().reduce((sum, pid) => sum + rssBytes(pid), 0);
      const before = rssOf();
      client.send({ url: variant.url, streams, events, headers: variant.headers, settleMs });
      // The client ends every run by its own deadline (events x 100 ms + 20 s); this one only catches a crash.
      const answerWithin = events * 100 + 60_000;
      let line = await client.next(answerWithin);
      let during = before;
      if (line.allOpen === true) {
        // Every stream is live: let a few events flow, then weigh the proxy.
        await new Promise((resolve) => setTimeout(resolve, 500));
        during = rssOf();
        // Waiting for the last line before the hook runs: a line with no waiter is dropped.
        const last = client.next(answerWithin);
        await variant.whileAllOpen?.();
        line = await last;
      }
      // JSON has no NaN: a run without a single event reports its percentiles as null.
      const result = line as unknown as SseRunResult;
      for (const field of ["p50Ms", "p99Ms", "maxMs", "steadyP50Ms", "steadyP99Ms", "openMs"] as const)
        result[field] ??= Number.NaN;
      return {
        ...result,
        rssPerStreamKiB: variant.proxyPids().length === 0 ? Number.NaN : (during - before) / 1024 / streams,
      };
    },
  };
}

/** One short stream as the client would open it: must be a 200 event stream, else the variant is not measured. */
export async function checkSseVariant(variant: SseVariant): Promise<string | undefined> {
  try {
    const url = new URL(variant.url);
    url.searchParams.set("events", "1");
    const response = await fetch(url, {
      headers: { Accept: "text/event-stream", ...variant.headers },
      signal: AbortSignal.timeout(5000),
    });
    const body = await response.text();
    if (response.status !== 200) return `answered ${response.status}`;
    if (!body.includes("data: ")) return "answered without an event";
    return undefined;
  } catch (error) {
    return `failed: ${String(error)}`;
  }
}

/** One level (stream count): every variant in interleaved rounds. */
export async function measureSseLevel(
  rig: SseRig,
  variants: readonly SseVariant[],
  streams: number,
  events: number,
  rounds: number,
  processes: Record<string, () => number>,
  settleMs: number,
): Promise<SseLevelSummary> {
  const byId = new Map(variants.map((variant) => [variant.id, variant]));
  const groups = {
    ...processes,
    sseOrigin: () => cpuSeconds(rig.originPid),
    sseClient: () => cpuSeconds(rig.clientPid),
  };
  const results = await interleave(
    variants.map((variant) => variant.id),
    rounds,
    async (id, round) => {
      const variant = byId.get(id);
      if (variant === undefined) throw new Error(`bench: no SSE variant ${id}`);
      const {
        result,
        shares,
        cpuSeconds: used,
      } = await withCpuShares(groups, async () => ({ result: await rig.run(variant, streams, events, settleMs) }));
      const proxySeconds = variant.proxyPids().length === 0 ? Number.NaN : (used.workerd ?? 0) + (used.nginx ?? 0);
      // /proc counts CPU in 10 ms ticks: below about 20 ticks the per-event figure is mostly rounding.
      const measurable = proxySeconds >= 0.2;
      process.stdout.write(
        `  round ${round + 1} ${id.padEnd(14)} ${String(streams).padStart(5)} streams: lost ${result.lost}, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms (all open: p99 ${result.steadyP99Ms.toFixed(2)} ms; opening took ${result.openMs.toFixed(0)} ms)\n`,
      );
      return {
        ...result,
        shares,
        proxyCpuUsPerEvent: measurable ? (proxySeconds / result.received) * 1e6 : Number.NaN,
      };
    },
  );
  const direct = results.direct ?? [];
  const summary: SseLevelSummary = { streams, eventsPerStream: events, settleMs, variants: {} };
  for (const [id, runs] of Object.entries(results)) {
    const shareGroups = Object.keys(runs[0]?.shares ?? {});
    summary.variants[id] = {
      description: byId.get(id)?.description ?? id,
      lost: spread(runs.map((run) => run.lost)),
      failedStreams: spread(runs.map((run) => run.failedStreams)),
      p50Ms: spread(runs.map((run) => run.p50Ms)),
      p99Ms: spread(runs.map((run) => run.p99Ms)),
      addedP99Ms: spread(runs.map((run, round) => run.p99Ms - (direct[round]?.p99Ms ?? Number.NaN))),
      steadyP99Ms: spread(runs.map((run) => run.steadyP99Ms)),
      addedSteadyP99Ms: spread(runs.map((run, round) => run.steadyP99Ms - (direct[round]?.steadyP99Ms ?? Number.NaN))),
      openMs: spread(runs.map((run) => run.openMs)),
      rssPerStreamKiB: spread(runs.map((run) => run.rssPerStreamKiB)),
      proxyCpuUsPerEvent: spread(runs.map((run) => run.proxyCpuUsPerEvent)),
      cpuShares: Object.fromEntries(
        shareGroups.map((group) => [group, spread(runs.map((run) => run.shares[group] ?? 0))]),
      ),
    };
  }
  return summary;
}

/**
 * The budget rows: the CPU each request kind costs beyond its bare peer (by
 * callgrind instructions), the bench's first table and its targets; and the
 * heap each isolate keeps while streaming, among the wall-clock rows.
 */
import type { Check, Sections } from "./check-kinds.ts";
import { instructionExcessCheck, spreadCheck } from "./check-kinds.ts";
import { afterChangePercent, growthBytes } from "./isolate-heaps.ts";
import { spread } from "./stats.ts";

/** Streaming stays out of the heap (bench/isolate-heaps.ts): the 1 GiB stream's and the open event streams' heap, per isolate. */
export function heapChecks(sections: Sections): Check[] {
  const heaps = sections.isolateHeaps;
  const missing = heaps === undefined ? "not run" : heaps.unavailable;
  const large = heaps?.largeObject;
  const checks = [
    spreadCheck(
      "heap-large-media",
      "media isolate heap growth while one full 1 GiB stream is served",
      "KiB",
      large ? spread([growthBytes(large) / 1024]) : undefined,
      { op: "<=", value: 1024, text: "< 1 MiB" },
      large ? undefined : (missing ?? "not run"),
    ),
  ];
  for (const [name, label] of [
    ["gateway-api", "api"],
    ["gateway-router-no-assets", "router"],
  ] as const) {
    const delta = heaps?.sse?.byWorker[name];
    const streams = heaps?.sse?.streams ?? 0;
    const unavailable = delta ? undefined : (missing ?? "not run");
    checks.push(
      spreadCheck(
        `heap-sse-${label}-per-stream`,
        `${label} isolate heap per open event stream (${streams} open)`,
        "KiB",
        delta ? spread([growthBytes(delta, streams) / 1024]) : undefined,
        { op: "<=", value: 4 },
        unavailable,
      ),
      spreadCheck(
        `heap-sse-${label}-after`,
        `${label} isolate heap once the streams closed, change from before`,
        "%",
        delta ? spread([Math.abs(afterChangePercent(delta))]) : undefined,
        { op: "<=", value: 10, text: "within 10%" },
        unavailable,
      ),
    );
  }
  return checks;
}

/**
 * CPU budget per request kind (docs/operations.md): our variant minus its
 * bare peer, in thousands of instructions, under a generous bound: about 3x
 * the larger of what the kind measured in a full run and in quick pairs
 * when the budget was set, and never under 500k, since single rounds of
 * the same pair differ by up to 150k. A kind that starts doing several times
 * more work per request trips it.
 */
export const CPU_BUDGET_KILO_INSTRUCTIONS = {
  mediaHit: 1000,
  mediaMiss: 500,
  prefixSegment: 1700,
  routerHop: 500,
  apiJson: 750,
  upload: 1500,
  sseSetup: 2400,
  rangedMiss: 25_500,
  webSocketUpgrade: 2000,
  health: 1100,
} as const;

/** The CPU budget rows, in the order of CPU_BUDGET_KILO_INSTRUCTIONS. */
export function cpuBudgetChecks(sections: Sections): Check[] {
  const s = sections.instructions;
  const b = CPU_BUDGET_KILO_INSTRUCTIONS;
  const under = (value: number) => ({ op: "<=" as const, value });
  return [
    instructionExcessCheck(
      "cpu-media-hit",
      "CPU budget: media hit, beyond the bare cache Worker",
      s,
      "media-hit",
      "bare-cache",
      under(b.mediaHit),
    ),
    instructionExcessCheck(
      "cpu-media-miss",
      "CPU budget: media miss (R2), beyond the bare R2 Worker",
      s,
      "media-miss",
      "bare-r2",
      under(b.mediaMiss),
    ),
    instructionExcessCheck(
      "cpu-prefix-segment",
      "CPU budget: segment under a prefix token, beyond the bare cache Worker",
      s,
      "media-hit-prefix",
      "bare-cache",
      under(b.prefixSegment),
    ),
    instructionExcessCheck(
      "cpu-router-hop",
      "CPU budget: the router's hop, beyond the bare forwarder (media hit)",
      s,
      "router-hit",
      "forwarder-hit",
      under(b.routerHop),
    ),
    instructionExcessCheck(
      "cpu-api-json",
      "CPU budget: api JSON GET, beyond the bare fetch Worker with the limiter",
      s,
      "api-get",
      "fetch-limited-get",
      under(b.apiJson),
    ),
    instructionExcessCheck(
      "cpu-upload",
      "CPU budget: api small POST, beyond the bare fetch Worker with the limiter",
      s,
      "api-post",
      "fetch-limited-post",
      under(b.upload),
    ),
    instructionExcessCheck(
      "cpu-sse-setup",
      "CPU budget: SSE setup router -> api, beyond forwarder -> bare fetch",
      s,
      "sse-open-router-api",
      "sse-open-forwarder-fetch-limited",
      under(b.sseSetup),
    ),
    instructionExcessCheck(
      "cpu-media-miss-ranged",
      "CPU budget: ranged media miss with its cache fill, beyond the bare R2 Worker's ranged get",
      s,
      "media-miss-ranged",
      "bare-r2-ranged",
      under(b.rangedMiss),
    ),
    instructionExcessCheck(
      "cpu-websocket-upgrade",
      "CPU budget: WebSocket upgrade router -> api, beyond forwarder -> bare fetch",
      s,
      "websocket-router-api",
      "websocket-forwarder-fetch-limited",
      under(b.webSocketUpgrade),
    ),
    instructionExcessCheck(
      "cpu-health",
      "CPU budget: /_health through the router, beyond a bare Worker's two RPC health() calls",
      s,
      "router-health",
      "bare-health",
      under(b.health),
    ),
  ];
}

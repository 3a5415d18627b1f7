/**
 * The SSE section's rows: per stream count, events lost via router + api,
 * each proxy's added p99 (all open, and every event), and at 1,000 streams
 * the time to open them all. New SSE rows go here.
 */
import type { Sections } from "./check-kinds.ts";
import { spreadCheck } from "./check-kinds.ts";
import type { Check } from "./check-kinds.ts";
import { settings } from "./settings.ts";
import { SSE_PROXIES } from "./variants.ts";

export function sseChecks(sections: Pick<Sections, "sse" | "sseUnavailable">): Check[] {
  const checks: Check[] = [];
  for (const level of sections.sse) {
    const v = level.variants;
    const routerApi = v["router-api"];
    // Judged at the steady state: every stream open (the load the target names), the opening burst drained.
    const peers = ["nginx", "pump"].map((id) => v[id]?.addedSteadyP99Ms.median ?? Number.NaN);
    // "No worse than either peer": at most the better (smaller) of the two peers' added p99.
    const bestPeer = Math.min(...peers.filter((value) => !Number.isNaN(value)));
    const many = level.streams === settings.sseManyStreams;
    const sseMissing = (id: string): string | undefined =>
      v[id] === undefined ? (sections.sseUnavailable[id] ?? "not run") : undefined;
    checks.push(
      spreadCheck(
        `sse-${level.streams}-lost`,
        `SSE ${level.streams} stream(s): events lost via router+api`,
        "events",
        routerApi?.lost,
        { op: "<=", value: 0, text: "0" },
        sseMissing("router-api"),
      ),
    );
    for (const id of SSE_PROXIES) {
      const variant = v[id];
      const isOurs = id === "router-api";
      const via = variant?.description ?? id;
      checks.push(
        spreadCheck(
          `sse-${level.streams}-${id}-added-p99-steady`,
          `SSE ${level.streams} stream(s), all open: added p99 via ${via}`,
          "ms",
          variant?.addedSteadyP99Ms,
          isOurs && many && Number.isFinite(bestPeer)
            ? {
                op: "<=",
                value: bestPeer,
                text: `<= both peers' (nginx ${peers.map((p) => p.toFixed(2)).join(" ms, pump ")} ms)`,
              }
            : undefined,
          sseMissing(id),
        ),
      );
    }
    for (const id of SSE_PROXIES) {
      checks.push(
        spreadCheck(
          `sse-${level.streams}-${id}-added-p99`,
          `SSE ${level.streams} stream(s), every event (opening burst included): added p99 via ${v[id]?.description ?? id}`,
          "ms",
          v[id]?.addedP99Ms,
          undefined,
          sseMissing(id),
        ),
      );
    }
    if (many) {
      for (const id of ["direct", ...SSE_PROXIES]) {
        checks.push(
          spreadCheck(
            `sse-${level.streams}-${id}-open`,
            `SSE ${level.streams} streams: time to open them all via ${v[id]?.description ?? id}`,
            "ms",
            v[id]?.openMs,
            undefined,
            id === "direct" ? undefined : sseMissing(id),
          ),
        );
      }
    }
  }
  return checks;
}

/**
 * The checks: every row of the bench's table, each a ratio or a measure with
 * its target (or none: a report). A new row goes in checksOf() (or, for the
 * SSE section, in bench/sse-checks.ts), built with bench/check-kinds.ts.
 */
import type { Check, Sections } from "./check-kinds.ts";
import { instructionRatioCheck, ratioCheck, spreadCheck } from "./check-kinds.ts";
import { sseChecks } from "./sse-checks.ts";
import { spread } from "./stats.ts";

export function checksOf(sections: Sections): Check[] {
  const t = sections.throughput;
  const checks: Check[] = [
    ratioCheck("router-vs-forwarder", "Router hop: our router / bare forwarder", t, "router-hit", "forwarder-hit", { op: ">=", value: 0.95 }),
    ratioCheck("router-vs-direct", "Router hop: through router / straight to media", t, "router-hit", "media-hit", { op: ">=", value: 0.85 }),
    ratioCheck("forwarder-vs-direct", "Bare forwarder / straight to media", t, "forwarder-hit", "media-hit"),
    ratioCheck("router-assets-vs-direct", "Router behind the local assets layer / straight to media", t, "router-assets-hit", "media-hit"),
    ratioCheck("hit-vs-bare-cache", "Media hit / bare cache Worker", t, "media-hit", "bare-cache", { op: ">=", value: 0.8 }),
    ratioCheck("hit-vs-floor", "Media hit / floor", t, "media-hit", "floor"),
    ratioCheck("bare-cache-rewrap-vs-bare-cache", "Bare cache Worker re-wrapping the hit / returning it as is", t, "bare-cache-rewrap", "bare-cache"),
    ratioCheck("bare-cache-vs-floor", "Bare cache Worker / floor (Cache API simulator cost)", t, "bare-cache", "floor"),
    ratioCheck("miss-vs-bare-r2", "Media miss (R2) / bare R2 Worker", t, "media-miss", "bare-r2", { op: ">=", value: 0.8 }),
    ratioCheck("range-vs-full-hit", "206 (16 KiB range) on a hit / full 64 KiB hit", t, "media-hit-206", "media-hit"),
    ratioCheck("floor-vs-nginx", "Floor Worker / nginx static 64 KiB (context)", t, "floor", "nginx-static"),
    ratioCheck("hit-vs-nginx", "Media hit / nginx static 64 KiB (context)", t, "media-hit", "nginx-static"),
    ratioCheck("range-hit-vs-nginx-range", "Media 206 hit / nginx 206 (context)", t, "media-hit-206", "nginx-range"),
  ];
  checks.push(
    ratioCheck("router-vs-forwarder-cpu", "  same, by workerd CPU/request: router vs bare forwarder", t, "router-hit", "forwarder-hit", undefined, "cpu"),
    ratioCheck("router-vs-direct-cpu", "  same, by workerd CPU/request: router vs straight to media", t, "router-hit", "media-hit", undefined, "cpu"),
    ratioCheck("hit-vs-bare-cache-cpu", "  same, by workerd CPU/request: media hit vs bare cache", t, "media-hit", "bare-cache", undefined, "cpu"),
    ratioCheck("bare-cache-rewrap-cpu", "  same, by workerd CPU/request: bare cache re-wrapping vs as is", t, "bare-cache-rewrap", "bare-cache", undefined, "cpu"),
    ratioCheck("miss-vs-bare-r2-cpu", "  same, by workerd CPU/request: media miss vs bare R2", t, "media-miss", "bare-r2", undefined, "cpu"),
  );
  const counts = sections.instructions;
  checks.push(
    instructionRatioCheck("router-vs-forwarder-instr", "  same, by instructions (callgrind): router vs bare forwarder", counts, "router-hit", "forwarder-hit"),
    instructionRatioCheck("router-vs-direct-instr", "  same, by instructions (callgrind): router vs straight to media", counts, "router-hit", "media-hit"),
    instructionRatioCheck("hit-vs-bare-cache-instr", "  same, by instructions (callgrind): media hit vs bare cache", counts, "media-hit", "bare-cache"),
    instructionRatioCheck("miss-vs-bare-r2-instr", "  same, by instructions (callgrind): media miss vs bare R2", counts, "media-miss", "bare-r2"),
  );
  checks.push(
    ratioCheck("profile-hop-router", "Hop profile: router / bare forwarder, both -> floor", t, "hop-router", "hop-forwarder"),
    ratioCheck("profile-hop-router-cpu", "  same, by workerd CPU/request", t, "hop-router", "hop-forwarder", undefined, "cpu"),
    instructionRatioCheck("profile-hop-router-instr", "  same, by instructions (callgrind)", counts, "hop-router", "hop-forwarder"),
  );
  checks.push(
    ratioCheck("fresh-token-vs-same-token", "Media hit, a new token every request / same token", t, "media-hit-fresh-token", "media-hit"),
    ratioCheck("fresh-token-vs-same-token-cpu", "  same, by workerd CPU/request", t, "media-hit-fresh-token", "media-hit", undefined, "cpu"),
    instructionRatioCheck("fresh-token-vs-same-token-instr", "  same, by instructions (callgrind)", counts, "media-hit-fresh-token", "media-hit"),
  );
  const verify = sections.tokenVerify;
  checks.push(spreadCheck("verify-cached-vs-import", "Token verify: cached CryptoKey / import per call (jose in workerd)", "x", verify?.ratio, undefined, verify ? undefined : "not run"));
  const large = sections.largeObject;
  const largeMissing = large ? undefined : (sections.largeObjectError ?? "not run");
  checks.push(
    spreadCheck("large-end-vs-start", "1 MiB range at end / at start of 1 GiB (time to last byte)", "x", large?.endOverStartTotal, { op: "<=", value: 2 }, largeMissing),
    spreadCheck("large-end-vs-start-ttfb", "1 MiB range at end / at start of 1 GiB (time to first byte)", "x", large?.endOverStartTtfb, undefined, largeMissing),
    spreadCheck(
      "large-rss-growth",
      "workerd RSS growth while one full 1 GiB stream is served",
      "MiB",
      large ? spread([large.fullStream.rssGrowthMiB]) : undefined,
      { op: "<=", value: 64, text: "< 64 MiB" },
      largeMissing,
    ),
  );
  checks.push(...sseChecks(sections));
  return checks;
}

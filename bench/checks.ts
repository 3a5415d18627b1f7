/**
 * The checks: every row of the bench's tables, each a ratio or a measure with
 * its target (or none: a report). The targets per request kind are the CPU
 * budgets (bench/budget-checks.ts: our own instructions beyond the bare
 * peer); the pairs by callgrind instructions are reported beside them
 * (instructionRatios); the wall-clock rows (otherChecks, and the SSE
 * section's in bench/sse-checks.ts) keep targets only where no instruction
 * count can stand in (latency under load, memory, big ranges). A new row goes
 * in one of these lists, built with bench/check-kinds.ts.
 */
import type { Check, Sections } from "./check-kinds.ts";
import { judgedCheck, ratioCheck, spreadCheck } from "./check-kinds.ts";
import { heapChecks } from "./budget-checks.ts";
import { sseChecks } from "./sse-checks.ts";
import { spread } from "./stats.ts";

/**
 * The pairs by instructions per request, as reports: the CPU budgets
 * (bench/budget-checks.ts, our own instructions beyond each bare peer) are
 * the targets, since a ratio moves with the peer and the simulators as much
 * as with our code.
 */
export function instructionRatios(sections: Sections): Check[] {
  const s = sections;
  return [
    judgedCheck("router-vs-forwarder", "Router / bare forwarder (media hit)", s, "router-hit", "forwarder-hit"),
    judgedCheck("hit-vs-bare-cache", "Media hit / bare cache Worker", s, "media-hit", "bare-cache"),
    judgedCheck("miss-vs-bare-r2", "Media miss / bare R2 Worker", s, "media-miss", "bare-r2"),
    judgedCheck(
      "fresh-token-vs-same-token",
      "Media hit, a new token each request / same token",
      s,
      "media-hit-fresh-token",
      "media-hit",
    ),
    judgedCheck(
      "prefix-vs-key-token",
      "Segment hit under a prefix token / the same object under a key token",
      s,
      "media-hit-prefix",
      "media-hit",
    ),
    judgedCheck(
      "range-vs-full-hit",
      "206 (16 KiB) on a hit / full 64 KiB hit (cost)",
      s,
      "media-hit-206",
      "media-hit",
      undefined,
      "cost",
    ),
    judgedCheck(
      "api-vs-fetch-limited-get",
      "api / bare fetch Worker with the same limiter (JSON GET)",
      s,
      "api-get",
      "fetch-limited-get",
    ),
    judgedCheck(
      "api-vs-fetch-limited-post",
      "api / bare fetch Worker with the same limiter (small POST)",
      s,
      "api-post",
      "fetch-limited-post",
    ),
    judgedCheck(
      "router-api-vs-forwarder-api-get",
      "Router -> api / bare forwarder -> api (JSON GET)",
      s,
      "router-api-get",
      "forwarder-api-get",
    ),
    judgedCheck(
      "router-api-vs-forwarder-api-post",
      "Router -> api / bare forwarder -> api (small POST)",
      s,
      "router-api-post",
      "forwarder-api-post",
    ),
    judgedCheck(
      "sse-open-router-api-vs-forwarder-fetch-limited",
      "SSE stream opened: router -> api / bare forwarder -> bare fetch Worker with limiter (cost per stream)",
      s,
      "sse-open-router-api",
      "sse-open-forwarder-fetch-limited",
      undefined,
      "cost",
    ),
    // The bare service-binding hop alone sits near 0.8x of straight to media, so the router's own share is the row against the bare forwarder.
    judgedCheck("router-vs-direct", "Through the router / straight to media", s, "router-hit", "media-hit"),
    judgedCheck("api-vs-fetch-get", "api / bare fetch Worker without a limiter (JSON GET)", s, "api-get", "fetch-get"),
    judgedCheck(
      "api-vs-fetch-post",
      "api / bare fetch Worker without a limiter (small POST)",
      s,
      "api-post",
      "fetch-post",
    ),
    judgedCheck(
      "fetch-limited-vs-fetch-get",
      "Bare fetch Worker with the limiter / without (JSON GET)",
      s,
      "fetch-limited-get",
      "fetch-get",
    ),
    judgedCheck(
      "limiter-vs-floor",
      "Rate limiter binding alone / floor (the local simulator's cost)",
      s,
      "limiter",
      "floor",
    ),
  ];
}

/** Wall-clock rows: reports, and the large-object targets (time to last byte, memory). */
export function otherChecks(sections: Sections): Check[] {
  const t = sections.throughput;
  const checks: Check[] = [
    ratioCheck("forwarder-vs-direct", "Bare forwarder / straight to media, by req/s", t, "forwarder-hit", "media-hit"),
    ratioCheck(
      "router-assets-vs-direct",
      "Router behind the local assets layer / straight to media, by req/s",
      t,
      "router-assets-hit",
      "media-hit",
    ),
    ratioCheck("hit-vs-floor", "Media hit / floor, by req/s", t, "media-hit", "floor"),
    ratioCheck(
      "bare-cache-vs-floor",
      "Bare cache Worker / floor (Cache API simulator cost), by req/s",
      t,
      "bare-cache",
      "floor",
    ),
    ratioCheck("floor-vs-nginx", "Floor Worker / nginx static 64 KiB, by req/s (context)", t, "floor", "nginx-static"),
    ratioCheck("hit-vs-nginx", "Media hit / nginx static 64 KiB, by req/s (context)", t, "media-hit", "nginx-static"),
  ];
  if (t["hop-router"] !== undefined) {
    checks.push(
      ratioCheck(
        "profile-hop-router",
        "Hop profile: router / bare forwarder, both -> floor, by req/s",
        t,
        "hop-router",
        "hop-forwarder",
      ),
      ratioCheck(
        "profile-hop-router-cpu",
        "  same, by workerd CPU/request",
        t,
        "hop-router",
        "hop-forwarder",
        undefined,
        "cpu",
      ),
    );
  }
  const verify = sections.tokenVerify;
  checks.push(
    spreadCheck(
      "verify-cached-vs-import",
      "Token verify: cached CryptoKey / import per call (jose in workerd)",
      "x",
      verify?.ratio,
      undefined,
      verify ? undefined : "not run",
    ),
  );
  const large = sections.largeObject;
  const largeMissing = large ? undefined : (sections.largeObjectError ?? "not run");
  checks.push(
    spreadCheck(
      "large-end-vs-start",
      "1 MiB range at end / at start of 1 GiB (time to last byte)",
      "x",
      large?.endOverStartTotal,
      { op: "<=", value: 2 },
      largeMissing,
    ),
    spreadCheck(
      "large-end-vs-start-ttfb",
      "1 MiB range at end / at start of 1 GiB (time to first byte)",
      "x",
      large?.endOverStartTtfb,
      undefined,
      largeMissing,
    ),
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
  checks.push(...heapChecks(sections));
  return checks;
}

/**
 * The bench's settings and knobs, read once from the environment:
 *
 *   BENCH_QUICK=1                        a smoke run: 1 round, short loads
 *   BENCH_ROUNDS=7 BENCH_SECONDS=4       wall-clock rounds and seconds per variant
 *   BENCH_CALLGRIND_REQUESTS=300         callgrind: requests per variant and round
 *   BENCH_ONLY=instructions              only the callgrind section (about 2 minutes for a pair)
 *   BENCH_ONLY=hop                       the router's hop profile, which the full run leaves out
 *   BENCH_ONLY=uploads                   the uploads row (64 MiB, gateway vs a bare put), also left out
 *   BENCH_VARIANTS=media-hit,bare-cache  only these throughput/callgrind variants (and the floor)
 *   BENCH_PORT_BASE=8920                 this run's ports, base + 0..29 (bench/harness.ts)
 *   BENCH_KEEP_CALLGRIND=1               keep the callgrind dumps in dist/callgrind/ (for callgrind_annotate)
 *   BENCH_BASELINE=../before             another checkout's media and api bundles (its dist/, from
 *                                        `npm run build`) beside this one's, in the same workerd:
 *                                        media-hit-baseline, api-baseline-get, api-baseline-post
 */
const quick = process.env.BENCH_QUICK === "1";

/** Sections a run can be cut down to with BENCH_ONLY (comma-separated). */
export const SECTIONS = ["large", "throughput", "hop", "verify", "sse", "heap", "instructions", "uploads"] as const;
export type Section = (typeof SECTIONS)[number];
/**
 * Run only when BENCH_ONLY names them: the router's hop profile (router and
 * bare forwarder in front of the floor by wrk, and its steps one at a time),
 * the wall-clock investigation behind the router's fixes, now judged by
 * instructions; and the uploads row (64 MiB through router -> media ->
 * Durable Object -> R2 multipart vs a bare Worker's one put). Left out so the
 * full run stays within 10 minutes.
 */
const ON_REQUEST: readonly Section[] = ["hop", "uploads"];

function listOf(name: string): string[] | undefined {
  const text = process.env[name]?.trim();
  if (!text) return undefined;
  return text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

const only = listOf("BENCH_ONLY");
const unknownSection = only?.find((name) => !(SECTIONS as readonly string[]).includes(name));
if (unknownSection !== undefined)
  throw new Error(`bench: BENCH_ONLY names no section "${unknownSection}" (sections: ${SECTIONS.join(", ")})`);

/** Variant ids to keep (the floor always stays: rows over it need it); undefined keeps all. */
const variantFilter = listOf("BENCH_VARIANTS");

export function runsSection(section: Section): boolean {
  return only === undefined ? !ON_REQUEST.includes(section) : only.includes(section);
}

export function keepsVariant(id: string): boolean {
  return variantFilter === undefined || id === "floor" || variantFilter.includes(id);
}

/**
 * The checkout whose bundles are counted beside this one's (BENCH_BASELINE):
 * a before/after in one run, free of the drift between runs (docs/benchmarks.md).
 */
export const baselineCheckout: string | undefined = process.env.BENCH_BASELINE?.trim() || undefined;

/** A run cut down by BENCH_ONLY or BENCH_VARIANTS: it shows only the rows it measured. */
export const partialRun = only !== undefined || variantFilter !== undefined;

/**
 * `npm run bench -- --publish`: write the results to the committed
 * bench/results/ (otherwise dist/bench-results/, so a run leaves the tree
 * clean). Only a full run may replace the committed results.
 */
export const publishing = process.argv.includes("--publish");
if (publishing && (partialRun || quick))
  throw new Error("bench: --publish takes a full run (no BENCH_QUICK, BENCH_ONLY or BENCH_VARIANTS)");

const callgrindRequests = Number(process.env.BENCH_CALLGRIND_REQUESTS ?? (quick ? 30 : 100));

export const settings = {
  quick,
  // Wall-clock rounds: req/s and CPU time are context now (instructions are the judge), so 3 rounds leave room for the api pairs.
  rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3)),
  /** Whole seconds (wrk takes no fractions); 1 s runs keep the full run within 10 minutes with the api pairs. */
  seconds: Number(process.env.BENCH_SECONDS ?? 1),
  connections: 16,
  sseRounds: quick ? 1 : 3,
  /** Rounds at 1 stream: its rows are reports (the 1,000-stream level carries the targets). */
  sseSingleRounds: 1,
  sseEvents: quick ? 20 : 30,
  sseManyStreams: 1000,
  // At 1,000 streams opening takes about a second through workerd: 4.5 s of events leave two or more of steady state.
  sseManyEvents: quick ? 30 : 45,
  // The steady state starts this long after the last stream opened, once the opening burst's backlog has drained.
  sseSettleMs: 1000,
  verifySeconds: quick ? 0.5 : 1.5,
  stepSeconds: quick ? 0.3 : 0.6,
  largeRounds: quick ? 1 : 3,
  /** Callgrind: warm-up, then counted requests per variant and round, in concurrent loops (about 1.5 minutes in a full run). */
  instructions: {
    warmup: quick ? 50 : 150,
    requests: callgrindRequests,
    /** The callgrind-only kinds (bench/callgrind-variants.ts) are the slowest under valgrind: 40 each keeps the full run within about 450 s. */
    callgrindOnlyRequests: Math.min(40, callgrindRequests),
    rounds: quick ? 1 : 3,
    concurrency: 4,
  },
};

if (!Number.isInteger(settings.seconds) || settings.seconds < 1)
  throw new Error(`bench: BENCH_SECONDS must be a whole number of seconds, got ${process.env.BENCH_SECONDS ?? ""}`);

/**
 * Distinct tokens for media-hit-fresh-token: more than its wrk rounds send
 * (its req/s stays under 2,500 here), so no token is sent twice in a run.
 */
export const FRESH_TOKENS = Math.max(2000, settings.rounds * settings.seconds * 3000);

/**
 * How a row of the bench's table is made from what a run measured: a ratio
 * of two variants (by req/s, server CPU or callgrind instructions), or a
 * measure as it is, each with its target or none (a report).
 */
import type { UploadBenchSummary, UploadHeapSummary, UploadInstructionsSummary } from "./uploads.ts";
import type { HopStepsSummary } from "./hop-steps.ts";
import type { InstructionsSection } from "./instructions.ts";
import type { IsolateHeapsSection } from "./isolate-heaps.ts";
import type { LargeObjectSummary } from "./large-objects.ts";
import type { SseLevelSummary } from "./sse.ts";
import type { Spread } from "./stats.ts";
import { ratioSpread, spread } from "./stats.ts";
import type { VariantSummary } from "./throughput.ts";
import type { TokenVerifySummary } from "./token-verify.ts";

export interface Target {
  op: ">=" | "<=";
  value: number;
  /** What the target means, when the op and value do not say it all. */
  text?: string;
}

export interface Check {
  id: string;
  label: string;
  /** "x" for a ratio, else a unit such as "ms", "MiB", "events". */
  unit: string;
  value: Spread;
  target?: Target;
  /** Set when the check could not run. */
  unavailable?: string;
  /**
   * For a row judged by instructions: the same pair by wrk's req/s and by
   * server CPU per request, in the row's own sense, shown as context.
   */
  context?: { rps: Spread; cpu: Spread };
}

export type Verdict = "pass" | "miss" | "info" | "n/a";

export function verdictOf(check: Check): Verdict {
  if (check.unavailable !== undefined || Number.isNaN(check.value.median)) return "n/a";
  if (check.target === undefined) return "info";
  const ok =
    check.target.op === ">=" ? check.value.median >= check.target.value : check.value.median <= check.target.value;
  return ok ? "pass" : "miss";
}

/** Everything a run measured: what the checks and the report are made from. */
export interface Sections {
  throughput: Record<string, VariantSummary>;
  instructions?: InstructionsSection;
  tokenVerify?: TokenVerifySummary;
  largeObject?: LargeObjectSummary;
  largeObjectError?: string;
  isolateHeaps?: IsolateHeapsSection;
  sse: SseLevelSummary[];
  /** SSE variants whose first stream failed, with why. */
  sseUnavailable: Record<string, string>;
  hopSteps?: HopStepsSummary;
  /** The uploads row (BENCH_ONLY=uploads): 64 MiB through the gateway vs a bare put. */
  uploads?: UploadBenchSummary;
  /** The media isolate's heap with uploads in flight (BENCH_ONLY=uploads). */
  uploadHeap?: UploadHeapSummary | { unavailable: string };
  uploadInstructions?: UploadInstructionsSummary | { unavailable: string };
  /** Whether the bare cache Worker found the entry the media Worker stored (one shared cache). */
  bareCacheSharesMediaEntry?: boolean;
}

/**
 * A pair of throughput variants compared round by round. By default on req/s
 * (numerator / denominator). With `by: "cpu"` on server CPU per request
 * instead, as denominator's cost / numerator's cost (so above 1 still means
 * "numerator is cheaper"): it shows the cost without most of the machine's noise.
 */
export function ratioCheck(
  id: string,
  label: string,
  throughput: Record<string, VariantSummary>,
  numerator: string,
  denominator: string,
  target?: Check["target"],
  by: "rps" | "cpu" = "rps",
): Check {
  const a = throughput[numerator];
  const b = throughput[denominator];
  const missing = [a, b].find((variant) => variant?.available !== true);
  let value = spread([]);
  if (a && b) {
    value =
      by === "rps"
        ? ratioSpread(a.requestsPerSecond.rounds, b.requestsPerSecond.rounds)
        : ratioSpread(b.serverCpuUsPerRequest.rounds, a.serverCpuUsPerRequest.rounds);
  }
  return {
    id,
    label,
    unit: "x",
    value,
    ...(target ? { target } : {}),
    ...(missing ? { unavailable: missing.unavailable ?? "variant missing" } : {}),
  };
}

/** Why a pair of counted variants cannot be compared, or undefined when both were counted. */
function unavailableReason(
  section: InstructionsSection | undefined,
  ...counts: (InstructionsSection["variants"][string] | undefined)[]
): string | undefined {
  if (section === undefined) return "not run";
  const missing = counts.find((count) => count?.available !== true);
  return section.unavailable ?? (missing ? (missing.unavailable ?? "variant missing") : undefined);
}

/**
 * A pair compared by instructions per request under callgrind, round by
 * round, as denominator's count / numerator's (above 1 means "numerator is
 * cheaper", like the CPU rows).
 */
export function instructionRatioCheck(
  id: string,
  label: string,
  section: InstructionsSection | undefined,
  numerator: string,
  denominator: string,
): Check {
  const [a, b] = [section?.variants[numerator], section?.variants[denominator]];
  const unavailable = unavailableReason(section, a, b);
  const value = a && b ? ratioSpread(b.instructionsPerRequest.rounds, a.instructionsPerRequest.rounds) : spread([]);
  return { id, label, unit: "x", value, ...(unavailable === undefined ? {} : { unavailable }) };
}

/**
 * A pair judged by callgrind instructions per request, with req/s and CPU
 * per request as context. `speed` (the default): denominator's count /
 * numerator's, so above 1 means "numerator is cheaper", like a req/s ratio.
 * `cost`: numerator's count / denominator's, for targets written as "costs
 * at most N times"; the context then is the ratio of time per request.
 */
export function judgedCheck(
  id: string,
  label: string,
  sections: Pick<Sections, "instructions" | "throughput">,
  numerator: string,
  denominator: string,
  target?: Target,
  sense: "speed" | "cost" = "speed",
): Check {
  const [num, den] = sense === "speed" ? [numerator, denominator] : [denominator, numerator];
  const check = instructionRatioCheck(id, label, sections.instructions, num, den);
  const [a, b] = [sections.throughput[num], sections.throughput[den]];
  const context =
    a?.available === true && b?.available === true
      ? {
          rps: ratioSpread(a.requestsPerSecond.rounds, b.requestsPerSecond.rounds),
          cpu: ratioSpread(b.serverCpuUsPerRequest.rounds, a.serverCpuUsPerRequest.rounds),
        }
      : undefined;
  return { ...check, ...(target ? { target } : {}), ...(context ? { context } : {}) };
}

export function spreadCheck(
  id: string,
  label: string,
  unit: string,
  value: Spread | undefined,
  target?: Check["target"],
  unavailable?: string,
): Check {
  return {
    id,
    label,
    unit,
    value: value ?? spread([]),
    ...(target ? { target } : {}),
    ...(unavailable ? { unavailable } : {}),
  };
}

/**
 * Our variant's own cost beyond its bare peer, in thousands of instructions
 * per request under callgrind (round by round): what our code adds to a
 * request kind, without the simulators' share that both counts hold.
 */
export function instructionExcessCheck(
  id: string,
  label: string,
  section: InstructionsSection | undefined,
  ours: string,
  peer: string,
  target: Target,
): Check {
  const [a, b] = [section?.variants[ours], section?.variants[peer]];
  const unavailable = unavailableReason(section, a, b);
  const value =
    a && b
      ? spread(
          a.instructionsPerRequest.rounds.map(
            (count, round) => (count - (b.instructionsPerRequest.rounds[round] ?? Number.NaN)) / 1000,
          ),
        )
      : spread([]);
  return { id, label, unit: "k instr", value, target, ...(unavailable === undefined ? {} : { unavailable }) };
}

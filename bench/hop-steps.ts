/**
 * The router's hop, step by step (and the price of one log line) (bench/workers/hop-steps.ts): workerd CPU
 * time per execution of each step, from batches of thousands, in interleaved
 * rounds, minus the empty loop's cost measured in the same round.
 */
import { cpuSeconds } from "./processes.ts";
import type { Spread } from "./stats.ts";
import { interleave, spread } from "./stats.ts";

const STEPS = ["none", "id", "route", "trust", "response", "rewrap", "log"] as const;
type Step = (typeof STEPS)[number];

export interface HopStepsSummary {
  batch: number;
  /** µs of workerd CPU per execution, beyond the empty loop (rewrap: beyond building its input response). */
  stepUs: Record<Exclude<Step, "none" | "response">, Spread>;
}

export async function measureHopSteps(
  url: string,
  workerdPid: number,
  rounds: number,
  seconds: number,
  batch = 2000,
): Promise<HopStepsSummary> {
  const costPerExecution = async (step: Step): Promise<number> => {
    const before = cpuSeconds(workerdPid);
    const started = performance.now();
    let executions = 0;
    while (performance.now() - started < seconds * 1000) {
      const response = await fetch(`${url}/media/v1/hop-steps?step=${step}&n=${batch}`, {
        headers: { "X-Forwarded-For": "203.0.113.7" },
      });
      await response.text();
      if (response.status !== 200) throw new Error(`bench: hop step ${step} answered ${response.status}`);
      executions += batch;
    }
    return ((cpuSeconds(workerdPid) - before) / executions) * 1e6;
  };
  await costPerExecution("none"); // warm the isolate
  const results = await interleave(STEPS, rounds, (step) => costPerExecution(step));
  const minus = (step: Step, base: Step): Spread =>
    spread(results[step].map((us, round) => us - (results[base][round] ?? Number.NaN)));
  return {
    batch,
    stepUs: {
      id: minus("id", "none"),
      route: minus("route", "none"),
      trust: minus("trust", "none"),
      rewrap: minus("rewrap", "response"),
      log: minus("log", "none"),
    },
  };
}

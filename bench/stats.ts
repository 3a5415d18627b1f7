/**
 * Interleaved rounds and their summary: each round runs every variant once,
 * in a rotated order, so slow minutes on this shared machine hit all variants
 * alike; a ratio is taken within each round, then summarised over rounds.
 */

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Every round's value, in round order. */
  rounds: number[];
}

/** Median (mean of the middle two for an even count), min and max. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, rounds: [] };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN, rounds: [...values] };
}

/** The p-th percentile (0–100) of a sample, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/**
 * Runs `rounds` rounds; in round r the variants run starting at index r
 * (rotation), so no variant always goes first or last. Returns per variant
 * the result of each round, in round order.
 */
export async function interleave<V extends string, R>(
  variants: readonly V[],
  rounds: number,
  run: (variant: V, round: number) => Promise<R>,
): Promise<Record<V, R[]>> {
  const results = Object.fromEntries(variants.map((variant) => [variant, [] as R[]])) as Record<V, R[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + round) % variants.length] as V;
      results[variant].push(await run(variant, round));
    }
  }
  return results;
}

/** Per-round ratios a[r] / b[r], summarised. */
export function ratioSpread(numerators: readonly number[], denominators: readonly number[]): Spread {
  return spread(numerators.map((value, round) => value / (denominators[round] ?? Number.NaN)));
}

/**
 * Token verification inside workerd (bench/workers/verify.ts): verifies per
 * second with one CryptoKey cached per isolate vs importing the key on every
 * verification, interleaved. Each request runs a batch, so the HTTP round
 * trip is a small part of what is timed (workerd's timers do not advance
 * during CPU work, so the client does the timing).
 */
import type { Spread } from "./stats.ts";
import { interleave, spread } from "./stats.ts";

export interface TokenVerifySummary {
  batch: number;
  cachedPerSecond: Spread;
  importPerSecond: Spread;
  /** cached / import, per round. */
  ratio: Spread;
}

export async function measureTokenVerify(
  verifyUrl: string,
  token: string,
  rounds: number,
  seconds: number,
  batch = 200,
): Promise<TokenVerifySummary> {
  const rate = async (mode: "cached" | "import"): Promise<number> => {
    const started = performance.now();
    let verified = 0;
    while (performance.now() - started < seconds * 1000) {
      const response = await fetch(`${verifyUrl}/?mode=${mode}&n=${batch}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`bench: verify (${mode}) answered ${response.status}: ${text}`);
      verified += batch;
    }
    return verified / ((performance.now() - started) / 1000);
  };
  await rate("cached"); // warm the isolate and the cached key
  const results = await interleave(["cached", "import"] as const, rounds, (mode) => rate(mode));
  return {
    batch,
    cachedPerSecond: spread(results.cached),
    importPerSecond: spread(results.import),
    ratio: spread(results.cached.map((value, round) => value / (results.import[round] ?? Number.NaN))),
  };
}

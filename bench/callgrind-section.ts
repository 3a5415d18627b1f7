/**
 * The callgrind section: a second gateway whose counted Workers run under
 * valgrind, and the instructions per request of every variant it counts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callgrindOnlyVariants, sseOpenVariants } from "./callgrind-variants.ts";
import type { GatewayOptions } from "./harness.ts";
import { newSecrets, startGateway } from "./harness.ts";
import type { InstructionsSection } from "./instructions.ts";
import { callgrindWrapper, keepCallgrindDumps, measureInstructions } from "./instructions.ts";
import type { SocketName } from "./ports.ts";
import { socketOf } from "./ports.ts";
import { fillCache, signedPaths } from "./seeding.ts";
import { settings } from "./settings.ts";
import { gatewayVariants, INSTRUCTION_VARIANTS } from "./variants.ts";

/** Objects the ranged-miss variant needs under callgrind: one per request it sends (check, warm-up, counted). */
export function rangedMissCount(): number {
  const { warmup, callgrindOnlyRequests, rounds } = settings.instructions;
  return 1 + warmup + callgrindOnlyRequests * rounds;
}

/** Instructions per request of INSTRUCTION_VARIANTS, in a gateway whose workerd runs under callgrind. */
export async function countInstructions(
  valgrindUnavailable: string | undefined,
  options: GatewayOptions,
): Promise<InstructionsSection> {
  const section: InstructionsSection = { settings: settings.instructions, variants: {} };
  if (valgrindUnavailable !== undefined) {
    console.log(`bench: callgrind unavailable: ${valgrindUnavailable}`);
    return { ...section, unavailable: valgrindUnavailable };
  }
  const directory = await mkdtemp(join(tmpdir(), "gateway-bench-callgrind-"));
  try {
    const { warmup, requests, rounds } = settings.instructions;
    const secrets = newSecrets();
    // Every request of the fresh-token variant (check, warm-up, counted) gets its own token.
    const paths = await signedPaths(secrets, 1 + warmup + requests * rounds, rangedMissCount());
    const variants = [
      ...gatewayVariants(paths).filter((variant) => INSTRUCTION_VARIANTS.includes(variant.id)),
      ...sseOpenVariants(),
      ...callgrindOnlyVariants(paths),
    ];
    // Only the Workers counted (and media and the bare cache, which fill the cache) start under valgrind.
    const sockets = new Set<SocketName>(["media", "bareCache", ...variants.map((variant) => socketOf(variant.url))]);
    const starting = performance.now();
    const counted = await startGateway({
      ...options,
      secrets,
      sockets,
      workerdCommand: await callgrindWrapper(directory),
    });
    try {
      section.startupSeconds = (performance.now() - starting) / 1000;
      // Instrumentation is still off: a run of this section alone starts with an empty cache.
      await fillCache(counted, paths);
      const counting = performance.now();
      section.variants = await measureInstructions(variants, counted.workerdPid, directory, settings.instructions);
      section.seconds = (performance.now() - counting) / 1000;
    } finally {
      await counted.dispose();
    }
  } catch (error) {
    section.unavailable = error instanceof Error ? error.message : String(error);
    console.log(`bench: callgrind unavailable: ${section.unavailable}`);
  } finally {
    await keepCallgrindDumps(directory);
    await rm(directory, { recursive: true, force: true });
  }
  return section;
}

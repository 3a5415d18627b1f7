/**
 * Instructions per request: the gateway's workerd run under valgrind's
 * callgrind, which counts the instructions the whole process executes. On
 * this shared 2-core machine CPU time per request of one variant varies
 * about 2x between consecutive runs; the instruction count of a repeat
 * varies by a few percent, so small differences (a router hop, a token
 * check) show. It says nothing about time per instruction, cache misses or
 * time spent in the kernel: those stay with the wall-clock sections.
 *
 * Instrumentation is off from the start (workerd starts in 5-10 s under
 * valgrind that way, much slower with it on) and while every variant is
 * checked and warmed up; then on for the counted rounds, with a dump (which
 * zeroes the counters) after each variant's requests.
 */
import { execFile } from "node:child_process";
import { chmod, cp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Spread } from "./stats.ts";
import { interleave, spread } from "./stats.ts";
import type { HttpVariant } from "./throughput.ts";
import { checkVariant, exchange } from "./throughput.ts";

const run = promisify(execFile);

/** Pause between a round's last answer and its dump. */
const SETTLE_MS = 100;
/** Pause between the warm-up and the first counted round. */
const WARMUP_SETTLE_MS = 2000;

export interface InstructionSettings {
  /** Requests per variant before counting (isolate start, JIT, first cache lookups). */
  warmup: number;
  /** Requests counted per variant and round. */
  requests: number;
  /** Requests counted per round for the callgrind-only kinds (a variant's own `requests`); absent in older published results. */
  callgrindOnlyRequests?: number;
  /** Interleaved rounds: each counts every variant once, in a rotated order. */
  rounds: number;
  /** Request loops running at once, as a light load. */
  concurrency: number;
}

export interface InstructionCount {
  description: string;
  available: boolean;
  unavailable?: string;
  /**
   * Instructions workerd executed (all its threads) while a round's counted
   * requests ran, divided by their number; one value per round.
   */
  instructionsPerRequest: Spread;
}

export interface InstructionsSection {
  settings: InstructionSettings;
  /** Why the section could not run at all. */
  unavailable?: string;
  startupSeconds?: number;
  /** Wall-clock seconds of the counting (warm-up, rounds, dumps), after start-up. */
  seconds?: number;
  variants: Record<string, InstructionCount>;
}

/** The workerd binary Miniflare itself would run (the `workerd` package's export, resolved from Miniflare). */
function workerdBinary(): string {
  const fromMiniflare = createRequire(import.meta.resolve("miniflare"));
  return (fromMiniflare("workerd") as { default: string }).default;
}

/** valgrind's options shared by the wrapper and callgrind_control (where vgdb's FIFOs live). */
function vgdbPrefix(directory: string): string {
  return `--vgdb-prefix=${join(directory, "vgdb")}`;
}

/**
 * Writes a wrapper that runs workerd under callgrind with instrumentation off,
 * for GatewayOptions.workerdCommand; its dumps and vgdb FIFOs go to `directory`.
 */
export async function callgrindWrapper(directory: string): Promise<string> {
  const wrapper = join(directory, "workerd-callgrind.sh");
  const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
  const options = [
    "--tool=callgrind",
    "--instr-atstart=no",
    `--callgrind-out-file=${join(directory, "cg.%p.out")}`,
    "--dump-instr=no",
    "--error-limit=no",
    vgdbPrefix(directory),
    "-q",
  ];
  await writeFile(wrapper, `#!/bin/sh\nexec valgrind ${options.map(quote).join(" ")} ${quote(workerdBinary())} "$@"\n`);
  await chmod(wrapper, 0o755);
  return wrapper;
}

export async function callgrindControl(directory: string, pid: number, ...args: string[]): Promise<void> {
  await run("callgrind_control", [vgdbPrefix(directory), ...args, String(pid)], { timeout: 60_000 });
}

/**
 * The `totals:` line (the instruction count: the only event collected) of
 * the newest dump; its `summary:` line is 0 when instrumentation starts off.
 */
export async function newestDumpTotal(
  directory: string,
  pid: number,
  seenBefore: ReadonlySet<string>,
): Promise<number> {
  const prefix = `cg.${pid}.out`;
  const deadline = performance.now() + 10_000;
  for (;;) {
    const dumps = (await readdir(directory)).filter((file) => file.startsWith(prefix) && !seenBefore.has(file));
    const withTimes = await Promise.all(
      dumps.map(async (file) => ({ file, mtime: (await stat(join(directory, file))).mtimeMs })),
    );
    const newest = withTimes.sort((a, b) => b.mtime - a.mtime)[0];
    if (newest) {
      const text = await readFile(join(directory, newest.file), "utf8");
      const total = /^totals:\s+(\d+)/m.exec(text)?.[1];
      if (total !== undefined) return Number(total);
    }
    if (performance.now() > deadline) throw new Error(`bench: no callgrind dump with totals in ${directory}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Sends `count` requests over `concurrency` loops, turns `first` on (for a
 * variant that rotates paths, each request its own path); every answer is
 * checked for status and size, so a broken variant is never counted.
 */
async function load(variant: HttpVariant, first: number, count: number, concurrency: number): Promise<void> {
  let next = first;
  const end = first + count;
  const loop = async (): Promise<void> => {
    while (next < end) {
      const turn = next++;
      const { status, bytes } = await exchange(variant, turn, 60_000);
      if (status !== variant.expectStatus || bytes !== variant.expectBytes) {
        throw new Error(
          `bench: ${variant.id} answered ${status} with ${bytes} bytes under callgrind, expected ${variant.expectStatus} with ${variant.expectBytes}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

/**
 * Counts each variant's instructions per request in the workerd `pid` (started
 * with callgrindWrapper(directory)). All variants are checked and warmed up
 * with instrumentation off (fast, and long enough for V8 to have optimised
 * the hot code: Maglev and TurboFan compiling in a counted round added 10-15%
 * to it); then, with it on, each round sends one variant's requests and
 * dumps, for every variant in a rotated order. A young-generation garbage
 * collection (and the frees of the C++ objects it releases) adds 5-10% to
 * whichever round it lands in: the median of rounds leaves most of those
 * out, min and max show them.
 */
export async function measureInstructions(
  variants: readonly HttpVariant[],
  pid: number,
  directory: string,
  settings: InstructionSettings,
): Promise<Record<string, InstructionCount>> {
  const counts: Record<string, InstructionCount> = {};
  const runnable: HttpVariant[] = [];
  // Next turn per variant: turn 0 is the check, warm-up and rounds go on from
  // there, so a variant that rotates paths never sends one twice.
  const nextTurn = new Map<string, number>();
  for (const variant of variants) {
    let problem = await checkVariant(variant, 0);
    if (problem === undefined) {
      problem = await load(variant, 1, settings.warmup, settings.concurrency).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
    }
    counts[variant.id] = {
      description: variant.description,
      available: problem === undefined,
      ...(problem === undefined ? {} : { unavailable: problem }),
      instructionsPerRequest: spread([]),
    };
    if (problem !== undefined) {
      console.log(`bench: ${variant.id} unavailable under callgrind: ${problem}`);
      continue;
    }
    runnable.push(variant);
    nextTurn.set(variant.id, 1 + settings.warmup);
  }
  const byId = new Map(runnable.map((variant) => [variant.id, variant]));
  // Let V8 finish what the warm-up queued on its background threads (optimising
  // compiles, GC tasks) before counting: else it lands in the first round.
  await new Promise((resolve) => setTimeout(resolve, WARMUP_SETTLE_MS));
  await callgrindControl(directory, pid, "--instr=on");
  await callgrindControl(directory, pid, "--zero");
  const results = await interleave(
    runnable.map((variant) => variant.id),
    settings.rounds,
    async (id, round) => {
      const variant = byId.get(id);
      if (variant === undefined) throw new Error(`bench: no variant ${id}`);
      const first = nextTurn.get(id) ?? 0;
      const requests = variant.requests ?? settings.requests;
      nextTurn.set(id, first + requests);
      const seenBefore = new Set(await readdir(directory));
      await load(variant, first, requests, settings.concurrency);
      // What workerd still does once the last answer is out (closing, logs) belongs to these requests.
      await new Promise((resolve) => setTimeout(resolve, variant.settleMs ?? SETTLE_MS));
      // A dump also zeroes the counters, so the next variant starts from 0.
      await callgrindControl(directory, pid, `--dump=${id}-round-${round + 1}`);
      const instructionsPerRequest = (await newestDumpTotal(directory, pid, seenBefore)) / requests;
      if (!(instructionsPerRequest > 0))
        throw new Error("callgrind counted no instructions (instrumentation never switched on?)");
      process.stdout.write(
        `  round ${round + 1} ${id.padEnd(22)} ${(instructionsPerRequest / 1000).toFixed(0).padStart(6)}k instructions/request\n`,
      );
      return instructionsPerRequest;
    },
  );
  for (const [id, perRound] of Object.entries(results)) {
    const count = counts[id];
    if (count) count.instructionsPerRequest = spread(perRound);
  }
  return counts;
}

/**
 * With BENCH_KEEP_CALLGRIND=1, copies the run's callgrind dumps to
 * dist/callgrind/<time>/ (for `callgrind_annotate --inclusive=yes` diffs)
 * before the temporary directory goes; returns where, or undefined.
 */
export async function keepCallgrindDumps(directory: string): Promise<string | undefined> {
  if (process.env.BENCH_KEEP_CALLGRIND !== "1") return undefined;
  const kept = join("dist", "callgrind", new Date().toISOString().replace(/[:.]/g, "-"));
  await cp(directory, kept, { recursive: true, filter: (source) => !source.includes("vgdb") });
  console.log(`bench: callgrind dumps kept in ${kept}`);
  return kept;
}

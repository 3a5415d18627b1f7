/**
 * The end of a bench run: its two tables printed, and latest.{json,md,svg}
 * written to dist/bench-results/ (ignored by git: a run leaves the working
 * tree clean), or with `--publish` to the committed bench/results/.
 */
import { loadavg } from "node:os";
import type { Check, Sections } from "./check-kinds.ts";
import { verdictOf } from "./check-kinds.ts";
import { svgChart } from "./chart.ts";
import { cpuBudgetChecks } from "./budget-checks.ts";
import { instructionRatios, otherChecks } from "./checks.ts";
import { details, markdownTable, textTable, writeResults } from "./report.ts";
import { partialRun, publishing, settings } from "./settings.ts";

export interface RunRecord {
  startedAt: Date;
  durationSeconds: number;
  /** Wall-clock seconds per section. */
  timings: Record<string, number>;
  /** Versions of workerd, wrangler, node and the peers. */
  harness: Record<string, string>;
  seeding: Record<string, number>;
  workerLogLines: number;
  sections: Sections;
}

/** Where this run's results go: the committed bench/results/ only when asked (`npm run bench -- --publish`). */
function resultsDirectory(): string {
  return publishing ? "bench/results" : "dist/bench-results";
}

/** Prints the run's tables and writes its results. */
export async function publishRun({
  startedAt,
  durationSeconds,
  timings,
  harness,
  seeding,
  workerLogLines,
  sections,
}: RunRecord): Promise<void> {
  // A cut-down run shows only the rows it measured.
  const shown = (list: Check[]): Check[] => list.filter((check) => !partialRun || verdictOf(check) !== "n/a");
  const [budgets, ratios, others] = [
    shown(cpuBudgetChecks(sections)),
    shown(instructionRatios(sections)),
    shown(otherChecks(sections)),
  ];
  const checks = [...budgets, ...ratios, ...others];
  const header = [
    `Run ${startedAt.toISOString()} in ${durationSeconds.toFixed(0)} s (${Object.entries(timings)
      .map(([name, seconds]) => `${name} ${seconds.toFixed(0)} s`)
      .join(
        ", ",
      )}); ${settings.rounds} interleaved rounds (SSE: ${settings.sseRounds} at ${settings.sseManyStreams} streams); load avg at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
    ...Object.entries(harness).map(([name, version]) => `${name}: ${version}`),
  ];
  // A table without rows (a cut-down run) is left out with its title.
  const tables = [
    {
      title:
        "Targets: CPU per request kind, our own instructions beyond the bare peer (callgrind, median of rounds and min – max):",
      checks: budgets,
    },
    {
      title:
        "Pairs by instructions, reported (callgrind, median of rounds and min – max; req/s and CPU per request as context, median and min – max):",
      checks: ratios,
    },
    {
      title: "Wall-clock and memory checks (reports, and the targets no instruction count can stand in for):",
      checks: others,
    },
  ].filter((table) => table.checks.length > 0);
  console.log(`\n${header.join("\n")}\n`);
  for (const table of tables) console.log(`${table.title}\n\n${textTable(table.checks)}\n`);
  console.log(details(sections));
  const markdown = [
    "# Benchmark results (latest run)",
    "",
    ...header.map((line) => `- ${line}`),
    "",
    ...tables.flatMap((table) => [table.title, "", markdownTable(table.checks), ""]),
    details(sections),
    "",
  ].join("\n");
  const failed = checks.filter((check) => verdictOf(check) === "miss").map((check) => check.id);
  const json = {
    startedAt: startedAt.toISOString(),
    durationSeconds,
    harness,
    settings,
    seeding,
    timings,
    workerLogLines,
    checks: checks.map((check) => ({ ...check, verdict: verdictOf(check) })),
    missed: failed,
    ...sections,
  };
  const directory = resultsDirectory();
  await writeResults(directory, json, markdown, svgChart(checks));
  console.log(
    `\nbench: ${checks.length} checks, ${failed.length} missed${failed.length ? ` (${failed.join(", ")})` : ""}; wrote ${directory}/latest.{json,md,svg}`,
  );
}

/**
 * The bench's output: one table of checks and the measurements behind them
 * as markdown (stdout and latest.md), the whole run in latest.json, and an
 * SVG chart of the ratios (bench/chart.ts).
 */
import { mkdir, writeFile } from "node:fs/promises";
import type { Check, Sections } from "./check-kinds.ts";
import { verdictOf } from "./check-kinds.ts";
import type { InstructionsSection } from "./instructions.ts";
import { heapLines } from "./isolate-heaps.ts";
import type { Spread } from "./stats.ts";
import { spread } from "./stats.ts";

function format(value: number, unit: string): string {
  if (Number.isNaN(value)) return "–";
  const digits = unit === "x" ? 2 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit === "x" ? "x" : ` ${unit}`}`;
}

function targetText(check: Check): string {
  if (check.target === undefined) return "(report)";
  return check.target.text ?? `${check.target.op} ${format(check.target.value, check.unit)}`;
}

export interface Row {
  check: string;
  median: string;
  range: string;
  target: string;
  result: string;
  /** Context of a row judged by instructions (empty otherwise). */
  rps: string;
  cpu: string;
}

const HEADERS: Row = {
  check: "Check",
  median: "Median",
  range: "Min – max",
  target: "Target",
  result: "Result",
  rps: "by req/s (min – max)",
  cpu: "by CPU/request (min – max)",
};

function withSpread(value: Spread | undefined, unit: string): string {
  if (value === undefined || Number.isNaN(value.median)) return "–";
  return `${format(value.median, unit)} (${format(value.min, unit)} – ${format(value.max, unit)})`;
}

export function rows(checks: readonly Check[]): Row[] {
  return checks.map((check) => ({
    check: check.label,
    median: format(check.value.median, check.unit),
    range: Number.isNaN(check.value.min)
      ? "–"
      : `${format(check.value.min, check.unit)} – ${format(check.value.max, check.unit)}`,
    target: targetText(check),
    result: check.unavailable === undefined ? verdictOf(check) : `n/a: ${check.unavailable}`,
    rps: withSpread(check.context?.rps, check.unit),
    cpu: withSpread(check.context?.cpu, check.unit),
  }));
}

/** The columns of a table: the context ones only for rows judged by instructions. */
function columns(checks: readonly Check[]): (keyof Row)[] {
  const all = Object.keys(HEADERS) as (keyof Row)[];
  return checks.some((check) => check.context !== undefined)
    ? all
    : all.filter((key) => key !== "rps" && key !== "cpu");
}

export function textTable(checks: readonly Check[]): string {
  const table = rows(checks);
  const keys = columns(checks);
  const widths = keys.map((key) => Math.max(HEADERS[key].length, ...table.map((row) => row[key].length)));
  const line = (row: Row): string =>
    keys
      .map((key, i) => row[key].padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(HEADERS), widths.map((width) => "-".repeat(width)).join("  "), ...table.map(line)].join("\n");
}

export function markdownTable(checks: readonly Check[]): string {
  const escape = (text: string): string => text.replaceAll("|", "\\|");
  const keys = columns(checks);
  const align = (key: keyof Row): string => (key === "check" || key === "target" || key === "result" ? "---" : "---:");
  return [
    `| ${keys.map((key) => HEADERS[key]).join(" | ")} |`,
    `|${keys.map(align).join("|")}|`,
    ...rows(checks).map((row) => `| ${keys.map((key) => escape(row[key])).join(" | ")} |`),
  ].join("\n");
}

/** The callgrind section's table (instructions per request, and over the floor Worker's). */
function instructionLines(section: InstructionsSection | undefined): string[] {
  if (section === undefined) return ["Instructions per request (callgrind): not run."];
  if (section.unavailable !== undefined)
    return [`Instructions per request (callgrind): unavailable (${section.unavailable}).`];
  const { warmup, requests, callgrindOnlyRequests, rounds, concurrency } = section.settings;
  const fewer =
    callgrindOnlyRequests === undefined || callgrindOnlyRequests === requests
      ? ""
      : ` (${callgrindOnlyRequests} for the callgrind-only kinds)`;
  const floor = section.variants.floor?.instructionsPerRequest.median;
  const thousands = (value: number): string => `${(value / 1000).toFixed(0)}k`;
  const lines = [
    `Instructions per request (callgrind: all of workerd's threads while ${requests} requests${fewer} ran, ${concurrency} at a time, per variant and round; ${rounds} interleaved round(s) after ${warmup} warm-up requests per variant; median of rounds, min – max; workerd started under valgrind in ${(section.startupSeconds ?? Number.NaN).toFixed(0)} s, counting took ${(section.seconds ?? Number.NaN).toFixed(0)} s):`,
    "",
    "| Variant | instructions/request | min – max | over the floor Worker |",
    "|---|---:|---:|---:|",
  ];
  for (const [id, count] of Object.entries(section.variants)) {
    const value = count.instructionsPerRequest;
    lines.push(
      count.available
        ? `| ${id}: ${count.description} | ${thousands(value.median)} | ${thousands(value.min)} – ${thousands(value.max)} | ${floor === undefined || id === "floor" ? "–" : thousands(value.median - floor)} |`
        : `| ${id}: ${count.description} | n/a: ${count.unavailable ?? ""} | | |`,
    );
  }
  return lines;
}

const percent = (share: Spread | undefined): string => `${((share?.median ?? Number.NaN) * 100).toFixed(0)}%`;

/** The measurements behind the checks, as markdown tables (also readable on stdout). */
export function details(sections: Sections): string {
  const lines: string[] = [
    "Throughput per variant (wrk, 64 KiB; req/s median of rounds) and CPU share of the machine (all cores = 100%):",
    "",
    "| Variant | req/s | min – max | p99 ms | server CPU µs/req | workerd | wrk | nginx | bench host | others |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [id, v] of Object.entries(sections.throughput)) {
    const share = (group: string): string => percent(v.cpuShares[group]);
    lines.push(
      v.available
        ? `| ${id}: ${v.description} | ${v.requestsPerSecond.median.toFixed(0)} | ${v.requestsPerSecond.min.toFixed(0)} – ${v.requestsPerSecond.max.toFixed(0)} | ${v.p99Ms.median.toFixed(2)} | ${v.serverCpuUsPerRequest.median.toFixed(0)} | ${share("workerd")} | ${share("wrk")} | ${share("nginx")} | ${share("benchHost")} | ${share("others")} |`
        : `| ${id}: ${v.description} | n/a: ${v.unavailable ?? ""} | | | | | | | | |`,
    );
  }
  for (const [id, v] of Object.entries(sections.throughput)) {
    if (v.pathTurns === undefined) continue;
    const { sent, distinct } = v.pathTurns;
    lines.push(
      "",
      `${id}: at most ${sent} requests over all rounds, over ${distinct} distinct tokens${sent > distinct ? ": some tokens were sent again" : ": none sent twice"}.`,
    );
  }
  const forwarder = sections.throughput["hop-forwarder"];
  if (forwarder?.available) {
    const extraOver = (id: string): Spread =>
      spread(
        (sections.throughput[id]?.serverCpuUsPerRequest.rounds ?? []).map(
          (us, round) => us - (forwarder.serverCpuUsPerRequest.rounds[round] ?? Number.NaN),
        ),
      );
    const router = extraOver("hop-router");
    lines.push(
      "",
      `Hop profile, end to end: workerd CPU per request ${forwarder.serverCpuUsPerRequest.median.toFixed(0)} µs for the bare forwarder -> floor; the router -> floor costs ${router.median.toFixed(0)} µs more (per-round differences ${router.min.toFixed(0)} – ${router.max.toFixed(0)} µs).`,
    );
  }
  const steps = sections.hopSteps;
  if (steps) {
    const parts = Object.entries(steps.stepUs).map(
      ([step, us]) => `${step} ${us.median.toFixed(1)} µs (${us.min.toFixed(1)} – ${us.max.toFixed(1)})`,
    );
    lines.push(
      "",
      `Hop profile, step by step (the router's own functions, and one media-style log line, each in a loop of ${steps.batch} inside workerd; workerd CPU per execution beyond an empty loop): ${parts.join("; ")}.`,
    );
  }
  lines.push("", ...instructionLines(sections.instructions));
  for (const level of sections.sse) {
    lines.push(
      "",
      `SSE, ${level.streams} stream(s), ${level.eventsPerStream} events each, one every 100 ms (medians of rounds; "all open": events written from ${level.settleMs} ms after the last stream opened; RSS growth of the proxying process per open stream):`,
      "",
      "| Variant | lost | p50 ms | p99 ms | added p99 ms | all open: p99 ms | all open: added p99 ms | open all ms | RSS KiB/stream | proxy CPU µs/event | workerd | nginx | origin | client | others |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const [id, v] of Object.entries(level.variants)) {
      lines.push(
        `| ${id}: ${v.description} | ${v.lost.median} (max ${v.lost.max}) | ${v.p50Ms.median.toFixed(2)} | ${v.p99Ms.median.toFixed(2)} | ${v.addedP99Ms.median.toFixed(2)} | ${v.steadyP99Ms.median.toFixed(2)} | ${v.addedSteadyP99Ms.median.toFixed(2)} | ${v.openMs.median.toFixed(0)} | ${Number.isNaN(v.rssPerStreamKiB.median) ? "–" : v.rssPerStreamKiB.median.toFixed(1)} | ${Number.isNaN(v.proxyCpuUsPerEvent.median) ? "–" : v.proxyCpuUsPerEvent.median.toFixed(0)} | ${percent(v.cpuShares.workerd)} | ${percent(v.cpuShares.nginx)} | ${percent(v.cpuShares.sseOrigin)} | ${percent(v.cpuShares.sseClient)} | ${percent(v.cpuShares.others)} |`,
      );
    }
  }
  for (const [id, problem] of Object.entries(sections.sseUnavailable))
    lines.push("", `SSE ${id}: not measured (${problem}).`);
  const heaps = heapLines(sections.isolateHeaps);
  if (heaps.length > 0) lines.push("", ...heaps);
  const large = sections.largeObject;
  if (large) {
    const f = large.fullStream;
    lines.push(
      "",
      "Large object (1 GiB, through the router):",
      "",
      "| 1 MiB range | TTFB ms | total ms | MiB/s |",
      "|---|---:|---:|---:|",
      `| at start | ${large.start.ttfbMs.median.toFixed(1)} | ${large.start.totalMs.median.toFixed(1)} | ${large.start.mibPerSecond.median.toFixed(0)} |`,
      `| at end | ${large.end.ttfbMs.median.toFixed(1)} | ${large.end.totalMs.median.toFixed(1)} | ${large.end.mibPerSecond.median.toFixed(0)} |`,
      "",
      `Full 1 GiB stream: ${f.status}, ${f.bytes} bytes in ${f.seconds.toFixed(1)} s (${f.mibPerSecond.toFixed(0)} MiB/s); workerd RSS ${f.rssBeforeMiB.toFixed(0)} MiB before, peak ${f.rssPeakMiB.toFixed(0)} MiB (growth ${f.rssGrowthMiB.toFixed(1)} MiB).`,
    );
  } else if (sections.largeObjectError) lines.push("", `Large object: not measured (${sections.largeObjectError}).`);
  const verify = sections.tokenVerify;
  if (verify) {
    lines.push(
      "",
      `Token verification in workerd (jose jwtVerify, HS256, batches of ${verify.batch}): cached CryptoKey ${verify.cachedPerSecond.median.toFixed(0)}/s, import per call ${verify.importPerSecond.median.toFixed(0)}/s.`,
    );
  }
  return lines.join("\n");
}

export async function writeResults(directory: string, json: unknown, markdown: string, svg: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(`${directory}/latest.json`, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(`${directory}/latest.md`, markdown);
  await writeFile(`${directory}/latest.svg`, `${svg}\n`);
}

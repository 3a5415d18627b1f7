/**
 * The bench's output: one table of checks (stdout and latest.md), the whole
 * run in latest.json, and an SVG chart of the ratios.
 */
import { mkdir, writeFile } from "node:fs/promises";
import type { Spread } from "./stats.ts";

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
}

export type Verdict = "pass" | "miss" | "info" | "n/a";

export function verdictOf(check: Check): Verdict {
  if (check.unavailable !== undefined || Number.isNaN(check.value.median)) return "n/a";
  if (check.target === undefined) return "info";
  const ok = check.target.op === ">=" ? check.value.median >= check.target.value : check.value.median <= check.target.value;
  return ok ? "pass" : "miss";
}

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
}

export function rows(checks: readonly Check[]): Row[] {
  return checks.map((check) => ({
    check: check.label,
    median: format(check.value.median, check.unit),
    range: Number.isNaN(check.value.min) ? "–" : `${format(check.value.min, check.unit)} – ${format(check.value.max, check.unit)}`,
    target: targetText(check),
    result: check.unavailable === undefined ? verdictOf(check) : `n/a: ${check.unavailable}`,
  }));
}

export function textTable(checks: readonly Check[]): string {
  const table = rows(checks);
  const headers: Row = { check: "Check", median: "Median", range: "Min – max", target: "Target", result: "Result" };
  const keys = Object.keys(headers) as (keyof Row)[];
  const widths = keys.map((key) => Math.max(headers[key].length, ...table.map((row) => row[key].length)));
  const line = (row: Row): string => keys.map((key, i) => row[key].padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(headers), widths.map((width) => "-".repeat(width)).join("  "), ...table.map(line)].join("\n");
}

export function markdownTable(checks: readonly Check[]): string {
  const escape = (text: string): string => text.replaceAll("|", "\\|");
  return [
    "| Check | Median | Min – max | Target | Result |",
    "|---|---:|---:|---|---|",
    ...rows(checks).map((row) => `| ${escape(row.check)} | ${row.median} | ${row.range} | ${escape(row.target)} | ${escape(row.result)} |`),
  ].join("\n");
}

/** Horizontal bars for the ratio checks: median bar, min–max whisker, target tick. */
export function svgChart(checks: readonly Check[]): string {
  const ratios = checks.filter((check) => check.unit === "x" && !Number.isNaN(check.value.median));
  const rowHeight = 26;
  const labelWidth = 430;
  const plotWidth = 420;
  const maxValue = Math.max(1.2, ...ratios.map((check) => check.value.max), ...ratios.map((check) => check.target?.value ?? 0));
  const x = (value: number): number => labelWidth + (Math.min(value, maxValue) / maxValue) * plotWidth;
  const height = ratios.length * rowHeight + 50;
  const escape = (text: string): string => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  const bars = ratios.map((check, i) => {
    const y = 30 + i * rowHeight;
    const verdict = verdictOf(check);
    const color = verdict === "pass" ? "#2e7d32" : verdict === "miss" ? "#c62828" : "#546e7a";
    const target = check.target ? `<line x1="${x(check.target.value)}" x2="${x(check.target.value)}" y1="${y - 2}" y2="${y + 18}" stroke="#000" stroke-width="2"/>` : "";
    return [
      `<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escape(check.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 2}" width="${x(check.value.median) - labelWidth}" height="14" fill="${color}" opacity="0.8"/>`,
      `<line x1="${x(check.value.min)}" x2="${x(check.value.max)}" y1="${y + 9}" y2="${y + 9}" stroke="#222"/>`,
      target,
      `<text x="${x(check.value.max) + 6}" y="${y + 13}">${check.value.median.toFixed(2)}x</text>`,
    ].join("");
  });
  const oneX = x(1);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 70}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="8" y="16" font-weight="bold">Median ratio per check (bar), min–max over rounds (whisker), target (black tick)</text>`,
    `<line x1="${oneX}" x2="${oneX}" y1="24" y2="${height - 10}" stroke="#999" stroke-dasharray="3,3"/>`,
    ...bars,
    "</svg>",
  ].join("\n");
}

export async function writeResults(directory: string, json: unknown, markdown: string, svg: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(`${directory}/latest.json`, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(`${directory}/latest.md`, markdown);
  await writeFile(`${directory}/latest.svg`, `${svg}\n`);
}

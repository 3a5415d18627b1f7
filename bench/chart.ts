/** The SVG chart of the bench's ratio rows (bench/results/latest.svg). */
import type { Check } from "./check-kinds.ts";
import { verdictOf } from "./check-kinds.ts";

/** Horizontal bars for the ratio checks: median bar, min–max whisker, target tick. */
export function svgChart(checks: readonly Check[]): string {
  const ratios = checks.filter((check) => check.unit === "x" && !Number.isNaN(check.value.median));
  const rowHeight = 26;
  const labelWidth = 430;
  const plotWidth = 420;
  const maxValue = Math.max(
    1.2,
    ...ratios.map((check) => check.value.max),
    ...ratios.map((check) => check.target?.value ?? 0),
  );
  const x = (value: number): number => labelWidth + (Math.min(value, maxValue) / maxValue) * plotWidth;
  const height = ratios.length * rowHeight + 50;
  const escape = (text: string): string =>
    text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  const bars = ratios.map((check, i) => {
    const y = 30 + i * rowHeight;
    const verdict = verdictOf(check);
    const color = verdict === "pass" ? "#2e7d32" : verdict === "miss" ? "#c62828" : "#546e7a";
    const target = check.target
      ? `<line x1="${x(check.target.value)}" x2="${x(check.target.value)}" y1="${y - 2}" y2="${y + 18}" stroke="#000" stroke-width="2"/>`
      : "";
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

/**
 * The "Limits and budgets per request" table of docs/operations.md, made from
 * its data (docs/request-budgets.json): the request-budgets system test counts
 * against the data, and the docs show the table made from it.
 * `npm run docs:budgets` rewrites the table; `--check` fails when it is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";

/** What one request of a kind causes, as counted by test/system/request-budgets.test.ts. */
export interface BudgetCounts {
  invocations: number;
  cacheMatches: number;
  cachePuts: number;
  r2Heads: number;
  r2Gets: number;
  r2RangedGets: number;
  backendFetches: number;
}

export interface BudgetRow {
  kind: string;
  /** Which Workers the invocations are, when the row names them. */
  invokes?: string;
  /** The subrequests in words (which read is the fill's, why a count is what it is). */
  subrequests: string;
  /** The counts the system test asserts; null for a CPU-only row. */
  counts: BudgetCounts | null;
  /** Our instructions beyond the bare peer, in thousands (the bench's callgrind section). */
  cpu: string;
  cpuBudget: string;
}

export const BUDGETS_PATH = "docs/request-budgets.json";
const DOC_PATH = "docs/operations.md";
const START = "<!-- request-budgets:start (npm run docs:budgets writes this table from docs/request-budgets.json) -->";
const END = "<!-- request-budgets:end -->";

export function readBudgetRows(path = BUDGETS_PATH): BudgetRow[] {
  return JSON.parse(readFileSync(path, "utf8")) as BudgetRow[];
}

/** The table as markdown. */
export function budgetTable(rows: readonly BudgetRow[]): string {
  const lines = [
    "| Request kind | Worker invocations | Subrequests (R2, cache, backend) | CPU: ours beyond the bare peer (callgrind, k instructions) | CPU budget (k instructions) |",
    "|---|---|---|---:|---:|",
  ];
  for (const row of rows) {
    const invocations =
      row.counts === null ? "–" : `${row.counts.invocations}${row.invokes === undefined ? "" : `: ${row.invokes}`}`;
    lines.push(`| ${row.kind} | ${invocations} | ${row.subrequests} | ${row.cpu} | ${row.cpuBudget} |`);
  }
  return lines.join("\n");
}

/** The document with the table between its markers replaced. */
export function withBudgetTable(doc: string, table: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start === -1 || end < start) throw new Error(`${DOC_PATH} lacks the request-budgets markers`);
  return `${doc.slice(0, start + START.length)}\n\n${table}\n\n${doc.slice(end)}`;
}

if (import.meta.main) {
  const doc = readFileSync(DOC_PATH, "utf8");
  const updated = withBudgetTable(doc, budgetTable(readBudgetRows()));
  if (process.argv.includes("--check")) {
    if (updated !== doc) {
      console.error(`docs:budgets: ${DOC_PATH}'s table differs from ${BUDGETS_PATH}: run npm run docs:budgets`);
      process.exit(1);
    }
    console.log("docs:budgets: the table is up to date");
  } else {
    writeFileSync(DOC_PATH, updated);
    console.log(`docs:budgets: ${DOC_PATH} written`);
  }
}

/**
 * The runbook names only commands that exist, and each one it names is
 * covered by a test listed in its "Which test covers what" table (whose test
 * files must exist): a renamed script or a dropped test fails here.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { budgetTable, readBudgetRows, withBudgetTable } from "../../scripts/budget-table.ts";

const runbook = readFileSync("docs/operations.md", "utf8");
const readme = readFileSync("README.md", "utf8");
const scripts = Object.keys(
  (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts,
);
/** Scripts of the foundation (dev server, builds, the test command itself), tested by their own suites. */
const FOUNDATION = new Set(["dev", "test", "check", "types", "types:check", "build", "lint"]);

function namedScripts(text: string): string[] {
  return [...new Set([...text.matchAll(/npm run (?:--silent )?([a-z][a-z:-]*[a-z])/g)].map((match) => match[1] ?? ""))];
}

const coverageSection = runbook.slice(runbook.indexOf("## Which test covers what"));
const coverageRows = coverageSection
  .split("\n")
  .filter((line) => line.startsWith("| ") && !line.startsWith("| ---") && !line.startsWith("| Command"));

/** The row of the coverage table that names a script (`deploy:<worker>` stands for each Worker, `versions:*` for each action). */
function coverageRowFor(script: string): string | undefined {
  return coverageRows.find((row) => {
    const subject = row.split("|")[1] ?? "";
    return [...subject.matchAll(/`([^`]+)`/g)].some(([, name]) => {
      if (name === undefined) return false;
      if (name === script) return true;
      const pattern = new RegExp(`^${name.replaceAll("*", "[a-z]+").replace("<worker>", "(media|api|router)")}$`);
      return pattern.test(script);
    });
  });
}

describe("docs/operations.md", () => {
  it("shows the request-budgets table made from docs/request-budgets.json (npm run docs:budgets)", () => {
    expect(withBudgetTable(runbook, budgetTable(readBudgetRows()))).toBe(runbook);
  });

  it("names only npm scripts that exist", () => {
    const named = namedScripts(runbook);
    expect(named.length).toBeGreaterThan(15);
    expect(named.filter((script) => !scripts.includes(script))).toEqual([]);
  });

  it.each(namedScripts(runbook).filter((script) => !FOUNDATION.has(script)))(
    "covers `npm run %s` with a test that exists",
    (script) => {
      const row = coverageRowFor(script);
      expect(row, `no row of "Which test covers what" names ${script}`).toBeDefined();
      const testFiles = [...(row ?? "").matchAll(/`([\w./-]+\.test\.ts)`/g)].map((match) => match[1] ?? "");
      expect(testFiles.length + ((row ?? "").includes("runs in `npm test`") ? 1 : 0)).toBeGreaterThan(0);
      for (const file of testFiles) expect(existsSync(file), file).toBe(true);
    },
  );

  it("has every troubleshooting row the issue asks for", () => {
    const table = runbook.slice(runbook.indexOf("## Troubleshooting"), runbook.indexOf("## Which test covers what"));
    for (const symptom of [
      "index.html",
      "401 on every media request",
      "invalid: signature",
      "expired",
      "404",
      "SSE events arrive all at once",
      "502",
      "504",
      "429",
      "No targets deployed",
    ]) {
      expect(table).toContain(symptom);
    }
    for (const row of table
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| ---") && !line.startsWith("| Symptom"))) {
      expect(row.split("|").filter((cell) => cell.trim() !== "")).toHaveLength(4);
    }
  });
});

describe("the README", () => {
  it("has a short Deploy section that points to the runbook, naming only existing scripts", () => {
    const section = readme.slice(readme.indexOf("## Deploy"), readme.indexOf("\n## ", readme.indexOf("## Deploy") + 1));
    expect(section).toContain("docs/operations.md");
    expect(section.split("\n").length).toBeLessThan(20);
    expect(namedScripts(section).filter((script) => !scripts.includes(script))).toEqual([]);
  });
});

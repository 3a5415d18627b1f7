/**
 * Prints the one closing line CI reads: `N passed, N failed`, summed over the
 * vitest JSON reports named on the command line. A report that is missing (its
 * suite never ran, say because type checking failed first) counts as one failure.
 */
import { existsSync, readFileSync } from "node:fs";

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests?: number;
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.error(`ci-summary: ${file} is missing: its suite did not run`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(file, "utf8")) as VitestJsonReport;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests ?? 0;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);

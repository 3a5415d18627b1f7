/**
 * `npm run check:deploy`: everything a deploy can get wrong that is knowable
 * without Cloudflare. For every configured environment it bundles all three
 * Workers exactly as `wrangler deploy` would (`--dry-run --outdir`), prints
 * each bundle's size, fails above the budget, and fails on any problem
 * `environmentProblems` finds (route patterns or run_worker_first missing an
 * owned prefix, service bindings pointing at another environment, …).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildWorkers } from "./build-workers.ts";
import { environmentProblems } from "./deploy-checks.ts";
import type { GatewayConfigs } from "./deploy-checks.ts";
import { readWorkerConfig } from "./wrangler-config.ts";
import { ENVIRONMENTS, WORKERS } from "./workers.ts";

/**
 * The size budget per Worker bundle, far under the platform's limits (3 MB
 * gzip on Free, 10 MB on paid plans) on purpose. Every isolate parses and runs
 * the whole bundle before its first request, under the startup CPU limit, so
 * bundle size is cold-start latency on every new isolate. Ours measured
 * 4.6–21 KiB gzip, 14–80 KiB raw (2026-11-23: hono, jose and our code,
 * unminified); about six times that leaves room to grow and still trips the
 * day someone bundles a Node polyfill layer or a whole SDK by accident, long
 * before the platform would refuse it.
 */
export const BUNDLE_BUDGET = { rawBytes: 512 * 1024, gzipBytes: 128 * 1024 } as const;

export interface BundleSize {
  rawBytes: number;
  gzipBytes: number;
}

/** Files in a `--outdir` that are uploaded as modules (not the source map, not wrangler's README). */
function isModuleFile(name: string): boolean {
  return !name.endsWith(".map") && name !== "README.md";
}

/** Size of a bundle as wrangler reports it: the modules' bytes, and their concatenation gzipped. */
export function bundleSize(outdir: string): BundleSize {
  const contents = readdirSync(outdir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && isModuleFile(entry.name))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name)));
  const all = Buffer.concat(contents);
  return { rawBytes: all.byteLength, gzipBytes: gzipSync(all).byteLength };
}

/** The budget lines a bundle breaks, empty when it fits. */
export function budgetProblems(label: string, size: BundleSize, budget: BundleSize = BUNDLE_BUDGET): string[] {
  const problems: string[] = [];
  if (size.rawBytes > budget.rawBytes) problems.push(`${label}: ${kib(size.rawBytes)} raw exceeds the budget of ${kib(budget.rawBytes)}`);
  if (size.gzipBytes > budget.gzipBytes) problems.push(`${label}: ${kib(size.gzipBytes)} gzip exceeds the budget of ${kib(budget.gzipBytes)}`);
  return problems;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

if (import.meta.main) {
  const configs: GatewayConfigs = {
    router: readWorkerConfig({ config: "wrangler.router.toml" }),
    media: readWorkerConfig({ config: "wrangler.media.toml" }),
    api: readWorkerConfig({ config: "wrangler.api.toml" }),
  };
  const problems: string[] = [];
  console.log(`check:deploy: bundle budget per Worker ${kib(BUNDLE_BUDGET.rawBytes)} raw / ${kib(BUNDLE_BUDGET.gzipBytes)} gzip`);
  for (const environment of ENVIRONMENTS) {
    await buildWorkers(environment);
    for (const worker of WORKERS) {
      const size = bundleSize(`dist/${environment}/${worker.name}`);
      console.log(`  ${environment.padEnd(10)} ${worker.name.padEnd(6)} ${kib(size.rawBytes).padStart(10)} raw ${kib(size.gzipBytes).padStart(10)} gzip`);
      problems.push(...budgetProblems(`${environment}: ${worker.name}`, size));
    }
    const found = environmentProblems(configs, environment);
    console.log(`  ${environment.padEnd(10)} routes, run_worker_first, bindings, secrets: ${found.length === 0 ? "ok" : `${found.length} problem(s)`}`);
    problems.push(...found);
  }
  if (problems.length > 0) {
    for (const problem of problems) console.error(`check:deploy: FAIL ${problem}`);
    process.exit(1);
  }
  console.log("check:deploy: ok");
}

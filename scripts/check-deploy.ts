/**
 * `npm run check:deploy`: everything a deploy can get wrong that is knowable
 * without Cloudflare. For every configured environment it bundles all three
 * Workers exactly as `wrangler deploy` would (`--dry-run --outdir`), prints
 * each bundle's size, fails above the budget, and fails on any problem
 * `environmentProblems` finds (route patterns or run_worker_first missing an
 * owned prefix, service bindings pointing at another environment, …), and
 * on a committed throwaway secret (`.dev.vars.example`) too short to use. It
 * also measures each production bundle's startup CPU and media's first
 * request (scripts/startup-profile.ts) and fails past STARTUP_BUDGET_MS;
 * `--no-startup` skips that (about 15 s), `--wrangler-startup` adds
 * `wrangler check startup`'s own sampled figure beside it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { mediaPath } from "../shared/media-token.ts";
import { signMediaToken } from "../shared/token-sign.ts";
import { buildWorkers } from "./build-workers.ts";
import { committedSecretProblems, environmentProblems } from "./deploy-checks.ts";
import type { GatewayConfigs } from "./deploy-checks.ts";
import { wrangler } from "./run.ts";
import { firstRequestCpuMs, startupCpuMs } from "./startup-profile.ts";
import { readWorkerConfig } from "./wrangler-config.ts";
import { ENVIRONMENTS, WORKERS } from "./workers.ts";

/**
 * The size budget per Worker bundle, far under the platform's limits (3 MB
 * gzip on Free, 10 MB on paid plans) on purpose. Every isolate parses and runs
 * the whole bundle before its first request, under the startup CPU limit, so
 * bundle size is cold-start latency on every new isolate. Ours measure
 * 7–25 KiB gzip, 23–95 KiB raw (unminified: media is jose and our code, the router hono); about five
 * times that leaves room to grow and still trips the
 * day someone bundles a Node polyfill layer or a whole SDK by accident, long
 * before the platform would refuse it.
 */
export const BUNDLE_BUDGET = { rawBytes: 512 * 1024, gzipBytes: 128 * 1024 } as const;

/**
 * Startup CPU per Worker (evaluating the bundle) and media's first request
 * (its kid registry imports the signing keys and hashes there), in ms of
 * workerd CPU on this machine: about 1.5x-3x what each reads on a loaded
 * machine (docs/operations.md), and media's first request the Free plan's
 * 10 ms CPU limit itself; far below the platform's 1 s startup limit on
 * purpose, so they trip on the change that adds work at module scope.
 * The api's data plane is a hono/tiny app (the smallest preset): a bundle of
 * hono/tiny and one route alone reads 0.25-0.40 ms, and the api 0.55-1.05 ms
 * on 2 loaded cores, so its budget is 1 ms.
 */
export const STARTUP_BUDGET_MS = { media: 2.5, api: 1, router: 0.25, mediaFirstRequest: 10 } as const;

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
  if (size.rawBytes > budget.rawBytes)
    problems.push(`${label}: ${kib(size.rawBytes)} raw exceeds the budget of ${kib(budget.rawBytes)}`);
  if (size.gzipBytes > budget.gzipBytes)
    problems.push(`${label}: ${kib(size.gzipBytes)} gzip exceeds the budget of ${kib(budget.gzipBytes)}`);
  return problems;
}

/**
 * Tries at most this many measurements before a startup budget counts as
 * broken: other processes only ever add CPU time (cache and frequency
 * contention on 2 shared cores), so the least of a few is the figure.
 */
const STARTUP_TRIES = 3;

/** The least (by `figure`) of up to STARTUP_TRIES measurements, stopping at the first within `budget`. */
async function leastWithin<T>(budget: number, measure: () => Promise<T>, figure: (measured: T) => number): Promise<T> {
  let least = await measure();
  for (let attempt = 1; attempt < STARTUP_TRIES && figure(least) > budget; attempt++) {
    const next = await measure();
    if (figure(next) < figure(least)) least = next;
  }
  return least;
}

/** Prints each production bundle's startup CPU (and media's first request) and returns the budgets it breaks. */
async function startupProblems(): Promise<string[]> {
  const problems: string[] = [];
  console.log(`check:deploy: startup CPU per production bundle (workerd CPU time, scripts/startup-profile.ts)`);
  for (const worker of WORKERS) {
    const budget = STARTUP_BUDGET_MS[worker.name];
    const measured = await leastWithin(
      budget,
      () => startupCpuMs(worker.name, worker.config, `dist/production/${worker.name}`),
      (ms) => ms,
    );
    let line = `  startup    ${worker.name.padEnd(6)} ${measured.toFixed(2).padStart(6)} ms (budget ${budget} ms)`;
    if (process.argv.includes("--wrangler-startup"))
      line += `; wrangler check startup: ${await wranglerStartup(worker.config)}`;
    console.log(line);
    if (measured > budget) problems.push(`startup: ${worker.name} ${measured} ms exceeds the budget of ${budget} ms`);
  }
  const secret = randomBytes(32).toString("base64url");
  const path = mediaPath(await signMediaToken({ key: "check-deploy/absent.mp4", ttlSeconds: 600, kid: "v1", secret }));
  const budget = STARTUP_BUDGET_MS.mediaFirstRequest;
  const first = await leastWithin(
    budget,
    () =>
      firstRequestCpuMs(
        "media",
        "wrangler.media.toml",
        { MEDIA_TOKEN_SECRET_V1: secret },
        `https://gateway.invalid${path}`,
        "dist/production/media",
      ),
    (run) => run.firstMs,
  );
  console.log(
    `  first req  media  ${first.firstMs.toFixed(2).padStart(6)} ms (budget ${budget} ms; ${first.againMs.toFixed(2)} ms the same request again)`,
  );
  if (first.firstMs > budget)
    problems.push(`startup: media's first request ${first.firstMs} ms exceeds the budget of ${budget} ms`);
  return problems;
}

/** `wrangler check startup`'s "Active" time and sample count for one config (it needs `-c` passed on to its inner build too). */
async function wranglerStartup(config: string): Promise<string> {
  const output = await wrangler(
    ["check", "startup", "-c", config, `--args=-c ${config}`, "--outfile", `dist/${config}.cpuprofile`],
    { quiet: true },
  );
  const active = /Active: ([\d.]+) ms/.exec(output)?.[1] ?? "?";
  const samples = /Samples: (\d+)/.exec(output)?.[1] ?? "?";
  return `${active} ms active in ${samples} samples`;
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
  console.log(
    `check:deploy: bundle budget per Worker ${kib(BUNDLE_BUDGET.rawBytes)} raw / ${kib(BUNDLE_BUDGET.gzipBytes)} gzip`,
  );
  for (const environment of ENVIRONMENTS) {
    await buildWorkers(environment);
    for (const worker of WORKERS) {
      const size = bundleSize(`dist/${environment}/${worker.name}`);
      console.log(
        `  ${environment.padEnd(10)} ${worker.name.padEnd(6)} ${kib(size.rawBytes).padStart(10)} raw ${kib(size.gzipBytes).padStart(10)} gzip`,
      );
      problems.push(...budgetProblems(`${environment}: ${worker.name}`, size));
    }
    const found = environmentProblems(configs, environment);
    console.log(
      `  ${environment.padEnd(10)} routes, run_worker_first, bindings, secrets: ${found.length === 0 ? "ok" : `${found.length} problem(s)`}`,
    );
    problems.push(...found);
  }
  const committed = committedSecretProblems(parseEnv(readFileSync(".dev.vars.example", "utf8")), ".dev.vars.example");
  console.log(
    `  committed secrets (.dev.vars.example): ${committed.length === 0 ? "ok" : `${committed.length} problem(s)`}`,
  );
  problems.push(...committed);
  if (!process.argv.includes("--no-startup")) problems.push(...(await startupProblems()));
  if (problems.length > 0) {
    for (const problem of problems) console.error(`check:deploy: FAIL ${problem}`);
    process.exit(1);
  }
  console.log("check:deploy: ok");
}

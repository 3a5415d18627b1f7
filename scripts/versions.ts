/**
 * Gradual rollouts and rollback, one Worker at a time:
 *
 *   npm run versions:upload -- <worker> <env>                  new version, no traffic yet
 *   npm run versions:list   -- <worker> <env>                  version ids, newest first
 *   npm run versions:deploy -- <worker> <env> <id>@10 <id>@90  split traffic between versions
 *   npm run rollback        -- <worker> <env> [version-id]     all traffic back (default: the previous version)
 *   npm run tail            -- <worker> <env>                  the deployed Worker's live logs (JSON)
 *
 * `--dry-run` prints the wrangler command instead of running it (these
 * commands talk to Cloudflare; a dry run needs no credentials).
 */
import { parseArgs } from "node:util";
import {
  environmentNamed,
  rollbackArgs,
  runScript,
  tailArgs,
  UsageError,
  versionsDeployArgs,
  versionsListArgs,
  versionsUploadArgs,
  workerNamed,
  wranglerLine,
} from "./commands.ts";
import { wrangler } from "./run.ts";
import { vendorPlayer } from "./vendor-player.ts";

const USAGE =
  "usage: node scripts/versions.ts <upload|list|deploy|rollback|tail> <media|api|router> <staging|production> [version specs…] [--dry-run]";

/** `<version-id>@<percent>`: wrangler's notation for one share of a split. */
const VERSION_SPEC = /^[0-9a-f-]{8,}@(100|[1-9]?[0-9])(\.[0-9]+)?%?$/;

/** The wrangler arguments for one action, or a usage error naming what is wrong. */
export function versionCommand(
  action: string | undefined,
  workerName: string | undefined,
  environmentName: string | undefined,
  rest: readonly string[],
): string[] {
  const worker = workerNamed(workerName);
  const environment = environmentNamed(environmentName);
  switch (action) {
    case "upload":
      return versionsUploadArgs(worker, environment);
    case "list":
      return versionsListArgs(worker, environment);
    case "deploy": {
      if (rest.length === 0) throw new UsageError("versions deploy needs at least one <version-id>@<percent>");
      const bad = rest.find((spec) => !VERSION_SPEC.test(spec));
      if (bad !== undefined) throw new UsageError(`"${bad}" is not <version-id>@<percent>`);
      return versionsDeployArgs(worker, environment, rest);
    }
    case "tail":
      return tailArgs(worker, environment);
    case "rollback":
      if (rest.length > 1) throw new UsageError("rollback takes at most one version id");
      return rollbackArgs(worker, environment, rest[0]);
    default:
      throw new UsageError(`unknown action "${action ?? ""}"`);
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "dry-run": { type: "boolean" } },
  });
  const [action, workerName, environmentName, ...rest] = positionals;
  const args = versionCommand(action, workerName, environmentName, rest);
  console.log(`${values["dry-run"] === true ? "would run" : "running"}: ${wranglerLine(args)}`);
  // A router version ships public/ as its static assets, the page's vendored player included.
  if (action === "upload" && workerName === "router") vendorPlayer();
  if (values["dry-run"] !== true) await wrangler(args);
}

if (import.meta.main) await runScript(USAGE, main);

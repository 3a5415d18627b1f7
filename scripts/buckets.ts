/**
 * `npm run buckets -- <staging|production>`: creates the R2 buckets the media
 * Worker binds in that environment (names from wrangler.media.toml), the one
 * resource a first deploy needs beforehand. A bucket that already exists is
 * reported and left alone. `--dry-run` prints the commands.
 */
import { parseArgs } from "node:util";
import { environmentNamed, runScript, wranglerLine } from "./commands.ts";
import { wrangler } from "./run.ts";
import { readWorkerConfig, resolveEnvironment } from "./wrangler-config.ts";
import type { Environment } from "./workers.ts";

const USAGE = "usage: npm run buckets -- <staging|production> [--dry-run]";

/** One `wrangler r2 bucket create` per bucket the media Worker binds in the environment. */
export function bucketCreateCommands(environment: Environment): string[][] {
  const buckets = resolveEnvironment(readWorkerConfig({ config: "wrangler.media.toml" }), environment).r2Buckets;
  return [...new Set(Object.values(buckets))].map((name) => ["r2", "bucket", "create", name]);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "dry-run": { type: "boolean" } },
  });
  const environment = environmentNamed(positionals[0]);
  for (const args of bucketCreateCommands(environment)) {
    console.log(`${values["dry-run"] === true ? "would run" : "running"}: ${wranglerLine(args)}`);
    if (values["dry-run"] === true) continue;
    try {
      await wrangler(args, { quiet: true });
    } catch (error) {
      // Creating is idempotent in intent: an existing bucket is the state we want.
      if (!String(error).includes("already exists")) throw error;
      console.log(`  ${args[3] ?? ""} already exists`);
    }
  }
}

if (import.meta.main) await runScript(USAGE, main);

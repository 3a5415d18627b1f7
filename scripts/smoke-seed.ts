/**
 * `npm run smoke:seed -- <local|staging|production>`: puts the small object
 * the smoke test signs and fetches (`media/_smoke/hello.txt`) into that
 * environment's main media bucket (`local`: the `npm run dev` state in
 * .wrangler/state). Once per environment; `--dry-run` prints the command.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { environmentNamed, runScript, UsageError, wranglerLine } from "./commands.ts";
import { wrangler } from "./run.ts";
import { SMOKE_OBJECT } from "./smoke.ts";
import { readWorkerConfig, resolveEnvironment } from "./wrangler-config.ts";
import type { Environment } from "./workers.ts";

const USAGE = "usage: npm run smoke:seed -- <local|staging|production> [--persist-to .wrangler/state] [--dry-run]";
export const SMOKE_BODY = "edge gateway smoke object\n";
/** The binding of the bucket `bkt: media` reads first. */
const MAIN_MEDIA_BINDING = "MEDIA_BUCKET";

/** The `wrangler r2 object put` arguments that store the smoke object in one environment's media bucket. */
export function seedArgs(target: "local" | Environment, file: string, persistTo: string): string[] {
  const environment = target === "local" ? undefined : target;
  const bucket = resolveEnvironment(readWorkerConfig({ config: "wrangler.media.toml" }), environment).r2Buckets[
    MAIN_MEDIA_BINDING
  ];
  if (bucket === undefined) throw new Error(`wrangler.media.toml binds no ${MAIN_MEDIA_BINDING} for ${target}`);
  const where = environment === undefined ? ["--local", "--persist-to", persistTo] : ["--env", environment, "--remote"];
  return [
    "r2",
    "object",
    "put",
    `${bucket}/${SMOKE_OBJECT.key}`,
    "--file",
    file,
    "--content-type",
    "text/plain; charset=utf-8",
    "-c",
    "wrangler.media.toml",
    ...where,
  ];
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "dry-run": { type: "boolean" }, "persist-to": { type: "string" } },
  });
  const target = positionals[0] === "local" ? "local" : environmentNamed(positionals[0]);
  if (positionals.length > 1) throw new UsageError("one environment only");
  const directory = mkdtempSync(join(tmpdir(), "gateway-smoke-"));
  try {
    const file = join(directory, "hello.txt");
    writeFileSync(file, SMOKE_BODY);
    const args = seedArgs(target, file, values["persist-to"] ?? ".wrangler/state");
    console.log(`${values["dry-run"] === true ? "would run" : "running"}: ${wranglerLine(args)}`);
    if (values["dry-run"] !== true) await wrangler(args, { quiet: true });
    if (values["dry-run"] !== true)
      console.log(`smoke:seed: ${SMOKE_OBJECT.bkt}/${SMOKE_OBJECT.key} stored (${target})`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (import.meta.main) await runScript(USAGE, main);

/**
 * `npm run deploy -- <staging|production>`: deploys media and api, then the
 * router (its service bindings need both to exist), each with its own
 * `wrangler deploy -c <config> --env <env>`.
 * `npm run deploy:<worker> -- <env>` deploys one Worker alone.
 *
 * Flags:
 *   --dry-run           print each command in order and run it as `wrangler deploy --dry-run`
 *                       (bundles and checks, uploads nothing; no credentials needed)
 *   --secrets-from-env  upload each Worker's `secrets.required` found in the environment
 *                       variables with the version (`--secrets-file`, a 0600 temp file
 *                       removed afterwards): how CI passes its secret store, and the
 *                       only way to create a Worker whose secrets are required
 *
 * It refuses to start when `check:deploy`'s config checks find a problem.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { deployArgs, environmentNamed, runScript, workerNamed, wranglerLine } from "./commands.ts";
import { environmentProblems } from "./deploy-checks.ts";
import { vendorPlayer } from "./vendor-player.ts";
import { wrangler } from "./run.ts";
import { readWorkerConfig, resolveEnvironment } from "./wrangler-config.ts";
import { WORKERS } from "./workers.ts";
import type { Environment, WorkerSpec } from "./workers.ts";

const USAGE =
  "usage: npm run deploy -- <staging|production> [--worker media|api|router] [--dry-run] [--secrets-from-env]";

export interface DeployStep {
  worker: WorkerSpec;
  args: string[];
  /** Names of the secrets uploaded with this step (values stay in the temp file). */
  secretNames: string[];
}

/** The Workers to deploy, in dependency order: media and api before the router. */
export function deployOrder(only?: WorkerSpec): readonly WorkerSpec[] {
  return only === undefined ? WORKERS : [only];
}

/** A Worker's required secrets that are set in `variables`, as the JSON wrangler's --secrets-file takes. */
export function secretsFromEnvironment(
  required: readonly string[],
  variables: NodeJS.ProcessEnv,
): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const name of required) {
    const value = variables[name];
    if (value !== undefined && value !== "") secrets[name] = value;
  }
  return secrets;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { worker: { type: "string" }, "dry-run": { type: "boolean" }, "secrets-from-env": { type: "boolean" } },
  });
  const environment: Environment = environmentNamed(positionals[0]);
  const only = values.worker === undefined ? undefined : workerNamed(values.worker);
  const dryRun = values["dry-run"] === true;

  const configs = {
    router: readWorkerConfig({ config: "wrangler.router.toml" }),
    media: readWorkerConfig({ config: "wrangler.media.toml" }),
    api: readWorkerConfig({ config: "wrangler.api.toml" }),
  };
  const problems = environmentProblems(configs, environment);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`deploy: ${problem}`);
    throw new Error(`deploy: refusing to deploy ${environment}: fix the config first (npm run check:deploy)`);
  }

  // The router uploads public/ as its static assets, the page's vendored player included.
  vendorPlayer();
  const secretsDir = mkdtempSync(join(tmpdir(), "gateway-secrets-"));
  try {
    const steps: DeployStep[] = deployOrder(only).map((worker) => {
      if (values["secrets-from-env"] !== true)
        return { worker, args: deployArgs(worker, environment), secretNames: [] };
      const required = resolveEnvironment(configs[worker.name], environment).requiredSecrets;
      const secrets = secretsFromEnvironment(required, process.env);
      const secretsFile = join(secretsDir, `${worker.name}.json`);
      writeFileSync(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
      return { worker, args: deployArgs(worker, environment, { secretsFile }), secretNames: Object.keys(secrets) };
    });

    console.log(
      `deploy: ${environment}${dryRun ? " (dry run: nothing is uploaded)" : ""}, in order: ${steps.map((step) => step.worker.name).join(", ")}`,
    );
    for (const [index, step] of steps.entries()) {
      console.log(`deploy: ${index + 1}/${steps.length} ${wranglerLine(step.args)}`);
      if (step.secretNames.length > 0)
        console.log(`deploy:   with secrets ${step.secretNames.join(", ")} (values not shown)`);
      const args = dryRun
        ? [...step.args, "--dry-run", "--outdir", `dist/${environment}/${step.worker.name}`]
        : step.args;
      // Dry runs stay quiet (wrangler's binding table is noise here); a failure still shows wrangler's output.
      await wrangler(args, { quiet: dryRun });
    }
    const host =
      resolveEnvironment(configs.router, environment).routes[0]?.pattern.split("/")[0] ??
      `<your ${environment} hostname>`;
    console.log(
      dryRun
        ? `deploy: dry run of ${environment} ok`
        : `deploy: ${environment} deployed; next: npm run smoke -- https://${host}`,
    );
  } finally {
    rmSync(secretsDir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runScript(USAGE, main);

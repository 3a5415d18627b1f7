/**
 * Every wrangler command the operations scripts run or print, built in one
 * place: the deploy script, the version and rollback scripts, the smoke test's
 * "how to roll back" hint and the runbook all name the same command lines.
 */
import { ENVIRONMENTS, WORKERS } from "./workers.ts";
import type { WorkerName } from "../shared/worker-names.ts";
import type { Environment, WorkerSpec } from "./workers.ts";

/** The Worker spec for a name given on the command line, or a clear error. */
export function workerNamed(name: string | undefined): WorkerSpec {
  const worker = WORKERS.find((candidate) => candidate.name === name);
  if (worker === undefined)
    throw new UsageError(`unknown Worker "${name ?? ""}": use one of ${WORKERS.map((w) => w.name).join(", ")}`);
  return worker;
}

/** The environment given on the command line, or a clear error. */
export function environmentNamed(name: string | undefined): Environment {
  const environment = ENVIRONMENTS.find((candidate) => candidate === name);
  if (environment === undefined)
    throw new UsageError(`unknown environment "${name ?? ""}": use one of ${ENVIRONMENTS.join(", ")}`);
  return environment;
}

/** A mistake in how a script was called: printed with its usage line, exit code 2. */
export class UsageError extends Error {}

/** `wrangler deploy` for one Worker in one environment. */
export function deployArgs(
  worker: WorkerSpec,
  environment: Environment,
  options: { secretsFile?: string } = {},
): string[] {
  const secrets = options.secretsFile === undefined ? [] : ["--secrets-file", options.secretsFile];
  return ["deploy", "-c", worker.config, "--env", environment, ...secrets];
}

/** Uploads a new version without sending it traffic (the first step of a gradual rollout). */
export function versionsUploadArgs(worker: WorkerSpec, environment: Environment): string[] {
  return ["versions", "upload", "-c", worker.config, "--env", environment];
}

/** Splits traffic between versions: `<version-id>@<percent>` each. */
export function versionsDeployArgs(worker: WorkerSpec, environment: Environment, specs: readonly string[]): string[] {
  return ["versions", "deploy", ...specs, "-c", worker.config, "--env", environment, "--yes"];
}

/** The Worker's versions, newest first, with their ids. */
export function versionsListArgs(worker: WorkerSpec, environment: Environment): string[] {
  return ["versions", "list", "-c", worker.config, "--env", environment];
}

/** Live log lines of the deployed Worker, as JSON (each of our lines is one JSON object inside wrangler's event). */
export function tailArgs(worker: WorkerSpec, environment: Environment): string[] {
  return ["tail", "-c", worker.config, "--env", environment, "--format", "json"];
}

/** Sends all traffic back to one version (the previous one when no id is given). */
export function rollbackArgs(worker: WorkerSpec, environment: Environment, versionId?: string): string[] {
  return [
    "rollback",
    ...(versionId === undefined ? [] : [versionId]),
    "-c",
    worker.config,
    "--env",
    environment,
    "--message",
    "npm run rollback",
  ];
}

/** Stores a secret read from stdin (wrangler trims trailing whitespace, as `npm run fingerprint` does). */
export function secretPutArgs(worker: WorkerSpec, environment: Environment, name: string): string[] {
  return ["secret", "put", name, "-c", worker.config, "--env", environment];
}

export function secretDeleteArgs(worker: WorkerSpec, environment: Environment, name: string): string[] {
  return ["secret", "delete", name, "-c", worker.config, "--env", environment, "--force"];
}

/** The names (never values) of the secrets a deployed Worker holds. */
export function secretListArgs(worker: WorkerSpec, environment: Environment): string[] {
  return ["secret", "list", "-c", worker.config, "--env", environment, "--format", "json"];
}

/** How a command line reads when printed for an operator to copy. */
export function shellLine(words: readonly string[]): string {
  return words
    .map((arg) => (/^[A-Za-z0-9_./@%:=,+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}

/** A wrangler command as an operator would type it. */
export function wranglerLine(args: readonly string[]): string {
  return shellLine(["npx", "wrangler", ...args]);
}

/** The npm command an operator types to roll one Worker back. */
export function rollbackHint(worker: WorkerName, environment: string): string {
  return `npm run rollback -- ${worker} ${environment}`;
}

/** A mistake in how a script was called, including node's parseArgs errors (unknown flag, missing value). */
function isUsageMistake(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))
  );
}

/**
 * Runs a script's main with the process arguments: a usage mistake prints the
 * message and the usage line and exits 2, any other failure its message and exits 1.
 */
export async function runScript(usage: string, main: (argv: string[]) => Promise<void>): Promise<void> {
  try {
    await main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    if (isUsageMistake(error)) console.error(usage);
    process.exit(isUsageMistake(error) ? 2 : 1);
  }
}

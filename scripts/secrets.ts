/**
 * Secrets per Worker and environment, by name only: the list each Worker
 * expects is its config's `secrets.required` in that environment (rotation
 * edits that list).
 *
 *   npm run secrets:check  -- <env>                    what each Worker expects; with wrangler
 *                                                      credentials, also what it holds (names only)
 *   npm run secrets:put    -- <worker> <env> <NAME>    stores stdin as NAME, prints its fingerprint
 *   npm run secrets:delete -- <worker> <env> <NAME>    removes NAME once no config requires it
 *
 * `put` and `delete` take `--dry-run` (print the wrangler command, touch nothing).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  environmentNamed,
  runScript,
  secretDeleteArgs,
  secretListArgs,
  secretPutArgs,
  UsageError,
  workerNamed,
  wranglerLine,
} from "./commands.ts";
import { adminTokenProblem } from "../shared/admin-token.ts";
import { MIN_SECRET_BYTES, kidOfSecretName, secretProblem } from "../shared/token-secrets.ts";
import { fingerprintLine } from "./fingerprint.ts";
import { wrangler } from "./run.ts";
import { readSecret } from "./secret-input.ts";
import { readWorkerConfig, resolveEnvironment } from "./wrangler-config.ts";
import { WORKERS } from "./workers.ts";
import type { Environment, WorkerSpec } from "./workers.ts";

const USAGE =
  "usage: npm run secrets:check -- <env> | npm run secrets:put -- <worker> <env> <NAME> [--dry-run] < value | npm run secrets:delete -- <worker> <env> <NAME> [--dry-run]";

/** The secret names a Worker requires in an environment. */
export function requiredSecrets(worker: WorkerSpec, environment: Environment): string[] {
  return resolveEnvironment(readWorkerConfig(worker), environment).requiredSecrets;
}

/**
 * Whether wrangler can reach the account: an API token in the environment,
 * or the config file `wrangler login` writes. Only existence is checked; the
 * credentials themselves are never read here.
 */
export function hasWranglerCredentials(variables: NodeJS.ProcessEnv = process.env, home: string = homedir()): boolean {
  if ((variables.CLOUDFLARE_API_TOKEN ?? "") !== "") return true;
  const configHome = variables.XDG_CONFIG_HOME ?? join(home, ".config");
  return [
    join(configHome, ".wrangler", "config", "default.toml"),
    join(home, ".wrangler", "config", "default.toml"),
  ].some((path) => existsSync(path));
}

export interface SecretComparison {
  missing: string[];
  /** Held but no longer required: left over from a rotation, due for `secrets:delete`. */
  extra: string[];
}

export function compareSecrets(required: readonly string[], held: readonly string[]): SecretComparison {
  return {
    missing: required.filter((name) => !held.includes(name)),
    extra: held.filter((name) => !required.includes(name)),
  };
}

/** The names of the secrets a deployed Worker holds, or undefined when wrangler cannot list them. */
async function heldSecrets(worker: WorkerSpec, environment: Environment): Promise<string[] | undefined> {
  try {
    const output = await wrangler(secretListArgs(worker, environment), { quiet: true });
    return (JSON.parse(output.slice(output.indexOf("["))) as Array<{ name: string }>).map((secret) => secret.name);
  } catch {
    return undefined;
  }
}

async function check(environment: Environment): Promise<void> {
  const credentials = hasWranglerCredentials();
  console.log(
    `secrets:check ${environment}: expected secrets per Worker (from secrets.required; values are never read)`,
  );
  let missingAny = false;
  for (const worker of WORKERS) {
    const resolved = resolveEnvironment(readWorkerConfig(worker), environment);
    console.log(`  ${worker.name} (${resolved.scriptName}): ${resolved.requiredSecrets.join(", ") || "none"}`);
    if (!credentials) continue;
    const held = await heldSecrets(worker, environment);
    if (held === undefined) {
      missingAny = true;
      console.log(`    could not list its secrets (not deployed yet, or no access): deploy it with --secrets-from-env`);
      continue;
    }
    const { missing, extra } = compareSecrets(resolved.requiredSecrets, held);
    if (missing.length > 0) missingAny = true;
    console.log(
      `    held: ${held.join(", ") || "none"}${missing.length > 0 ? `; MISSING: ${missing.join(", ")}` : ""}${extra.length > 0 ? `; no longer required: ${extra.join(", ")}` : ""}`,
    );
  }
  if (!credentials) {
    console.log(
      "secrets:check: no wrangler credentials (CLOUDFLARE_API_TOKEN or `wrangler login`): listed what each Worker expects, compared nothing remotely",
    );
    console.log(`  set one with: npm run secrets:put -- <worker> ${environment} <NAME> < value`);
    return;
  }
  if (missingAny)
    throw new Error("secrets:check: a Worker lacks a required secret: its deploy fails, or its requests do");
}

/** Runs wrangler with the secret on its stdin (never in argv). */
function wranglerWithInput(args: readonly string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["wrangler", ...args], {
      stdio: ["pipe", "inherit", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`wrangler ${args.slice(0, 2).join(" ")} exited with ${code}`)),
    );
    child.stdin.end(input);
  });
}

async function put(worker: WorkerSpec, environment: Environment, name: string, dryRun: boolean): Promise<void> {
  if (!requiredSecrets(worker, environment).includes(name)) {
    throw new UsageError(
      `${name} is not in ${worker.config} [env.${environment}] secrets.required: add it there first, so deploys and secrets:check expect it`,
    );
  }
  const secret = await readSecret(`${name} (not echoed): `);
  if (secret === "") throw new UsageError("no secret on stdin");
  const kid = kidOfSecretName(name);
  // The media Worker does not load a signing secret under the contract's floor: refuse it here, before it is stored.
  if (kid !== undefined && secretProblem(secret) !== undefined) {
    throw new UsageError(
      `${name} must be at least ${MIN_SECRET_BYTES} bytes: the media Worker would not load it and would refuse every ${kid} token`,
    );
  }
  const adminProblem = name === "ADMIN_TOKEN" ? adminTokenProblem(secret) : undefined;
  if (adminProblem !== undefined) throw new UsageError(adminProblem);
  const print = await fingerprintLine(secret, kid);
  const args = secretPutArgs(worker, environment, name);
  console.log(`${dryRun ? "would run" : "running"}: ${wranglerLine(args)} < value (fingerprint ${print})`);
  if (!dryRun) await wranglerWithInput(args, secret);
}

async function remove(worker: WorkerSpec, environment: Environment, name: string, dryRun: boolean): Promise<void> {
  if (requiredSecrets(worker, environment).includes(name)) {
    throw new UsageError(
      `${name} is still in ${worker.config} [env.${environment}] secrets.required: remove it there and deploy first, or the next deploy fails`,
    );
  }
  const args = secretDeleteArgs(worker, environment, name);
  console.log(`${dryRun ? "would run" : "running"}: ${wranglerLine(args)}`);
  if (!dryRun) await wrangler(args);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "dry-run": { type: "boolean" } },
  });
  const [action, ...rest] = positionals;
  const dryRun = values["dry-run"] === true;
  if (action === "check") return check(environmentNamed(rest[0]));
  const [workerName, environmentName, name] = rest;
  const worker = workerNamed(workerName);
  const environment = environmentNamed(environmentName);
  if (name === undefined) throw new UsageError("name the secret");
  if (action === "put") return put(worker, environment, name, dryRun);
  if (action === "delete") return remove(worker, environment, name, dryRun);
  throw new UsageError(`unknown action "${action ?? ""}"`);
}

if (import.meta.main) await runScript(USAGE, main);

/**
 * Runs one of scripts/*.ts the way `npm run` does (Node 22, repository root),
 * with a chosen stdin and environment, and collects what it printed.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment without anything that would let wrangler reach Cloudflare:
 * no API token, and a HOME with no `wrangler login` config in it.
 */
export function offlineEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const variables: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: mkdtempSync(join(tmpdir(), "ops-home-")),
    WRANGLER_SEND_METRICS: "false",
    ...extra,
  };
  for (const name of ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_ZONE_ID", "XDG_CONFIG_HOME"]) {
    if (!(name in extra)) delete variables[name];
  }
  return variables;
}

export function runScript(
  script: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`scripts/${script}`, ...args], {
      env: options.env ?? offlineEnvironment(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

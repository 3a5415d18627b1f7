/**
 * `npm run dev`: the whole stack on this machine, one command.
 * All three Workers in one `wrangler dev` (router primary on :8787, local R2
 * persisted under .wrangler/state).
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { WORKERS } from "./workers.ts";

const PORT = process.env.PORT ?? "8787";
// Several stacks can share a machine (the e2e suite runs its own): each needs its own inspector port too.
const INSPECTOR_PORT = process.env.INSPECTOR_PORT ?? "9229";

// A fresh clone has no .dev.vars: start from the committed throwaway values.
if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("dev: created .dev.vars from .dev.vars.example");
}

// The router is the primary Worker: its config comes first.
const configs = [...WORKERS].reverse().flatMap((worker) => ["-c", worker.config]);
const wranglerDev = spawn(
  "npx",
  ["wrangler", "dev", ...configs, "--port", PORT, "--inspector-port", INSPECTOR_PORT, "--ip", "127.0.0.1", "--persist-to", ".wrangler/state"],
  { stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => wranglerDev.kill(signal));
}
wranglerDev.on("exit", (code) => process.exit(code ?? 0));

/**
 * Bundles each Worker exactly as a deploy would (`wrangler deploy --dry-run`),
 * one outdir per config: dist/<name>/ (or dist/<env>/<name>/ for an environment).
 * The tests load these bundles as auxiliary Workers, and check:deploy weighs them.
 */
import { wrangler } from "./run.ts";
import { vendorPlayer } from "./vendor-player.ts";
import { WORKERS } from "./workers.ts";

export async function buildWorkers(environment?: string): Promise<void> {
  // The router's bundle ships public/, which must hold the page's vendored player.
  vendorPlayer();
  await Promise.all(
    WORKERS.map((worker) => {
      const outdir = environment ? `dist/${environment}/${worker.name}` : `dist/${worker.name}`;
      const envArgs = environment ? ["--env", environment] : [];
      return wrangler(["deploy", "--dry-run", "-c", worker.config, ...envArgs, "--outdir", outdir], { quiet: true });
    }),
  );
}

if (import.meta.main) {
  const environment = process.argv[2];
  await buildWorkers(environment);
  console.log(`build: bundled ${WORKERS.map((w) => w.name).join(", ")}${environment ? ` for ${environment}` : ""}`);
}

/**
 * `npm run types`: generates each Worker's Env types with `wrangler types`,
 * and the Workers runtime types once (types/runtime.d.ts).
 * `--check` fails when a committed file is stale instead of writing it.
 */
import { wrangler } from "./run.ts";
import { WORKERS } from "./workers.ts";

const check = process.argv.includes("--check");
const mode = check ? ["--check"] : [];

for (const worker of WORKERS) {
  const configs = [worker.config, ...worker.bindsTo].flatMap((config) => ["-c", config]);
  await wrangler(
    [
      "types",
      `workers/${worker.name}/worker-configuration.d.ts`,
      ...configs,
      "--env-interface",
      worker.envInterface,
      "--include-runtime=false",
      ...mode,
    ],
    { quiet: true },
  );
}
await wrangler(["types", "types/runtime.d.ts", "-c", "wrangler.router.toml", "--include-env=false", ...mode], {
  quiet: true,
});
console.log(check ? "types: generated files are up to date" : "types: written");

/**
 * A Worker's deploy bundle (dist/<name>/index.js, built by build-workers.ts)
 * with the bindings its wrangler config declares, as Miniflare options: how
 * the tests run the real media and api Workers as auxiliaries, and how the
 * bench runs all three.
 */
import type { Json, LegacyWorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";

/** The fields read here (wrangler's own Config type pulls in packages it bundles, so it is not resolvable). */
interface WranglerConfigSubset {
  name: string;
  compatibility_date: string;
  compatibility_flags: string[];
}

/** `extraBindings` (secrets, overridden vars) win over the config's own vars. */
export function bundledWorker(
  name: string,
  configPath: string,
  extraBindings: Record<string, string>,
): LegacyWorkerOptions {
  const config = unstable_readConfig({ config: configPath }) as WranglerConfigSubset;
  // The bundle is already built: module rules (for sources) do not apply to it.
  const { modulesRules: _sourceRules, ...workerOptions } = unstable_getMiniflareWorkerOptions(configPath).workerOptions;
  return {
    ...workerOptions,
    name: config.name,
    modules: true,
    scriptPath: `./dist/${name}/index.js`,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    bindings: { ...(workerOptions.bindings as Record<string, Json> | undefined), ...extraBindings },
  };
}

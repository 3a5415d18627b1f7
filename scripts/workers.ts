/**
 * The three Workers as the scripts see them: the one list that types
 * generation, builds, deploys and the dev server iterate over. Order matters:
 * media and api before the router, whose service bindings need them.
 */
import type { WorkerName } from "../shared/worker-names.ts";

export interface WorkerSpec {
  /** Short name: the folder under workers/ and the build outdir under dist/. */
  name: WorkerName;
  config: string;
  /** Name of the generated Env interface (one per Worker; see tsconfig.base.json). */
  envInterface: string;
  /** Configs of the Workers this one binds to, so `wrangler types` can type the RPC stubs. */
  bindsTo: readonly string[];
}

export const WORKERS: readonly WorkerSpec[] = [
  { name: "media", config: "wrangler.media.toml", envInterface: "MediaEnv", bindsTo: [] },
  { name: "api", config: "wrangler.api.toml", envInterface: "ApiEnv", bindsTo: [] },
  {
    name: "router",
    config: "wrangler.router.toml",
    envInterface: "RouterEnv",
    bindsTo: ["wrangler.media.toml", "wrangler.api.toml"],
  },
];

export const ENVIRONMENTS = ["staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

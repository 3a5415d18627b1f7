/**
 * The wrangler configs as the operations scripts read them: one Worker in one
 * environment, resolved the way wrangler resolves it. Wrangler environments
 * inherit the top-level name (suffixed `-<env>`), `main` and the compatibility
 * settings, but NOT routes, bindings, vars, assets or `secrets`: those come
 * from the environment's own table or are absent.
 */
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import type { Environment, WorkerSpec } from "./workers.ts";

export interface RouteConfig {
  pattern: string;
  custom_domain?: boolean;
  zone_name?: string;
  zone_id?: string;
}

export interface AssetsConfig {
  directory?: string;
  binding?: string;
  not_found_handling?: string;
  run_worker_first?: boolean | string[];
}

export interface ServiceConfig {
  binding: string;
  service: string;
  entrypoint?: string;
}

/** The fields of one wrangler table (top level or `[env.<name>]`) the scripts use. */
export interface WranglerTable {
  name?: string;
  workers_dev?: boolean;
  route?: string | RouteConfig;
  routes?: Array<string | RouteConfig>;
  assets?: AssetsConfig;
  services?: ServiceConfig[];
  r2_buckets?: Array<{ binding: string; bucket_name: string }>;
  secrets?: { required?: string[] };
  vars?: Record<string, string>;
  observability?: { enabled?: boolean; head_sampling_rate?: number };
  analytics_engine_datasets?: Array<{ binding: string; dataset?: string }>;
  durable_objects?: { bindings?: Array<{ name: string; class_name: string; script_name?: string }> };
  migrations?: Array<{ tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }>;
}

export interface WranglerFile extends WranglerTable {
  name: string;
  env?: Record<string, WranglerTable>;
}

/** One Worker in one environment, with wrangler's inheritance rules applied. */
export interface ResolvedWorkerConfig {
  /** The Worker's name on Cloudflare: `<name>-<env>` unless the environment names it. */
  scriptName: string;
  environment: Environment | undefined;
  workersDev: boolean | undefined;
  routes: RouteConfig[];
  assets: AssetsConfig | undefined;
  services: ServiceConfig[];
  /** R2 bucket names by binding. */
  r2Buckets: Record<string, string>;
  requiredSecrets: string[];
  vars: Record<string, string>;
  observabilityEnabled: boolean;
  /** The share of invocations whose logs are kept; undefined when the table does not set it. */
  headSamplingRate: number | undefined;
  /** Analytics Engine dataset names by binding. */
  analyticsDatasets: Record<string, string | undefined>;
  /** Durable Object class names by binding. */
  durableObjects: Record<string, string>;
  /** Classes the environment's migrations create with SQLite storage. */
  sqliteClasses: string[];
}

/** Parses a wrangler TOML file's text. */
export function parseWranglerToml(text: string): WranglerFile {
  return parse(text) as unknown as WranglerFile;
}

/** Reads and parses the config of one Worker from the repository. */
export function readWorkerConfig(worker: Pick<WorkerSpec, "config">): WranglerFile {
  return parseWranglerToml(readFileSync(worker.config, "utf8"));
}

/** The Worker as wrangler will deploy it in `environment` (undefined: the top level). */
export function resolveEnvironment(file: WranglerFile, environment: Environment | undefined): ResolvedWorkerConfig {
  const table: WranglerTable | undefined = environment === undefined ? file : file.env?.[environment];
  const scriptName = table?.name ?? (environment === undefined ? file.name : `${file.name}-${environment}`);
  const routes = [...(table?.routes ?? []), ...(table?.route === undefined ? [] : [table.route])].map((route) =>
    typeof route === "string" ? { pattern: route } : route,
  );
  return {
    scriptName,
    environment,
    workersDev: table?.workers_dev,
    routes,
    assets: table?.assets,
    services: table?.services ?? [],
    r2Buckets: Object.fromEntries((table?.r2_buckets ?? []).map((bucket) => [bucket.binding, bucket.bucket_name])),
    requiredSecrets: table?.secrets?.required ?? [],
    vars: table?.vars ?? {},
    observabilityEnabled: table?.observability?.enabled === true,
    headSamplingRate: table?.observability?.head_sampling_rate,
    analyticsDatasets: Object.fromEntries(
      (table?.analytics_engine_datasets ?? []).map((dataset) => [dataset.binding, dataset.dataset]),
    ),
    durableObjects: Object.fromEntries(
      (table?.durable_objects?.bindings ?? []).map((binding) => [binding.name, binding.class_name]),
    ),
    sqliteClasses: (table?.migrations ?? []).flatMap((migration) => migration.new_sqlite_classes ?? []),
  };
}

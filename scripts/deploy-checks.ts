/**
 * What `npm run check:deploy` proves about a configured environment before
 * anything is uploaded: the checks that catch the field's "deployed but not
 * working" failures while they are still a red CI run.
 *
 * Pure functions over parsed configs, so a test can hand them a config with a
 * prefix removed and watch them fail.
 */
import { adminTokenProblem } from "../shared/admin-token.ts";
import {
  ACTIVE_KID_SETTING,
  MIN_SECRET_BYTES,
  kidOfSecretName,
  secretNameOfKid,
  secretProblem,
} from "../shared/token-secrets.ts";
import { ROUTE_TABLE, runWorkerFirstPatterns } from "../shared/routes.ts";
import type { OwnedRoute } from "../shared/routes.ts";
import type { ResolvedWorkerConfig, RouteConfig, WranglerFile } from "./wrangler-config.ts";
import { resolveEnvironment } from "./wrangler-config.ts";
import type { Environment } from "./workers.ts";

/** The named entrypoint of media and api that answers the control plane (health(), status(), sign()) over RPC. */
export const CONTROL_ENTRYPOINT = "Control";

/** The Analytics Engine binding every Worker writes its data point per answer to (shared/metrics.ts). */
export const METRICS_BINDING = "METRICS";

/** The three parsed configs, by Worker. */
export interface GatewayConfigs {
  router: WranglerFile;
  media: WranglerFile;
  api: WranglerFile;
}

/**
 * Paths that stand for an owned route when asking "does a route pattern send
 * this to the router?": the bare prefix and a path below it (`/media`,
 * `/media/x`), or for a raw prefix one path that starts with it (`/_x`).
 */
function probePaths(route: OwnedRoute): string[] {
  return runWorkerFirstPatterns([route]).map((pattern) => pattern.replace(/\*$/, "x"));
}

/** A zone route pattern split into host and path (`*.example.com/api*`); a custom domain owns the whole host. */
function splitPattern(route: RouteConfig): { host: string; path: string } {
  if (route.custom_domain === true) return { host: route.pattern, path: "/*" };
  const slash = route.pattern.indexOf("/");
  // A zone route without a path matches only the bare host's root, never an owned prefix.
  if (slash === -1) return { host: route.pattern, path: "/" };
  return { host: route.pattern.slice(0, slash), path: route.pattern.slice(slash) };
}

/** Cloudflare route paths allow one `*`, at the end: a prefix match; otherwise the path must be equal. */
function pathMatches(patternPath: string, path: string): boolean {
  return patternPath.endsWith("*") ? path.startsWith(patternPath.slice(0, -1)) : path === patternPath;
}

/**
 * The owned prefixes that no route pattern (or custom domain) of the router
 * sends to it, per host. Requests to them would reach the zone's origin or
 * nothing at all instead of the gateway.
 */
export function uncoveredPrefixes(
  routes: readonly RouteConfig[],
  table: readonly OwnedRoute[] = ROUTE_TABLE,
): Array<{ host: string; prefix: string }> {
  const pathsByHost = new Map<string, string[]>();
  for (const route of routes) {
    const { host, path } = splitPattern(route);
    pathsByHost.set(host, [...(pathsByHost.get(host) ?? []), path]);
  }
  const missing: Array<{ host: string; prefix: string }> = [];
  for (const [host, patternPaths] of pathsByHost) {
    for (const owned of table) {
      const covered = probePaths(owned).every((probe) =>
        patternPaths.some((patternPath) => pathMatches(patternPath, probe)),
      );
      if (!covered) missing.push({ host, prefix: owned.prefix });
    }
  }
  return missing;
}

/** The table's run_worker_first patterns that a router assets table lacks. */
export function missingRunWorkerFirst(
  runWorkerFirst: boolean | string[] | undefined,
  table: readonly OwnedRoute[] = ROUTE_TABLE,
): string[] {
  // `true` hands every request to the Worker first: nothing can fall through to the SPA.
  if (runWorkerFirst === true) return [];
  const present = new Set(Array.isArray(runWorkerFirst) ? runWorkerFirst : []);
  return runWorkerFirstPatterns(table).filter((pattern) => !present.has(pattern));
}

/** The media Worker's upload Durable Object: the binding uploads use, and its class created with SQLite storage. */
export const UPLOAD_OBJECT = { binding: "MEDIA_UPLOADS", className: "MediaUpload" } as const;

/**
 * What an environment of the media Worker lacks for uploads: the Durable
 * Object binding (not inherited from the top level) and a migration that
 * creates its class with SQLite storage (a class created without it can
 * never move to SQLite, and the upload object needs its synchronous storage).
 */
function uploadObjectProblems(media: ResolvedWorkerConfig): string[] {
  const problems: string[] = [];
  if (media.durableObjects[UPLOAD_OBJECT.binding] !== UPLOAD_OBJECT.className)
    problems.push(
      `lacks the Durable Object binding ${UPLOAD_OBJECT.binding} -> ${UPLOAD_OBJECT.className}: every upload would fail`,
    );
  if (!media.sqliteClasses.includes(UPLOAD_OBJECT.className))
    problems.push(`has no migration with new_sqlite_classes = ["${UPLOAD_OBJECT.className}"]: the deploy would fail`);
  return problems;
}

/** A kid named by MEDIA_TOKEN_ACTIVE_KID whose secret the environment does not require (`v2` → MEDIA_TOKEN_SECRET_V2). */
function activeKidProblem(vars: Record<string, string>, requiredSecrets: readonly string[]): string | undefined {
  const active = vars[ACTIVE_KID_SETTING] ?? "";
  if (active === "") return undefined;
  const secret = secretNameOfKid(active);
  if (secret === undefined) return `${ACTIVE_KID_SETTING} is "${active}", not of the form v<N>`;
  return requiredSecrets.includes(secret)
    ? undefined
    : `${ACTIVE_KID_SETTING} is ${active} but secrets.required lacks ${secret}: sign() would have no key`;
}

/**
 * Every problem with one environment's three configs, as sentences an
 * operator can act on; empty when the environment is deployable.
 */
export function environmentProblems(
  configs: GatewayConfigs,
  environment: Environment,
  table: readonly OwnedRoute[] = ROUTE_TABLE,
): string[] {
  const router = resolveEnvironment(configs.router, environment);
  const media = resolveEnvironment(configs.media, environment);
  const api = resolveEnvironment(configs.api, environment);
  const problems: string[] = [];
  const where = (worker: string) => `${environment}: ${worker}`;

  if (router.routes.length === 0) {
    problems.push(
      `${where("router")} has no routes or custom domains ([env.${environment}] does not inherit them): the deploy would report "No targets deployed" and no hostname would reach the gateway`,
    );
  }
  for (const { host, prefix } of uncoveredPrefixes(router.routes, table)) {
    problems.push(
      `${where("router")} route patterns for ${host} miss the owned prefix ${prefix}: requests there never reach the router`,
    );
  }
  const missingPatterns = missingRunWorkerFirst(router.assets?.run_worker_first, table);
  if (missingPatterns.length > 0) {
    problems.push(
      `${where("router")} assets.run_worker_first lacks ${missingPatterns.join(", ")}: the asset layer would answer those paths with the SPA's index.html`,
    );
  }
  if (router.assets?.not_found_handling !== "single-page-application") {
    problems.push(`${where("router")} assets.not_found_handling is not "single-page-application"`);
  }
  for (const [binding, target, entrypoint] of [
    ["MEDIA", media, undefined],
    ["API", api, undefined],
    ["MEDIA_CONTROL", media, CONTROL_ENTRYPOINT],
    ["API_CONTROL", api, CONTROL_ENTRYPOINT],
  ] as const) {
    const bound = router.services.find((candidate) => candidate.binding === binding);
    if (bound?.service !== target.scriptName) {
      problems.push(
        `${where("router")} binds ${binding} to ${bound?.service ?? "nothing"}, but this environment's Worker is ${target.scriptName}`,
      );
    } else if (bound.entrypoint !== entrypoint) {
      problems.push(
        `${where("router")} binds ${binding} to the ${bound.entrypoint ?? "default"} entrypoint, not ${entrypoint ?? "the default one"}: ${entrypoint === undefined ? "requests" : "RPC calls"} would reach the wrong handler`,
      );
    }
  }
  for (const [name, worker] of [
    ["media", media],
    ["api", api],
  ] as const) {
    if (worker.workersDev !== false)
      problems.push(`${where(name)} must set workers_dev = false: it is reachable only through the router`);
    if (worker.routes.length > 0) problems.push(`${where(name)} has routes: it is reachable only through the router`);
  }
  for (const [name, worker] of [
    ["router", router],
    ["media", media],
    ["api", api],
  ] as const) {
    const rate = worker.headSamplingRate;
    if (!worker.observabilityEnabled)
      problems.push(`${where(name)} lacks observability.enabled = true: its logs would not be kept`);
    else if (rate === undefined || !(rate > 0 && rate <= 1))
      problems.push(
        `${where(name)} needs observability.head_sampling_rate in (0, 1]: it decides how many logs are kept`,
      );
    if (worker.analyticsDatasets[METRICS_BINDING] === undefined)
      problems.push(
        `${where(name)} lacks the ${METRICS_BINDING} analytics_engine_datasets binding: its requests would write no data points`,
      );
    if (worker.requiredSecrets.length === 0)
      problems.push(`${where(name)} declares no secrets.required ([env.${environment}] does not inherit them)`);
  }
  if (!media.requiredSecrets.some((secret) => kidOfSecretName(secret) !== undefined)) {
    problems.push(`${where("media")} requires no MEDIA_TOKEN_SECRET_V<N>: every media request would answer 401`);
  }
  const kidProblem = activeKidProblem(media.vars, media.requiredSecrets);
  if (kidProblem !== undefined) problems.push(`${where("media")}: ${kidProblem}`);
  problems.push(...uploadObjectProblems(media).map((problem) => `${where("media")} ${problem}`));
  return problems;
}

/**
 * The committed throwaway secrets (`.dev.vars.example`, which `npm run dev`
 * copies on a fresh clone) that the Workers or `secrets:put` would refuse:
 * a short ADMIN_TOKEN or media signing secret.
 */
export function committedSecretProblems(vars: Readonly<Record<string, string | undefined>>, file: string): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) continue;
    const problem =
      name === "ADMIN_TOKEN"
        ? adminTokenProblem(value)
        : kidOfSecretName(name) !== undefined && secretProblem(value) !== undefined
          ? `${name} must be at least ${MIN_SECRET_BYTES} bytes`
          : undefined;
    if (problem !== undefined) problems.push(`${file}: ${problem}`);
  }
  return problems;
}

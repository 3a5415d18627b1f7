/**
 * `GET /_health`: asks media and api for `health()` over RPC, in parallel and
 * each under a deadline, and answers one JSON document: 200 when every Worker
 * answered, 503 when one failed or timed out (so a load balancer or an uptime
 * check sees the degradation). Versions appear only for operators.
 */
import { jsonResponse } from "../../shared/errors";
import type { VersionInfo, WorkerHealth } from "../../shared/health";
import { versionInfo } from "../../shared/health";
import type { Logger } from "../../shared/log";

/** A dependency slower than this is reported as failed rather than holding the check open. */
export const HEALTH_TIMEOUT_MS = 2_000;

type DependencyHealth =
  | { status: "ok"; version?: VersionInfo }
  | { status: "failed"; reason: "timeout" | "error" };

export interface HealthDocument {
  status: "ok" | "degraded";
  requestId: string;
  workers: {
    router: { status: "ok"; version?: VersionInfo };
    media: DependencyHealth;
    api: DependencyHealth;
  };
}

interface HealthDependencies {
  MEDIA: { health(): Promise<WorkerHealth> };
  API: { health(): Promise<WorkerHealth> };
  VERSION: WorkerVersionMetadata;
}

export async function healthResponse(
  env: HealthDependencies,
  requestId: string,
  operator: boolean,
  log: Logger,
): Promise<Response> {
  const [media, api] = await Promise.all([
    probe("media", () => env.MEDIA.health(), operator, requestId, log),
    probe("api", () => env.API.health(), operator, requestId, log),
  ]);
  const router = operator ? { status: "ok" as const, version: versionInfo(env.VERSION) } : { status: "ok" as const };
  const healthy = media.status === "ok" && api.status === "ok";
  const document: HealthDocument = { status: healthy ? "ok" : "degraded", requestId, workers: { router, media, api } };
  return jsonResponse(document, healthy ? 200 : 503);
}

async function probe(
  target: string,
  call: () => Promise<WorkerHealth>,
  operator: boolean,
  requestId: string,
  log: Logger,
): Promise<DependencyHealth> {
  try {
    const answer = await withDeadline(call, HEALTH_TIMEOUT_MS);
    if (answer === "timeout") {
      log.warn("health-dependency-failed", { requestId, target, reason: "timeout" });
      return { status: "failed", reason: "timeout" };
    }
    return operator ? { status: "ok", version: answer.version } : { status: "ok" };
  } catch {
    log.warn("health-dependency-failed", { requestId, target, reason: "error" });
    return { status: "failed", reason: "error" };
  }
}

/** The call's answer, or "timeout" when it takes longer than `ms` (a control-path RPC must not hold a request open). */
export async function withDeadline<T>(call: () => Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([call(), deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * `GET /_health`: asks media and api for `health()` over RPC, in parallel and
 * each under a deadline, and answers one JSON document: 200 when every Worker
 * answered, 503 when one failed or timed out (so a load balancer or an uptime
 * check sees the degradation). Versions appear only for operators.
 */
import type { WorkerControl } from "../../shared/control";
import { jsonResponse } from "../../shared/errors";
import type { VersionInfo, WorkerHealth } from "../../shared/health";
import { versionInfo } from "../../shared/health";
import type { RequestContext } from "../../shared/context";
import type { Logger } from "../../shared/log";

/** A dependency slower than this is reported as failed rather than holding the check open. */
const HEALTH_TIMEOUT_MS = 2_000;

type DependencyHealth = { status: "ok"; version?: VersionInfo } | FailedProbe;

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
  MEDIA_CONTROL: WorkerControl;
  API_CONTROL: WorkerControl;
  VERSION: WorkerVersionMetadata;
}

/** `GET /_health`: 200 when every Worker answered health(), 503 when one failed or timed out. */
export async function healthResponse(
  env: HealthDependencies,
  call: Pick<RequestContext, "requestId" | "log">,
  operator: boolean,
): Promise<Response> {
  const shown = (answer: Probed<WorkerHealth>): DependencyHealth =>
    answer.status !== "ok" ? answer : operator ? { status: "ok", version: answer.answer.version } : { status: "ok" };
  const [media, api] = await Promise.all([
    probe("media", () => env.MEDIA_CONTROL.health(), call.log),
    probe("api", () => env.API_CONTROL.health(), call.log),
  ]);
  const router = operator ? { status: "ok" as const, version: versionInfo(env.VERSION) } : { status: "ok" as const };
  const healthy = media.status === "ok" && api.status === "ok";
  const document: HealthDocument = {
    status: healthy ? "ok" : "degraded",
    requestId: call.requestId,
    workers: { router, media: shown(media), api: shown(api) },
  };
  return jsonResponse(document, healthy ? 200 : 503);
}

/** A control-path call that failed: it threw, or did not answer within HEALTH_TIMEOUT_MS. */
export type FailedProbe = { status: "failed"; reason: "timeout" | "error" };
type Probed<T> = { status: "ok"; answer: T } | FailedProbe;

/**
 * One control-path RPC under the deadline, for /_health and /_status alike:
 * its answer, or why there is none (logged once, by target, on the request's logger).
 */
export async function probe<T>(target: string, call: () => Promise<T>, log: Logger): Promise<Probed<T>> {
  try {
    const outcome = await withDeadline(call, HEALTH_TIMEOUT_MS);
    if (outcome !== "timeout") return { status: "ok", answer: outcome };
    log.warn("control-dependency-failed", { target, reason: "timeout" });
    return { status: "failed", reason: "timeout" };
  } catch {
    log.warn("control-dependency-failed", { target, reason: "error" });
    return { status: "failed", reason: "error" };
  }
}

/** The call's answer, or "timeout" when it takes longer than `ms` (a control-path RPC must not hold a request open). */
async function withDeadline<T>(call: () => Promise<T>, ms: number): Promise<T | "timeout"> {
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

/**
 * The media Worker: verifies signed media tokens and streams objects from R2.
 * Reached only through the router (no public route).
 *
 * - Data plane, the default handler: handleMediaRequest in handle.ts makes
 *   the request context (context.ts: request id, bound logger, data point,
 *   config) and puts the request id, nosniff, the sandbox and CORS on every
 *   answer.
 *   - `GET|HEAD /media/v1/<jwt>`, before the Hono app: handle.ts (token.ts,
 *     deliver.ts and its seams in delivery/, http-semantics.ts, policy.ts, buckets.ts).
 *   - The Hono app in handle.ts for the rest: uploads (tus 1.0, contract v1.2)
 *     `/media/uploads[/<id>]` in uploads/route.ts, with one Durable Object per
 *     upload (`MediaUpload`, exported here for the binding); the JSON 404.
 * - Control plane, the `Control` entrypoint over RPC (the router binds it as
 *   MEDIA_CONTROL): `sign()`, `status()`: control.ts; `health()`:
 *   shared/health.ts.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { WorkerHealth } from "../../shared/health";
import { healthOf } from "../../shared/health";
import { createLogger } from "../../shared/log";
import type { MediaControl, MediaStatus, SignResult } from "../../shared/control";
import type { MintInput } from "../../shared/mint-input";
import { mediaStatus, signMediaPath } from "./control";
import type { BucketName } from "./buckets";
import { handleMediaRequest } from "./handle";

export { MediaUpload } from "./uploads/upload-object";

const log = createLogger("media");

/**
 * A plain handler object: the data plane needs no RPC, and a WorkerEntrypoint
 * class costs an instance per request (docs/benchmarks.md).
 */
export default {
  fetch: handleMediaRequest,
} satisfies ExportedHandler<MediaEnv>;

/** The control plane over RPC. Keep it additive: RPC calls cannot be pinned to a version during a gradual rollout. */
export class Control extends WorkerEntrypoint<MediaEnv> implements MediaControl<BucketName> {
  /** A media path for one object or a prefix, signed with the active kid, or the refusal. */
  async sign(input: MintInput): Promise<SignResult> {
    return signMediaPath(input, this.env, log);
  }

  /** Loaded kids with fingerprints, the active kid, the bound buckets. */
  async status(): Promise<MediaStatus<BucketName>> {
    return mediaStatus(this.env, log);
  }

  /** Liveness and deployed version, for the router's /_health. */
  async health(): Promise<WorkerHealth> {
    return healthOf("media", this.env.VERSION);
  }
}

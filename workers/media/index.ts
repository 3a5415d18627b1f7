/**
 * The media Worker: verifies signed media tokens and streams objects from R2.
 * Reached only through the router (no public route).
 *
 * - HTTP `GET|HEAD /media/v1/<jwt>`: handle.ts (token.ts, deliver.ts,
 *   http-semantics.ts, policy.ts, buckets.ts).
 * - RPC `sign()`, `status()`: control.ts; `health()`: shared/health.ts.
 * - Uploads (tus 1.0, contract v1.2) `/media/uploads[/<id>]`: uploads/, with
 *   one Durable Object per upload (`MediaUpload`, exported here for the binding).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { WorkerHealth } from "../../shared/health";
import { healthOf } from "../../shared/health";
import { createLogger } from "../../shared/log";
import type { MediaControl, MediaStatus, SignInput, SignResult } from "../../shared/control";
import { mediaStatus, signMediaPath } from "./control";
import type { BucketName } from "./buckets";
import { handleMediaRequest } from "./handle";

export { MediaUpload } from "./uploads/upload-object";

const log = createLogger("media");

export default class Media extends WorkerEntrypoint<MediaEnv> implements MediaControl<BucketName> {
  override async fetch(request: Request): Promise<Response> {
    return handleMediaRequest(request, this.env, this.ctx, log);
  }

  /** Control path: a media path for one object or a prefix, signed with the active kid, or the refusal. */
  async sign(input: SignInput): Promise<SignResult> {
    return signMediaPath(input, this.env, log);
  }

  /** Control path: loaded kids with fingerprints, the active kid, the bound buckets. */
  async status(): Promise<MediaStatus<BucketName>> {
    return mediaStatus(this.env, log);
  }

  /** Control path: liveness and deployed version, for the router's /_health. */
  async health(): Promise<WorkerHealth> {
    return healthOf("media", this.env.VERSION);
  }
}

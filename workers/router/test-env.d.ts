// Bindings that exist only in the router's test project (vitest.config.ts):
// a real Worker that fails on purpose, for health and failure tests.
import type { MediaControl } from "../../shared/control";
import type { WorkerHealth } from "../../shared/health";

declare global {
  namespace Cloudflare {
    interface Env {
      FAILING_SERVICE: Fetcher & { health(): Promise<WorkerHealth>; sign: MediaControl["sign"] };
      /** sign() answers the no-signing-key refusal, as a media Worker without secrets does. */
      NO_SIGNING_KEY_SERVICE: Fetcher & Pick<MediaControl, "sign">;
      SLOW_SERVICE: Fetcher & { health(): Promise<WorkerHealth> };
      /** Answers with the method, URL, headers and body length it received. */
      ECHO_SERVICE: Fetcher;
      /** The media Worker's main bucket (same local storage), for seeding objects. */
      MEDIA_BUCKET_FOR_TESTS: R2Bucket;
    }
  }
}

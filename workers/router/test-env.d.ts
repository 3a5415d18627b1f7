// Bindings that exist only in the router's test project (vitest.config.ts):
// a real Worker that fails on purpose, for health and failure tests.
import type { WorkerHealth } from "../../shared/health";

declare global {
  namespace Cloudflare {
    interface Env {
      FAILING_SERVICE: Fetcher & { health(): Promise<WorkerHealth> };
      SLOW_SERVICE: Fetcher & { health(): Promise<WorkerHealth> };
      /** The media Worker's main bucket (same local storage), for seeding objects. */
      MEDIA_BUCKET_FOR_TESTS: R2Bucket;
    }
  }
}

// Bindings that exist only in the media test project (vitest.config.ts): a real
// Worker standing in for an R2 bucket that fails on purpose.
import type { ObjectSource } from "./buckets";

declare global {
  namespace Cloudflare {
    interface Env {
      /** head() and get() both throw. */
      R2_OUTAGE: Fetcher & ObjectSource;
      /** head() answers; get() throws. */
      R2_GET_FAILS: Fetcher & ObjectSource;
      /** head() answers; get()'s body errors after 4 KiB. */
      R2_DIES_MID_BODY: Fetcher & ObjectSource;
    }
  }
}

// Bindings that exist only in the api's test project (vitest.config.ts):
// a second rate limiter with a tiny limit, so the 429 tests own their counters.
declare global {
  namespace Cloudflare {
    interface Env {
      TIGHT_RATE_LIMITER: RateLimit;
    }
  }
}
export {};

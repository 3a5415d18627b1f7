/**
 * Per-client rate limiting with the Workers Rate Limiting binding: counters
 * live in Cloudflare (per location), not in an isolate's memory, so they hold
 * across isolates and restarts. The binding answers only success or failure.
 */
import { sha256Hex } from "../../shared/fingerprint";

/**
 * The key a client is counted under: a hash of its session (`Authorization`,
 * else the `Cookie` header), else its IP. Hashed so no credential reaches the
 * limiter. A client can make up a new session value for a new counter, so
 * this limits well-behaved clients and sessions, not a determined attacker:
 * that is the WAF's job, in front of the Worker.
 */
export async function rateLimitKey(headers: Headers): Promise<string> {
  const session = headers.get("authorization") ?? headers.get("cookie");
  if (session) return `session:${await sha256Hex(session)}`;
  return `ip:${headers.get("cf-connecting-ip") ?? "unknown"}`;
}

/** True when the client may go on. */
export async function withinRateLimit(limiter: RateLimit, headers: Headers): Promise<boolean> {
  const { success } = await limiter.limit({ key: await rateLimitKey(headers) });
  return success;
}

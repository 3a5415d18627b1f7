/**
 * The rate limiter alone: the floor Worker's 64 KiB answer after one call to
 * the RATE_LIMITER binding (the api Worker's, same settings). Its ratio to
 * the floor is the local simulator's cost per call (a Durable Object round
 * trip in Miniflare), so it is not mistaken for the api Worker's own.
 */
interface LimiterEnv {
  RATE_LIMITER: RateLimit;
}

const body = new Uint8Array(64 * 1024).fill(0x61);

export default {
  async fetch(request, env): Promise<Response> {
    const { success } = await env.RATE_LIMITER.limit({
      key: `ip:${request.headers.get("cf-connecting-ip") ?? "unknown"}`,
    });
    if (!success) return new Response("rate limited", { status: 429 });
    return new Response(body, { headers: { "Content-Type": "application/octet-stream" } });
  },
} satisfies ExportedHandler<LimiterEnv>;

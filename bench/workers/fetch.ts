/**
 * The bare fetch Worker: what an api proxy costs when it does nothing but
 * `fetch(BACKEND_URL + path, request)`. With a RATE_LIMITER binding it calls
 * it once first (the api Worker's limiter, same settings), and refuses as the
 * api does when told to: the api Worker is judged against that one.
 */
interface BareFetchEnv {
  BACKEND_URL: string;
  RATE_LIMITER?: RateLimit;
}

export default {
  async fetch(request, env): Promise<Response> {
    const { pathname, search } = new URL(request.url);
    if (env.RATE_LIMITER !== undefined) {
      const { success } = await env.RATE_LIMITER.limit({
        key: `ip:${request.headers.get("cf-connecting-ip") ?? "unknown"}`,
      });
      if (!success) return new Response("rate limited", { status: 429 });
    }
    return fetch(`${env.BACKEND_URL}${pathname}${search}`, request);
  },
} satisfies ExportedHandler<BareFetchEnv>;

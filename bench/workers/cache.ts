/**
 * The bare cache Worker: only `caches.default.match` of one key, the same
 * key the media Worker stores its object under. Isolates the local Cache API
 * simulator's cost from the media Worker's own.
 *
 * `POST /seed` copies the R2 object into the cache under that key (the bench
 * calls it once; the simulator's cache is shared by every Worker in the
 * instance, so this only matters when media has not stored it yet).
 */
interface BareCacheEnv {
  CACHE_KEY: string;
  BUCKET: R2Bucket;
  OBJECT_KEY: string;
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    if (request.method === "POST") return seed(env, ctx);
    const hit = await caches.default.match(env.CACHE_KEY);
    return hit ?? new Response("cache miss", { status: 404 });
  },
} satisfies ExportedHandler<BareCacheEnv>;

async function seed(env: BareCacheEnv, ctx: ExecutionContext): Promise<Response> {
  const object = await env.BUCKET.get(env.OBJECT_KEY);
  if (object === null) return new Response("no such object", { status: 404 });
  const headers = new Headers({ "Cache-Control": "public, max-age=3600", ETag: object.httpEtag });
  object.writeHttpMetadata(headers);
  headers.set("Content-Length", String(object.size));
  const stored = caches.default.put(env.CACHE_KEY, new Response(object.body, { headers }));
  ctx.waitUntil(stored);
  await stored;
  return new Response("seeded");
}

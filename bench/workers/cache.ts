/**
 * The bare cache Worker: only `caches.default.match` of one key, the same
 * key the media Worker stores its object under. Isolates the local Cache API
 * simulator's cost from the media Worker's own.
 *
 * With `REWRAP` set to "true", it answers a new Response around the hit's
 * body and a copy of its headers, as any Worker that adds or changes a header
 * must: the difference prices that re-wrap by itself.
 *
 * `POST /seed` copies the R2 object into the cache under that key (the bench
 * calls it once; the simulator's cache is shared by every Worker in the
 * instance, so this only matters when media has not stored it yet).
 */
interface BareCacheEnv {
  CACHE_KEY: string;
  BUCKET: R2Bucket;
  OBJECT_KEY: string;
  REWRAP?: string;
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    if (request.method === "POST") return seed(env, ctx);
    const hit = await caches.default.match(env.CACHE_KEY);
    if (hit === undefined) return new Response("cache miss", { status: 404 });
    if (env.REWRAP !== "true") return hit;
    return new Response(hit.body, { status: hit.status, headers: new Headers(hit.headers) });
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

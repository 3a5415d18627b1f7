/** The bare R2 Worker: only `BUCKET.get(key)` (ranged when the request has a Range header), its body as the response. */
interface BareR2Env {
  BUCKET: R2Bucket;
  OBJECT_KEY: string;
}

export default {
  async fetch(request, env): Promise<Response> {
    const ranged = request.headers.has("Range");
    const object = await env.BUCKET.get(env.OBJECT_KEY, ranged ? { range: request.headers } : {});
    if (object === null) return new Response("no such object", { status: 404 });
    if (!ranged) return new Response(object.body, { headers: { "Content-Length": String(object.size) } });
    const range = object.range as { offset: number; length: number };
    return new Response(object.body, {
      status: 206,
      headers: {
        "Content-Length": String(range.length),
        "Content-Range": `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`,
      },
    });
  },
} satisfies ExportedHandler<BareR2Env>;

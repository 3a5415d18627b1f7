/** The bare R2 Worker: only `BUCKET.get(key)`, its body as the response. */
interface BareR2Env {
  BUCKET: R2Bucket;
  OBJECT_KEY: string;
}

export default {
  async fetch(_request, env): Promise<Response> {
    const object = await env.BUCKET.get(env.OBJECT_KEY);
    if (object === null) return new Response("no such object", { status: 404 });
    return new Response(object.body, { headers: { "Content-Length": String(object.size) } });
  },
} satisfies ExportedHandler<BareR2Env>;

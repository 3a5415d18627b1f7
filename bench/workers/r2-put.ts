/**
 * The bare upload Worker, the uploads row's peer: the request body streamed
 * into one R2 `put` (its Content-Length makes it a known-length stream),
 * nothing else: no token, no tus, no Durable Object, no parts.
 */
interface BareR2PutEnv {
  BUCKET: R2Bucket;
}

export default {
  async fetch(request, env): Promise<Response> {
    const key = new URL(request.url).searchParams.get("key");
    if (request.method !== "PUT" || key === null || request.body === null)
      return new Response("PUT /?key=<key> with a body", { status: 400 });
    const object = await env.BUCKET.put(key, request.body);
    return Response.json({ size: object?.size ?? 0 }, { status: 201 });
  },
} satisfies ExportedHandler<BareR2PutEnv>;

/**
 * The TransformStream pump: the SSE peer a Worker author writes first. It
 * fetches the origin and copies each chunk through a reader/writer loop into
 * a TransformStream, instead of returning the upstream body as it is.
 */
interface SsePumpEnv {
  ORIGIN_URL: string;
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const { pathname, search } = new URL(request.url);
    const upstream = await fetch(`${env.ORIGIN_URL}${pathname}${search}`, {
      headers: { Accept: "text/event-stream" },
      signal: request.signal,
    });
    const body: ReadableStream<Uint8Array> | null = upstream.body;
    if (body === null) return new Response(null, { status: upstream.status, headers: upstream.headers });
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    ctx.waitUntil(pump(body.getReader(), writable.getWriter()));
    return new Response(readable, { status: upstream.status, headers: upstream.headers });
  },
} satisfies ExportedHandler<SsePumpEnv>;

async function pump(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  writer: WritableStreamDefaultWriter<Uint8Array>,
): Promise<void> {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await writer.write(value);
    }
    await writer.close();
  } catch (error) {
    // The client went away or the origin failed: end both sides.
    await reader.cancel(error).catch(() => undefined);
    await writer.abort(error).catch(() => undefined);
  }
}

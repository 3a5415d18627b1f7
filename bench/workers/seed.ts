/**
 * Seeds the media bucket by streaming: `PUT /?key=<key>&size=<bytes>&type=<mime>`
 * writes a generated object of exactly that size without ever holding it in
 * memory (a 1 GiB object goes through a FixedLengthStream in 1 MiB chunks).
 */
interface SeedEnv {
  BUCKET: R2Bucket;
}

const CHUNK_BYTES = 1024 * 1024;

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    const key = url.searchParams.get("key");
    const size = Number(url.searchParams.get("size"));
    const contentType = url.searchParams.get("type") ?? "application/octet-stream";
    if (request.method !== "PUT" || key === null || !Number.isSafeInteger(size) || size < 0) {
      return new Response("PUT /?key=<key>&size=<bytes>", { status: 400 });
    }
    const { readable, writable } = new FixedLengthStream(size);
    const written = writeGenerated(writable.getWriter(), size);
    const [object] = await Promise.all([env.BUCKET.put(key, readable, { httpMetadata: { contentType } }), written]);
    return Response.json({ key: object.key, size: object.size, etag: object.httpEtag });
  },
} satisfies ExportedHandler<SeedEnv>;

/** A repeating byte pattern (one chunk reused), so the object is not all zeros. */
async function writeGenerated(writer: WritableStreamDefaultWriter<Uint8Array>, size: number): Promise<void> {
  const chunk = new Uint8Array(CHUNK_BYTES);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
  let left = size;
  while (left > 0) {
    const length = Math.min(left, CHUNK_BYTES);
    // Each write gets its own copy: the stream may hold a written chunk after write() resolves.
    await writer.write(chunk.slice(0, length));
    left -= length;
  }
  await writer.close();
}

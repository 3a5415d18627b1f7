// A real Worker bound to the media Worker in place of an R2 binding: it
// forwards every head() and get() to the real local bucket (its own R2
// binding, the same bucket) and counts them, so a test counts R2 operations
// through the real storage path. Instrumentation, not a stand-in: every
// answer is the bucket's own.
import { WorkerEntrypoint } from "cloudflare:workers";

/** Every operation since the last reset, in order: "head", "get" or "get-range". */
const operations = [];

/** The fields the media Worker reads, as a plain object (R2's classes do not cross RPC). */
function plain(object) {
  if (object === null) return null;
  const fields = {
    key: object.key,
    size: object.size,
    etag: object.etag,
    httpEtag: object.httpEtag,
    uploaded: object.uploaded,
    httpMetadata: object.httpMetadata,
  };
  return "body" in object ? { ...fields, range: object.range, body: object.body } : fields;
}

export default class CountingBucket extends WorkerEntrypoint {
  async head(key) {
    operations.push("head");
    return plain(await this.env.BUCKET.head(key));
  }
  async get(key, options) {
    operations.push(options?.range === undefined ? "get" : "get-range");
    return plain(await this.env.BUCKET.get(key, options));
  }
  /** The operations counted since the last read, as JSON (each read starts a new count). */
  async fetch() {
    return Response.json(operations.splice(0));
  }
}

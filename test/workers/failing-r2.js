// A real Worker that stands in for an R2 bucket binding and fails the way R2
// can: bound to the media test project in place of MEDIA_BUCKET, so storage
// faults cross a real binding boundary (RPC) instead of a mock object.
import { WorkerEntrypoint } from "cloudflare:workers";

const SIZE = 64 * 1024;

/** Metadata of one object, as R2's head() describes it. */
function metadata(key) {
  return {
    key,
    size: SIZE,
    etag: "0123456789abcdef0123456789abcdef",
    httpEtag: '"0123456789abcdef0123456789abcdef"',
    uploaded: new Date("2026-11-01T00:00:00Z"),
    httpMetadata: { contentType: "video/mp4" },
  };
}

/** Every call fails, as during an R2 outage. */
export default class Outage extends WorkerEntrypoint {
  async head() {
    throw new Error("R2 outage (on purpose): head");
  }
  async get() {
    throw new Error("R2 outage (on purpose): get");
  }
}

/** Metadata reads work; body reads fail. */
export class GetFails extends WorkerEntrypoint {
  async head(key) {
    return metadata(key);
  }
  async get() {
    throw new Error("R2 read failed (on purpose)");
  }
}

/** The body starts, then the stream errors after 4 KiB, as a connection dropped mid-object would. */
export class DiesMidBody extends WorkerEntrypoint {
  async head(key) {
    return metadata(key);
  }
  async get(key, options) {
    const length = options?.range?.length ?? SIZE;
    let sent = false;
    const body = new ReadableStream({
      type: "bytes",
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new Uint8Array(Math.min(4096, length)));
          return;
        }
        controller.error(new Error("R2 stream died mid-body (on purpose)"));
      },
    });
    return { ...metadata(key), body };
  }
}

/** tus 1.0 through the real media Worker: creation, HEAD, PATCH in odd sizes, completion into R2. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { uniqueKey } from "../test-kit";
import { MIB, TUS, createUpload, locationOf, mintUpload, mp4Bytes, patch, send, storedBytes } from "./upload-kit";

describe("a resumable upload", { timeout: 60_000 }, () => {
  it("takes 12 MiB as 3 + 7 + 2 MiB and stores it byte for byte with the token's type", async () => {
    const key = uniqueKey("clip.mp4");
    const file = mp4Bytes(12 * MIB);
    const created = await createUpload(await mintUpload(key), file.byteLength);
    expect(created.status).toBe(201);
    expect(created.headers.get("Tus-Resumable")).toBe("1.0.0");
    expect(created.headers.get("Upload-Expires")).toMatch(/GMT$/);
    const location = locationOf(created);
    expect(location).toMatch(/^\/media\/uploads\/[0-9a-f]{64}-\d+-v2-[A-Za-z0-9_-]{43}$/);
    let offset = 0;
    for (const size of [3 * MIB, 7 * MIB, 2 * MIB]) {
      const answer = await patch(location, offset, file.subarray(offset, offset + size));
      expect(answer.status).toBe(204);
      offset += size;
      expect(answer.headers.get("Upload-Offset")).toBe(String(offset));
      if (offset < file.byteLength) {
        const head = await send(location, { method: "HEAD", headers: TUS });
        expect(head.status).toBe(200);
        expect(head.headers.get("Upload-Offset")).toBe(String(offset));
        expect(head.headers.get("Upload-Length")).toBe(String(file.byteLength));
        expect(head.headers.get("Cache-Control")).toBe("no-store");
      }
    }
    const object = await env.MEDIA_BUCKET.head(key);
    expect(object?.httpMetadata?.contentType).toBe("video/mp4");
    expect(await storedBytes(env.MEDIA_BUCKET, key)).toEqual(file);
    // Done: HEAD shows the whole length (a client whose last answer was lost learns it is complete); PATCH is refused.
    const done = await send(location, { method: "HEAD", headers: TUS });
    expect(done.status).toBe(200);
    expect(done.headers.get("Upload-Offset")).toBe(String(file.byteLength));
    expect(done.headers.get("Upload-Length")).toBe(String(file.byteLength));
    expect((await patch(location, file.byteLength, new Uint8Array(0))).status).toBe(404);
  });
});

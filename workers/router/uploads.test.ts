// Uploads (tus 1.0, contract v1.2) through the real router: an operator's
// upload token from POST /_sign (the media Worker's sign() over RPC), the
// tus requests forwarded over the real service binding to the media Worker
// (its deploy bundle, with its Durable Object and local R2), bodies streamed.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_SECRETS } from "../../test/secrets";

const ORIGIN = "https://gateway.test";
const ADMIN = { Authorization: `Bearer ${TEST_SECRETS.router.ADMIN_TOKEN}` };
const TUS = { "Tus-Resumable": "1.0.0" };
const MIB = 1024 * 1024;
const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`${ORIGIN}${path}`, init));

/** An MP4-looking file: `ftyp` at byte 4, then a pattern. */
function mp4Bytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 13 + 5) % 251;
  bytes.set([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]);
  return bytes;
}

/** A body that arrives in pieces, as a slow client sends it (no Content-Length: the router must stream it). */
function trickle(bytes: Uint8Array, pieces: number): ReadableStream<Uint8Array> {
  const size = Math.ceil(bytes.byteLength / pieces);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function uploadToken(input: Record<string, unknown>): Promise<{ path: string; token: string; jti: string }> {
  const response = await call("/_sign", { method: "POST", headers: ADMIN, body: JSON.stringify(input) });
  expect(response.status).toBe(200);
  return response.json();
}

describe("uploads through the router", { timeout: 60_000 }, () => {
  it("signs an upload token over RPC, takes the file in streamed PATCHes and serves it back", async () => {
    const key = `router-upload/${crypto.randomUUID()}/clip.mp4`;
    const file = mp4Bytes(6 * MIB + 123);
    const signed = await uploadToken({ put: key, max: 8 * MIB, ct: "video/mp4", ttl: 60 });
    expect(signed.path).toBe("/media/uploads");
    expect(signed.jti).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
    const created = await call(signed.path, {
      method: "POST",
      headers: {
        ...TUS,
        Authorization: `Bearer ${signed.token}`,
        "Upload-Length": String(file.byteLength),
        "Upload-Metadata": `filename ${btoa("clip.mp4")}`,
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("X-Request-Id")).not.toBeNull();
    const location = created.headers.get("Location") ?? "";
    expect(location).toMatch(/^\/media\/uploads\/[0-9a-f]{64}-/);
    const half = 3 * MIB;
    for (const [offset, end] of [
      [0, half],
      [half, file.byteLength],
    ] as const) {
      const answer = await call(location, {
        method: "PATCH",
        headers: { ...TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) },
        body: trickle(file.subarray(offset, end), 7),
      });
      expect(answer.status).toBe(204);
      expect(answer.headers.get("Upload-Offset")).toBe(String(end));
      expect(answer.headers.get("Tus-Resumable")).toBe("1.0.0");
    }
    const stored = await env.MEDIA_BUCKET_FOR_TESTS.get(key);
    expect(stored?.httpMetadata?.contentType).toBe("video/mp4");
    expect(stored?.customMetadata).toEqual({ filename: "clip.mp4" });
    expect(new Uint8Array((await stored?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(file);
    const download = await call("/_sign", { method: "POST", headers: ADMIN, body: JSON.stringify({ key }) });
    const { path } = await download.json<{ path: string }>();
    const ranged = await call(path, { headers: { Range: "bytes=4-7" } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe("ftyp");
  });

  it("passes tus discovery and a CORS preflight through, told apart by Access-Control-Request-Method", async () => {
    const discovery = await call("/media/uploads", { method: "OPTIONS" });
    expect(discovery.status).toBe(204);
    expect(discovery.headers.get("Tus-Version")).toBe("1.0.0");
    expect(discovery.headers.get("Tus-Extension")).toBe(
      "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination",
    );
    expect(discovery.headers.get("Tus-Checksum-Algorithm")).toBe("sha1");
    const preflight = await call("/media/uploads", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Tus-Version")).toBeNull();
  });

  it("answers a bad upload token with the bare 401, and signs no upload token from bad input", async () => {
    const refused = await call("/media/uploads", {
      method: "POST",
      headers: { ...TUS, Authorization: "Bearer nope", "Upload-Length": "10" },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    expect(await refused.text()).toBe("");
    const bad = await call("/_sign", {
      method: "POST",
      headers: ADMIN,
      body: JSON.stringify({ put: "a/", max: 10, ct: "video/mp4" }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("put refused (bad-put: trailing-slash)");
  });
});

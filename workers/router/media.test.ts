// The real media Worker behind the router's service binding: the router re-wraps
// every response (withRequestId), so length, ranges and streaming are checked here, end to end.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const ORIGIN = "https://gateway.test";
const SIZE = 3 * 1024 * 1024 + 17;

/** Deterministic bytes, so a wrong slice shows up as different bytes. */
function patternBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 13 + 5) % 251;
  return bytes;
}

async function seededPath(name: string): Promise<{ path: string; bytes: Uint8Array }> {
  const key = `router-test/${crypto.randomUUID()}/${name}`;
  const bytes = patternBytes(SIZE);
  await env.MEDIA_BUCKET_FOR_TESTS.put(key, bytes, { httpMetadata: { contentType: "video/mp4" } });
  // A path from the media Worker's own sign() RPC: the router never holds the secret.
  const signed = await env.MEDIA_CONTROL.sign({ key, ttl: 60 });
  if (!signed.ok) throw new Error(`sign() refused: ${signed.message}`);
  return { path: signed.path, bytes };
}

describe("media through the router", () => {
  it("streams a whole object with its exact Content-Length and the request id", async () => {
    const { path, bytes } = await seededPath("whole.mp4");
    const response = await exports.default.fetch(
      new Request(`${ORIGIN}${path}`, { headers: { "X-Request-Id": "req-media-whole" } }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(response.headers.get("Content-Type")).toBe("video/mp4");
    expect(response.headers.get("X-Request-Id")).toBe("req-media-whole");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it("answers a Range with 206, the exact Content-Range and Content-Length", async () => {
    const { path, bytes } = await seededPath("range.mp4");
    const response = await exports.default.fetch(
      new Request(`${ORIGIN}${path}`, { headers: { Range: "bytes=1000000-1000099" } }),
    );
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe(`bytes 1000000-1000099/${SIZE}`);
    expect(response.headers.get("Content-Length")).toBe("100");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes.slice(1_000_000, 1_000_100));
  });

  it("answers HEAD with the full Content-Length and no body", async () => {
    const { path } = await seededPath("head.mp4");
    const response = await exports.default.fetch(new Request(`${ORIGIN}${path}`, { method: "HEAD" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(await response.text()).toBe("");
  });

  it("passes a bare 401 through for a bad token", async () => {
    const response = await exports.default.fetch(new Request(`${ORIGIN}/media/v1/a.b.c`));
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    expect(await response.text()).toBe("");
  });

  it("shows the media Worker's kids, fingerprints and buckets over status() RPC", async () => {
    const status = await env.MEDIA_CONTROL.status();
    expect(status.activeKid).toBe("v2");
    expect(status.kids.map(({ kid }) => kid)).toEqual(["v1", "v2"]);
    expect(status.buckets.media.main).toBe(true);
  });
});

// The operator endpoints against the real media and api Workers (auxiliary
// Workers from their deploy bundles) over real RPC.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import { testContext } from "../../test/metrics-recorder";
import vectors from "../../test/fixtures/media-token-vectors.json";
import { TEST_SECRETS } from "../../test/secrets";
import type { MediaStatus } from "../../shared/control";
import type { StatusDocument } from "./operator";
import { parseSignBody, signResponse, statusResponse } from "./operator";

const ORIGIN = "https://gateway.test";
const ADMIN = { Authorization: `Bearer ${TEST_SECRETS.router.ADMIN_TOKEN}` };
const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`${ORIGIN}${path}`, init));

async function expectOperatorOnly(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="gateway-operator"');
  const text = await response.text();
  expect((JSON.parse(text) as ErrorBody).error.code).toBe("unauthorized");
  // Nothing about keys or versions leaks to a caller without the token.
  expect(text).not.toContain(vectors.fingerprints.v1);
  expect(text).not.toContain("version");
}

describe("GET /_status", () => {
  it.each([
    ["no token", {}],
    ["a wrong token", { Authorization: "Bearer not-the-admin-token" }],
    ["the token without Bearer", { Authorization: TEST_SECRETS.router.ADMIN_TOKEN }],
  ])("answers 401 to a caller with %s", async (_who, headers) => {
    await expectOperatorOnly(await call("/_status", { headers }));
  });

  it("shows an operator every Worker's version and the media Worker's kids with their fingerprints", async () => {
    const response = await call("/_status", { headers: ADMIN });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = await response.json<StatusDocument>();
    expect(body.status).toBe("ok");
    expect(body.requestId).toBe(response.headers.get("X-Request-Id"));
    expect(body.workers.router.version.id).toEqual(expect.any(String));
    expect(body.workers.api).toMatchObject({ status: "ok", version: { id: expect.any(String) as string } });
    expect(body.workers.media).toMatchObject({
      status: "ok",
      activeKid: "v2",
      kids: [
        { kid: "v1", fingerprint: vectors.fingerprints.v1 },
        { kid: "v2", fingerprint: vectors.fingerprints.v2 },
      ],
      registry: `media_token: active=v2 registry=[v1:${vectors.fingerprints.v1},v2:${vectors.fingerprints.v2}]`,
    });
    // Fingerprints, never the secrets themselves.
    const text = JSON.stringify(body);
    expect(text).not.toContain(vectors.secrets.MEDIA_TOKEN_SECRET_V1);
    expect(text).not.toContain(vectors.secrets.MEDIA_TOKEN_SECRET_V2);
  });

  it("answers 503 and marks media failed when its status() throws", async () => {
    const failing = env.FAILING_SERVICE as unknown as { status(): Promise<MediaStatus> };
    const response = await statusResponse(
      { MEDIA_CONTROL: failing, API_CONTROL: env.API_CONTROL, VERSION: env.VERSION },
      testContext("router", "rid-status"),
    );
    expect(response.status).toBe(503);
    const body = await response.json<StatusDocument>();
    expect(body.status).toBe("degraded");
    expect(body.workers.media).toEqual({ status: "failed", reason: "error" });
    expect(body.workers.api.status).toBe("ok");
  });

  it("answers 503 and marks api timed out when its health() outlasts the deadline /_health uses too", async () => {
    const response = await statusResponse(
      { MEDIA_CONTROL: env.MEDIA_CONTROL, API_CONTROL: env.SLOW_SERVICE, VERSION: env.VERSION },
      testContext("router", "rid-status-slow"),
    );
    expect(response.status).toBe(503);
    const body = await response.json<StatusDocument>();
    expect(body.workers.api).toEqual({ status: "failed", reason: "timeout" });
    expect(body.workers.media.status).toBe("ok");
  });

  it("refuses POST with 405 and Allow", async () => {
    const response = await call("/_status", { method: "POST", headers: ADMIN });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET, HEAD");
    await response.body?.cancel();
  });
});

describe("POST /_sign", () => {
  const sign = (body: string, headers: Record<string, string> = ADMIN) =>
    call("/_sign", { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });

  it("answers 401 without the admin token, before reading the body", async () => {
    await expectOperatorOnly(await sign(JSON.stringify({ key: "a.mp4" }), {}));
  });

  it("gives an operator a path signed by the media Worker that the media Worker then serves", async () => {
    const key = `operator-test/${crypto.randomUUID()}/clip.mp4`;
    await env.MEDIA_BUCKET_FOR_TESTS.put(key, "twelve bytes", { httpMetadata: { contentType: "video/mp4" } });
    const response = await sign(JSON.stringify({ key, bkt: "media", ttl: 60 }));
    expect(response.status).toBe(200);
    const { path } = await response.json<{ path: string }>();
    expect(path).toMatch(/^\/media\/v1\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const header = JSON.parse(atob(path.split("/")[3]?.split(".")[0] ?? "")) as { kid: string };
    expect(header.kid).toBe("v2");
    const media = await call(path, { method: "HEAD" });
    expect(media.status).toBe(200);
    expect(media.headers.get("Content-Length")).toBe("12");
  });

  it.each([
    ["not JSON", "key=a.mp4", "The body must be JSON"],
    ["an array", "[]", "must be a JSON object"],
    ["a key that is not a string", JSON.stringify({ key: 7 }), "key must be a string."],
    ["a ttl that is not a number", JSON.stringify({ key: "a.mp4", ttl: "60" }), "ttl must be a number of seconds."],
  ])("answers 400 for %s", async (_what, body, message) => {
    const response = await sign(body);
    expect(response.status).toBe(400);
    expect((await response.json<ErrorBody>()).error.message).toContain(message);
  });

  it.each([
    ["a key with a .. segment", { key: "a/../b.mp4" }, "key refused (bad-key: dot-dot-segment)"],
    ["an unknown bucket", { key: "a.mp4", bkt: "secrets" }, "bkt must be one of"],
    ["a ttl of a week", { key: "a.mp4", ttl: 7 * 24 * 3600 }, "ttl must be a whole number of seconds"],
  ])("passes the media Worker's refusal of %s on as a 400", async (_what, input, message) => {
    const response = await sign(JSON.stringify(input));
    expect(response.status).toBe(400);
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("bad_request");
    expect(body.error.message).toContain(message);
  });

  it("answers 413 to a body declared larger than a sign request can be", async () => {
    const response = await sign(JSON.stringify({ key: "a".repeat(5000) }));
    expect(response.status).toBe(413);
    await response.body?.cancel();
  });

  it("answers 413 to a streamed body without a length that grows past the limit", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"key":"${"a".repeat(5000)}"}`));
        controller.close();
      },
    });
    const request = new Request(`${ORIGIN}/_sign`, {
      method: "POST",
      headers: ADMIN,
      body,
      duplex: "half",
    } as RequestInit);
    expect(request.headers.get("Content-Length")).toBeNull();
    const response = await exports.default.fetch(request);
    expect(response.status).toBe(413);
    await response.body?.cancel();
  });

  it("refuses GET with 405 and Allow: POST", async () => {
    const response = await call("/_sign", { headers: ADMIN });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST");
    await response.body?.cancel();
  });

  it("keeps the optional fields optional", () => {
    expect(parseSignBody(JSON.stringify({ key: "a.mp4" }))).toEqual({ key: "a.mp4" });
  });

  it("gives an operator a prefix base path that serves every object under the prefix", async () => {
    const prefix = `operator-test/${crypto.randomUUID()}/hls/`;
    await env.MEDIA_BUCKET_FOR_TESTS.put(`${prefix}master.m3u8`, "#EXTM3U");
    await env.MEDIA_BUCKET_FOR_TESTS.put(`${prefix}720p/seg_1.m4s`, "segment");
    const response = await sign(JSON.stringify({ pfx: prefix, ttl: 60 }));
    expect(response.status).toBe(200);
    const { path } = await response.json<{ path: string }>();
    expect(path).toMatch(/^\/media\/v1\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\/$/);
    expect(await (await call(`${path}master.m3u8`)).text()).toBe("#EXTM3U");
    expect(await (await call(`${path}720p/seg_1.m4s`)).text()).toBe("segment");
  });

  it("passes dl and ip on: the path downloads under that name, for that address only", async () => {
    const key = `operator-test/${crypto.randomUUID()}/r1.pdf`;
    await env.MEDIA_BUCKET_FOR_TESTS.put(key, "%PDF");
    const response = await sign(JSON.stringify({ key, dl: "Q3 report.pdf", ip: "203.0.113.7" }));
    const { path } = await response.json<{ path: string }>();
    const inside = await call(path, { headers: { "CF-Connecting-IP": "203.0.113.7" } });
    expect(inside.status).toBe(200);
    expect(inside.headers.get("Content-Disposition")).toBe(
      "attachment; filename=\"Q3 report.pdf\"; filename*=UTF-8''Q3%20report.pdf",
    );
    await inside.body?.cancel();
    const elsewhere = await call(path, { headers: { "CF-Connecting-IP": "203.0.113.8" } });
    expect(elsewhere.status).toBe(401);
    await elsewhere.body?.cancel();
  });

  it.each([
    ["neither key nor pfx", JSON.stringify({ bkt: "media" }), "Give key (one object) or pfx"],
    ["a pfx that is not a string", JSON.stringify({ pfx: ["a/"] }), "pfx must be a string."],
    ["a dl that is not a string", JSON.stringify({ key: "a.pdf", dl: 7 }), "dl must be a string."],
    ["an ip that is not a string", JSON.stringify({ key: "a.mp4", ip: 3405803783 }), "ip must be a string."],
    [
      "an upload request that also names a key",
      JSON.stringify({ put: "a.mp4", max: 10, ct: "video/mp4", key: "b.mp4" }),
      "put and key are exclusive",
    ],
    [
      "an upload request whose replace is not a boolean",
      JSON.stringify({ put: "a.mp4", max: 10, ct: "video/mp4", replace: 1 }),
      "replace must be true or false.",
    ],
    ["an upload request without ct", JSON.stringify({ put: "a.mp4", max: 10 }), "ct must be a lower-case MIME type"],
  ])("answers 400 for %s", async (_what, body, message) => {
    const response = await sign(body);
    expect(response.status).toBe(400);
    expect((await response.json<ErrorBody>()).error.message).toContain(message);
  });

  it.each([
    ["key and pfx together", { key: "a.mp4", pfx: "a/" }, "key and pfx are exclusive"],
    ["a prefix without its trailing /", { pfx: "clips" }, "pfx refused (bad-prefix: no-trailing-slash)"],
    ["a dl with CR LF", { key: "a.pdf", dl: "a.pdf\r\nSet-Cookie: x=1" }, "dl refused (bad-dl)"],
    ["an ip in a mapped form", { key: "a.mp4", ip: "::ffff:203.0.113.7" }, "ip refused (bad-ip)"],
  ])("passes the media Worker's v1.1 refusal of %s on as a 400", async (_what, input, message) => {
    const response = await sign(JSON.stringify(input));
    expect(response.status).toBe(400);
    expect((await response.json<ErrorBody>()).error.message).toContain(message);
  });

  it.each([
    ["sign() refuses with no-signing-key", () => env.NO_SIGNING_KEY_SERVICE],
    ["sign() throws", () => env.FAILING_SERVICE],
  ])("answers 503 dependency_failed when %s", async (_what, media) => {
    const request = new Request(`${ORIGIN}/_sign`, { method: "POST", body: JSON.stringify({ key: "a.mp4" }) });
    const response = await signResponse(request, media(), testContext("router", "rid-sign"));
    expect(response.status).toBe(503);
    const body = await response.json<ErrorBody>();
    expect(body.error).toMatchObject({ code: "dependency_failed", requestId: "rid-sign" });
    expect(body.error.message).toContain("MEDIA_TOKEN_SECRET_V<N>");
  });
});

/**
 * The local backend's half of uploads (backend/uploads.ts): it mints one
 * upload token per picked file under the contract v1.2 (allow-listed `ct`,
 * `max` the file's size under a cap, a fresh `jti`), and it accepts the media
 * Worker's webhook only with a valid Standard Webhooks signature, then
 * announces `upload.completed` to every open event stream, once per webhook id.
 */
import { randomBytes } from "node:crypto";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunningBackend } from "../../backend/server.ts";
import { startBackend } from "../../backend/server.ts";
import { UPLOAD_MAX_BYTES, UPLOAD_TOKEN_TTL_SECONDS, UPLOAD_WEBHOOK_PATH } from "../../backend/uploads.ts";

const MEDIA_SECRET = "backend-test-secret-v1-0123456789abcdef";
const PROXY_TOKEN = "backend-test-proxy-token";
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const signer = new Webhook(WEBHOOK_SECRET);

let backend: RunningBackend;
let bare: RunningBackend;

beforeAll(async () => {
  backend = await startBackend({
    port: 0,
    secrets: {
      MEDIA_TOKEN_SECRET_V1: MEDIA_SECRET,
      BACKEND_AUTH_TOKEN: PROXY_TOKEN,
      MEDIA_UPLOAD_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
  });
  // No secrets at all: the backend must say what is missing, never sign or accept anything.
  bare = await startBackend({ port: 0, secrets: {} });
});

afterAll(async () => {
  await backend.close();
  await bare.close();
});

interface MintedUpload {
  endpoint: string;
  token: string;
  key: string;
  contentType: string;
  maxBytes: number;
  jti: string;
  expiresAt: string;
}

const mint = (body: unknown, target = backend, headers: Record<string, string> = { "X-Proxy-Token": PROXY_TOKEN }) =>
  fetch(`${target.url}/api/v1/uploads`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("the backend's upload token endpoint", () => {
  it("mints a v1.2 upload token for the picked file: the key under uploads/<jti>/, ct from its type, max its size", async () => {
    const response = await mint({ name: "Holiday clip (final).mp4", type: "video/mp4", size: 12_582_912 });
    expect(response.status).toBe(200);
    const minted = (await response.json()) as MintedUpload;
    expect(minted).toMatchObject({ endpoint: "/media/uploads", contentType: "video/mp4", maxBytes: 12_582_912 });
    expect(minted.jti).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
    expect(minted.key).toBe(`uploads/${minted.jti}/Holiday_clip_final_.mp4`);
    expect(decodeProtectedHeader(minted.token)).toEqual({ alg: "HS256", typ: "JWT", kid: "v1" });
    const claims = decodeJwt(minted.token);
    expect(claims).toMatchObject({ put: minted.key, max: 12_582_912, ct: "video/mp4", jti: minted.jti });
    expect(Object.keys(claims).sort()).toEqual(["ct", "exp", "iat", "jti", "max", "put"]);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(UPLOAD_TOKEN_TTL_SECONDS);
  });

  it("gives every request its own jti and key, even for the same file", async () => {
    const file = { name: "a.png", type: "image/png", size: 10 };
    const minted = async () => (await (await mint(file)).json()) as MintedUpload;
    const [first, second] = await Promise.all([minted(), minted()]);
    expect(first.jti).not.toBe(second.jti);
    expect(first.key).not.toBe(second.key);
  });

  const refusals = [
    { what: "a type off the allow-list", body: { name: "x.html", type: "text/html", size: 5 }, status: 400 },
    { what: "a type with parameters", body: { name: "x.mp4", type: "video/mp4; codecs=avc1", size: 5 }, status: 400 },
    {
      what: "a size over the cap",
      body: { name: "x.mp4", type: "video/mp4", size: UPLOAD_MAX_BYTES + 1 },
      status: 413,
    },
    { what: "a zero size", body: { name: "x.mp4", type: "video/mp4", size: 0 }, status: 400 },
    { what: "a fractional size", body: { name: "x.mp4", type: "video/mp4", size: 1.5 }, status: 400 },
    { what: "a size as a string", body: { name: "x.mp4", type: "video/mp4", size: "5" }, status: 400 },
    { what: "no name", body: { type: "video/mp4", size: 5 }, status: 400 },
    { what: "JSON that is not an object", body: "[1,2]", status: 400 },
    { what: "a body that is not JSON", body: "name=x.mp4", status: 400 },
    { what: "a body over 4 KiB", body: { name: "x".repeat(5000), type: "video/mp4", size: 5 }, status: 413 },
  ];
  it.each(refusals)("refuses $what with $status in the one JSON error shape", async ({ body, status }) => {
    const response = await mint(body);
    expect(response.status).toBe(status);
    const answer = (await response.json()) as { error: { status: number; code: string; message: string } };
    expect(answer.error.status).toBe(status);
    expect(answer.error.code).toBe(status === 413 ? "payload_too_large" : "bad_request");
    expect(answer.error.message).not.toContain(MEDIA_SECRET);
  });

  it("answers only requests that came through the gateway (the proxy token)", async () => {
    const response = await mint({ name: "a.mp4", type: "video/mp4", size: 5 }, backend, {});
    expect(response.status).toBe(401);
  });

  it("says 503 when it has no media token secret to sign with", async () => {
    const response = await mint({ name: "a.mp4", type: "video/mp4", size: 5 }, bare, {});
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("dependency_failed");
  });
});

/** An open event stream on the backend, collecting what it receives. */
async function openEvents(): Promise<{ text: () => string; close: () => void }> {
  const controller = new AbortController();
  const response = await fetch(`${backend.url}/api/v1/events?every=60000`, {
    headers: { "X-Proxy-Token": PROXY_TOKEN },
    signal: controller.signal,
  });
  let received = "";
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const chunk = await reader?.read().catch(() => undefined);
      if (!chunk || chunk.done) return;
      received += decoder.decode(chunk.value, { stream: true });
    }
  })();
  await vi.waitFor(() => expect(received).toContain("retry:"));
  return { text: () => received, close: () => controller.abort() };
}

const completed = (key: string) =>
  JSON.stringify({
    type: "upload.completed",
    timestamp: new Date().toISOString(),
    data: { key, bucket: "media", size: 12, contentType: "video/mp4", etag: "abc", metadata: { filename: "a.mp4" } },
  });

function signedHeaders(id: string, body: string, at = new Date()): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signer.sign(id, at, body),
  };
}

const deliver = (body: string, headers: Record<string, string>, target = backend) =>
  fetch(`${target.url}${UPLOAD_WEBHOOK_PATH}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });

describe("the backend's upload webhook", () => {
  it("verifies a signed upload.completed (no proxy token: the signature is the proof) and announces it on every open stream once", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const [first, second] = [await openEvents(), await openEvents()];
    try {
      const body = completed("uploads/abc/clip.mp4");
      const id = `jti_${randomBytes(12).toString("base64url")}`;
      const response = await deliver(body, signedHeaders(id, body));
      expect(response.status).toBe(204);
      for (const stream of [first, second]) {
        await vi.waitFor(() => expect(stream.text()).toContain("event: upload.completed\n"));
        const line = stream
          .text()
          .split("\n")
          .find((candidate) => candidate.includes('"uploads/abc/clip.mp4"'));
        const data = JSON.parse((line ?? "").replace(/^data: /, "")) as Record<string, unknown>;
        expect(data).toMatchObject({ key: "uploads/abc/clip.mp4", size: 12, contentType: "video/mp4" });
        expect(typeof data.at).toBe("string");
      }
      expect(log).toHaveBeenCalledWith(
        expect.stringMatching(new RegExp(`webhook upload.completed id=${id} key=uploads/abc/clip.mp4`)),
      );

      // A retry whose 2xx was lost: acknowledged, not announced twice.
      const again = await deliver(body, signedHeaders(id, body));
      expect(again.status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(first.text().split("event: upload.completed").length - 1).toBe(1);
    } finally {
      first.close();
      second.close();
      log.mockRestore();
    }
  });

  const body = completed("uploads/x/y.mp4");
  const now = new Date();
  const refusals: { what: string; headers: () => Record<string, string>; payload?: string; status: number }[] = [
    {
      what: "a signature made with another secret",
      headers: () => ({
        ...signedHeaders("msg_1", body),
        "webhook-signature": new Webhook(`whsec_${randomBytes(32).toString("base64")}`).sign("msg_1", now, body),
      }),
      status: 401,
    },
    {
      what: "a body changed after signing",
      headers: () => signedHeaders("msg_2", body),
      payload: body.replace("y.mp4", "z.mp4"),
      status: 401,
    },
    {
      what: "a webhook-id changed after signing",
      headers: () => ({ ...signedHeaders("msg_3", body), "webhook-id": "msg_4" }),
      status: 401,
    },
    {
      what: "a timestamp ten minutes old",
      headers: () => signedHeaders("msg_5", body, new Date(Date.now() - 600_000)),
      status: 401,
    },
    { what: "no signature header", headers: () => ({ "webhook-id": "msg_6", "webhook-timestamp": "1" }), status: 400 },
    {
      what: "a timestamp that is not a number",
      headers: () => ({ ...signedHeaders("msg_7", body), "webhook-timestamp": "soon" }),
      status: 400,
    },
    {
      what: "a signed body that is not an event",
      headers: () => signedHeaders("msg_8", "[]"),
      payload: "[]",
      status: 400,
    },
  ];
  it.each(refusals)(
    "refuses $what with $status, logs why, and announces nothing",
    async ({ headers, payload, status }) => {
      const warn = vi.spyOn(console, "log").mockImplementation(() => undefined);
      const stream = await openEvents();
      try {
        const response = await deliver(payload ?? body, headers());
        expect(response.status).toBe(status);
        const answer = (await response.json()) as { error: { status: number; message: string } };
        expect(answer.error.status).toBe(status);
        expect(JSON.stringify(answer)).not.toContain(WEBHOOK_SECRET.slice(6, 20));
        expect(warn).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`^backend: webhook refused ${status} \\(`)));
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(stream.text()).not.toContain("upload.completed");
      } finally {
        stream.close();
        warn.mockRestore();
      }
    },
  );

  it("refuses a body over 64 KiB with 413", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const large = JSON.stringify({ type: "upload.completed", data: { pad: "x".repeat(70_000) } });
    const response = await deliver(large, signedHeaders("msg_9", large));
    expect(response.status).toBe(413);
    log.mockRestore();
  });

  it("says 503 when it has no webhook secret, whatever the request carries", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const response = await deliver(body, signedHeaders("msg_10", body), bare);
    expect(response.status).toBe(503);
    expect(log).toHaveBeenCalledWith("backend: webhook refused 503 (MEDIA_UPLOAD_WEBHOOK_SECRET is not set)");
    log.mockRestore();
  });
});

/**
 * The key rotation of docs/operations.md, walked against the real media
 * Worker (its deploy bundle, dist/media/index.js, with the bindings of
 * wrangler.media.toml) whose secret set changes between steps the way a
 * deploy changes it. The backend's side is the shared signer with the
 * secret of its active kid.
 *
 *   1. V1 only: the backend mints v1.
 *   2. Add V2 (deploy): v1 and v2 tokens both verify; sign() switches to v2.
 *   3. The backend switches to v2 and waits past the TTL.
 *   4. Remove V1 (deploy): v1 tokens fail with 401, v2 tokens verify.
 *
 * Every line the Worker writes is captured: each must be one JSON object, and
 * each request's lines carry the request id the caller sent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import type { LegacyWorkerOptions, MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { signMediaToken } from "../../shared/token-sign.ts";
import vectors from "../fixtures/media-token-vectors.json" with { type: "json" };

const V1 = vectors.secrets.MEDIA_TOKEN_SECRET_V1;
const V2 = vectors.secrets.MEDIA_TOKEN_SECRET_V2;
const KEY = "rotation/clip.mp4";
const BODY = "rotation walk object";

/** Every line the media Worker wrote, in order. */
const lines: string[] = [];
let persistDirectory: string;
let media: Miniflare;

/**
 * The config's bindings without any token secret: wrangler adds those it
 * finds in a local .dev.vars, and a step's secret set must be exactly its own.
 */
function configBindings(bindings: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(bindings as Record<string, unknown>).filter(([name]) => !name.startsWith("MEDIA_TOKEN_SECRET_")),
  );
}

/**
 * The media Worker as deployed with this secret set: only the secrets change
 * between steps; storage persists across them as R2 does across deploys.
 */
function mediaDeployment(secrets: Record<string, string>): MiniflareOptions {
  const { modulesRules: _sourceRules, ...options } =
    unstable_getMiniflareWorkerOptions("wrangler.media.toml").workerOptions;
  const worker: LegacyWorkerOptions = {
    ...options,
    name: "gateway-media",
    modules: true,
    scriptPath: "dist/media/index.js",
    compatibilityDate: "2026-11-01",
    // Every delivery logged (production samples them): the log checks below read the lines of successful ones.
    bindings: {
      ...configBindings(options.bindings),
      MEDIA_TOKEN_ACTIVE_KID: "",
      MEDIA_SERVED_LOG_RATE: "1",
      ...secrets,
    },
  };
  return convertV4MiniflareOptions({
    ...worker,
    r2Persist: join(persistDirectory, "r2"),
    cachePersist: join(persistDirectory, "cache"),
    // console.log/error of the Worker, one entry per line it wrote.
    handleStructuredLogs: ({ message }) => lines.push(...message.split("\n").filter((line) => line.trim() !== "")),
  });
}

async function deployWith(secrets: Record<string, string>): Promise<void> {
  await media.setOptions(mediaDeployment(secrets));
}

/** A token as the backend mints it with its active kid. */
function backendToken(kid: "v1" | "v2", options: { now?: number } = {}): Promise<string> {
  return signMediaToken({ key: KEY, bkt: "media", ttlSeconds: 300, kid, secret: kid === "v1" ? V1 : V2, ...options });
}

function fetchMedia(token: string, requestId: string) {
  return media.dispatchFetch(`http://gateway.test/media/v1/${token}`, { headers: { "X-Request-Id": requestId } });
}

/** Waits until the Worker's log holds a line matching `predicate` (stdout arrives asynchronously). */
async function logLine(predicate: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const found = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find(predicate);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("no such log line");
}

beforeAll(async () => {
  persistDirectory = mkdtempSync(join(tmpdir(), "ops-rotation-"));
  media = new Miniflare(mediaDeployment({ MEDIA_TOKEN_SECRET_V1: V1 }));
  // Miniflare's R2 type is the Workers one, which this Node program does not load: only put() is used.
  const bucket = (await media.getR2Bucket("MEDIA_BUCKET")) as unknown as {
    put(key: string, value: string, options: { httpMetadata: { contentType: string } }): Promise<unknown>;
  };
  await bucket.put(KEY, BODY, { httpMetadata: { contentType: "video/mp4" } });
});

afterAll(async () => {
  await media.dispose();
  rmSync(persistDirectory, { recursive: true, force: true });
});

describe("rotating the media token secret from v1 to v2", () => {
  it("1. with V1 only, the backend's v1 tokens verify and v2 tokens are refused", async () => {
    const v1 = await fetchMedia(await backendToken("v1"), "rot-1-v1");
    expect(v1.status).toBe(200);
    expect(await v1.text()).toBe(BODY);
    const v2 = await fetchMedia(await backendToken("v2"), "rot-1-v2");
    expect(v2.status).toBe(401);
    await v2.body?.cancel();
    expect(await logLine((entry) => entry.event === "media-token-registry")).toMatchObject({
      registry: `media_token: active=v1 registry=[v1:${vectors.fingerprints.v1}]`,
    });
    expect(await logLine((entry) => entry.requestId === "rot-1-v2")).toMatchObject({
      event: "media-token-rejected",
      status: 401,
      reason: "unknown-kid",
    });
  });

  it("2. after V2 is added, tokens of both kids verify during the overlap", async () => {
    lines.length = 0;
    await deployWith({ MEDIA_TOKEN_SECRET_V1: V1, MEDIA_TOKEN_SECRET_V2: V2 });
    for (const kid of ["v1", "v2"] as const) {
      const response = await fetchMedia(await backendToken(kid), `rot-2-${kid}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(BODY);
    }
    expect(await logLine((entry) => entry.event === "media-token-registry")).toMatchObject({
      registry: `media_token: active=v2 registry=[v1:${vectors.fingerprints.v1},v2:${vectors.fingerprints.v2}]`,
    });
  });

  it("3. a v1 token minted before the switch still verifies until it expires", async () => {
    const mintedBeforeSwitch = await backendToken("v1", { now: Math.floor(Date.now() / 1000) - 200 });
    const response = await fetchMedia(mintedBeforeSwitch, "rot-3-v1");
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it("4. after V1 is removed, v1 tokens fail with 401 and v2 tokens verify", async () => {
    lines.length = 0;
    await deployWith({ MEDIA_TOKEN_SECRET_V2: V2 });
    const v1 = await fetchMedia(await backendToken("v1"), "rot-4-v1");
    expect(v1.status).toBe(401);
    expect(v1.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    expect(await v1.text()).toBe("");
    const v2 = await fetchMedia(await backendToken("v2"), "rot-4-v2");
    expect(v2.status).toBe(200);
    expect(await v2.text()).toBe(BODY);
    expect(await logLine((entry) => entry.event === "media-token-registry")).toMatchObject({
      registry: `media_token: active=v2 registry=[v2:${vectors.fingerprints.v2}]`,
    });
    expect(await logLine((entry) => entry.requestId === "rot-4-v1")).toMatchObject({
      event: "media-token-rejected",
      reason: "unknown-kid",
      kid: "v1",
    });
  });

  it("tells a really expired token apart from an unknown kid in the log", async () => {
    const expired = await backendToken("v2", { now: Math.floor(Date.now() / 1000) - 3600 });
    const response = await fetchMedia(expired, "rot-expired");
    expect(response.status).toBe(401);
    await response.body?.cancel();
    expect(await logLine((entry) => entry.requestId === "rot-expired")).toMatchObject({
      event: "media-token-rejected",
      reason: "expired",
    });
  });

  it("wrote every log line as one JSON object, with the caller's request id on request lines and no secret or token", async () => {
    await logLine((entry) => entry.requestId === "rot-4-v2");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toMatchObject({ worker: "media", event: expect.any(String) as string });
      if (entry.event !== "media-token-registry") expect(entry.requestId).toMatch(/^rot-/);
      expect(line).not.toContain(V1);
      expect(line).not.toContain(V2);
      expect(line).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
    }
  });
});

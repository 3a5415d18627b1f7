/**
 * Log audit: a whole-system run of the three real Workers (real wrangler
 * configs, test secrets) under traffic that carries every kind of secret a
 * client or the gateway holds: signing secrets, media tokens valid and forged,
 * the admin token, the backend auth token, Authorization and Cookie values,
 * secrets in query strings. Every line any Worker wrote is then checked: none
 * may contain a secret value, a full token or a credential header's value.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerdStructuredLog } from "miniflare";
import vectors from "../fixtures/media-token-vectors.json" with { type: "json" };
import { SignJWT } from "jose";
import { TEST_SECRETS } from "../secrets.ts";
import type { WholeSystem } from "./whole-system.ts";
import { startWholeSystem } from "./whole-system.ts";

const CLIENT_AUTHORIZATION = "Bearer client-session-token-5f2a9c0d1e";
const CLIENT_COOKIE = "session=s3cr3t-cookie-value-77aa; csrf=csrf-token-value-91bb";
const QUERY_SECRET = "query-secret-value-0c4d";

/** Every value that must never appear in a log line. */
const SECRET_VALUES: string[] = [
  ...Object.values(TEST_SECRETS).flatMap((secrets) => Object.values(secrets)),
  CLIENT_AUTHORIZATION,
  CLIENT_AUTHORIZATION.slice("Bearer ".length),
  "s3cr3t-cookie-value-77aa",
  "csrf-token-value-91bb",
  QUERY_SECRET,
];

/** A compact JWS anywhere in a line: header and payload are base64url JSON objects ("eyJ"). */
const JWT_SHAPED = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

/** The part of an R2 binding (reached from Node through the harness) that seeding uses. */
interface SeedableBucket {
  put(key: string, value: Uint8Array, options: { httpMetadata: { contentType: string } }): Promise<unknown>;
}

type FetchInit = Parameters<WholeSystem["harness"]["fetch"]>[1];

/** A media token as the backend mints it (HS256, kid header), for any key, bucket, lifetime and kid. */
async function mintToken(
  claims: { key: string; bkt?: string },
  ttlSeconds: number,
  kid: string,
  secret: string,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT", kid })
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

let system: WholeSystem;
let logs: WorkerdStructuredLog[] = [];
const tokens: string[] = vectors.vectors.map((vector) => vector.token);

beforeAll(async () => {
  // A short header timeout so one request ends in the api Worker's 504 (and its log line) quickly.
  system = await startWholeSystem({ apiVars: { BACKEND_HEADERS_TIMEOUT_MS: "500" } });
  // The objects the valid vectors name, so part of the traffic is served (200, 206) rather than refused.
  const media = await system.harness
    .getWorker<{ MEDIA_BUCKET: SeedableBucket; ASSETS_BUCKET: SeedableBucket }>("gateway-media")
    .getEnv();
  await media.MEDIA_BUCKET.put("clips/0001/proxy.mp4", new Uint8Array(4096), {
    httpMetadata: { contentType: "video/mp4" },
  });
  await media.ASSETS_BUCKET.put("assets/logo/sprite.jpg", new Uint8Array(512), {
    httpMetadata: { contentType: "image/jpeg" },
  });
  const { MEDIA_TOKEN_SECRET_V1: v1, MEDIA_TOKEN_SECRET_V2: v2 } = vectors.secrets;
  tokens.push(
    await mintToken({ key: "clips/private/user-42/passport-scan.jpg" }, 600, "v1", v1),
    await mintToken({ key: "clips/a.mp4" }, -3600, "v1", v1),
    await mintToken({ key: "clips/a.mp4", bkt: "secret-bucket" }, 600, "v2", v2),
    await mintToken({ key: "clips/a.mp4" }, 600, "v9", v1),
  );

  const credentialHeaders = { Authorization: CLIENT_AUTHORIZATION, Cookie: CLIENT_COOKIE };
  const traffic: [string, FetchInit?][] = [
    ["/"],
    ["/assets/app.js"],
    ["/assets/missing-0000.js"],
    ["/some/client/route", { headers: credentialHeaders }],
    ["/_health"],
    ["/_health", { headers: { Authorization: `Bearer ${TEST_SECRETS.router.ADMIN_TOKEN}` } }],
    ["/_health", { headers: { Authorization: "Bearer wrong-admin-token-value" } }],
    [`/api/users?token=${QUERY_SECRET}`, { headers: credentialHeaders }],
    ["/api/upload", { method: "POST", body: "x".repeat(4096), headers: credentialHeaders }],
    ["/api/users", { headers: { "X-Proxy-Token": TEST_SECRETS.api.BACKEND_AUTH_TOKEN, ...credentialHeaders } }],
    [`/api/v1/hello?session=${QUERY_SECRET}`, { headers: credentialHeaders }],
    ["/api/v1/upload", { method: "POST", body: "u".repeat(64 * 1024), headers: credentialHeaders }],
    ["/api/v1/media/clips/0001/proxy.mp4", { headers: credentialHeaders }],
    [`/api/test/slow-headers?ms=1500&token=${QUERY_SECRET}`, { headers: credentialHeaders }],
    ...tokens.flatMap((token): [string, FetchInit?][] => [
      [`/media/v1/${token}`, { headers: credentialHeaders }],
      [`/media/v1/${token}?sig=${QUERY_SECRET}`, { headers: { Range: "bytes=0-10" } }],
      [`/media/v1/${token}`, { method: "HEAD" }],
    ]),
    // A token where a route segment belongs, and one with its signature cut off.
    [`/api/${tokens[0] ?? ""}`],
    [`/media/v1/${(tokens[0] ?? "").split(".").slice(0, 2).join(".")}.`],
  ];
  for (const [path, init] of traffic) {
    const response = await system.harness.fetch(new URL(path, system.url), init);
    await response.arrayBuffer();
  }
  // Log lines written in waitUntil (cache fills, registry lines) land after the response.
  await new Promise((resolve) => setTimeout(resolve, 500));
  logs = system.harness.getLogs();
}, 60_000);

afterAll(async () => {
  await system.close();
});

describe("log audit of a whole-system run", () => {
  it("read the lines of the Workers that handled the traffic (the audit is not vacuous)", () => {
    const events = logs.map((line) => JSON.parse(line.message) as { worker: string; event: string; reason?: string });
    expect(events).toContainEqual(expect.objectContaining({ worker: "media", event: "media-token-registry" }));
    expect(events).toContainEqual(
      expect.objectContaining({ worker: "media", event: "media-token-rejected", reason: "expired" }),
    );
    expect(events).toContainEqual(expect.objectContaining({ worker: "media", event: "media-served", status: 404 }));
    expect(events).toContainEqual(expect.objectContaining({ worker: "media", event: "media-served", status: 206 }));
    expect(events).toContainEqual(expect.objectContaining({ worker: "api", event: "backend-timeout", status: 504 }));
  });

  it("contains no secret, credential or client cookie value in any Worker's log line", () => {
    for (const secret of SECRET_VALUES) {
      expect(
        logs.filter((line) => line.message.includes(secret)),
        `a log line holds ${secret.slice(0, 6)}…`,
      ).toEqual([]);
    }
  });

  it("contains no full media token, and nothing shaped like a JWT", () => {
    for (const token of tokens) {
      expect(logs.filter((line) => line.message.includes(token))).toEqual([]);
      // The signature alone is the token's secret half: a line holding it would let anyone who reads logs replay the payload.
      const signature = token.split(".")[2] ?? "";
      if (signature.length > 0) expect(logs.filter((line) => line.message.includes(signature))).toEqual([]);
    }
    expect(logs.filter((line) => JWT_SHAPED.test(line.message))).toEqual([]);
  });

  it("contains no full object key of a private object", () => {
    expect(logs.filter((line) => line.message.includes("clips/private/user-42/passport-scan.jpg"))).toEqual([]);
  });

  it("writes every line as one JSON object from the shared logger", () => {
    for (const line of logs) {
      const parsed = JSON.parse(line.message) as Record<string, unknown>;
      expect(parsed).toMatchObject({
        level: expect.any(String) as string,
        worker: expect.any(String) as string,
        event: expect.any(String) as string,
      });
    }
  });
});

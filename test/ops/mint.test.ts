/**
 * The two local minters, the development backend's `/api/v1/media/<key>` and
 * `npm run mint`, keep the token contract v1.1 (shared/mint-input.ts): a
 * key ending in `/` is a prefix, `dl` and `ip` pass through, an `ip` token
 * carries the critical v11 header, the active kid follows the one rule, and
 * bad input is refused before anything is signed.
 */
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackendSecrets, RunningBackend } from "../../backend/server.ts";
import { activeSigner, startBackend } from "../../backend/server.ts";
import { MEDIA_TOKEN_PATH_PREFIX } from "../../shared/media-token.ts";
import { runScript } from "./run-script.ts";

const V1 = "backend-test-secret-v1-0123456789abcdef";
const V2 = "backend-test-secret-v2-0123456789abcdef";

interface Minted {
  url: string;
  kid: string;
}

let backend: RunningBackend;

beforeAll(async () => {
  backend = await startBackend({
    port: 0,
    secrets: { MEDIA_TOKEN_SECRET_V1: V1, MEDIA_TOKEN_SECRET_V2: V2, MEDIA_TOKEN_ACTIVE_KID: "v1" },
  });
});

afterAll(async () => {
  await backend.close();
});

const mint = (path: string) => fetch(`${backend.url}/api/v1/media/${path}`);

/** The token inside a minted `/media/v1/<jwt>[/]` URL. */
function tokenOf(url: string): string {
  return url.slice(url.indexOf(MEDIA_TOKEN_PATH_PREFIX) + MEDIA_TOKEN_PATH_PREFIX.length).replace(/\/$/, "");
}

describe("the backend's mint endpoint", () => {
  it("mints a prefix token for a key ending in /, as a base URL ending in /, with the active kid", async () => {
    const response = await mint("clips%2F0042%2Fhls%2F?ttl=600");
    expect(response.status).toBe(200);
    const minted = (await response.json()) as Minted;
    expect(minted.url).toMatch(/^\/media\/v1\/[\w-]+\.[\w-]+\.[\w-]+\/$/);
    expect(minted.kid).toBe("v1");
    const claims = decodeJwt(tokenOf(minted.url));
    expect(claims).toMatchObject({ pfx: "clips/0042/hls/" });
    expect(claims.key).toBeUndefined();
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
  });

  it("passes dl and ip on, the ip token with the critical v11 header", async () => {
    const response = await mint(`exports%2Fr1.pdf?dl=${encodeURIComponent("résumé €.pdf")}&ip=203.0.113.0%2F24`);
    expect(response.status).toBe(200);
    const token = tokenOf(((await response.json()) as Minted).url);
    expect(decodeProtectedHeader(token)).toMatchObject({ crit: ["v11"], v11: true });
    expect(decodeJwt(token)).toMatchObject({ key: "exports/r1.pdf", dl: "résumé €.pdf", ip: "203.0.113.0/24" });
  });

  const refusals = [
    { what: "a key with ..", path: "a%2F..%2Fb.mp4", message: "key refused (bad-key: dot-dot-segment)" },
    { what: "a prefix with ..", path: "clips%2F..%2F", message: "pfx refused (bad-prefix: dot-dot-segment)" },
    { what: "a dl with CR LF", path: "a.pdf?dl=a%0D%0Ab.pdf", message: "dl refused (bad-dl)" },
    { what: "a dl with a right-to-left override", path: "a.pdf?dl=a%E2%80%AEfdp.exe", message: "dl refused (bad-dl)" },
    { what: "a dl with a zero-width space", path: "a.pdf?dl=a%E2%80%8Bb.pdf", message: "dl refused (bad-dl)" },
    { what: "a dl of two dots", path: "a.pdf?dl=..", message: "dl refused (bad-dl)" },
    { what: "an ip with host bits", path: "a.mp4?ip=198.51.100.1%2F24", message: "ip refused (bad-ip)" },
    { what: "a ttl over a day", path: "a.mp4?ttl=86401", message: "ttl must be a whole number of seconds" },
  ];
  it.each(refusals)("refuses $what with 400 and the contract's reason", async ({ path, message }) => {
    const response = await mint(path);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("bad_request");
    expect(body.error.message).toContain(message);
  });
});

describe("the backend's active kid", () => {
  it.each([
    [
      "the setting when it names a loaded kid",
      { MEDIA_TOKEN_SECRET_V1: V1, MEDIA_TOKEN_SECRET_V2: V2, MEDIA_TOKEN_ACTIVE_KID: "v1" },
      "v1",
    ],
    [
      "the highest kid when the setting names one not loaded (as the Worker does)",
      { MEDIA_TOKEN_SECRET_V1: V1, MEDIA_TOKEN_ACTIVE_KID: "v7" },
      "v1",
    ],
    [
      "the highest kid when the setting is empty",
      { MEDIA_TOKEN_SECRET_V1: V1, MEDIA_TOKEN_SECRET_V2: V2, MEDIA_TOKEN_ACTIVE_KID: "" },
      "v2",
    ],
    ["no kid for a secret under 32 bytes", { MEDIA_TOKEN_SECRET_V1: "short" }, undefined],
  ])("is %s", (_what, secrets: BackendSecrets, kid) => {
    expect(activeSigner(secrets)?.kid).toBe(kid);
  });
});

describe("npm run mint", () => {
  it("prints a prefix URL ending in / for a key ending in /, with dl and ip in its claims", async () => {
    const result = await runScript("mint.ts", [
      "clips/0042/hls/",
      "--dl",
      "a b.mp4",
      "--ip",
      "2001:db8:1:2::/64",
      "--ttl",
      "60",
    ]);
    expect(result.code).toBe(0);
    const url = result.stdout.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media\/v1\/[\w-]+\.[\w-]+\.[\w-]+\/$/);
    const token = tokenOf(url);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "HS256", crit: ["v11"], v11: true });
    expect(decodeJwt(token)).toMatchObject({ pfx: "clips/0042/hls/", dl: "a b.mp4", ip: "2001:db8:1:2::/64" });
  });

  it.each([
    ["an ip with a leading zero", ["a.mp4", "--ip", "1.2.3.04"], "ip refused (bad-ip)"],
    ["a dl with a slash", ["a.mp4", "--dl", "../a.mp4"], "dl refused (bad-dl)"],
    ["a dl with a left-to-right isolate", ["a.mp4", "--dl", "a\u2066b.mp4"], "dl refused (bad-dl)"],
    ["a dl with a byte order mark", ["a.mp4", "--dl", "\uFEFFa.mp4"], "dl refused (bad-dl)"],
    ["a dl of one dot", ["a.mp4", "--dl", "."], "dl refused (bad-dl)"],
    ["a zero ttl", ["a.mp4", "--ttl", "0"], "ttl must be"],
    ["a key with a leading slash", ["/a.mp4"], "key refused (bad-key: leading-slash)"],
  ])("refuses %s before signing", async (_what, args, message) => {
    const result = await runScript("mint.ts", args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
  });

  it("mints an upload token with --upload: one JSON line with the endpoint, the token and its jti", async () => {
    const result = await runScript("mint.ts", [
      "--upload",
      "uploads/u1/clip.mp4",
      "--max",
      "67108864",
      "--ct",
      "video/mp4",
      "--replace",
    ]);
    expect(result.code).toBe(0);
    const minted = JSON.parse(result.stdout) as { endpoint: string; token: string; jti: string };
    expect(minted.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media\/uploads$/);
    expect(decodeJwt(minted.token)).toMatchObject({
      put: "uploads/u1/clip.mp4",
      max: 67108864,
      ct: "video/mp4",
      jti: minted.jti,
      replace: true,
    });
    expect(minted.jti).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
  });

  it.each([
    ["a prefix", ["--upload", "uploads/", "--max", "10", "--ct", "video/mp4"], "put refused (bad-put: trailing-slash)"],
    ["no max", ["--upload", "a.mp4", "--ct", "video/mp4"], "max must be"],
    ["a type with parameters", ["--upload", "a.mp4", "--max", "10", "--ct", "video/mp4; codecs=avc1"], "ct must be"],
  ])("refuses an upload token for %s before signing", async (_what, args, message) => {
    const result = await runScript("mint.ts", args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
  });
});

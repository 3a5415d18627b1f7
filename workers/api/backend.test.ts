/**
 * The local development backend (backend/server.ts) as the api Worker sees
 * it: the contract a real backend behind the gateway keeps.
 */
import { exports } from "cloudflare:workers";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import { MEDIA_TOKEN_PATH_PREFIX } from "../../shared/media-token";
import { TEST_SECRETS } from "../../test/secrets";

const get = (path: string, init?: RequestInit) =>
  exports.default.fetch(new Request(`https://app.example.com${path}`, init));

interface MintedMedia {
  url: string;
  kid: string;
  expiresAt: string;
}

describe("the local backend", () => {
  it("mints a media URL signed with the highest kid's secret, carrying key, bucket and lifetime", async () => {
    // A key's slashes travel as path slashes: an encoded one (%2F) is refused by default (refusals.ts).
    const response = await get("/api/v1/media/videos/clip%20one.mp4?bkt=assets&ttl=120");
    expect(response.status).toBe(200);
    const minted = await response.json<MintedMedia>();
    expect(minted.url.startsWith(MEDIA_TOKEN_PATH_PREFIX)).toBe(true);
    const token = minted.url.slice(MEDIA_TOKEN_PATH_PREFIX.length);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "JWT", kid: "v2" });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2), {
      algorithms: ["HS256"],
    });
    expect(payload).toMatchObject({ key: "videos/clip one.mp4", bkt: "assets" });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
    expect(minted.kid).toBe("v2");
  });

  it.each(["0", "86401", "1.5", "soon"])("refuses ttl=%s with 400 bad_request", async (ttl) => {
    const response = await get(`/api/v1/media/a.jpg?ttl=${ttl}`);
    expect(response.status).toBe(400);
    expect((await response.json<ErrorBody>()).error.code).toBe("bad_request");
  });

  it("refuses a request that did not come through the proxy (no X-Proxy-Token) with 401", async () => {
    const response = await fetch(`${inject("backendOrigin")}/api/v1/hello`);
    expect(response.status).toBe(401);
    expect((await response.json<ErrorBody>()).error.code).toBe("unauthorized");
  });

  it("counts an upload's bytes", async () => {
    const response = await get("/api/v1/upload", { method: "POST", body: "x".repeat(12345) });
    expect((await response.json<{ bytes: number }>()).bytes).toBe(12345);
  });
});

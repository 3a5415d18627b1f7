/** The SHA-256 digests behind rate-limit keys and secret fingerprints (Web Crypto), against FIPS 180-4's examples. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fingerprint, sha256Hex } from "../../shared/fingerprint";
import { rateLimitKey } from "./rate-limit";

describe("sha256Hex", () => {
  it('gives the FIPS 180-4 digests of the empty string, "abc" and the two-block example', async () => {
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("hashes a string as its UTF-8 bytes; a fingerprint is the digest cut to 4 bytes", async () => {
    expect(await sha256Hex("é")).toBe(await sha256Hex(new TextDecoder().decode(new Uint8Array([0xc3, 0xa9]))));
    expect(await fingerprint("abc")).toBe("ba7816bf");
  });
});

describe("rateLimitKey", () => {
  it("counts a session under the digest of its Authorization header, else its Cookie, else the client's IP", async () => {
    expect(await rateLimitKey(new Headers({ Authorization: "abc", Cookie: "x=1" }))).toBe(
      "session:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(await rateLimitKey(new Headers({ Cookie: "abc" }))).toBe(
      "session:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(await rateLimitKey(new Headers({ "CF-Connecting-IP": "192.0.2.1" }))).toBe("ip:192.0.2.1");
    expect(await rateLimitKey(new Headers())).toBe("ip:unknown");
  });

  it("never hands the limiter a credential: any session becomes the hex of its digest", async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[!-~]{1,300}$/), async (session) => {
        const key = await rateLimitKey(new Headers({ Authorization: session }));
        expect(key).toBe(`session:${await sha256Hex(session)}`);
        expect(key).toMatch(/^session:[0-9a-f]{64}$/);
      }),
    );
  });
});

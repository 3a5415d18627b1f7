/** shared/sha256.ts against FIPS 180-4's examples and against Web Crypto, which it stands in for on the hot path. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256, sha256Hex } from "../../shared/sha256";

async function webCryptoHex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

describe("sha256", () => {
  it('gives the FIPS 180-4 digests of the empty string, "abc" and the two-block example', () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("hashes a string as its UTF-8 bytes, and cuts the hex to the bytes asked for", () => {
    expect(sha256Hex("é")).toBe(sha256Hex(new TextDecoder().decode(new Uint8Array([0xc3, 0xa9]))));
    expect(sha256Hex("abc", 4)).toBe("ba7816bf");
  });

  it("agrees with crypto.subtle.digest at every length around the block and padding edges", async () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
      expect([...sha256(bytes)].map((byte) => byte.toString(16).padStart(2, "0")).join("")).toBe(
        await webCryptoHex(bytes),
      );
    }
  });

  it("agrees with crypto.subtle.digest on any string", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 300 }), async (text) => {
        expect(sha256Hex(text)).toBe(await webCryptoHex(new TextEncoder().encode(text)));
      }),
    );
  });
});

/**
 * A corpus of hostile media tokens, minted here by hand (header and payload
 * JSON written as text where the attack needs it, HMAC over them with Web
 * Crypto), each sent to the real media Worker: every one is a 401 with an
 * empty body and the Bearer challenge, never a 5xx, and the log gets one line
 * with a fixed, sanitized reason and none of the token, secret or key.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { TEST_SECRETS } from "../../test/secrets";
import { fetchToken, patternBytes } from "./test-kit";

const V1 = TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1;
const V2 = TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2;
const encoder = new TextEncoder();
const now = () => Math.floor(Date.now() / 1000);

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A JOSE segment: an object is serialized, a string is taken as the exact JSON text (duplicate keys, odd numbers). */
function segment(json: object | string): string {
  return base64url(encoder.encode(typeof json === "string" ? json : JSON.stringify(json)));
}

async function hmac(input: string, secret: string, hash: "SHA-256" | "SHA-384" | "SHA-512" = "SHA-256"): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(input))));
}

interface SignOptions {
  secret?: string;
  hash?: "SHA-256" | "SHA-384" | "SHA-512";
}

/** header.payload.signature, the signature made with a real secret unless told otherwise. */
async function forge(header: object | string, payload: object | string, options: SignOptions = {}): Promise<string> {
  const signingInput = `${segment(header)}.${segment(payload)}`;
  return `${signingInput}.${await hmac(signingInput, options.secret ?? V1, options.hash)}`;
}

const HEADER = { alg: "HS256", typ: "JWT", kid: "v1" };
const claims = (extra: Record<string, unknown> = {}) => ({ key: "clips/hostile.mp4", exp: now() + 300, ...extra });

/** A valid token's parts, for tampering. */
async function validParts(): Promise<[string, string, string]> {
  const [header = "", payload = "", signature = ""] = (await forge(HEADER, claims())).split(".");
  return [header, payload, signature];
}

interface HostileToken {
  name: string;
  token: () => Promise<string>;
  /** The sanitized reason the log must carry. */
  reason: string;
}

const corpus: HostileToken[] = [
  // alg: none in every spelling, and algorithms that are not HS256
  { name: "alg none without a signature", reason: "bad-alg", token: async () => `${segment({ alg: "none", kid: "v1" })}.${segment(claims())}.` },
  { name: "alg None", reason: "bad-alg", token: async () => `${segment({ alg: "None", kid: "v1" })}.${segment(claims())}.` },
  { name: "alg NONE", reason: "bad-alg", token: async () => `${segment({ alg: "NONE", kid: "v1" })}.${segment(claims())}.` },
  { name: "alg none carrying a valid HS256 signature", reason: "bad-alg", token: () => forge({ alg: "none", kid: "v1" }, claims()) },
  { name: "alg HS512 signed with HS512 and the real secret", reason: "bad-alg", token: () => forge({ ...HEADER, alg: "HS512" }, claims(), { hash: "SHA-512" }) },
  { name: "alg HS384 signed with HS384 and the real secret", reason: "bad-alg", token: () => forge({ ...HEADER, alg: "HS384" }, claims(), { hash: "SHA-384" }) },
  { name: "alg RS256 (key confusion) with an HMAC signature", reason: "bad-alg", token: () => forge({ ...HEADER, alg: "RS256" }, claims()) },
  { name: "alg RS256 with a PEM string as the HMAC key", reason: "bad-alg", token: () => forge({ ...HEADER, alg: "RS256" }, claims(), { secret: "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n" }) },
  { name: "alg ES256 with a junk signature", reason: "bad-alg", token: async () => `${segment({ ...HEADER, alg: "ES256" })}.${segment(claims())}.AAAA` },
  { name: "alg hs256 in lower case", reason: "bad-alg", token: () => forge({ ...HEADER, alg: "hs256" }, claims()) },
  { name: "alg with a trailing space", reason: "bad-alg", token: () => forge({ ...HEADER, alg: "HS256 " }, claims()) },
  { name: "no alg", reason: "bad-alg", token: () => forge({ typ: "JWT", kid: "v1" }, claims()) },
  { name: "alg as an array", reason: "bad-alg", token: () => forge({ ...HEADER, alg: ["HS256"] }, claims()) },
  { name: "alg null", reason: "bad-alg", token: () => forge({ ...HEADER, alg: null }, claims()) },

  // kid injection and odd kids
  { name: "kid ../v1", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "../v1" }, claims()) },
  { name: "kid v1/../v2", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v1/../v2" }, claims()) },
  { name: "kid ../../etc/passwd", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "../../etc/passwd" }, claims()) },
  { name: "kid naming the secret variable", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "MEDIA_TOKEN_SECRET_V1" }, claims()) },
  { name: "a 2,000-character kid", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: `v${"1".repeat(2000)}` }, claims()) },
  { name: "a kid so long the token passes 4 KB", reason: "malformed", token: () => forge({ ...HEADER, kid: `v${"1".repeat(5000)}` }, claims()) },
  { name: "kid v0", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v0" }, claims()) },
  { name: "kid v01 (leading zero)", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v01" }, claims()) },
  { name: "kid V1 (upper case)", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "V1" }, claims()) },
  { name: "kid with a trailing space", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v1 " }, claims()) },
  { name: "kid with a NUL", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v1\u0000" }, claims()) },
  { name: "kid percent-encoded", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v%31" }, claims()) },
  { name: "kid with a quote injection", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v1' OR '1'='1" }, claims()) },
  { name: "kid as a number", reason: "missing-kid", token: () => forge({ ...HEADER, kid: 1 }, claims()) },
  { name: "kid as an object", reason: "missing-kid", token: () => forge({ ...HEADER, kid: { $ne: "" } }, claims()) },
  { name: "kid null", reason: "missing-kid", token: () => forge({ ...HEADER, kid: null }, claims()) },
  { name: "no kid", reason: "missing-kid", token: () => forge({ alg: "HS256", typ: "JWT" }, claims()) },
  { name: "kid v3, which is not loaded", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v3" }, claims()) },
  { name: "kid v2 with v1's signature", reason: "invalid: signature", token: () => forge({ ...HEADER, kid: "v2" }, claims(), { secret: V1 }) },
  { name: "kid v1 with v2's signature", reason: "invalid: signature", token: () => forge(HEADER, claims(), { secret: V2 }) },

  // duplicated keys, non-JSON and non-object headers
  { name: "duplicate alg, the last one none", reason: "bad-alg", token: () => forge('{"alg":"HS256","kid":"v1","alg":"none"}', claims()) },
  { name: "duplicate kid, the last one unknown", reason: "unknown-kid", token: () => forge('{"alg":"HS256","kid":"v1","kid":"v9"}', claims()) },
  { name: "duplicate key claim, the last one a traversal", reason: "bad-key: dot-dot-segment", token: () => forge(HEADER, `{"key":"clips/ok.mp4","exp":${now() + 300},"key":"../secret"}`) },
  { name: "duplicate exp claim, the last one past", reason: "expired", token: () => forge(HEADER, `{"key":"clips/ok.mp4","exp":${now() + 300},"exp":${now() - 3600}}`) },
  { name: "a header that is not JSON", reason: "malformed", token: () => forge("not json", claims()) },
  { name: "a header that is a JSON array", reason: "malformed", token: () => forge('["HS256","v1"]', claims()) },
  { name: "a header that is a JSON string", reason: "malformed", token: () => forge('"HS256"', claims()) },
  { name: "a byte-order mark before an alg none header", reason: "bad-alg", token: () => forge(`\ufeff${JSON.stringify({ alg: "none", kid: "v1" })}`, claims()) },
  { name: "an empty header segment", reason: "malformed", token: async () => { const [, payload, signature] = await validParts(); return `.${payload}.${signature}`; } },
  { name: "a payload that is not JSON", reason: "malformed", token: () => forge(HEADER, "{key: clips/a.mp4}") },
  { name: "a payload that is a JSON array", reason: "malformed", token: () => forge(HEADER, "[1,2,3]") },

  // bad base64 and framing
  { name: "standard base64 (+) in the signature", reason: "malformed", token: async () => { const [h, p, s] = await validParts(); return `${h}.${p}.${s.slice(0, -2)}++`; } },
  { name: "base64 padding on every segment", reason: "malformed", token: async () => { const [h, p, s] = await validParts(); return `${h}==.${p}=.${s}=`; } },
  { name: "a star in the signature", reason: "malformed", token: async () => { const [h, p, s] = await validParts(); return `${h}.${p}.${s.slice(0, -1)}*`; } },
  { name: "two segments only", reason: "malformed", token: async () => { const [h, p] = await validParts(); return `${h}.${p}`; } },
  { name: "four segments", reason: "malformed", token: async () => `${(await validParts()).join(".")}.extra` },
  { name: "five segments, shaped like a JWE", reason: "bad-alg", token: async () => `${segment({ alg: "dir", enc: "A256GCM", kid: "v1" })}..AAAA.AAAA.AAAA` },
  { name: "a percent-encoded space inside", reason: "invalid: signature", token: async () => { const [h, p, s] = await validParts(); return `${h}.%20${p}.${s}`; } },
  { name: "a signature one character short", reason: "invalid: signature", token: async () => { const [h, p, s] = await validParts(); return `${h}.${p}.${s.slice(0, -1)}`; } },
  { name: "a signature with one character changed", reason: "invalid: signature", token: async () => { const [h, p, s] = await validParts(); return `${h}.${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}`; } },
  { name: "a payload swapped under a valid signature", reason: "invalid: signature", token: async () => { const [h, , s] = await validParts(); return `${h}.${segment(claims({ key: "clips/other.mp4" }))}.${s}`; } },
  { name: "an empty signature on an HS256 header", reason: "invalid: signature", token: async () => { const [h, p] = await validParts(); return `${h}.${p}.`; } },

  // oversized
  { name: "a 5 KB token, correctly signed", reason: "malformed", token: () => forge(HEADER, claims({ pad: "x".repeat(5000) })) },
  { name: "a 100 KB token", reason: "malformed", token: () => forge(HEADER, claims({ pad: "y".repeat(100_000) })) },

  // claims: exp, nbf, iat
  { name: "exp as a numeric string", reason: "invalid: exp", token: () => forge(HEADER, claims({ exp: String(now() + 300) })) },
  { name: "no exp", reason: "invalid: exp", token: () => forge(HEADER, { key: "clips/hostile.mp4" }) },
  { name: "exp past, beyond the 30 s tolerance", reason: "expired", token: () => forge(HEADER, claims({ exp: now() - 31 })) },
  { name: "exp negative", reason: "expired", token: () => forge(HEADER, claims({ exp: -1 })) },
  { name: "exp as null", reason: "invalid: exp", token: () => forge(HEADER, claims({ exp: null })) },
  { name: "nbf in the future, beyond the tolerance", reason: "not-yet-valid", token: () => forge(HEADER, claims({ nbf: now() + 3600 })) },
  { name: "nbf as a string", reason: "invalid: nbf", token: () => forge(HEADER, claims({ nbf: "0" })) },
  { name: "iat as a string", reason: "invalid: iat", token: () => forge(HEADER, claims({ iat: "yesterday" })) },

  // key: traversal, encoding, NUL, unicode
  { name: "key ../secret", reason: "bad-key: dot-dot-segment", token: () => forge(HEADER, claims({ key: "../secret" })) },
  { name: "key a/../../b", reason: "bad-key: dot-dot-segment", token: () => forge(HEADER, claims({ key: "a/../../b" })) },
  { name: "key ending in /..", reason: "bad-key: dot-dot-segment", token: () => forge(HEADER, claims({ key: "clips/.." })) },
  { name: "key with a leading slash", reason: "bad-key: leading-slash", token: () => forge(HEADER, claims({ key: "/etc/passwd" })) },
  { name: "key with backslashes", reason: "bad-key: backslash", token: () => forge(HEADER, claims({ key: "clips\\..\\secret" })) },
  { name: "key with a NUL", reason: "bad-key: control-character", token: () => forge(HEADER, claims({ key: "clips/a.mp4\u0000.jpg" })) },
  { name: "key with a newline", reason: "bad-key: control-character", token: () => forge(HEADER, claims({ key: "clips/a\nSet-Cookie: x" })) },
  { name: "key with a C1 control", reason: "bad-key: control-character", token: () => forge(HEADER, claims({ key: "clips/\u0085a" })) },
  { name: "key with a lone surrogate", reason: "bad-key: not-unicode", token: () => forge(HEADER, `{"key":"clips/\\ud800.mp4","exp":${now() + 300}}`) },
  { name: "key of 1,025 bytes", reason: "bad-key: too-long", token: () => forge(HEADER, claims({ key: "k".repeat(1025) })) },
  { name: "key of 513 two-byte characters (1,026 bytes)", reason: "bad-key: too-long", token: () => forge(HEADER, claims({ key: "\u00e9".repeat(513) })) },
  { name: "an empty key", reason: "missing-key", token: () => forge(HEADER, claims({ key: "" })) },
  { name: "key as a number", reason: "missing-key", token: () => forge(HEADER, claims({ key: 42 })) },
  { name: "key as an array", reason: "missing-key", token: () => forge(HEADER, claims({ key: ["clips/a.mp4"] })) },
  { name: "no key", reason: "missing-key", token: () => forge(HEADER, { exp: now() + 300 }) },

  // bkt
  { name: "an unknown bkt", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "secret-bucket" })) },
  { name: "bkt MEDIA in upper case", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "MEDIA" })) },
  { name: "bkt with a trailing space", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "media " })) },
  { name: "bkt __proto__", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "__proto__" })) },
  { name: "bkt constructor", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "constructor" })) },
  { name: "bkt toString", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "toString" })) },
  { name: "bkt naming a binding", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "MEDIA_FALLBACK_BUCKET" })) },
  { name: "bkt as a number", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: 1 })) },
  { name: "bkt empty", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "" })) },
];

/** Fixed reasons the media Worker may log for a refused token: nothing from the token itself. */
const SANITIZED_REASON = /^(malformed|bad-alg|missing-kid|unknown-kid|expired|not-yet-valid|invalid: (exp|nbf|iat|claims|signature|other)|missing-key|bad-key: [a-z-]+|unknown-bucket)$/;

interface LogLine {
  event: string;
  reason?: string;
  kid?: string;
  status?: number;
}

afterEach(() => {
  vi.restoreAllMocks();
});

beforeAll(async () => {
  // The objects some forged tokens name exist, so a wrongly accepted token would show as a 200, not a 404.
  for (const key of ["clips/hostile.mp4", "clips/other.mp4", "clips/ok.mp4", "secret"]) await env.MEDIA_BUCKET.put(key, patternBytes(64));
});

describe("a corpus of hostile media tokens", () => {
  it("has at least 50 tokens", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
  });

  it.each(corpus.map((entry) => [entry.name, entry] as const))("refuses %s: 401, empty body, sanitized reason logged", async (_name, entry) => {
    const token = await entry.token();
    const lines: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => void lines.push(String(line)));
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));

    const response = await fetchToken(token, { headers: { "X-Request-Id": "hostile-1" } });

    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(await response.text()).toBe("");

    const logged = lines.map((line) => JSON.parse(line) as LogLine).filter((line) => line.event === "media-token-rejected");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ reason: entry.reason, status: 401 });
    expect(logged[0]?.reason).toMatch(SANITIZED_REASON);
    // A kid reaches the log only when it is well formed; a hostile one stays out.
    if (logged[0]?.kid !== undefined) expect(logged[0].kid).toMatch(/^v[1-9][0-9]{0,5}$/);
    const text = lines.join("\n");
    for (const part of token.split(".").filter((piece) => piece.length >= 8)) expect(text).not.toContain(part);
    for (const secret of [V1, V2]) expect(text).not.toContain(secret);
  });

  it("also refuses each of them for HEAD, with no body", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    for (const entry of corpus) {
      const response = await fetchToken(await entry.token(), { method: "HEAD" });
      expect(response.status, entry.name).toBe(401);
      expect(await response.text()).toBe("");
    }
  });
});

describe("keys that look like tricks but are literal", () => {
  it.each([
    ["percent-encoded dot segments", "clips/%2e%2e/secret"],
    ["a percent-encoded slash", "clips%2f..%2fsecret"],
    ["fullwidth dots", "clips/\uff0e\uff0e/secret"],
    ["a right-to-left override", "clips/\u202egpj.exe"],
  ])("reads a validly signed key with %s as that literal key, never decoded into another object", async (_what, key) => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const response = await fetchToken(await forge(HEADER, claims({ key })));
    // The object "secret" exists at the bucket root; the literal key does not.
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    await response.body?.cancel();
  });
});

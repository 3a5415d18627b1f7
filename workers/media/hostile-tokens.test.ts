/**
 * A corpus of hostile media tokens, minted here by hand (header and payload
 * JSON written as text where the attack needs it, HMAC over them with Web
 * Crypto), each sent to the real media Worker: every one is a 401 with an
 * empty body and the Bearer challenge, never a 5xx, and the log gets one line
 * with a fixed, sanitized reason and none of the token, secret or key.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { mediaPath } from "../../shared/media-token";
import { TEST_SECRETS } from "../../test/secrets";
import { ORIGIN, answerWithVars, captureLogs, fetchToken, logRecords, mint, patternBytes, uniqueKey } from "./test-kit";
import { buildKidRegistry, verifiedTokenCache, verifyMediaToken } from "./token";

const V1 = TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1;
const V2 = TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2;
const encoder = new TextEncoder();
const now = () => Math.floor(Date.now() / 1000);

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function base64urlBytes(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

const BASE64URL_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** `segment` with its last digit's spare bits (2 when 3 digits are left over, 4 when 2 are) set to `bits`. */
function withSpareBits(segment: string, bits: number): string {
  const last = BASE64URL_DIGITS.indexOf(segment.slice(-1));
  return `${segment.slice(0, -1)}${BASE64URL_DIGITS.charAt(last | bits)}`;
}

/** A JOSE segment: an object is serialized, a string is taken as the exact JSON text (duplicate keys, odd numbers). */
function segment(json: object | string): string {
  return base64url(encoder.encode(typeof json === "string" ? json : JSON.stringify(json)));
}

async function hmac(
  input: string,
  secret: string,
  hash: "SHA-256" | "SHA-384" | "SHA-512" = "SHA-256",
): Promise<string> {
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
  /** What follows the token in the URL (a prefix token's path), as a client would write it. */
  path?: string;
  /** The request's CF-Connecting-IP. */
  clientIp?: string;
}

/** Another spelling of a token's three segments. */
type Respelling = (header: string, payload: string, signature: string) => string;

/** Spellings of one valid token that a lenient base64url decoder reads as the same bytes. */
const respellings: readonly [string, Respelling][] = [
  ["a padded signature", (h, p, s) => `${h}.${p}.${s}=`],
  ["a signature padded twice", (h, p, s) => `${h}.${p}.${s}==`],
  ["a padded header", (h, p, s) => `${h}=.${p}.${s}`],
  ["a padded payload", (h, p, s) => `${h}.${p}=.${s}`],
  ["the signature's low spare bit set", (h, p, s) => `${h}.${p}.${withSpareBits(s, 1)}`],
  ["the signature's high spare bit set", (h, p, s) => `${h}.${p}.${withSpareBits(s, 2)}`],
  ["both spare bits set, and padded", (h, p, s) => `${h}.${p}.${withSpareBits(s, 3)}=`],
];

/** A prefix token for clips/hostile/ (objects inside and outside it are seeded). */
const prefixClaims = (extra: Record<string, unknown> = {}) => ({ pfx: "clips/hostile/", exp: now() + 300, ...extra });
const prefixToken = () => forge(HEADER, prefixClaims());
/** A v1.1 header that marks `v11` critical, as an `ip` token must carry. */
const V11 = { ...HEADER, crit: ["v11"], v11: true };
const boundToken = (ip: unknown) => forge(V11, claims({ ip }));

const corpus: HostileToken[] = [
  // alg: none in every spelling, and algorithms that are not HS256
  {
    name: "alg none without a signature",
    reason: "bad-alg",
    token: async () => `${segment({ alg: "none", kid: "v1" })}.${segment(claims())}.`,
  },
  {
    name: "alg None",
    reason: "bad-alg",
    token: async () => `${segment({ alg: "None", kid: "v1" })}.${segment(claims())}.`,
  },
  {
    name: "alg NONE",
    reason: "bad-alg",
    token: async () => `${segment({ alg: "NONE", kid: "v1" })}.${segment(claims())}.`,
  },
  {
    name: "alg none carrying a valid HS256 signature",
    reason: "bad-alg",
    token: () => forge({ alg: "none", kid: "v1" }, claims()),
  },
  {
    name: "alg HS512 signed with HS512 and the real secret",
    reason: "bad-alg",
    token: () => forge({ ...HEADER, alg: "HS512" }, claims(), { hash: "SHA-512" }),
  },
  {
    name: "alg HS384 signed with HS384 and the real secret",
    reason: "bad-alg",
    token: () => forge({ ...HEADER, alg: "HS384" }, claims(), { hash: "SHA-384" }),
  },
  {
    name: "alg RS256 (key confusion) with an HMAC signature",
    reason: "bad-alg",
    token: () => forge({ ...HEADER, alg: "RS256" }, claims()),
  },
  {
    name: "alg RS256 with a PEM string as the HMAC key",
    reason: "bad-alg",
    token: () =>
      forge({ ...HEADER, alg: "RS256" }, claims(), {
        secret: "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
      }),
  },
  {
    name: "alg ES256 with a junk signature",
    reason: "bad-alg",
    token: async () => `${segment({ ...HEADER, alg: "ES256" })}.${segment(claims())}.AAAA`,
  },
  { name: "alg hs256 in lower case", reason: "bad-alg", token: () => forge({ ...HEADER, alg: "hs256" }, claims()) },
  { name: "alg with a trailing space", reason: "bad-alg", token: () => forge({ ...HEADER, alg: "HS256 " }, claims()) },
  { name: "no alg", reason: "bad-alg", token: () => forge({ typ: "JWT", kid: "v1" }, claims()) },
  { name: "alg as an array", reason: "bad-alg", token: () => forge({ ...HEADER, alg: ["HS256"] }, claims()) },
  { name: "alg null", reason: "bad-alg", token: () => forge({ ...HEADER, alg: null }, claims()) },

  // kid injection and odd kids
  { name: "kid ../v1", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "../v1" }, claims()) },
  { name: "kid v1/../v2", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v1/../v2" }, claims()) },
  {
    name: "kid ../../etc/passwd",
    reason: "unknown-kid",
    token: () => forge({ ...HEADER, kid: "../../etc/passwd" }, claims()),
  },
  {
    name: "kid naming the secret variable",
    reason: "unknown-kid",
    token: () => forge({ ...HEADER, kid: "MEDIA_TOKEN_SECRET_V1" }, claims()),
  },
  {
    name: "a 2,000-character kid",
    reason: "unknown-kid",
    token: () => forge({ ...HEADER, kid: `v${"1".repeat(2000)}` }, claims()),
  },
  {
    name: "a kid so long the token passes 4 KB",
    reason: "malformed",
    token: () => forge({ ...HEADER, kid: `v${"1".repeat(5000)}` }, claims()),
  },
  { name: "kid v0", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v0" }, claims()) },
  { name: "kid v01 (leading zero)", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v01" }, claims()) },
  { name: "kid V1 (upper case)", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "V1" }, claims()) },
  { name: "kid with a trailing space", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v1 " }, claims()) },
  { name: "kid with a NUL", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v1\u0000" }, claims()) },
  { name: "kid percent-encoded", reason: "unknown-kid", token: () => forge({ ...HEADER, kid: "v%31" }, claims()) },
  {
    name: "kid with a quote injection",
    reason: "unknown-kid",
    token: () => forge({ ...HEADER, kid: "v1' OR '1'='1" }, claims()),
  },
  { name: "kid as a number", reason: "missing-kid", token: () => forge({ ...HEADER, kid: 1 }, claims()) },
  { name: "kid as an object", reason: "missing-kid", token: () => forge({ ...HEADER, kid: { $ne: "" } }, claims()) },
  { name: "kid null", reason: "missing-kid", token: () => forge({ ...HEADER, kid: null }, claims()) },
  { name: "no kid", reason: "missing-kid", token: () => forge({ alg: "HS256", typ: "JWT" }, claims()) },
  {
    name: "kid v3, which is not loaded",
    reason: "unknown-kid",
    token: () => forge({ ...HEADER, kid: "v3" }, claims()),
  },
  {
    name: "kid v2 with v1's signature",
    reason: "invalid: signature",
    token: () => forge({ ...HEADER, kid: "v2" }, claims(), { secret: V1 }),
  },
  {
    name: "kid v1 with v2's signature",
    reason: "invalid: signature",
    token: () => forge(HEADER, claims(), { secret: V2 }),
  },

  // duplicated keys, non-JSON and non-object headers
  {
    name: "duplicate alg, the last one none",
    reason: "bad-alg",
    token: () => forge('{"alg":"HS256","kid":"v1","alg":"none"}', claims()),
  },
  {
    name: "duplicate kid, the last one unknown",
    reason: "unknown-kid",
    token: () => forge('{"alg":"HS256","kid":"v1","kid":"v9"}', claims()),
  },
  {
    name: "duplicate key claim, the last one a traversal",
    reason: "bad-key: dot-dot-segment",
    token: () => forge(HEADER, `{"key":"clips/ok.mp4","exp":${now() + 300},"key":"../secret"}`),
  },
  {
    name: "duplicate exp claim, the last one past",
    reason: "expired",
    token: () => forge(HEADER, `{"key":"clips/ok.mp4","exp":${now() + 300},"exp":${now() - 3600}}`),
  },
  { name: "a header that is not JSON", reason: "malformed", token: () => forge("not json", claims()) },
  { name: "a header that is a JSON array", reason: "malformed", token: () => forge('["HS256","v1"]', claims()) },
  { name: "a header that is a JSON string", reason: "malformed", token: () => forge('"HS256"', claims()) },
  {
    name: "a byte-order mark before an alg none header",
    reason: "bad-alg",
    token: () => forge(`\ufeff${JSON.stringify({ alg: "none", kid: "v1" })}`, claims()),
  },
  {
    name: "an empty header segment",
    reason: "malformed",
    token: async () => {
      const [, payload, signature] = await validParts();
      return `.${payload}.${signature}`;
    },
  },
  { name: "a payload that is not JSON", reason: "malformed", token: () => forge(HEADER, "{key: clips/a.mp4}") },
  { name: "a payload that is a JSON array", reason: "malformed", token: () => forge(HEADER, "[1,2,3]") },

  // bad base64 and framing
  {
    name: "standard base64 (+) in the signature",
    reason: "malformed",
    token: async () => {
      const [h, p, s] = await validParts();
      return `${h}.${p}.${s.slice(0, -2)}++`;
    },
  },
  {
    name: "base64 padding on every segment",
    reason: "malformed: non-canonical",
    token: async () => {
      const [h, p, s] = await validParts();
      return `${h}==.${p}=.${s}=`;
    },
  },
  {
    name: "a star in the signature",
    reason: "malformed",
    token: async () => {
      const [h, p, s] = await validParts();
      return `${h}.${p}.${s.slice(0, -1)}*`;
    },
  },
  {
    name: "two segments only",
    reason: "malformed",
    token: async () => {
      const [h, p] = await validParts();
      return `${h}.${p}`;
    },
  },
  { name: "four segments", reason: "malformed", token: async () => `${(await validParts()).join(".")}.extra` },
  {
    name: "five segments, shaped like a JWE",
    reason: "bad-alg",
    token: async () => `${segment({ alg: "dir", enc: "A256GCM", kid: "v1" })}..AAAA.AAAA.AAAA`,
  },
  {
    name: "a percent-encoded space inside",
    reason: "invalid: signature",
    token: async () => {
      const [h, p, s] = await validParts();
      return `${h}.%20${p}.${s}`;
    },
  },
  {
    // One character short leaves 42 digits: the last one's 4 spare bits decide the reason, so both are pinned.
    name: "a signature one byte short, canonically spelled",
    reason: "invalid: signature",
    token: async () => {
      const [h, p, s] = await validParts();
      return `${h}.${p}.${base64url(base64urlBytes(s).slice(0, -1))}`;
    },
  },
  {
    name: "a signature one character short, its last digit's spare bits set",
    reason: "malformed: non-canonical",
    token: async () => {
      const [h, p, s] = await validParts();
      return `${h}.${p}.${s.slice(0, -2)}B`;
    },
  },
  {
    name: "a signature with one character changed",
    reason: "invalid: signature",
    token: async () => {
      const [h, p, s] = await validParts();
      return `${h}.${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}`;
    },
  },
  {
    name: "a payload swapped under a valid signature",
    reason: "invalid: signature",
    token: async () => {
      const [h, , s] = await validParts();
      return `${h}.${segment(claims({ key: "clips/other.mp4" }))}.${s}`;
    },
  },
  {
    name: "an empty signature on an HS256 header",
    reason: "invalid: signature",
    token: async () => {
      const [h, p] = await validParts();
      return `${h}.${p}.`;
    },
  },

  // oversized
  {
    name: "a 5 KB token, correctly signed",
    reason: "malformed",
    token: () => forge(HEADER, claims({ pad: "x".repeat(5000) })),
  },
  { name: "a 100 KB token", reason: "malformed", token: () => forge(HEADER, claims({ pad: "y".repeat(100_000) })) },

  // claims: exp, nbf, iat
  {
    name: "exp as a numeric string",
    reason: "invalid: exp",
    token: () => forge(HEADER, claims({ exp: String(now() + 300) })),
  },
  { name: "no exp", reason: "invalid: exp", token: () => forge(HEADER, { key: "clips/hostile.mp4" }) },
  {
    name: "exp past, beyond the 30 s tolerance",
    reason: "expired",
    token: () => forge(HEADER, claims({ exp: now() - 31 })),
  },
  { name: "exp negative", reason: "expired", token: () => forge(HEADER, claims({ exp: -1 })) },
  { name: "exp as null", reason: "invalid: exp", token: () => forge(HEADER, claims({ exp: null })) },
  {
    name: "nbf in the future, beyond the tolerance",
    reason: "not-yet-valid",
    token: () => forge(HEADER, claims({ nbf: now() + 3600 })),
  },
  { name: "nbf as a string", reason: "invalid: nbf", token: () => forge(HEADER, claims({ nbf: "0" })) },
  { name: "iat as a string", reason: "invalid: iat", token: () => forge(HEADER, claims({ iat: "yesterday" })) },

  // key: traversal, encoding, NUL, unicode
  {
    name: "key ../secret",
    reason: "bad-key: dot-dot-segment",
    token: () => forge(HEADER, claims({ key: "../secret" })),
  },
  {
    name: "key a/../../b",
    reason: "bad-key: dot-dot-segment",
    token: () => forge(HEADER, claims({ key: "a/../../b" })),
  },
  {
    name: "key ending in /..",
    reason: "bad-key: dot-dot-segment",
    token: () => forge(HEADER, claims({ key: "clips/.." })),
  },
  {
    name: "key with a leading slash",
    reason: "bad-key: leading-slash",
    token: () => forge(HEADER, claims({ key: "/etc/passwd" })),
  },
  {
    name: "key with backslashes",
    reason: "bad-key: backslash",
    token: () => forge(HEADER, claims({ key: "clips\\..\\secret" })),
  },
  {
    name: "key with a NUL",
    reason: "bad-key: control-character",
    token: () => forge(HEADER, claims({ key: "clips/a.mp4\u0000.jpg" })),
  },
  {
    name: "key with a newline",
    reason: "bad-key: control-character",
    token: () => forge(HEADER, claims({ key: "clips/a\nSet-Cookie: x" })),
  },
  {
    name: "key with a C1 control",
    reason: "bad-key: control-character",
    token: () => forge(HEADER, claims({ key: "clips/\u0085a" })),
  },
  {
    name: "key with a lone surrogate",
    reason: "bad-key: not-unicode",
    token: () => forge(HEADER, `{"key":"clips/\\ud800.mp4","exp":${now() + 300}}`),
  },
  {
    name: "key of 1,025 bytes",
    reason: "bad-key: too-long",
    token: () => forge(HEADER, claims({ key: "k".repeat(1025) })),
  },
  {
    name: "key of 513 two-byte characters (1,026 bytes)",
    reason: "bad-key: too-long",
    token: () => forge(HEADER, claims({ key: "\u00e9".repeat(513) })),
  },
  { name: "an empty key", reason: "missing-key", token: () => forge(HEADER, claims({ key: "" })) },
  { name: "key as a number", reason: "missing-key", token: () => forge(HEADER, claims({ key: 42 })) },
  { name: "key as an array", reason: "missing-key", token: () => forge(HEADER, claims({ key: ["clips/a.mp4"] })) },
  { name: "no key", reason: "missing-key", token: () => forge(HEADER, { exp: now() + 300 }) },

  // bkt
  { name: "an unknown bkt", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "secret-bucket" })) },
  { name: "bkt MEDIA in upper case", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "MEDIA" })) },
  {
    name: "bkt with a trailing space",
    reason: "unknown-bucket",
    token: () => forge(HEADER, claims({ bkt: "media " })),
  },
  { name: "bkt __proto__", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "__proto__" })) },
  { name: "bkt constructor", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "constructor" })) },
  { name: "bkt toString", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "toString" })) },
  {
    name: "bkt naming a binding",
    reason: "unknown-bucket",
    token: () => forge(HEADER, claims({ bkt: "MEDIA_FALLBACK_BUCKET" })),
  },
  { name: "bkt as a number", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: 1 })) },
  { name: "bkt empty", reason: "unknown-bucket", token: () => forge(HEADER, claims({ bkt: "" })) },

  // v1.1 paths after a prefix token: traversal in every spelling. The URL parser resolves dot
  // segments (`%2e` too) and maps `\` to `/` first, so these leave the token's segment behind.
  { name: "a ../ out of the prefix", reason: "malformed", path: "/../secret", token: prefixToken },
  { name: "a/../../ out of the prefix", reason: "malformed", path: "/a/../../secret", token: prefixToken },
  { name: "%2e%2e/ out of the prefix", reason: "malformed", path: "/%2e%2e/secret", token: prefixToken },
  { name: "%2E%2E/ in upper case", reason: "malformed", path: "/%2E%2E/secret", token: prefixToken },
  { name: ".%2e/ mixed", reason: "malformed", path: "/.%2e/secret", token: prefixToken },
  { name: "%2e./ mixed", reason: "malformed", path: "/%2e./secret", token: prefixToken },
  {
    name: "backslashes, which the parser turns into slashes",
    reason: "malformed",
    path: "\\..\\secret",
    token: prefixToken,
  },
  { name: "a/.. back to the bare prefix", reason: "bad-path: empty", path: "/a/..", token: prefixToken },
  {
    name: "..%2f (an encoded slash after ..)",
    reason: "bad-path: encoded-slash",
    path: "/..%2fsecret",
    token: prefixToken,
  },
  { name: "%2e%2e%2f in one segment", reason: "bad-path: encoded-slash", path: "/%2e%2e%2fsecret", token: prefixToken },
  { name: "%2F between two names", reason: "bad-path: encoded-slash", path: "/a%2Fb.mp4", token: prefixToken },
  { name: "..%5c (an encoded backslash)", reason: "bad-path: backslash", path: "/..%5csecret", token: prefixToken },
  {
    name: "overlong UTF-8 dots (%c0%ae%c0%ae)",
    reason: "bad-path: not-utf8",
    path: "/%c0%ae%c0%ae/secret",
    token: prefixToken,
  },
  { name: "an encoded lone surrogate", reason: "bad-path: not-utf8", path: "/%ed%a0%80.mp4", token: prefixToken },
  { name: "a truncated UTF-8 sequence", reason: "bad-path: not-utf8", path: "/%c3.mp4", token: prefixToken },
  {
    name: "%u002e (IIS-style escapes)",
    reason: "bad-path: bad-escape",
    path: "/%u002e%u002e/secret",
    token: prefixToken,
  },
  { name: "a bare % at the end", reason: "bad-path: bad-escape", path: "/a.mp4%", token: prefixToken },
  { name: "an encoded NUL", reason: "bad-path: control-character", path: "/a%00.mp4", token: prefixToken },
  { name: "an encoded DEL", reason: "bad-path: control-character", path: "/a%7f.mp4", token: prefixToken },
  {
    name: "an encoded C1 control (NEL)",
    reason: "bad-path: control-character",
    path: "/a%c2%85.mp4",
    token: prefixToken,
  },
  {
    name: "an encoded CR LF",
    reason: "bad-path: control-character",
    path: "/a%0d%0aSet-Cookie:%20x.mp4",
    token: prefixToken,
  },
  { name: "an empty segment", reason: "bad-path: empty-segment", path: "/a//b.mp4", token: prefixToken },
  { name: "a trailing slash (a directory)", reason: "bad-path: empty-segment", path: "/a/", token: prefixToken },
  { name: "a prefix token with nothing after it", reason: "bad-path: empty", path: "", token: prefixToken },
  {
    name: "a path that takes the key past 1,024 bytes",
    reason: "bad-path: too-long",
    path: `/${"k".repeat(1024 - "clips/hostile/".length + 1)}`,
    token: prefixToken,
  },
  {
    name: "a single-object token with a path",
    reason: "bad-path: after-key",
    path: "/other.mp4",
    token: () => forge(HEADER, claims()),
  },
  {
    name: "a single-object token with a bare /",
    reason: "bad-path: after-key",
    path: "/",
    token: () => forge(HEADER, claims()),
  },

  // v1.1 prefix rules
  {
    name: "pfx empty (the whole bucket)",
    reason: "bad-prefix: empty",
    path: "/secret",
    token: () => forge(HEADER, prefixClaims({ pfx: "" })),
  },
  {
    name: "pfx without a trailing slash",
    reason: "bad-prefix: no-trailing-slash",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ pfx: "clips/hostile" })),
  },
  {
    name: "pfx with a leading slash",
    reason: "bad-prefix: leading-slash",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ pfx: "/clips/" })),
  },
  {
    name: "pfx ../",
    reason: "bad-prefix: dot-dot-segment",
    path: "/secret",
    token: () => forge(HEADER, prefixClaims({ pfx: "../" })),
  },
  {
    name: "pfx clips/../",
    reason: "bad-prefix: dot-dot-segment",
    path: "/secret",
    token: () => forge(HEADER, prefixClaims({ pfx: "clips/../" })),
  },
  {
    name: "pfx with a backslash",
    reason: "bad-prefix: backslash",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ pfx: "clips\\" + "/" })),
  },
  {
    name: "pfx with a NUL",
    reason: "bad-prefix: control-character",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ pfx: "clips\u0000/" })),
  },
  {
    name: "pfx with a lone surrogate",
    reason: "bad-prefix: not-unicode",
    path: "/x.mp4",
    token: () => forge(HEADER, `{"pfx":"clips/\\ud800/","exp":${now() + 300}}`),
  },
  {
    name: "pfx of 1,025 bytes",
    reason: "bad-prefix: too-long",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ pfx: `${"p".repeat(1024)}/` })),
  },
  {
    name: "pfx as an array",
    reason: "bad-prefix: not-a-string",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ pfx: ["clips/"] })),
  },
  {
    name: "pfx as a number",
    reason: "bad-prefix: not-a-string",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ pfx: 1 })),
  },
  {
    name: "pfx null",
    reason: "bad-prefix: not-a-string",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ pfx: null })),
  },
  {
    name: "key and pfx together",
    reason: "key-and-pfx",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ key: "clips/hostile.mp4" })),
  },
  {
    name: "key and pfx, the key empty",
    reason: "key-and-pfx",
    token: () => forge(HEADER, claims({ key: "", pfx: "clips/" })),
  },
  {
    name: "a prefix token with a bad bkt",
    reason: "unknown-bucket",
    path: "/x.mp4",
    token: () => forge(HEADER, prefixClaims({ bkt: "secrets" })),
  },

  // v1.1 download names: anything that could break out of the header is refused
  {
    name: "dl with CR LF and a header after it",
    reason: "bad-dl",
    token: () => forge(HEADER, claims({ dl: "a.pdf\r\nSet-Cookie: x=1" })),
  },
  { name: "dl with a bare LF", reason: "bad-dl", token: () => forge(HEADER, claims({ dl: "a\nb.pdf" })) },
  { name: "dl with a NUL", reason: "bad-dl", token: () => forge(HEADER, claims({ dl: "a\u0000.pdf" })) },
  { name: "dl with a tab", reason: "bad-dl", token: () => forge(HEADER, claims({ dl: "a\tb.pdf" })) },
  { name: "dl with a C1 control", reason: "bad-dl", token: () => forge(HEADER, claims({ dl: "a\u009b.pdf" })) },
  {
    name: "dl with a lone surrogate",
    reason: "bad-dl",
    token: () => forge(HEADER, `{"key":"clips/hostile.mp4","dl":"a\\udc00.pdf","exp":${now() + 300}}`),
  },
  { name: "dl as a path", reason: "bad-dl", token: () => forge(HEADER, claims({ dl: "../../.bashrc" })) },
  {
    name: "dl with a Windows path",
    reason: "bad-dl",
    token: () => forge(HEADER, claims({ dl: "C:\\Windows\\evil.exe" })),
  },
  { name: "dl of 256 bytes", reason: "bad-dl", token: () => forge(HEADER, claims({ dl: `${"d".repeat(252)}.pdf` })) },
  // dl names that display as something other than what they are: bidi controls, other format characters, dots only
  ...[
    ["a right-to-left override", "invoice\u202Egpj.exe"],
    ["a left-to-right override", "a\u202Db.pdf"],
    ["a right-to-left embedding", "a\u202Bb.pdf"],
    ["a pop directional formatting", "a.pdf\u202C"],
    ["a right-to-left isolate", "a\u2067b.pdf"],
    ["a first-strong isolate", "\u2068a.pdf"],
    ["a zero-width space", "report\u200B.pdf"],
    ["a zero-width non-joiner", "a\u200Cb.pdf"],
    ["a word joiner", "a\u2060b.pdf"],
    ["a byte order mark", "\uFEFFa.pdf"],
    ["a soft hyphen", "exe\u00AD.pdf"],
    ["an Arabic letter mark", "a\u061Cb.pdf"],
    ["a tag character", "a.pdf\u{E0001}"],
    ["one dot", "."],
    ["two dots", ".."],
    ["three dots", "..."],
  ].map(([what, dl]): HostileToken => ({
    name: `dl with ${what}`,
    reason: "bad-dl",
    token: () => forge(HEADER, claims({ dl })),
  })),
  // One spelling per token: padding and spare bits are other spellings of the same bytes, refused before the cache
  ...respellings.map(([what, spell]): HostileToken => ({
    name: `a non-canonical spelling: ${what}`,
    reason: "malformed: non-canonical",
    token: async () => spell(...(await validParts())),
  })),
  {
    name: "a non-canonical spelling: a header whose last digit carries spare bits",
    reason: "malformed: non-canonical",
    token: async () => {
      // {"alg":"HS256","kid":"v1"} is 26 bytes: 35 digits, the last with 2 spare bits.
      const header = segment('{"alg":"HS256","kid":"v1"}');
      const [, p, s] = await validParts();
      return `${withSpareBits(header, 1)}.${p}.${s}`;
    },
  },
  {
    name: "dl of 128 two-byte characters (256 bytes)",
    reason: "bad-dl",
    token: () => forge(HEADER, claims({ dl: "\u00e9".repeat(128) })),
  },
  { name: "dl empty", reason: "bad-dl", token: () => forge(HEADER, claims({ dl: "" })) },
  { name: "dl null", reason: "bad-dl", token: () => forge(HEADER, claims({ dl: null })) },
  { name: "dl as an object", reason: "bad-dl", token: () => forge(HEADER, claims({ dl: { name: "a.pdf" } })) },

  // v1.1 client addresses: claims that are not one canonical form, and clients that do not match
  { name: "ip 127.1 (a short form)", reason: "bad-ip", clientIp: "127.0.0.1", token: () => boundToken("127.1") },
  { name: "ip as one integer", reason: "bad-ip", clientIp: "127.0.0.1", token: () => boundToken("2130706433") },
  { name: "ip in hex", reason: "bad-ip", clientIp: "127.0.0.1", token: () => boundToken("0x7f.0.0.1") },
  { name: "ip in octal", reason: "bad-ip", clientIp: "127.0.0.1", token: () => boundToken("0177.0.0.1") },
  { name: "ip with five parts", reason: "bad-ip", clientIp: "1.2.3.4", token: () => boundToken("1.2.3.4.5") },
  { name: "ip with a space", reason: "bad-ip", clientIp: "203.0.113.7", token: () => boundToken(" 203.0.113.7") },
  {
    name: "ip with an empty prefix length",
    reason: "bad-ip",
    clientIp: "203.0.113.7",
    token: () => boundToken("203.0.113.7/"),
  },
  {
    name: "ip with a zero-padded prefix length",
    reason: "bad-ip",
    clientIp: "203.0.113.7",
    token: () => boundToken("203.0.113.0/024"),
  },
  {
    name: "ip with two prefix lengths",
    reason: "bad-ip",
    clientIp: "203.0.113.7",
    token: () => boundToken("203.0.113.0/24/8"),
  },
  { name: "ip IPv6 /129", reason: "bad-ip", clientIp: "2001:db8::1", token: () => boundToken("2001:db8::/129") },
  {
    name: "ip IPv6 with host bits",
    reason: "bad-ip",
    clientIp: "2001:db8::1",
    token: () => boundToken("2001:db8::1/64"),
  },
  { name: "ip IPv6 with two ::", reason: "bad-ip", clientIp: "2001:db8::1", token: () => boundToken("2001::db8::1") },
  {
    name: "ip IPv6 with nine groups",
    reason: "bad-ip",
    clientIp: "1:2:3:4:5:6:7:8",
    token: () => boundToken("1:2:3:4:5:6:7:8:9"),
  },
  {
    name: "ip IPv4-mapped in hex",
    reason: "bad-ip",
    clientIp: "203.0.113.7",
    token: () => boundToken("::ffff:cb00:7107"),
  },
  {
    name: "ip IPv4-mapped block as a CIDR",
    reason: "bad-ip",
    clientIp: "203.0.113.7",
    token: () => boundToken("::ffff:0:0/96"),
  },
  { name: "ip with a zone", reason: "bad-ip", clientIp: "fe80::1", token: () => boundToken("fe80::1%25eth0") },
  { name: "ip as a number", reason: "bad-ip", clientIp: "203.0.113.7", token: () => boundToken(3405803783) },
  { name: "ip as a list", reason: "bad-ip", clientIp: "203.0.113.7", token: () => boundToken(["203.0.113.7"]) },
  { name: "ip null", reason: "bad-ip", clientIp: "203.0.113.7", token: () => boundToken(null) },
  {
    name: "a client address list in CF-Connecting-IP",
    reason: "ip-mismatch",
    clientIp: "203.0.113.7, 198.51.100.1",
    token: () => boundToken("203.0.113.7"),
  },
  {
    name: "a zero-padded client address",
    reason: "ip-mismatch",
    clientIp: "203.0.113.007",
    token: () => boundToken("203.0.113.7"),
  },
  {
    name: "a client address with a zone",
    reason: "ip-mismatch",
    clientIp: "fe80::1%eth0",
    token: () => boundToken("fe80::/64"),
  },
  {
    name: "a client address that is a host name",
    reason: "ip-mismatch",
    clientIp: "localhost",
    token: () => boundToken("127.0.0.1"),
  },
  {
    name: "an IPv6 client for 0.0.0.0/0",
    reason: "ip-mismatch",
    clientIp: "2001:db8::1",
    token: () => boundToken("0.0.0.0/0"),
  },
  { name: "an IPv4 client for ::/0", reason: "ip-mismatch", clientIp: "203.0.113.7", token: () => boundToken("::/0") },
  {
    name: "an IPv4-mapped client for ::/0 (it compares as IPv4)",
    reason: "ip-mismatch",
    clientIp: "::ffff:203.0.113.7",
    token: () => boundToken("::/0"),
  },
  { name: "no client address at all", reason: "ip-mismatch", token: () => boundToken("0.0.0.0/0") },

  // v1.1 critical header: an ip token must carry crit v11, so no verifier can fail open
  {
    name: "ip without crit or v11",
    reason: "ip-without-crit",
    clientIp: "203.0.113.7",
    token: () => forge(HEADER, claims({ ip: "203.0.113.7" })),
  },
  {
    name: "ip with v11 but no crit",
    reason: "ip-without-crit",
    clientIp: "203.0.113.7",
    token: () => forge({ ...HEADER, v11: true }, claims({ ip: "203.0.113.7" })),
  },
  {
    name: "ip with crit v11 but v11 false",
    reason: "ip-without-crit",
    clientIp: "203.0.113.7",
    token: () => forge({ ...V11, v11: false }, claims({ ip: "203.0.113.7" })),
  },
  {
    name: "ip with crit naming another parameter",
    reason: "bad-crit",
    clientIp: "203.0.113.7",
    token: () => forge({ ...HEADER, crit: ["v12"], v12: true }, claims({ ip: "203.0.113.7" })),
  },
  {
    name: "crit v11 and an unknown parameter",
    reason: "bad-crit",
    clientIp: "203.0.113.7",
    token: () => forge({ ...V11, crit: ["v11", "exp-extra"], "exp-extra": 1 }, claims({ ip: "203.0.113.7" })),
  },
  {
    name: "crit v11 without the v11 parameter",
    reason: "malformed",
    clientIp: "203.0.113.7",
    token: () => forge({ ...HEADER, crit: ["v11"] }, claims({ ip: "203.0.113.7" })),
  },
  { name: "crit empty", reason: "malformed", token: () => forge({ ...HEADER, crit: [] }, claims()) },
  {
    name: "crit as a string",
    reason: "malformed",
    token: () => forge({ ...HEADER, crit: "v11", v11: true }, claims()),
  },
];

/** Fixed reasons the media Worker may log for a refused token: nothing from the token itself. */
const SANITIZED_REASON =
  /^(malformed|malformed: non-canonical|bad-alg|bad-crit|missing-kid|unknown-kid|expired|not-yet-valid|invalid: (exp|nbf|iat|claims|signature|other)|missing-key|bad-key: [a-z-]+|bad-prefix: [a-z-]+|bad-path: [a-z0-9-]+|key-and-pfx|unknown-bucket|bad-dl|bad-ip|ip-mismatch|ip-without-crit)$/;

/** The request a client makes for a hostile entry: its token, the path after it, its address. */
function hostileRequest(entry: HostileToken, token: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (entry.clientIp !== undefined) headers.set("CF-Connecting-IP", entry.clientIp);
  return new Request(`${ORIGIN}/media/v1/${token}${entry.path ?? ""}`, { ...init, headers });
}

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
  for (const key of [
    "clips/hostile.mp4",
    "clips/other.mp4",
    "clips/ok.mp4",
    "secret",
    "clips/secret",
    "clips/hostile/secret",
    "clips/hostile/a.mp4",
    "clips/hostile/x.mp4",
  ]) {
    await env.MEDIA_BUCKET.put(key, patternBytes(64));
  }
});

describe("a corpus of hostile media tokens", () => {
  it("has at least 50 tokens", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
  });

  it.each(corpus.map((entry) => [entry.name, entry] as const))(
    "refuses %s: 401, empty body, sanitized reason logged",
    async (_name, entry) => {
      const token = await entry.token();
      const lines: string[] = [];
      vi.spyOn(console, "warn").mockImplementation((line: unknown) => void lines.push(String(line)));
      vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));

      const response = await exports.default.fetch(
        hostileRequest(entry, token, { headers: { "X-Request-Id": "hostile-1" } }),
      );

      expect(response.status).toBe(401);
      expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
      expect(response.headers.get("Cache-Control")).toBe("no-store");
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(await response.text()).toBe("");

      const logged = lines
        .map((line) => JSON.parse(line) as LogLine)
        .filter((line) => line.event === "media-token-rejected");
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ reason: entry.reason, status: 401 });
      expect(logged[0]?.reason).toMatch(SANITIZED_REASON);
      // A kid reaches the log only when it is well formed; a hostile one stays out.
      if (logged[0]?.kid !== undefined) expect(logged[0].kid).toMatch(/^v[1-9][0-9]{0,5}$/);
      const text = lines.join("\n");
      for (const part of token.split(".").filter((piece) => piece.length >= 8)) expect(text).not.toContain(part);
      for (const secret of [V1, V2]) expect(text).not.toContain(secret);
    },
  );

  it("also refuses each of them for HEAD, with no body", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    for (const entry of corpus) {
      const response = await exports.default.fetch(hostileRequest(entry, await entry.token(), { method: "HEAD" }));
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
  ])(
    "reads a validly signed key with %s as that literal key, never decoded into another object",
    async (_what, key) => {
      vi.spyOn(console, "log").mockImplementation(() => undefined);
      const response = await fetchToken(await forge(HEADER, claims({ key })));
      // The object "secret" exists at the bucket root; the literal key does not.
      expect(response.status).toBe(404);
      expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
      await response.body?.cancel();
    },
  );
});

describe("v1.1 requests that look like tricks but stay inside what the token grants", () => {
  beforeAll(async () => {
    await env.MEDIA_BUCKET.put("clips/hostile/%2e%2e/secret", "the literal key");
    await env.MEDIA_BUCKET.put("clips/secret", "outside the prefix");
  });

  it("serves a double-encoded traversal as its literal key, even with the object it spells in the edge cache", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const prefix = await prefixToken();
    const outside = await forge(HEADER, claims({ key: "clips/secret" }));
    for (let round = 0; round < 3; round++) {
      // Each round may be a cache hit for both objects: two entries, one per decoded key re-encoded.
      expect(await (await fetchToken(outside)).text()).toBe("outside the prefix");
      expect(await (await fetchToken(`${prefix}/%252e%252e/secret`)).text()).toBe("the literal key");
      expect((await fetchToken(`${prefix}/%252E%252E/secret`)).status).toBe(404);
    }
  });

  it.each([
    ["fullwidth dots", "/%EF%BC%8E%EF%BC%8E/secret"],
    ["a percent-encoded percent", "/%25/secret"],
    ["a right-to-left override", "/%E2%80%AEgpj.exe"],
  ])("reads %s under a prefix as a literal key (404 here), never as another object", async (_what, path) => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const response = await fetchToken(`${await prefixToken()}${path}`);
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    await response.body?.cancel();
  });

  it("ignores the query string: the path alone names the object", async () => {
    const response = await fetchToken(`${await prefixToken()}/a.mp4?x=/../../secret`);
    expect(response.status).toBe(200);
    expect(await response.arrayBuffer()).toEqual(patternBytes(64).buffer);
  });

  it("quotes a dl name that tries to close the header parameter, and encodes it in filename*", async () => {
    const response = await fetchToken(await forge(HEADER, claims({ dl: 'a"; filename="evil.exe' })));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Disposition")).toBe(
      "attachment; filename=\"a_; filename=_evil.exe\"; filename*=UTF-8''a%22%3B%20filename%3D%22evil.exe",
    );
    expect(response.headers.get("Set-Cookie")).toBeNull();
    await response.body?.cancel();
  });

  it.each([
    ["an IPv4-mapped client in hex", "203.0.113.7", "::ffff:cb00:7107"],
    ["an IPv6 claim in upper case", "2001:DB8::/32", "2001:db8:ffff::5"],
    ["a /0 for every IPv4 client", "0.0.0.0/0", "198.51.100.1"],
    ["an IPv6 /64 with a compressed client", "2001:db8:0:1::/64", "2001:0db8:0000:0001:abcd:0000:0000:0001"],
  ])("accepts %s", async (_what, ip, clientIp) => {
    const response = await exports.default.fetch(
      new Request(`${ORIGIN}/media/v1/${await boundToken(ip)}`, { headers: { "CF-Connecting-IP": clientIp } }),
    );
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });
});

/** What the Worker answers for an object stored with `contentType` (none: the extension decides). */
async function servedAs(name: string, contentType: string | undefined): Promise<Response> {
  const key = uniqueKey(name);
  await env.MEDIA_BUCKET.put(key, "<script>alert(document.cookie)</script>", {
    httpMetadata: contentType === undefined ? {} : { contentType },
  });
  return fetchToken(await mint(key));
}

/** A 200 that a browser saves as `name` and never renders: the exact type, the attachment, the sandbox, nosniff. */
async function expectSandboxedAttachment(response: Response, contentType: string, name: string): Promise<void> {
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toBe(contentType);
  expect(response.headers.get("Content-Disposition")).toBe(`attachment; filename="${name}"`);
  expect(response.headers.get("Content-Security-Policy")).toBe("sandbox");
  expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  await response.body?.cancel();
}

describe("stored types as a browser reads them (Fetch: a header value is a list; WHATWG MIME Sniffing parses each)", () => {
  const OCTET_STREAM = "application/octet-stream";

  it.each([
    ["a list: video, then HTML (a browser takes the last valid type)", "video/mp4, text/html"],
    ["a list without a space", "video/mp4,text/html"],
    ["a list whose second type hides a comma in quotes", 'video/mp4,text/html;x=","'],
    ["a list: HTML, then video", "text/html, video/mp4"],
    ["a list with an empty member", "video/mp4,"],
    ["a list of the same type twice", "video/mp4, video/mp4"],
    ["a list with an invalid first member", "no-slash, text/html"],
    ["no subtype", "video"],
    ["no subtype after the slash", "video/"],
    ["a space inside the type", "vid eo/mp4"],
    ["a non-token character in the subtype", "video/mp4@x"],
    ["the wildcard a browser ignores", "*/*"],
    ["a quoted Latin-1 parameter", 'video/mp4;x="\u00e9"'],
    ["only a comma", ","],
  ])("serves %s (%s) as opaque bytes in a sandboxed attachment", async (_what, contentType) => {
    await expectSandboxedAttachment(await servedAs("typed.mp4", contentType), OCTET_STREAM, "typed.mp4");
  });

  it.each([
    ["HTML with a quoted comma that names video", 'text/html;x="video/mp4, a"', 'text/html;x="video/mp4, a"'],
    ["HTML in upper case", "TEXT/HTML", "text/html"],
    ["SVG with a charset", "image/svg+xml; charset=UTF-8", "image/svg+xml;charset=UTF-8"],
    ["XHTML", "application/xhtml+xml", "application/xhtml+xml"],
  ])("serves %s (%s) as %s in a sandboxed attachment", async (_what, contentType, served) => {
    await expectSandboxedAttachment(await servedAs("page.mp4", contentType), served, "page.mp4");
  });

  it.each([
    ["upper case", "VIDEO/MP4", "video/mp4"],
    ["a parameter with spaces", "Video/MP4 ; Codecs=avc1", "video/mp4;codecs=avc1"],
    [
      "a quoted codecs list (its comma is no list)",
      'video/mp4; codecs="avc1.42E01E, mp4a.40.2"',
      'video/mp4;codecs="avc1.42E01E, mp4a.40.2"',
    ],
    ["surrounding whitespace", "  audio/mpeg\t", "audio/mpeg"],
    ["a playlist type", "application/vnd.apple.mpegurl", "application/vnd.apple.mpegurl"],
  ])("serves %s (%s) inline, as %s", async (_what, contentType, served) => {
    const response = await servedAs("clip.mp4", contentType);
    expect(response.headers.get("Content-Type")).toBe(served);
    expect(response.headers.get("Content-Disposition")).toBeNull();
    expect(response.headers.get("Content-Security-Policy")).toBeNull();
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    await response.body?.cancel();
  });

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"])(
    "types a key ending in .%s without a stored type as opaque bytes, from storage and then from the edge cache",
    async (extension) => {
      const key = uniqueKey(`x.${extension}`);
      await env.MEDIA_BUCKET.put(key, "bytes");
      for (const round of ["storage", "cache"]) {
        const response = await answerWithVars(mediaPath(await mint(key)));
        expect(response.status, round).toBe(200);
        expect(response.headers.get("Server-Timing"), round).toMatch(
          round === "storage" ? /^cache;desc=miss/ : /^cache;desc=hit/,
        );
        expect(response.headers.get("Content-Type"), round).toBe(OCTET_STREAM);
        expect(response.headers.get("Content-Disposition"), round).toBe(`attachment; filename="x.${extension}"`);
        expect(response.headers.get("Content-Security-Policy"), round).toBe("sandbox");
        expect(await response.text()).toBe("bytes");
      }
    },
  );
});

describe("one spelling per token, cold and warm", () => {
  it("serves the canonical spelling and refuses its 7 other spellings before the verified-token cache, which keeps one entry", async () => {
    const registry = await buildKidRegistry(TEST_SECRETS.media);
    const canonical = await forge(HEADER, claims());
    const [h = "", p = "", s = ""] = canonical.split(".");
    // The signature's 43rd digit has 2 spare bits: 4 digits, each with or without a trailing "=".
    const spellings = [0, 1, 2, 3].flatMap((bits) => [
      `${h}.${p}.${withSpareBits(s, bits)}`,
      `${h}.${p}.${withSpareBits(s, bits)}=`,
    ]);
    expect(new Set(spellings).size).toBe(8);
    expect(spellings.filter((spelling) => spelling === canonical)).toHaveLength(1);
    for (const temperature of ["cold", "warm"]) {
      for (const spelling of spellings) {
        const result = await verifyMediaToken(spelling, registry);
        if (spelling === canonical) expect(result, temperature).toMatchObject({ ok: true, key: "clips/hostile.mp4" });
        else
          expect(result, `${temperature} ${spelling.slice(-3)}`).toEqual({
            ok: false,
            reason: "malformed: non-canonical",
          });
      }
      expect(verifiedTokenCache(registry).size, temperature).toBe(1);
      expect(verifiedTokenCache(registry).has(canonical)).toBe(true);
    }
  });

  it("answers the same through the Worker, cold and warm: one 200, seven 401s with the reason logged", async () => {
    const canonical = await forge(HEADER, claims());
    const [h = "", p = "", s = ""] = canonical.split(".");
    const spellings = [0, 1, 2, 3].flatMap((bits) => [
      `${h}.${p}.${withSpareBits(s, bits)}`,
      `${h}.${p}.${withSpareBits(s, bits)}=`,
    ]);
    for (const temperature of ["cold", "warm"]) {
      const { result: statuses, lines } = await captureLogs(async () => {
        const answered: number[] = [];
        for (const spelling of spellings) {
          const response = await fetchToken(spelling);
          answered.push(response.status);
          await response.body?.cancel();
        }
        return answered;
      });
      expect(
        statuses.filter((status) => status === 200),
        temperature,
      ).toHaveLength(1);
      expect(
        statuses.filter((status) => status === 401),
        temperature,
      ).toHaveLength(7);
      const reasons = logRecords(lines)
        .filter((line) => line.event === "media-token-rejected")
        .map((line) => line.reason);
      expect(reasons, temperature).toEqual(Array.from({ length: 7 }, () => "malformed: non-canonical"));
    }
  });
});

describe("CORS on every media answer, so a cross-origin player sees the status itself", () => {
  const ALLOWED = "https://player.example";
  const vars = { MEDIA_CORS_ORIGINS: ALLOWED };
  const failing = {
    head: () => Promise.reject(new Error("R2 unavailable (on purpose)")),
    get: () => Promise.reject(new Error("R2 unavailable (on purpose)")),
  };

  const cases: [string, number, () => Promise<{ path: string; init?: RequestInit; vars?: Record<string, unknown> }>][] =
    [
      ["a refused token", 401, async () => ({ path: mediaPath(await forge(HEADER, claims({ exp: now() - 3600 }))) })],
      ["a missing object", 404, async () => ({ path: mediaPath(await mint(uniqueKey("missing.mp4"))) })],
      ["a path that is no media route", 404, async () => ({ path: "/media/v1/" })],
      ["a POST", 405, async () => ({ path: mediaPath(await mint("clips/ok.mp4")), init: { method: "POST" } })],
      [
        "a failed If-Match",
        412,
        async () => ({ path: mediaPath(await mint("clips/ok.mp4")), init: { headers: { "If-Match": '"nope"' } } }),
      ],
      [
        "an unsatisfiable range",
        416,
        async () => ({ path: mediaPath(await mint("clips/ok.mp4")), init: { headers: { Range: "bytes=9999-" } } }),
      ],
      [
        "a storage outage",
        503,
        async () => ({
          path: mediaPath(await mint(uniqueKey("outage.mp4"))),
          vars: { MEDIA_BUCKET: failing, SKIP_FALLBACK: "true" },
        }),
      ],
      ["a full read", 200, async () => ({ path: mediaPath(await mint("clips/ok.mp4")) })],
      [
        "a range",
        206,
        async () => ({ path: mediaPath(await mint("clips/ok.mp4")), init: { headers: { Range: "bytes=0-9" } } }),
      ],
      ["a preflight", 204, async () => ({ path: mediaPath(await mint("clips/ok.mp4")), init: { method: "OPTIONS" } })],
    ];

  it.each(cases)(
    "grants an allow-listed origin on %s (%i), with the exposed headers, Vary, nosniff",
    async (_what, status, request) => {
      vi.spyOn(console, "log").mockImplementation(() => undefined);
      vi.spyOn(console, "error").mockImplementation(() => undefined);
      const { path, init, vars: extra } = await request();
      const headers = new Headers(init?.headers);
      headers.set("Origin", ALLOWED);
      const response = await answerWithVars(path, { ...init, headers }, { ...vars, ...extra });
      expect(response.status).toBe(status);
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
      expect(response.headers.get("Access-Control-Expose-Headers")).toBe(
        "Content-Range, Accept-Ranges, Content-Length, ETag",
      );
      expect(response.headers.get("Vary")).toBe("Origin");
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
      await response.body?.cancel();
    },
  );

  it("grants an allow-listed origin on a 304, and on none of them grants an origin off the list", async () => {
    const path = mediaPath(await mint("clips/ok.mp4"));
    const first = await answerWithVars(path, { headers: { Origin: ALLOWED } }, vars);
    await first.body?.cancel();
    const etag = first.headers.get("ETag") ?? "";
    const revalidated = await answerWithVars(path, { headers: { Origin: ALLOWED, "If-None-Match": etag } }, vars);
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
    // An inline type's 304 updates the browser's stored answer: it carries no sandbox.
    expect(revalidated.headers.get("Content-Security-Policy")).toBeNull();
    for (const [, , request] of cases) {
      const { path: other, init, vars: extra } = await request();
      const headers = new Headers(init?.headers);
      headers.set("Origin", "https://evil.example");
      const response = await answerWithVars(other, { ...init, headers }, { ...vars, ...extra });
      expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
      expect(response.headers.get("Vary")).toBe("Origin");
      await response.body?.cancel();
    }
  });

  it.each([
    ["a refused token (401)", 401, "sandbox"],
    ["no media route (404, JSON)", 404, "sandbox; default-src 'none'; frame-ancestors 'none'"],
    ["a POST (405, JSON)", 405, "sandbox; default-src 'none'; frame-ancestors 'none'"],
  ])("sandboxes %s", async (_what, status, policy) => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const path =
      status === 401
        ? mediaPath(await forge(HEADER, claims({ exp: now() - 3600 })))
        : status === 404
          ? "/media/v1/"
          : mediaPath(await mint("clips/ok.mp4"));
    const response = await answerWithVars(path, { method: status === 405 ? "PUT" : "GET" });
    expect(response.status).toBe(status);
    expect(response.headers.get("Content-Security-Policy")).toBe(policy);
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    await response.body?.cancel();
  });
});

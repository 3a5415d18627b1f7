/**
 * Signer and verifier agree (shared/token-rules.ts on both sides): one table
 * of mint inputs, each signed as given, verified by the media Worker's
 * verifier and then checked against a request's path and address. What the
 * front doors' `readMintInput` refuses, the verifier refuses too, for the
 * reason the table names; what it accepts, the verifier grants exactly.
 */
import { describe, expect, it } from "vitest";
import { mintedPath } from "../../shared/media-token";
import type { MintInput } from "../../shared/mint-input";
import { readMintInput } from "../../shared/mint-input";
import { chooseActiveKid, readSigningSecrets } from "../../shared/token-secrets";
import { signMediaToken } from "../../shared/token-sign";
import { TEST_SECRETS } from "../../test/secrets";
import { MEDIA_BUCKETS } from "./buckets";
import { authorizeRequest, contentDispositionFor } from "./grant";
import { buildKidRegistry, verifyMediaToken } from "./token";

interface Row {
  name: string;
  input: MintInput;
  /** What follows the token in the URL. */
  path?: string;
  clientIp?: string;
  /** The object key granted, or the log reason of the refusal. */
  key?: string;
  reason?: string;
}

const ROWS: Row[] = [
  { name: "one object", input: { key: "clips/a.mp4" }, key: "clips/a.mp4" },
  { name: "one object in the assets bucket", input: { key: "logo.png", bkt: "assets" }, key: "logo.png" },
  {
    name: "an object under a prefix",
    input: { pfx: "clips/hls/" },
    path: "/720p/seg_1.m4s",
    key: "clips/hls/720p/seg_1.m4s",
  },
  {
    name: "a percent-encoded name under a prefix",
    input: { pfx: "clips/hls/" },
    path: "/subs/en%20US.vtt",
    key: "clips/hls/subs/en US.vtt",
  },
  { name: "a download", input: { key: "exports/r1.pdf", dl: "Q3 report.pdf" }, key: "exports/r1.pdf" },
  {
    name: "a download under a prefix",
    input: { pfx: "exports/", dl: "résumé €.pdf" },
    path: "/r1.pdf",
    key: "exports/r1.pdf",
  },
  { name: "an address", input: { key: "clips/a.mp4", ip: "203.0.113.7" }, clientIp: "203.0.113.7", key: "clips/a.mp4" },
  {
    name: "an IPv6 /64",
    input: { pfx: "clips/", ip: "2001:db8:1:2::/64" },
    path: "/a.mp4",
    clientIp: "2001:db8:1:2:aaaa::1",
    key: "clips/a.mp4",
  },
  { name: "a key with ..", input: { key: "a/../b" }, reason: "bad-key: dot-dot-segment" },
  { name: "no key and no prefix", input: {}, reason: "missing-key" },
  { name: "key and pfx", input: { key: "a.mp4", pfx: "a/" }, reason: "key-and-pfx" },
  { name: "a prefix without /", input: { pfx: "clips" }, reason: "bad-prefix: no-trailing-slash" },
  { name: "an empty prefix", input: { pfx: "" }, reason: "bad-prefix: empty" },
  { name: "a prefix with ..", input: { pfx: "clips/../" }, reason: "bad-prefix: dot-dot-segment" },
  { name: "an unknown bucket", input: { key: "a.mp4", bkt: "backups" }, reason: "unknown-bucket" },
  { name: "a dl with a slash", input: { key: "a.pdf", dl: "x/y.pdf" }, reason: "bad-dl" },
  { name: "a dl of 256 bytes", input: { key: "a.pdf", dl: "d".repeat(256) }, reason: "bad-dl" },
  { name: "an ip with host bits", input: { key: "a.mp4", ip: "198.51.100.1/24" }, reason: "bad-ip" },
  { name: "an ip with a leading zero", input: { key: "a.mp4", ip: "203.0.113.07" }, reason: "bad-ip" },
  // Accepted at minting; refused per request.
  { name: "a path after a key token", input: { key: "clips/a.mp4" }, path: "/b.mp4", reason: "bad-path: after-key" },
  { name: "no path after a prefix token", input: { pfx: "clips/" }, path: "", reason: "bad-path: empty" },
  {
    name: "an encoded slash under a prefix",
    input: { pfx: "clips/" },
    path: "/a%2Fb",
    reason: "bad-path: encoded-slash",
  },
  {
    name: "a key past 1,024 bytes under a prefix",
    input: { pfx: "clips/" },
    path: `/${"k".repeat(1020)}`,
    reason: "bad-path: too-long",
  },
  {
    name: "another address",
    input: { key: "clips/a.mp4", ip: "203.0.113.0/24" },
    clientIp: "203.0.114.1",
    reason: "ip-mismatch",
  },
  { name: "no address", input: { key: "clips/a.mp4", ip: "203.0.113.0/24" }, reason: "ip-mismatch" },
];

/** Claims the verifier reads; the rest are refused before a token exists. */
const REQUEST_REASONS = new Set([
  "bad-path: after-key",
  "bad-path: empty",
  "bad-path: encoded-slash",
  "bad-path: too-long",
  "ip-mismatch",
]);

describe("signer and verifier agree", () => {
  it.each(ROWS.map((row) => [row.name, row] as const))("%s", async (_name, row) => {
    const registry = await buildKidRegistry(TEST_SECRETS.media);
    const read = readMintInput(row.input, { buckets: Object.keys(MEDIA_BUCKETS) });
    const refusedAtMinting = "problem" in read ? read.message : undefined;
    expect(refusedAtMinting === undefined, String(refusedAtMinting)).toBe(
      row.key !== undefined || REQUEST_REASONS.has(row.reason ?? ""),
    );

    const token = await signMediaToken({
      ...row.input,
      ttlSeconds: 60,
      kid: "v2",
      secret: TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2,
    });
    const verified = await verifyMediaToken(token, registry);
    if (!verified.ok) {
      expect(verified.reason).toBe(row.reason);
      return;
    }
    const authorized = authorizeRequest(verified, row.path ?? "", row.clientIp ?? null);
    expect(authorized).toEqual(row.key === undefined ? { problem: row.reason } : { key: row.key });
    expect(verified.contentDisposition).toBe(
      row.input.dl === undefined ? undefined : contentDispositionFor(row.input.dl),
    );
  });
});

describe("one rule set, one vocabulary", () => {
  // `{}` asks for nothing: the minter says so before any claim rule runs.
  const claimRows = ROWS.filter(
    (row) => row.reason !== undefined && !REQUEST_REASONS.has(row.reason) && row.name !== "no key and no prefix",
  );

  it.each(claimRows.map((row) => [row.name, row] as const))(
    "refuses %s at minting with the verifier's code",
    (_name, row) => {
      const read = readMintInput(row.input, { buckets: Object.keys(MEDIA_BUCKETS) });
      expect("problem" in read ? read.problem : undefined).toBe(row.reason);
    },
  );

  /** An upload request with one field changed. */
  const upload = (fields: Record<string, unknown>) => ({ put: "a.mp4", max: 1, ct: "video/mp4", ...fields });
  const largest = "max must be a whole number of bytes from 1 to 1048576";

  it.each([
    ["not an object", [], "not-an-object", "A mint request must be a JSON object"],
    ["nothing to sign", { bkt: "media" }, "missing-scope", "Give key (one object) or pfx"],
    ["a key that is not a string", { key: 7 }, "wrong-type: key", "key must be a string."],
    ["a ttl that is not a number", { key: "a.mp4", ttl: "60" }, "wrong-type: ttl", "ttl must be a number of seconds."],
    ["a replace not a boolean", upload({ replace: "yes" }), "wrong-type: replace", "replace must be true or false."],
    ["an upload with a download name", upload({ dl: "a.mp4" }), "put-with-dl", "put and dl are exclusive"],
    ["an upload without max", upload({ max: undefined }), "missing-max", largest],
    ["an upload over the largest", upload({ max: 1048577 }), "bad-max", largest],
    ["an upload with a bad jti", upload({ jti: "short" }), "bad-jti", "jti must be 16-128 characters"],
    ["an upload to another bucket", upload({ bkt: "backups" }), "unknown-bucket", "bkt must be one of media, assets"],
    ["a ttl of a week", { key: "a.mp4", ttl: 604800 }, "bad-ttl", "ttl must be a whole number of seconds from 1 to"],
  ])("refuses %s with one code and the sentence made from it", (_what, value, problem, message) => {
    const read = readMintInput(value, { buckets: Object.keys(MEDIA_BUCKETS), largest: 1048576 });
    expect("problem" in read ? read.problem : undefined).toBe(problem);
    expect("message" in read ? read.message : "").toContain(message);
  });

  it("reads an upload request with a fresh jti, and keeps only the fields it names", () => {
    const read = readMintInput({ put: "uploads/a.mp4", max: 10, ct: "video/mp4", note: "ignored" });
    expect(read).toEqual({
      put: "uploads/a.mp4",
      max: 10,
      ct: "video/mp4",
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) as string,
    });
    expect(readMintInput({ pfx: "clips/", ttl: 60, dl: "a.mp4" })).toEqual({ pfx: "clips/", ttl: 60, dl: "a.mp4" });
  });
});

describe("which secrets sign, one rule everywhere", () => {
  const long = (tag: string) => `${tag}-secret-of-at-least-thirty-two-bytes`;

  it.each([
    [
      "the setting, when it names a loaded kid",
      { MEDIA_TOKEN_SECRET_V1: long("1"), MEDIA_TOKEN_SECRET_V2: long("2"), MEDIA_TOKEN_ACTIVE_KID: "v1" },
      "v1",
      undefined,
    ],
    [
      "the highest kid, when the setting is empty",
      {
        MEDIA_TOKEN_SECRET_V1: long("1"),
        MEDIA_TOKEN_SECRET_V10: long("10"),
        MEDIA_TOKEN_SECRET_V2: long("2"),
        MEDIA_TOKEN_ACTIVE_KID: " ",
      },
      "v10",
      undefined,
    ],
    [
      "the highest kid, when the setting names one not loaded",
      { MEDIA_TOKEN_SECRET_V1: long("1"), MEDIA_TOKEN_ACTIVE_KID: "v3" },
      "v1",
      "active-kid-not-loaded",
    ],
    [
      "the highest loaded kid, when a higher secret is too short",
      { MEDIA_TOKEN_SECRET_V1: long("1"), MEDIA_TOKEN_SECRET_V2: "short" },
      "v1",
      undefined,
    ],
    ["nothing, when no secret is long enough", { MEDIA_TOKEN_SECRET_V1: "short" }, undefined, undefined],
    [
      "nothing, for names that are not secrets (V0, V01, lower case)",
      { MEDIA_TOKEN_SECRET_V0: long("0"), MEDIA_TOKEN_SECRET_V01: long("01"), media_token_secret_v1: long("x") },
      undefined,
      undefined,
    ],
  ])("picks %s", async (_what, vars, active, problem) => {
    const secrets = readSigningSecrets(vars);
    expect(secrets.activeKid).toBe(active);
    expect(secrets.activeKidProblem).toBe(problem);
    const registry = await buildKidRegistry(vars);
    expect(registry.activeKid).toBe(active);
    expect(registry.activeKidProblem).toBe(problem);
  });

  it("refuses a secret under 32 bytes by kid, never by value", () => {
    expect(
      readSigningSecrets({ MEDIA_TOKEN_SECRET_V4: "x".repeat(31), MEDIA_TOKEN_SECRET_V5: "y".repeat(32) }),
    ).toMatchObject({
      loaded: [{ kid: "v5", version: 5 }],
      refused: [{ kid: "v4", reason: "too-short" }],
      activeKid: "v5",
    });
    expect(chooseActiveKid([], "v1")).toEqual({ activeKid: undefined, activeKidProblem: "active-kid-not-loaded" });
  });
});

describe("mintedPath", () => {
  it("hands out /media/v1/<jwt> for a key token and the base path /media/v1/<jwt>/ for a prefix token", () => {
    expect(mintedPath("a.b.c", {})).toBe("/media/v1/a.b.c");
    expect(mintedPath("a.b.c", { pfx: "clips/0042/hls/" })).toBe("/media/v1/a.b.c/");
  });
});

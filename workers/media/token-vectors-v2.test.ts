/**
 * The v1.1 vectors (test/fixtures/media-token-vectors-v2.json, minted by
 * PyJWT) through the real Worker: in file order in one isolate, then again
 * with the verification cache warm. Every accepted key is seeded with a body
 * that names it, so each answer proves which object was served; objects just
 * outside the prefixes exist too, so a traversal that got through would show
 * as a 200 instead of a 401.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import vectors from "../../test/fixtures/media-token-vectors-v2.json";
import { createLogger } from "../../shared/log";
import { ORIGIN, captureLogs, logRecords } from "./test-kit";
import { mediaConfig } from "./config";
import { verifiedTokenCache } from "./token";

interface Vector {
  name: string;
  expect: string;
  token: string;
  path: string;
  clientIp: string | null;
  objectKey: string | null;
  contentDisposition: string | null;
}

const VECTORS: readonly Vector[] = vectors.vectors;

/** The log reason of each refusal (the file says only "reject"): each is refused for the right rule. */
const REASONS: Readonly<Record<string, string>> = {
  "pfx-no-path": "bad-path: empty",
  "pfx-bare-slash": "bad-path: empty",
  // The URL parser resolved these out of /media/v1/<jwt>/: what is left where the token was is no token.
  "pfx-dotdot": "malformed",
  "pfx-dotdot-nested": "malformed",
  "pfx-encoded-dotdot": "malformed",
  "pfx-decoded-dotdot": "bad-path: encoded-slash",
  "pfx-encoded-slash": "bad-path: encoded-slash",
  "pfx-empty-segment": "bad-path: empty-segment",
  "pfx-backslash": "bad-path: backslash",
  "pfx-nul": "bad-path: control-character",
  "pfx-bad-percent": "bad-path: bad-escape",
  "pfx-empty": "bad-prefix: empty",
  "pfx-no-trailing-slash": "bad-prefix: no-trailing-slash",
  "pfx-leading-slash": "bad-prefix: leading-slash",
  "pfx-traversal-in-prefix": "bad-prefix: dot-dot-segment",
  "pfx-and-key": "key-and-pfx",
  "pfx-non-string": "bad-prefix: not-a-string",
  "key-with-path": "bad-path: after-key",
  "key-with-bare-slash": "bad-path: after-key",
  "dl-del": "bad-dl",
  "dl-c1": "bad-dl",
  "dl-backslash": "bad-dl",
  "dl-slash": "bad-dl",
  "dl-crlf": "bad-dl",
  "dl-empty": "bad-dl",
  "dl-too-long": "bad-dl",
  "dl-non-string": "bad-dl",
  "ip-exact-v4-other": "ip-mismatch",
  "ip-cidr-v4-outside": "ip-mismatch",
  "ip-cidr-v6-outside": "ip-mismatch",
  "ip-v4-vs-v6": "ip-mismatch",
  "ip-no-client": "ip-mismatch",
  "ip-malformed": "bad-ip",
  "ip-bad-prefix-len": "bad-ip",
  "ip-claim-leading-zero": "bad-ip",
  "ip-claim-host-bits": "bad-ip",
  "ip-claim-zone": "bad-ip",
  "ip-claim-mapped": "bad-ip",
  "ip-without-crit": "ip-without-crit",
};

/** The bucket binding a token's `bkt` claim names. */
function bucketOf(token: string): R2Bucket {
  const payload = JSON.parse(atob((token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as {
    bkt?: string;
  };
  return payload.bkt === "assets" ? env.ASSETS_BUCKET : env.MEDIA_BUCKET;
}

/** What a seeded object holds: its own key. */
const bodyFor = (key: string): string => `object:${key}`;

/** Keys outside every prefix the vectors use, where a traversal would land. */
const DECOYS = [
  "secret.mp4",
  "clips/secret.mp4",
  "clips/0042/secret.mp4",
  "clips/0042/hls/secret.mp4",
  "x.mp4",
  "a.mp4",
  "master.m3u8",
  "clips/0042/hls/720p/seg.m4s",
];

beforeAll(async () => {
  for (const vector of VECTORS) {
    if (vector.expect === "accept" && vector.objectKey !== null)
      await bucketOf(vector.token).put(vector.objectKey, bodyFor(vector.objectKey));
  }
  for (const key of DECOYS) await env.MEDIA_BUCKET.put(key, `decoy:${key}`);
});

function request(vector: Vector): Request {
  const headers: Record<string, string> = vector.clientIp === null ? {} : { "CF-Connecting-IP": vector.clientIp };
  return new Request(`${ORIGIN}/media/v1/${vector.token}${vector.path}`, { headers });
}

async function expectAsTheFileSays(vector: Vector): Promise<void> {
  const { result: response, lines } = await captureLogs(() => exports.default.fetch(request(vector)));
  if (vector.expect === "accept") {
    expect(response.status, vector.name).toBe(200);
    expect(await response.text(), vector.name).toBe(bodyFor(vector.objectKey ?? ""));
    expect(response.headers.get("Content-Disposition"), vector.name).toBe(vector.contentDisposition);
  } else {
    expect(response.status, vector.name).toBe(401);
    expect(response.headers.get("WWW-Authenticate"), vector.name).toBe('Bearer error="invalid_token"');
    expect(await response.text(), vector.name).toBe("");
    const rejection = logRecords(lines).find((line) => line.event === "media-token-rejected");
    expect(rejection?.reason, vector.name).toBe(REASONS[vector.name]);
  }
}

describe("the v1.1 PyJWT vectors, through the real Worker", () => {
  it("has 56 vectors of both kinds, several sharing a token", () => {
    expect(VECTORS).toHaveLength(56);
    expect(VECTORS.filter((vector) => vector.expect === "accept").length).toBeGreaterThan(10);
    expect(new Set(VECTORS.map((vector) => vector.token)).size).toBeLessThan(VECTORS.length);
    expect(Object.keys(REASONS).sort()).toEqual(
      VECTORS.filter((vector) => vector.expect === "reject")
        .map((vector) => vector.name)
        .sort(),
    );
  });

  it("answers every vector as the file says, in file order, then again with the verification cache warm", async () => {
    for (const vector of VECTORS) await expectAsTheFileSays(vector);
    // The first pass verified every accepted token in this isolate: each is now a cache hit.
    const registry = await mediaConfig(env).kidRegistry(createLogger("media"));
    for (const vector of VECTORS.filter((candidate) => candidate.expect === "accept")) {
      expect(verifiedTokenCache(registry).has(vector.token), vector.name).toBe(true);
    }
    for (const vector of VECTORS) await expectAsTheFileSays(vector);
  });

  it("serves the double-encoded traversal as its literal key, never the object it spells", async () => {
    const vector = VECTORS.find((candidate) => candidate.name === "pfx-double-encoded-dotdot");
    expect(vector?.objectKey).toBe("clips/0042/hls/%2e%2e/secret.mp4");
    if (vector === undefined) return;
    for (let round = 0; round < 2; round++) {
      const response = await exports.default.fetch(request(vector));
      // The second round may come from the edge cache: its key is built from the decoded key re-encoded.
      expect(await response.text()).toBe(bodyFor("clips/0042/hls/%2e%2e/secret.mp4"));
    }
  });
});

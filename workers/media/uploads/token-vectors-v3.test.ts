/**
 * The v1.2 vectors (test/fixtures/media-token-vectors-v3.json, minted by
 * PyJWT) through the real Worker: every upload token POSTed in file order
 * against an empty bucket (status, and for a 401 the log reason), every
 * download token that carries `put` refused with the bare 401.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import vectors from "../../../test/fixtures/media-token-vectors-v3.json";
import { captureLogs, fetchToken, logRecords } from "../test-kit";
import { createUpload } from "./upload-kit";

interface UploadVector {
  name: string;
  expect: number;
  token: string;
  uploadLength: number | "deferred";
  claims: { put?: unknown; bkt?: unknown };
  reason: string | null;
}

const UPLOADS = vectors.uploads as UploadVector[];

/**
 * The file's reasons in this Worker's log spelling (the codes of
 * shared/token-rules.ts, like the v1.1 ones): spaces become hyphens, a bad
 * `put` names the key rule it breaks, and jose's signature failure is
 * `invalid: signature` as for downloads.
 */
const LOG_REASON: Readonly<Record<string, string>> = {
  "put-traversal": "bad-put: dot-dot-segment",
  "put-leading-slash": "bad-put: leading-slash",
  "put-trailing-slash": "bad-put: trailing-slash",
  "put-backslash": "bad-put: backslash",
  "put-control": "bad-put: control-character",
  "wrong-secret": "invalid: signature",
};

function logReason(vector: UploadVector): string {
  return LOG_REASON[vector.name] ?? (vector.reason ?? "").replaceAll(" ", "-");
}

function bucketOf(vector: UploadVector): R2Bucket {
  return vector.claims.bkt === "assets" ? env.ASSETS_BUCKET : env.MEDIA_BUCKET;
}

describe("the v1.2 PyJWT vectors, through the real Worker", { timeout: 60_000 }, () => {
  it("has 37 upload and 2 download vectors", () => {
    expect(UPLOADS).toHaveLength(37);
    expect(vectors.downloads).toHaveLength(2);
  });

  it("answers every upload vector as the file says, in file order, against an empty bucket", async () => {
    for (const vector of UPLOADS) {
      if (typeof vector.claims.put === "string")
        expect(await bucketOf(vector).head(vector.claims.put), `${vector.name}: the bucket starts empty`).toBeNull();
      const { result: response, lines } = await captureLogs(() => createUpload(vector.token, vector.uploadLength));
      expect(response.status, vector.name).toBe(vector.expect);
      const rejection = logRecords(lines).find((line) => line.event === "media-upload-token-rejected");
      if (vector.expect === 401) {
        expect(response.headers.get("WWW-Authenticate"), vector.name).toBe('Bearer error="invalid_token"');
        expect(await response.text(), vector.name).toBe("");
        expect(rejection?.reason, vector.name).toBe(logReason(vector));
      } else {
        expect(rejection, vector.name).toBeUndefined();
        await response.body?.cancel();
      }
      if (vector.expect === 201) expect(response.headers.get("Location"), vector.name).toMatch(/^\/media\/uploads\//);
    }
  });

  it("refuses every download token that carries put with the bare 401", async () => {
    for (const vector of vectors.downloads) {
      const { result: response, lines } = await captureLogs(() => fetchToken(`${vector.token}${vector.path}`));
      expect(response.status, vector.name).toBe(401);
      expect(await response.text(), vector.name).toBe("");
      const rejection = logRecords(lines).find((line) => line.event === "media-token-rejected");
      expect(rejection?.reason, vector.name).toBe("put-on-download");
    }
  });
});

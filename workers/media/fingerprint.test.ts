import { describe, expect, it } from "vitest";
import { fingerprint } from "../../shared/fingerprint";
import vectors from "../../test/fixtures/media-token-vectors.json";

describe("fingerprint", () => {
  it("matches the backend's fingerprints of the vector secrets", async () => {
    expect(await fingerprint(vectors.secrets.MEDIA_TOKEN_SECRET_V1)).toBe(vectors.fingerprints.v1);
    expect(await fingerprint(vectors.secrets.MEDIA_TOKEN_SECRET_V2)).toBe(vectors.fingerprints.v2);
  });
});

// Its own file, so its own isolate: the registry line is logged on first use only.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import vectors from "../../test/fixtures/media-token-vectors.json";
import { captureLogs, fetchMedia, patternBytes } from "./test-kit";

describe("the registry line", () => {
  it("is logged once per isolate, in the backend's exact format, on first use", async () => {
    await env.MEDIA_BUCKET.put("registry/clip.mp4", patternBytes(8));
    const { lines } = await captureLogs(async () => {
      for (let i = 0; i < 3; i++) {
        const response = await fetchMedia("registry/clip.mp4");
        await response.body?.cancel();
      }
    });
    const registryLines = lines.filter((line) => line.includes("media_token:"));
    expect(registryLines).toHaveLength(1);
    expect(registryLines[0]).toContain(
      `media_token: active=v2 registry=[v1:${vectors.fingerprints.v1},v2:${vectors.fingerprints.v2}]`,
    );
  });
});

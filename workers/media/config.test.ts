import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../shared/log";
import { mediaPath } from "../../shared/media-token";
import { mediaConfig } from "./config";
import { handleMediaRequest } from "./handle";
import { ORIGIN, captureLogs, logRecords, mint, patternBytes, uniqueKey } from "./test-kit";

const log = createLogger("media");

/** A copy of the test Env with some vars changed: a new Env object, as another deployment would have. */
function envWith(overrides: Partial<Record<keyof MediaEnv, unknown>> = {}): MediaEnv {
  return { ...env, ...overrides } as MediaEnv;
}

async function fetchWith(deployment: MediaEnv, key: string): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await handleMediaRequest(new Request(`${ORIGIN}${mediaPath(await mint(key))}`), deployment, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("the media configuration, built once per Env", () => {
  it("is the same object for every call with one Env, and another for another Env", () => {
    const deployment = envWith();
    expect(mediaConfig(deployment)).toBe(mediaConfig(deployment));
    expect(mediaConfig(envWith())).not.toBe(mediaConfig(deployment));
  });

  it("reads SKIP_FALLBACK once: changing the var after the first use changes no chain", async () => {
    const deployment = envWith({ SKIP_FALLBACK: "true" });
    const key = uniqueKey("archived-only.mp4");
    await env.MEDIA_FALLBACK_BUCKET.put(key, patternBytes(16));
    expect((await fetchWith(deployment, key)).status).toBe(404);
    expect(mediaConfig(deployment).chains.media.sources.map((source) => source.servedFrom)).toEqual(["main"]);

    (deployment as unknown as Record<string, unknown>).SKIP_FALLBACK = "false";
    expect((await fetchWith(deployment, key)).status).toBe(404);
    expect(mediaConfig(deployment).chains.media.sources.map((source) => source.servedFrom)).toEqual(["main"]);
  });

  it("gives each bucket its chain: media with its fallback, assets alone", () => {
    const chains = mediaConfig(envWith({ SKIP_FALLBACK: "false" })).chains;
    expect(chains.media.sources.map((source) => source.servedFrom)).toEqual(["main", "fallback"]);
    expect(chains.media.sources[0]?.source).toBe(env.MEDIA_BUCKET);
    expect(chains.media.sources[1]?.source).toBe(env.MEDIA_FALLBACK_BUCKET);
    expect(chains.assets.sources).toEqual([{ servedFrom: "main", source: env.ASSETS_BUCKET }]);
  });

  it("decides once whether there is a cache: caches.default, or none with CACHE_MAX_BYTES=0", () => {
    expect(mediaConfig(envWith()).cache).toBe(caches.default);
    expect(mediaConfig(envWith({ CACHE_MAX_BYTES: "0" })).cache).toBeUndefined();
  });

  it("builds the kid registry once per Env and logs its line once, however many requests use it", async () => {
    const deployment = envWith();
    const key = uniqueKey("registry-once.mp4");
    await env.MEDIA_BUCKET.put(key, patternBytes(8));
    const { lines } = await captureLogs(async () => {
      for (let i = 0; i < 3; i++) await (await fetchWith(deployment, key)).body?.cancel();
    });
    expect(logRecords(lines).filter((record) => record.event === "media-token-registry")).toHaveLength(1);
    const config = mediaConfig(deployment);
    expect(await config.kidRegistry(log)).toBe(await config.kidRegistry(log));
  });

  it("retries a registry build that failed, on the next use", async () => {
    let reads = 0;
    const flaky = {
      ...env,
      get MEDIA_TOKEN_SECRET_V9() {
        reads += 1;
        if (reads === 1) throw new Error("secret store unavailable (on purpose)");
        return "a-secret-of-at-least-thirty-two-bytes!";
      },
    } as unknown as MediaEnv;
    const config = mediaConfig(flaky);
    const { result } = await captureLogs(async () => {
      await expect(config.kidRegistry(log)).rejects.toThrow("on purpose");
      return config.kidRegistry(log);
    });
    expect(result.activeKid).toBe("v9");
  });
});

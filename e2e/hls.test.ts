/**
 * The demo page's HLS player in a real browser: hls.js plays the seeded
 * ladder (samples/hls/) through one prefix token, switches down when the
 * network slows, seeks by fetching the segments near the target, shows the
 * default subtitles, and survives token expiry with one shared refresh.
 * The page runs with `?player=hls` (the MP4 player stays off, so it shares
 * neither the network nor the recorded exchanges) and `buffer=10` (hls.js
 * otherwise fetches this small ladder whole within a second).
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BrowserSession, MediaExchange } from "./browser.ts";
import {
  openBrowser,
  recordMediaExchanges,
  refusedThenRetried,
  screenshot,
  splitMediaUrl,
  throttleDownloads,
} from "./browser.ts";
import { hlsPlayerState, playsPast, seek } from "./demo-page.ts";
import type { RunningBackend } from "./stack.ts";
import { GATEWAY_URL, startLocalBackend } from "./stack.ts";
import { readHlsLadder, readMediaPlaylist, segmentStart } from "../scripts/hls-ladder.ts";
import { HLS_LADDER_DIR } from "../scripts/seed-media.ts";
import { installedHlsJs } from "../scripts/vendor-player.ts";

const ladder = readHlsLadder(HLS_LADDER_DIR);
const [low, high] = [...ladder.variants].sort((a, b) => a.bandwidth - b.bandwidth);
const renditionOf = (uri: string | undefined) => uri?.split("/")[0] ?? "";
const HIGH = renditionOf(high?.uri);
const LOW = renditionOf(low?.uri);
const HLS_PAGE = "/?player=hls&buffer=10";
const HLS_PLAYER = "#hls-player";

let backend: RunningBackend;
let browser: BrowserSession;
let exchanges: MediaExchange[];

beforeAll(async () => {
  backend = await startLocalBackend();
  return () => backend.close();
});
beforeEach(async () => {
  browser = await openBrowser(GATEWAY_URL);
  exchanges = recordMediaExchanges(browser.page);
});
afterEach(async () => {
  await browser.close();
});

function segmentsOf(rendition: string, status = 200): MediaExchange[] {
  return exchanges.filter(
    (exchange) => exchange.status === status && splitMediaUrl(exchange.url).path.startsWith(`${rendition}/seg_`),
  );
}

describe("the demo page's HLS player", () => {
  it("runs in a Chromium whose MediaSource supports the ladder's CODECS", async () => {
    const { page } = browser;
    await page.goto("/");
    const types = [
      ...ladder.variants.map((variant) => `video/mp4; codecs="${variant.codecs.join(",")}"`),
      ...ladder.variants.flatMap((variant) =>
        variant.codecs.map((codec) => `${codec.startsWith("mp4a") ? "audio" : "video"}/mp4; codecs="${codec}"`),
      ),
    ];
    const supported = await page.evaluate(
      (candidates) => candidates.map((type) => [type, MediaSource.isTypeSupported(type)] as const),
      types,
    );
    for (const [type, ok] of supported)
      expect(ok, `MediaSource.isTypeSupported('${type}') is false: this Chromium cannot play the ladder`).toBe(true);
  });

  it("plays the ladder through one prefix token, with hls.js and its worker from /app/vendor/, and shows the default subtitles in time", async () => {
    const { page } = browser;
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    const workers: string[] = [];
    page.on("worker", (worker) => workers.push(worker.url()));
    await page.goto(HLS_PAGE);
    await playsPast(page, 11, 60_000, HLS_PLAYER);

    const state = await hlsPlayerState(page);
    expect(state.hlsVersion).toBe(installedHlsJs().version);
    expect(workers).toEqual([`${GATEWAY_URL}/app/vendor/hls.worker.js`]);
    // The quality switch offers Auto and each rendition, lowest first.
    expect(state.quality.map((label) => label.split(" ")[0])).toEqual(["Auto", LOW, HIGH]);
    // The default WebVTT rendition, shown without asking: its nine cues, the second one active at 11 s.
    expect(state.subtitles).toMatchObject({ mode: "showing", label: "English", cues: 9 });
    expect(state.subtitles?.active).toEqual(["Subtitle 2 of 9: 10 seconds in."]);

    expect(segmentsOf(HIGH).length + segmentsOf(LOW).length).toBeGreaterThanOrEqual(3);
    expect(new Set(exchanges.map((exchange) => splitMediaUrl(exchange.url).token)).size).toBe(1);
    expect(exchanges.filter((exchange) => exchange.status !== 200)).toEqual([]);
    expect(errors).toEqual([]);
    await screenshot(page, "hls-playing");
  });

  it("serves hls.js to the page byte for byte as the installed package ships it", async () => {
    for (const name of ["hls.min.mjs", "hls.worker.js"]) {
      const served = Buffer.from(await (await fetch(`${GATEWAY_URL}/app/vendor/${name}`)).arrayBuffer());
      expect(served.equals(readFileSync(`${installedHlsJs().distDir}/${name}`)), name).toBe(true);
    }
  });

  it(`starts on the high rendition (${HIGH}) and switches down to ${LOW} when the network slows to between their bitrates`, async () => {
    const { page } = browser;
    await page.goto(HLS_PAGE);
    await expect.poll(async () => (await hlsPlayerState(page)).level, { timeout: 20_000 }).toBe(HIGH);
    await expect.poll(() => segmentsOf(HIGH).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(segmentsOf(LOW)).toEqual([]);

    // Halfway between the two (geometric mean), in bytes per second.
    const between = Math.sqrt((low?.bandwidth ?? 0) * (high?.bandwidth ?? 0));
    expect(between).toBeGreaterThan(low?.bandwidth ?? Infinity);
    expect(between).toBeLessThan(high?.bandwidth ?? 0);
    await throttleDownloads(page, Math.round(between / 8));

    await expect.poll(async () => (await hlsPlayerState(page)).level, { timeout: 60_000, interval: 500 }).toBe(LOW);
    expect(segmentsOf(LOW).length).toBeGreaterThan(0);
    const before = (await hlsPlayerState(page)).currentTime;
    await playsPast(page, before + 2, 30_000, HLS_PLAYER);
    await screenshot(page, "hls-switched-down");
  });

  it(`lets the viewer pin ${LOW} with the quality switch and turn the subtitles off and on`, async () => {
    const { page } = browser;
    await page.goto(HLS_PAGE);
    await expect.poll(async () => (await hlsPlayerState(page)).level, { timeout: 20_000 }).toBe(HIGH);
    await page.selectOption("#hls-quality", {
      label: (await hlsPlayerState(page)).quality.find((label) => label.startsWith(LOW)) ?? LOW,
    });
    await expect.poll(async () => (await hlsPlayerState(page)).level, { timeout: 20_000 }).toBe(LOW);
    expect(segmentsOf(LOW).length).toBeGreaterThan(0);
    expect((await hlsPlayerState(page)).status).toContain(`Playing ${LOW} (chosen)`);

    await page.selectOption("#hls-subtitles", { label: "Off" });
    await expect.poll(async () => (await hlsPlayerState(page)).subtitles).toBeUndefined();
    await page.selectOption("#hls-subtitles", { label: "English" });
    await expect.poll(async () => (await hlsPlayerState(page)).subtitles?.mode).toBe("showing");
  });

  it("fetches the segments near a seek target, not the ones between", async () => {
    const { page } = browser;
    await page.goto(HLS_PAGE);
    await playsPast(page, 1, 30_000, HLS_PLAYER);
    const target = 60;
    const videoSegmentStarts = (from: number) =>
      exchanges
        .slice(from)
        .filter((exchange) => exchange.status === 200 && /^\d+p\/seg_\d+\.m4s$/.test(splitMediaUrl(exchange.url).path))
        .map((exchange) => {
          const { path } = splitMediaUrl(exchange.url);
          return segmentStart(readMediaPlaylist(HLS_LADDER_DIR, `${renditionOf(path)}/index.m3u8`), path);
        });
    const seenBefore = exchanges.length;
    const lastBefore = Math.max(...videoSegmentStarts(0));
    expect(lastBefore, "the buffer limit kept hls.js from fetching near the target already").toBeLessThan(target - 30);

    await seek(page, target, HLS_PLAYER);
    await playsPast(page, target + 1, 30_000, HLS_PLAYER);

    const after = videoSegmentStarts(seenBefore);
    // The segment that holds the target (4 s segments) was fetched...
    expect(
      after.some((start) => start <= target && target < start + 4),
      JSON.stringify(after),
    ).toBe(true);
    // ...and none between the old buffer (one load may have been under way) and the target.
    expect(after.filter((start) => start > lastBefore + 4 && start < target - 4)).toEqual([]);
    await screenshot(page, "hls-after-seek");
  });

  it("survives token expiry: a 401 on a segment is followed by a 200 for the same path under one fresh token, and playback moves past it", async () => {
    const { page } = browser;
    // A 1 s token, honoured for 31 s (the media Worker's 30 s clock tolerance).
    await page.goto(`${HLS_PAGE}&ttl=1`);
    const { token: oldToken, path } = await refusedThenRetried(exchanges);

    // One refresh, shared by every load that saw the 401 (audio and video expire together).
    const state = await hlsPlayerState(page);
    expect(state.refreshes).toBe(1);
    const tokens = new Set(exchanges.map((exchange) => splitMediaUrl(exchange.url).token));
    expect(tokens.size).toBe(2);
    for (const failed of exchanges.filter((exchange) => exchange.status === 401)) {
      expect(splitMediaUrl(failed.url).token, "only the first token is refused").toBe(oldToken);
      const retried = exchanges.find(
        (exchange) =>
          exchange.status === 200 &&
          splitMediaUrl(exchange.url).path === splitMediaUrl(failed.url).path &&
          splitMediaUrl(exchange.url).token !== oldToken,
      );
      expect(retried, `no 200 after the 401 for ${splitMediaUrl(failed.url).path}`).toBeDefined();
    }

    const rendition = renditionOf(path);
    const start = segmentStart(readMediaPlaylist(HLS_LADDER_DIR, `${rendition}/index.m3u8`), path);
    expect(start, `${path} is a segment`).toBeGreaterThan(0);
    await playsPast(page, start + 1, 40_000, HLS_PLAYER);
    await screenshot(page, "hls-after-expiry");
  });

  it("stops after hls.js's own manifest retry when every token is refused: one refresh, the failure shown, then quiet", async () => {
    const { page } = browser;
    // Tokens for a bucket the media Worker does not know are always refused (401).
    await page.goto(`${HLS_PAGE}&bkt=no-such-bucket`);
    await expect
      .poll(async () => (await hlsPlayerState(page)).status, { timeout: 20_000 })
      .toContain("manifestLoadError (HTTP 401)");
    expect((await hlsPlayerState(page)).refreshes).toBe(1);
    // The manifest policy's one retry, under the refreshed token.
    expect(exchanges.map((exchange) => `${exchange.status} ${splitMediaUrl(exchange.url).path}`)).toEqual([
      "401 master.m3u8",
      "401 master.m3u8",
    ]);
    const seen = exchanges.length;
    await page.waitForTimeout(3_000);
    expect(exchanges).toHaveLength(seen);
  });
});

/** The page's PrefixToken class (public/app/hls-player.js), as the test drives it in the browser. */
interface PrefixTokenInPage {
  readonly base: string;
  rewrite(url: string): string;
  settled(): Promise<void>;
  retryAfterUnauthorized(url: string): boolean;
}
type PrefixTokenClass = new (
  base: string,
  mint: () => Promise<{ url: string; expiresAt: string }>,
  onRefresh: (outcome: string) => void,
) => PrefixTokenInPage;

describe("the HLS player's token refresh (PrefixToken, in the page)", () => {
  it("shares one refresh among concurrent 401s, retries a URL sent with a replaced token without refreshing, and refreshes at most 3 times a minute", async () => {
    const { page } = browser;
    await page.goto("/");
    // A string, so the test runner's transform leaves this import() to the browser.
    await page.evaluate('import("/app/hls-player.js").then((module) => { window.PrefixToken = module.PrefixToken; })');
    const outcome = await page.evaluate(async () => {
      const { PrefixToken } = window as unknown as { PrefixToken: PrefixTokenClass };
      let mints = 0;
      const events: string[] = [];
      const token = new PrefixToken(
        "/media/v1/first/",
        async () => ({ url: `/media/v1/fresh-${++mints}/`, expiresAt: "" }),
        (result) => events.push(result),
      );
      const segment = `${location.origin}/media/v1/first/360p/seg_001.m4s`;
      const audio = `${location.origin}/media/v1/first/audio/seg_001.m4s`;
      const sent = [token.rewrite(segment), token.rewrite(audio)];
      // Two loads refused at once: one mint.
      const concurrent = [token.retryAfterUnauthorized(segment), token.retryAfterUnauthorized(audio)];
      await token.settled();
      const afterFirst = { base: token.base, mints, rewritten: token.rewrite(segment) };
      // The audio load was last sent with the old token: its 401 needs no new mint.
      const stale = token.retryAfterUnauthorized(audio);
      await token.settled();
      const mintsAfterStale = mints;
      // Each later 401 under the current token spends one refresh of the budget.
      const budget: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        token.rewrite(segment);
        budget.push(token.retryAfterUnauthorized(segment));
        await token.settled();
      }
      const foreign = token.rewrite("https://elsewhere.example/media/v1/first/x.m4s");
      return { sent, concurrent, afterFirst, stale, mintsAfterStale, budget, mints, events, foreign };
    });
    expect(outcome.sent).toEqual([
      `${GATEWAY_URL}/media/v1/first/360p/seg_001.m4s`,
      `${GATEWAY_URL}/media/v1/first/audio/seg_001.m4s`,
    ]);
    expect(outcome.concurrent).toEqual([true, true]);
    expect(outcome.afterFirst).toEqual({
      base: "/media/v1/fresh-1/",
      mints: 1,
      rewritten: `${GATEWAY_URL}/media/v1/fresh-1/360p/seg_001.m4s`,
    });
    expect(outcome.stale).toBe(true);
    expect(outcome.mintsAfterStale).toBe(1);
    expect(outcome.budget).toEqual([true, true, false]);
    expect(outcome.mints).toBe(3);
    expect(outcome.events).toEqual(["renewed", "renewed", "renewed", "gave-up"]);
    expect(outcome.foreign).toBe("https://elsewhere.example/media/v1/first/x.m4s");
  });
});

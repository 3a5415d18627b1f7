/**
 * The demo page's video in a real browser: playback through a signed URL,
 * seeking by Range request, and retry as contract when the URL expires.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BrowserSession, MediaExchange } from "./browser.ts";
import { openBrowser, recordMediaExchanges, screenshot, throttleDownloads } from "./browser.ts";
import { playerState, playsPast, seek } from "./demo-page.ts";
import type { RunningBackend } from "./stack.ts";
import { GATEWAY_URL, SAMPLE_KEY, startLocalBackend } from "./stack.ts";

/** The seeded sample runs at least this long (scripts/dev.ts seeds it). */
const SAMPLE_MIN_SECONDS = 60;

let backend: RunningBackend;
let browser: BrowserSession;
let exchanges: MediaExchange[];
let sampleBytes: number;

beforeAll(async () => {
  backend = await startLocalBackend();
  sampleBytes = await sampleSize();
});
afterAll(async () => {
  await backend.close();
});

beforeEach(async () => {
  browser = await openBrowser(GATEWAY_URL);
  exchanges = recordMediaExchanges(browser.page);
  // A quarter faster than the sample's average bitrate: playback keeps up,
  // but the browser cannot fetch far ahead of it.
  await throttleDownloads(browser.page, Math.round((sampleBytes / SAMPLE_MIN_SECONDS) * 1.25));
});
afterEach(async () => {
  await browser.close();
});

describe("the demo page's video", () => {
  it("plays through a signed URL, and a seek far into the file is served by a 206 Range request", async () => {
    const { page } = browser;
    await page.goto("/");
    await playsPast(page, 1);
    const { duration, bufferedAhead } = await playerState(page);
    expect(duration).toBeGreaterThanOrEqual(SAMPLE_MIN_SECONDS);

    const target = Math.floor(duration * 0.8);
    // The throttle kept the browser from having the target already.
    expect(bufferedAhead).toBeLessThan(target);
    await seek(page, target);
    await playsPast(page, target + 1);

    const seekFetch = exchanges.find((exchange) => exchange.status === 206 && rangeStart(exchange) > sampleBytes / 2);
    expect(seekFetch, JSON.stringify(exchanges)).toBeDefined();
    expect(seekFetch?.contentRange).toMatch(new RegExp(`^bytes ${rangeStart(seekFetch)}-\\d+/${sampleBytes}$`));
    await screenshot(page, "video-after-seek");
  });

  it("survives token expiry: on a 401 it fetches a fresh URL and resumes at the same position", async () => {
    const { page } = browser;
    await page.goto("/?ttl=1");
    await playsPast(page, 1);
    const firstUrl = (await playerState(page)).src;

    // The media Worker allows 30 s of clock skew: wait until it really refuses the URL.
    await expect.poll(() => headStatus(firstUrl), { timeout: 60_000, interval: 1_000 }).toBe(401);
    const { bufferedAhead, duration } = await playerState(page);
    const target = Math.min(Math.ceil(bufferedAhead) + 5, Math.floor(duration) - 5);
    expect(target, "the throttle should leave part of the file unfetched").toBeGreaterThan(bufferedAhead);

    // The seek needs bytes the browser does not have: a new request with the expired URL.
    await seek(page, target);
    await playsPast(page, target + 1);

    const state = await playerState(page);
    expect(state.retries).toBe(1);
    expect(state.src).not.toBe(firstUrl);
    const refused = exchanges
      .filter((exchange) => exchange.url === firstUrl && exchange.status === 401)
      .map((e) => e.method);
    expect(refused).toEqual(["GET", "HEAD"]);
    expect(
      exchanges.some((exchange) => exchange.url === state.src && exchange.status === 206 && rangeStart(exchange) > 0),
    ).toBe(true);
    await screenshot(page, "video-after-expiry");
  });

  it("plays the sample when its signed URL is opened directly (Chromium's own video document: an inline type has no CSP sandbox)", async () => {
    const { page } = browser;
    const minted = await fetch(`${GATEWAY_URL}/api/v1/media/${SAMPLE_KEY}`);
    const { url } = (await minted.json()) as { url: string };
    const opened = await page.goto(url);
    expect(opened?.status()).toBe(200);
    expect(opened?.headers()["content-type"]).toBe("video/mp4");
    expect(opened?.headers()["content-security-policy"]).toBeUndefined();
    expect(opened?.headers()["x-content-type-options"]).toBe("nosniff");
    // Headless Chromium may not autoplay: start it as a viewer's click would.
    await page.evaluate(() => document.querySelector("video")?.play());
    await expect
      .poll(() => page.evaluate(() => document.querySelector("video")?.currentTime ?? 0), { timeout: 20_000 })
      .toBeGreaterThan(1);
    await screenshot(page, "video-opened-directly");
  });

  it("does not retry a URL that fails for another reason: a missing object is reported, once", async () => {
    const { page } = browser;
    await page.goto("/?key=samples/no-such-object.mp4");
    await expect.poll(async () => (await playerState(page)).status, { timeout: 15_000 }).toContain("answers 404");
    expect((await playerState(page)).retries).toBe(0);
    expect(new Set(exchanges.map((exchange) => exchange.url)).size).toBe(1);
    await screenshot(page, "video-missing-object");
  });

  it("gives up after three fresh URLs a minute when every URL is refused", async () => {
    const { page } = browser;
    // Tokens for a bucket the media Worker does not know are always refused (401).
    await page.goto("/?bkt=no-such-bucket");
    await expect.poll(async () => (await playerState(page)).status, { timeout: 20_000 }).toContain("giving up");
    expect((await playerState(page)).retries).toBe(3);
    // The first URL and three fresh ones, each loaded once and probed once, all refused.
    expect(exchanges.map((exchange) => `${exchange.method} ${exchange.status}`)).toEqual(
      Array.from({ length: 4 }, () => ["GET 401", "HEAD 401"]).flat(),
    );
    // Given up means quiet: no request follows.
    const seen = exchanges.length;
    await page.waitForTimeout(3_000);
    expect(exchanges).toHaveLength(seen);
  });
});

/** First byte a ranged exchange asked for (-1 without a Range header). */
function rangeStart(exchange: MediaExchange | undefined): number {
  const match = /^bytes=(\d+)-/.exec(exchange?.range ?? "");
  return match?.[1] === undefined ? -1 : Number(match[1]);
}

async function headStatus(url: string): Promise<number> {
  const response = await fetch(url, { method: "HEAD" });
  return response.status;
}

/** Size of the seeded sample, through a freshly minted URL. */
async function sampleSize(): Promise<number> {
  const minted = await fetch(`${GATEWAY_URL}/api/v1/media/${SAMPLE_KEY}`);
  if (!minted.ok) throw new Error(`minting a URL for ${SAMPLE_KEY} answered ${minted.status}`);
  const { url } = (await minted.json()) as { url: string };
  const head = await fetch(new URL(url, GATEWAY_URL), { method: "HEAD" });
  const length = Number(head.headers.get("Content-Length"));
  if (head.status !== 200 || !(length > 0))
    throw new Error(`HEAD ${SAMPLE_KEY} answered ${head.status}, length ${length}`);
  return length;
}

/**
 * The HLS player on a page from another origin (e2e/second-origin.ts), every
 * playlist and segment fetched cross-origin from the gateway. The e2e stack
 * runs with MEDIA_CORS_ORIGINS and API_CORS_ORIGINS naming LISTED_ORIGIN
 * only (e2e/stack.ts). The page gets its media URLs from its own origin's
 * `/api`, which mints them through the gateway server-side, as a site's
 * backend would; the gateway's API CORS is checked on its own below.
 */
import type { Page } from "playwright-core";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BrowserSession, MediaExchange } from "./browser.ts";
import { openBrowser, recordMediaExchanges, refusedThenRetried, screenshot, splitMediaUrl } from "./browser.ts";
import { hlsPlayerState, playsPast } from "./demo-page.ts";
import { startSecondOrigin } from "./second-origin.ts";
import { E2E_PORTS, GATEWAY_URL, LISTED_ORIGIN, startLocalBackend } from "./stack.ts";
import { readMediaPlaylist, segmentStart } from "../scripts/hls-ladder.ts";
import { HLS_LADDER_DIR } from "../scripts/seed-media.ts";

const UNLISTED_ORIGIN = `http://127.0.0.1:${E2E_PORTS.unlistedOrigin}`;
const HLS_PLAYER = "#hls-player";

let browser: BrowserSession;
let exchanges: MediaExchange[];

beforeAll(async () => {
  const backend = await startLocalBackend();
  const listed = await startSecondOrigin(E2E_PORTS.listedOrigin, GATEWAY_URL);
  const unlisted = await startSecondOrigin(E2E_PORTS.unlistedOrigin, GATEWAY_URL);
  return async () => {
    await Promise.all([listed.close(), unlisted.close()]);
    await backend.close();
  };
});
beforeEach(async () => {
  browser = await openBrowser(LISTED_ORIGIN);
  exchanges = recordMediaExchanges(browser.page);
});
afterEach(async () => {
  await browser.close();
});

/** The status the page's own XMLHttpRequest (hls.js's loader) reports for a GET of `url`: 0 when CORS hides the answer. */
function statusSeenByPage(page: Page, url: string): Promise<number> {
  return page.evaluate(
    (target) =>
      new Promise<number>((resolve) => {
        const request = new XMLHttpRequest();
        request.open("GET", target);
        request.onloadend = () => resolve(request.status);
        request.send();
      }),
    url,
  );
}

describe("the HLS player on a page from another origin", () => {
  it("plays from a listed origin; after expiry a segment's 401 reaches the page (not status 0), which refreshes the token once and plays on", async () => {
    const { page } = browser;
    // A 1 s token, honoured for 31 s (the media Worker's 30 s clock tolerance).
    await page.goto(`${LISTED_ORIGIN}/?ttl=1`);
    await playsPast(page, 1, 60_000, HLS_PLAYER);
    const { token: oldToken, path } = await refusedThenRetried(exchanges);
    const refused = exchanges.find((exchange) => exchange.status === 401);
    expect(refused?.allowOrigin).toBe(LISTED_ORIGIN);
    expect(await statusSeenByPage(page, refused?.url ?? "")).toBe(401);

    expect((await hlsPlayerState(page)).refreshes).toBe(1);
    expect(
      exchanges.filter((exchange) => exchange.status === 401 && splitMediaUrl(exchange.url).token !== oldToken),
      "only the first token is refused",
    ).toEqual([]);
    expect(new Set(exchanges.map((exchange) => splitMediaUrl(exchange.url).token)).size).toBe(2);
    // Every load went to the gateway, cross-origin, and every answer granted this origin.
    expect(new Set(exchanges.map((exchange) => new URL(exchange.url).origin))).toEqual(new Set([GATEWAY_URL]));
    expect(exchanges.filter((exchange) => exchange.allowOrigin !== LISTED_ORIGIN)).toEqual([]);

    const start = segmentStart(readMediaPlaylist(HLS_LADDER_DIR, `${path.split("/")[0] ?? ""}/index.m3u8`), path);
    expect(start, `${path} is a segment`).toBeGreaterThan(0);
    await playsPast(page, start + 1, 40_000, HLS_PLAYER);
    await screenshot(page, "cross-origin-after-expiry");
  });

  it("from an unlisted origin the 401 carries no Access-Control-Allow-Origin: the page sees status 0 and refreshes nothing", async () => {
    const { page } = browser;
    const requested: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith("/media/v1/")) requested.push(request.url());
    });
    // Tokens for a bucket the media Worker does not know are always refused (401).
    await page.goto(`${UNLISTED_ORIGIN}/?bkt=no-such-bucket`);
    await expect
      .poll(async () => (await hlsPlayerState(page)).status, { timeout: 20_000 })
      .toBe("Playback failed: manifestLoadError (HTTP 0).");
    expect((await hlsPlayerState(page)).refreshes).toBe(0);
    expect(requested.map((url) => splitMediaUrl(url).path)).toEqual(["master.m3u8"]);
    const [master = ""] = requested;
    expect(new URL(master).origin).toBe(GATEWAY_URL);
    expect(await statusSeenByPage(page, master)).toBe(0);

    // The gateway did answer 401: it grants the listed origin and only that one.
    for (const [origin, granted] of [
      [UNLISTED_ORIGIN, null],
      [LISTED_ORIGIN, LISTED_ORIGIN],
    ] as const) {
      const response = await fetch(master, { headers: { Origin: origin } });
      expect(response.status, origin).toBe(401);
      expect(response.headers.get("Access-Control-Allow-Origin"), origin).toBe(granted);
    }
  });
});

describe("the gateway's /api from a page on another origin", () => {
  /** What a page's cross-origin fetch of a media URL from the gateway's own /api gets: the status, or the error's name. */
  function mintFromPage(page: Page): Promise<string> {
    return page.evaluate(
      (gateway) =>
        fetch(`${gateway}/api/v1/media/samples/hls/?ttl=60`).then(
          async (response) => `${response.status} ${((await response.json()) as { url: string }).url.slice(0, 10)}`,
          (error: unknown) => (error instanceof Error ? error.name : String(error)),
        ),
      GATEWAY_URL,
    );
  }

  it("answers a listed origin readably (API_CORS_ORIGINS) and hides the answer from an unlisted one", async () => {
    const { page } = browser;
    await page.goto(`${LISTED_ORIGIN}/?bkt=no-such-bucket`);
    expect(await mintFromPage(page)).toBe("200 /media/v1/");
    await page.goto(`${UNLISTED_ORIGIN}/?bkt=no-such-bucket`);
    expect(await mintFromPage(page)).toBe("TypeError");
  });
});

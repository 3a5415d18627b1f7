/**
 * Headless Chromium for the e2e suite: the distribution's own browser
 * (Debian package `chromium`, no download), a fresh profile per launch, and
 * the DevTools protocol for what a page cannot do itself (network throttling).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page, Response } from "playwright-core";
import { chromium } from "playwright-core";
import { expect } from "vitest";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = "test-results/e2e";

/**
 * Without these, Chromium on a build machine tries to reach Google's services
 * (component updates, sync, field trials) and to set up a sandbox it may not have.
 */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Launches Chromium with a throwaway profile and opens one page on `baseURL`. */
export async function openBrowser(baseURL: string): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), "e2e-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    baseURL,
    viewport: { width: 1100, height: 640 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Caps the page's download rate through the DevTools protocol, so a media
 * file cannot arrive whole before the test seeks (a seek must then be a new
 * Range request).
 */
export async function throttleDownloads(page: Page, bytesPerSecond: number): Promise<void> {
  const devtools = await page.context().newCDPSession(page);
  await devtools.send("Network.enable");
  await devtools.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 20,
    downloadThroughput: bytesPerSecond,
    uploadThroughput: bytesPerSecond,
  });
}

/** One response for a signed media URL, as the browser saw it. */
export interface MediaExchange {
  url: string;
  method: string;
  status: number;
  range: string | undefined;
  contentRange: string | undefined;
  /** The answer's Access-Control-Allow-Origin (media answers a listed cross-origin page with it). */
  allowOrigin: string | undefined;
}

/** `/media/v1/<jwt>/<path>` split into the token and the path under it. */
export function splitMediaUrl(url: string): { token: string; path: string } {
  const [, , , token = "", ...path] = new URL(url).pathname.split("/");
  return { token, path: path.join("/") };
}

/** Records every response to a `/media/v1/` URL the page receives, in order. */
export function recordMediaExchanges(page: Page): MediaExchange[] {
  const exchanges: MediaExchange[] = [];
  page.on("response", (response: Response) => {
    if (!new URL(response.url()).pathname.startsWith("/media/v1/")) return;
    const request = response.request();
    exchanges.push({
      url: response.url(),
      method: request.method(),
      status: response.status(),
      range: request.headers()["range"],
      contentRange: response.headers()["content-range"],
      allowOrigin: response.headers()["access-control-allow-origin"],
    });
  });
  return exchanges;
}

/**
 * Waits for the first 401 among `exchanges` (an expired token), then until
 * every 401 so far has a 200 for the same path under another token (the
 * player's retry after its refresh; audio and video may expire a moment
 * apart). Returns the first refused exchange's token and path.
 */
export async function refusedThenRetried(exchanges: MediaExchange[]): Promise<{ token: string; path: string }> {
  // A 1 s token is honoured for 31 s (the media Worker's 30 s clock tolerance), then playback must reach a new load.
  await expect
    .poll(() => exchanges.some((exchange) => exchange.status === 401), { timeout: 70_000, interval: 500 })
    .toBe(true);
  const unretried = () =>
    exchanges
      .filter((exchange) => exchange.status === 401)
      .map((failed) => splitMediaUrl(failed.url))
      .filter(
        (failed) =>
          !exchanges.some(
            (exchange) =>
              exchange.status === 200 &&
              splitMediaUrl(exchange.url).path === failed.path &&
              splitMediaUrl(exchange.url).token !== failed.token,
          ),
      )
      .map((failed) => failed.path);
  await expect.poll(unretried, { timeout: 20_000 }).toEqual([]);
  return splitMediaUrl(exchanges.find((exchange) => exchange.status === 401)?.url ?? "");
}

/** Saves a screenshot under the git-ignored results folder. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

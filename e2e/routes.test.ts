/**
 * What a browser gets for each kind of path: client routes render the SPA;
 * paths the gateway owns answer JSON errors, never the SPA's index.html with 200.
 */
import { describe, expect, it } from "vitest";
import { screenshot } from "./browser.ts";
import { useStackSession } from "./session.ts";

// The backend is up, so that an /api miss is the backend's own 404 passed through, not a 502.
const session = useStackSession();

describe("a browser navigating the gateway", () => {
  it("renders the SPA for an unknown client route, with the route visible to the app", async () => {
    const { page } = session;
    const response = await page.goto("/some/client/route");
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe("Edge gateway");
    await expect.poll(() => page.textContent("#route")).toBe("Client route: /some/client/route");
    await screenshot(page, "spa-client-route");
  });

  it("runs the whole demo page within its Content-Security-Policy, without a console error", async () => {
    const { page } = session;
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto("/");
    // Every part has talked to the gateway: health over RPC, the video, the events stream.
    await expect.poll(() => page.locator("#health li.ok").count()).toBe(3);
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>("#player")?.currentTime ?? 0) > 0.5);
    await expect.poll(() => page.locator("#events li").count()).toBeGreaterThan(0);
    // The HLS player too: hls.js, its worker, MediaSource's blob: URL and the subtitle track.
    await page.click("#hls-start");
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>("#hls-player")?.currentTime ?? 0) > 0.5);
    expect(errors).toEqual([]);
  });

  it.each([
    ["/api/nope", 404, "not_found"],
    ["/api/v1/no-such-route", 404, "not_found"],
    ["/media/nope", 404, "not_found"],
    ["/assets/missing-3f9a1c.js", 404, "not_found"],
    ["/_nope", 404, "not_found"],
  ])("shows a JSON error for %s, not the SPA", async (path, status, code) => {
    const { page } = session;
    const response = await page.goto(path);
    expect(response?.status()).toBe(status);
    expect(response?.headers()["content-type"]).toBe("application/json; charset=utf-8");
    const body = (await response?.json()) as { error: { status: number; code: string } };
    expect(body.error).toMatchObject({ status, code });
    // The browser rendered the JSON as text: there is no SPA on the page.
    expect(await page.locator("#player, #events").count()).toBe(0);
    await screenshot(page, `json-miss${path.replaceAll("/", "_")}`);
  });

  it("answers a media URL with a broken token 401 and an empty body, not the SPA", async () => {
    const { page } = session;
    await page.goto("/");
    // Fetched by the page: Chromium shows its own error page for an empty 401 navigation.
    const answer = await page.evaluate(async () => {
      const response = await fetch("/media/v1/not-a-token", { headers: { Accept: "text/html" } });
      return {
        status: response.status,
        challenge: response.headers.get("WWW-Authenticate"),
        body: await response.text(),
      };
    });
    expect(answer).toEqual({ status: 401, challenge: 'Bearer error="invalid_token"', body: "" });
  });
});

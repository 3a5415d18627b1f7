/**
 * What the demo page shows about the gateway at work, in a real browser: each
 * media answer's cache status (Server-Timing) and request id, the signed
 * URL's remaining lifetime, each event's latency, and health polling that
 * stops while the tab is hidden.
 */
import type { Response } from "playwright-core";
import { describe, expect, it } from "vitest";
import { screenshot } from "./browser.ts";
import { useStackSession } from "./session.ts";

const session = useStackSession();

interface ListedAnswer {
  method: string;
  status: string;
  cache: string;
  requestId: string;
  path: string;
}

async function listedAnswers(): Promise<ListedAnswer[]> {
  const items = await session.page.$$eval("#media-answers li", (elements) =>
    elements.map((element) => ({ ...(element as HTMLElement).dataset })),
  );
  return items.map((item) => ({
    method: item.method ?? "",
    status: item.status ?? "",
    cache: item.cache ?? "",
    requestId: item.requestId ?? "",
    path: item.path ?? "",
  }));
}

/** Sets document.visibilityState and fires visibilitychange, as the browser does when a tab is hidden or shown. */
async function setVisibility(state: "hidden" | "visible"): Promise<void> {
  await session.page.evaluate((to) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => to });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => to === "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  }, state);
}

describe("the demo page's view of the gateway", () => {
  it("lists each media answer with its cache status and the request id the browser received", async () => {
    const { page } = session;
    const heads: Response[] = [];
    page.on("response", (response) => {
      if (response.request().method() === "HEAD" && new URL(response.url()).pathname.startsWith("/media/v1/"))
        heads.push(response);
    });
    await page.goto("/");
    await expect
      .poll(async () => (await listedAnswers()).filter((answer) => answer.method === "HEAD").length, {
        timeout: 20_000,
      })
      .toBe(1);
    const head = (await listedAnswers()).find((answer) => answer.method === "HEAD");
    expect(heads).toHaveLength(1);
    const headers = await heads[0]?.allHeaders();
    expect(head).toMatchObject({
      status: "200",
      requestId: headers?.["x-request-id"],
      path: "/media/v1/<token>",
    });
    expect(headers?.["server-timing"]).toContain(`cache;desc=${head?.cache ?? ""}`);
    expect(["hit", "miss", "bypass", "stale"]).toContain(head?.cache);
    // The page never shows the token: it is a credential.
    expect(await page.textContent("#media-answers")).not.toMatch(/eyJ/);

    await screenshot(page, "media-answers");
  });

  it("lists hls.js's playlist and segment answers with their cache status and request ids", async () => {
    const { page } = session;
    const ids = new Set<string>();
    page.on("response", (response) => {
      if (new URL(response.url()).pathname.startsWith("/media/v1/") && response.request().method() === "GET")
        void response.headerValue("x-request-id").then((id) => id !== null && ids.add(id));
    });
    await page.goto("/?player=hls");
    const segments = async () =>
      (await listedAnswers()).filter((answer) => answer.method === "GET" && answer.path.endsWith(".m4s"));
    await expect.poll(async () => (await segments()).length, { timeout: 30_000 }).toBeGreaterThan(1);
    const listed = (await listedAnswers()).filter((answer) => answer.method === "GET");
    expect(listed.some((answer) => answer.path === "/media/v1/<token>/master.m3u8")).toBe(true);
    for (const answer of listed) {
      expect(answer.status).toBe("200");
      expect(["hit", "miss", "bypass", "stale"]).toContain(answer.cache);
      expect(ids.has(answer.requestId), answer.requestId).toBe(true);
    }
    await screenshot(page, "media-answers-hls");
  });

  it("counts down the signed URL's remaining lifetime", async () => {
    const { page } = session;
    await page.goto("/?ttl=120");
    const remaining = () =>
      page.$eval("#player-lifetime", (element) => Number((element as HTMLElement).dataset.remaining));
    await expect.poll(remaining, { timeout: 20_000 }).toBeGreaterThan(110);
    const first = await remaining();
    expect(first).toBeLessThanOrEqual(120);
    await expect.poll(remaining, { timeout: 5000 }).toBeLessThanOrEqual(first - 2);
    expect(await page.textContent("#player-lifetime")).toMatch(/^URL valid for 1:[0-5][0-9]$/);
  });

  it("shows each event's latency", async () => {
    const { page } = session;
    await page.goto("/?every=300");
    await expect
      .poll(() => page.locator('#events li[data-type="tick"]').count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(3);
    const latencies = await page.$$eval('#events li[data-type="tick"]', (elements) =>
      elements.map((element) => ({
        latency: Number((element as HTMLElement).dataset.latencyMs),
        text: element.textContent ?? "",
      })),
    );
    for (const { latency, text } of latencies) {
      expect(latency).toBeGreaterThanOrEqual(0);
      expect(latency).toBeLessThan(300);
      expect(text).toMatch(new RegExp(` · ${latency} ms$`));
    }
  });

  it("keeps the header free of debug strings (the client route is in the footer)", async () => {
    const { page } = session;
    await page.goto("/some/client/route");
    expect(await page.textContent("header p")).toBe("Media and API behind one domain.");
    expect(await page.textContent("footer #route")).toBe("Client route: /some/client/route");
  });

  it("stops polling /_health while the tab is hidden and refreshes at once when it is shown again", async () => {
    const { page } = session;
    const healthRequests: number[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/_health") healthRequests.push(Date.now());
    });
    await page.goto("/?health=300");
    await expect.poll(() => healthRequests.length).toBeGreaterThanOrEqual(3);

    // Headless Chromium never hides a tab (a tab behind another or a minimized window stays
    // "visible"), so the page is told it is hidden the way the browser would tell it.
    await setVisibility("hidden");
    expect(await page.$eval("#health", (element) => (element as HTMLElement).dataset.polling)).toBe("paused");
    const whileHidden = healthRequests.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(healthRequests.length).toBe(whileHidden);

    await setVisibility("visible");
    await expect.poll(() => healthRequests.length, { timeout: 1000 }).toBeGreaterThan(whileHidden);
    expect(await page.$eval("#health", (element) => (element as HTMLElement).dataset.polling)).toBe("on");
    await expect.poll(() => page.locator("#health li.ok").count()).toBe(3);
  });
});

/**
 * What the tests read from the demo page (public/): the player's state and
 * the events panel, as the page itself exposes them in the DOM.
 */
import type { Page } from "playwright-core";

export interface PlayerState {
  currentTime: number;
  duration: number;
  paused: boolean;
  /** End of the buffered range that contains currentTime (0 when none does). */
  bufferedAhead: number;
  src: string;
  /** Fresh URLs the page fetched after a 401 (the player's data-retries). */
  retries: number;
  status: string;
}

export function playerState(page: Page): Promise<PlayerState> {
  return page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>("#player");
    if (!video) throw new Error("the page has no #player");
    let bufferedAhead = 0;
    for (let i = 0; i < video.buffered.length; i++) {
      if (video.buffered.start(i) <= video.currentTime && video.currentTime <= video.buffered.end(i)) bufferedAhead = video.buffered.end(i);
    }
    return {
      currentTime: video.currentTime,
      duration: video.duration,
      paused: video.paused,
      bufferedAhead,
      src: video.currentSrc,
      retries: Number(video.dataset.retries ?? "0"),
      status: document.querySelector("#player-status")?.textContent ?? "",
    };
  });
}

/** Resolves once the video plays past `seconds` (currentTime advanced there by playback or a seek). */
export async function playsPast(page: Page, seconds: number, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (past) => {
      const video = document.querySelector<HTMLVideoElement>("#player");
      return video !== null && !video.paused && video.currentTime > past;
    },
    seconds,
    { timeout, polling: 250 },
  );
}

export async function seek(page: Page, seconds: number): Promise<void> {
  await page.evaluate((to) => {
    const video = document.querySelector<HTMLVideoElement>("#player");
    if (video) video.currentTime = to;
  }, seconds);
}

/** One event as the panel lists it. */
export interface ListedEvent {
  id: number;
  emittedAt: number;
  receivedAt: number;
}

/** The events panel, oldest first. */
export async function listedEvents(page: Page): Promise<ListedEvent[]> {
  const items = await page.$$eval("#events li", (elements) =>
    elements.map((element) => ({ ...(element as HTMLElement).dataset })),
  );
  return items
    .map((item) => ({ id: Number(item.id), emittedAt: Date.parse(item.emittedAt ?? ""), receivedAt: Date.parse(item.receivedAt ?? "") }))
    .reverse();
}

/** The panel's connection label: live, reconnecting or closed, and how many reconnects it counted. */
export async function eventsConnection(page: Page): Promise<{ state: string; reconnects: number }> {
  const label = await page.$eval("#events-state", (element) => ({ ...(element as HTMLElement).dataset }));
  return { state: label.state ?? "", reconnects: Number(label.reconnects ?? "0") };
}

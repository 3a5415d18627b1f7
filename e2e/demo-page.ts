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
      if (video.buffered.start(i) <= video.currentTime && video.currentTime <= video.buffered.end(i))
        bufferedAhead = video.buffered.end(i);
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

/** The MP4 player and the HLS player. */
export type PlayerSelector = "#player" | "#hls-player";

/** Resolves once the video plays past `seconds` (currentTime advanced there by playback or a seek). */
export async function playsPast(
  page: Page,
  seconds: number,
  timeout = 60_000,
  selector: PlayerSelector = "#player",
): Promise<void> {
  await page.waitForFunction(
    ([past, which]) => {
      const video = document.querySelector<HTMLVideoElement>(which);
      return video !== null && !video.paused && video.currentTime > past;
    },
    [seconds, selector] as const,
    { timeout, polling: 250 },
  );
}

export async function seek(page: Page, seconds: number, selector: PlayerSelector = "#player"): Promise<void> {
  await page.evaluate(
    ([to, which]) => {
      const video = document.querySelector<HTMLVideoElement>(which);
      if (video) video.currentTime = to;
    },
    [seconds, selector] as const,
  );
}

/** The HLS player as the page exposes it: hls.js's level and version, token refreshes, subtitles. */
export interface HlsPlayerState {
  currentTime: number;
  paused: boolean;
  /** The rendition hls.js last switched to (LEVEL_SWITCHED), e.g. "360p". */
  level: string;
  /** LEVEL_SWITCHED events after the first. */
  levelSwitches: number;
  /** Fresh prefix tokens the page fetched after a 401. */
  refreshes: number;
  hlsVersion: string;
  /** The showing text track's mode and cues (the page's own track for the ladder's WebVTT rendition). */
  subtitles: { mode: string; label: string; cues: number; active: string[] } | undefined;
  quality: string[];
  status: string;
}

export function hlsPlayerState(page: Page): Promise<HlsPlayerState> {
  return page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>("#hls-player");
    if (!video) throw new Error("the page has no #hls-player");
    const track = [...video.textTracks].find((candidate) => candidate.mode === "showing");
    const active = track?.activeCues ? [...track.activeCues].map((cue) => (cue as VTTCue).text) : [];
    return {
      currentTime: video.currentTime,
      paused: video.paused,
      level: video.dataset.level ?? "",
      levelSwitches: Number(video.dataset.levelSwitches ?? "0"),
      refreshes: Number(video.dataset.refreshes ?? "0"),
      hlsVersion: video.dataset.hlsVersion ?? "",
      subtitles: track && { mode: track.mode, label: track.label, cues: track.cues?.length ?? 0, active },
      quality: [...document.querySelectorAll<HTMLOptionElement>("#hls-quality option")].map(
        (option) => option.textContent ?? "",
      ),
      status: document.querySelector("#hls-status")?.textContent ?? "",
    };
  });
}

/** One event as the panel lists it. */
export interface ListedEvent {
  id: number;
  emittedAt: number;
  receivedAt: number;
}

/** The events panel, oldest first. */
export async function listedEvents(page: Page): Promise<ListedEvent[]> {
  const items = await page.$$eval(`#events li[data-type="tick"]`, (elements) =>
    elements.map((element) => ({ ...(element as HTMLElement).dataset })),
  );
  return items
    .map((item) => ({
      id: Number(item.id),
      emittedAt: Date.parse(item.emittedAt ?? ""),
      receivedAt: Date.parse(item.receivedAt ?? ""),
    }))
    .reverse();
}

/** The panel's connection label: live, reconnecting or closed, and how many reconnects it counted. */
export async function eventsConnection(page: Page): Promise<{ state: string; reconnects: number }> {
  const label = await page.$eval("#events-state", (element) => ({ ...(element as HTMLElement).dataset }));
  return { state: label.state ?? "", reconnects: Number(label.reconnects ?? "0") };
}

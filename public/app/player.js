// @ts-check
// The video player, with retry as contract. Media URLs are short-lived
// signed tokens, so a long session outlives its URL: the next Range request
// the browser makes (a seek, a rebuffer) is answered 401 and playback fails.
// A <video> element exposes no HTTP status, so on `error` the page probes the
// URL with HEAD; only a 401 means "fetch a fresh URL and resume where you
// were". Anything else (a decode error, a missing object) is shown, not
// retried, and retries are capped so nothing can loop. The HLS player uses
// this path too where the browser plays HLS itself (Safari without MSE).
import { recordResponse } from "./media-answers.js";
import { RETRY_LIMIT, RetryBudget } from "./media-url.js";

/** @typedef {import("./media-url.js").MintedUrl} MintedUrl */

/**
 * Plays what `media.mint` hands out (a URL minted by the backend), renewing it when it is refused.
 * @param {HTMLVideoElement} video
 * @param {HTMLElement} statusLine
 * @param {{ label: string, mint: () => Promise<MintedUrl>, lifetime?: HTMLElement }} media
 *   `lifetime` shows how long the current URL stays valid
 */
export function startPlayer(video, statusLine, media) {
  const budget = new RetryBudget();
  // One recovery at a time. It ends as soon as the fresh URL is in place, so
  // a failure of that URL is handled in turn (it may be the same string: two
  // tokens minted in one second with the same claims are identical).
  let recovering = false;
  // Whether the viewer wants playback: the element's own `paused` cannot say,
  // because a failed element pauses itself before it fires `error`.
  let wantsPlayback = false;
  const show = (/** @type {string} */ text) => (statusLine.textContent = text);

  /** Points the element at a freshly minted URL. */
  const loadFreshUrl = async () => {
    const minted = await media.mint();
    video.dataset.expiresAt = minted.expiresAt;
    video.src = minted.url;
    if (media.lifetime) showLifetime(media.lifetime, minted.expiresAt);
    // One HEAD of our own once the URL works (a <video> cannot show its answers' request
    // ids, a fetch can); a refused URL gets the recovery probe below instead.
    void firstOf(video, ["loadedmetadata", "error"]).then((event) => {
      if (event !== "loadedmetadata" || video.currentSrc !== new URL(minted.url, location.href).href) return;
      fetch(minted.url, { method: "HEAD", cache: "no-store" })
        .then((answer) => recordResponse("HEAD", answer))
        .catch(() => undefined);
    });
  };

  /**
   * Once the new source has its metadata: back to `position`, playing if asked.
   * @param {number} position
   * @param {boolean} play
   */
  const resume = async (position, play) => {
    if ((await firstOf(video, ["loadedmetadata", "error"])) === "error") return;
    if (position > 0) video.currentTime = position;
    // A failed load rejects play() too; the `error` handler deals with that.
    if (play) {
      await video.play().catch((error) => {
        if (error instanceof DOMException && error.name === "NotAllowedError")
          show("Autoplay was blocked: press play.");
      });
    }
  };

  const recover = async () => {
    const failedUrl = video.currentSrc;
    const position = video.currentTime;
    const code = video.error?.code ?? 0;
    const probe = await fetch(failedUrl, { method: "HEAD", cache: "no-store" });
    recordResponse("HEAD", probe);
    if (probe.status !== 401) {
      show(`Playback failed (media error ${code}); the URL answers ${probe.status}, so a fresh URL would not help.`);
      return;
    }
    if (!budget.take()) {
      show(`The media URL was refused (401) again after ${RETRY_LIMIT} fresh URLs in a minute: giving up.`);
      return;
    }
    video.dataset.retries = String(Number(video.dataset.retries ?? "0") + 1);
    show(`The media URL was refused (401): fetched a fresh one, resuming at ${position.toFixed(1)} s.`);
    const play = wantsPlayback;
    await loadFreshUrl();
    void resume(position, play);
  };

  video.addEventListener("error", () => {
    if (recovering) return;
    recovering = true;
    recover()
      .catch((error) => show(`Playback failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (recovering = false));
  });
  video.addEventListener("play", () => (wantsPlayback = true));
  video.addEventListener("pause", () => {
    if (!video.error) wantsPlayback = false;
  });
  video.addEventListener("playing", () => show(`Playing ${media.label} through a signed URL.`));
  video.addEventListener("ended", () => show(`Played ${media.label} to the end.`));

  video.dataset.retries = "0";
  loadFreshUrl()
    .then(() => resume(0, true))
    .catch((error) => show(`No media URL: ${error instanceof Error ? error.message : String(error)}`));
}

/** The lifetime label's ticking timer, per label. */
const lifetimeTimers = new WeakMap();

/**
 * Counts down to `expiresAt` in `label` (`data-remaining` in seconds), once a second.
 * @param {HTMLElement} label
 * @param {string} expiresAt
 */
function showLifetime(label, expiresAt) {
  clearInterval(lifetimeTimers.get(label));
  const deadline = Date.parse(expiresAt);
  const tick = () => {
    const remaining = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    label.dataset.remaining = String(remaining);
    label.textContent =
      remaining === 0
        ? "URL expired: the next request gets a fresh one"
        : `URL valid for ${Math.floor(remaining / 60)}:${String(remaining % 60).padStart(2, "0")}`;
    if (remaining === 0) clearInterval(lifetimeTimers.get(label));
  };
  tick();
  lifetimeTimers.set(label, setInterval(tick, 1000));
}

/**
 * The type of whichever of `types` the target fires first.
 * @param {EventTarget} target
 * @param {string[]} types
 * @returns {Promise<string>}
 */
function firstOf(target, types) {
  return new Promise((resolve) => {
    const settle = (/** @type {Event} */ event) => {
      for (const type of types) target.removeEventListener(type, settle);
      resolve(event.type);
    };
    for (const type of types) target.addEventListener(type, settle);
  });
}

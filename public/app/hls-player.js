// @ts-check
// The HLS player: hls.js (vendored from node_modules into /app/vendor/, its
// worker beside it) plays a whole rendition ladder through one prefix token,
// `/media/v1/<jwt>/master.m3u8`; the playlists name every other file by a
// relative URL under the same token. Retry as contract: hls.js does not retry
// a 4xx by itself, so a 401 on a playlist or segment triggers one shared token
// refresh (its errorRetry.shouldRetry), and every attempt's xhrSetup puts the
// current token into the URL. Everything else is left to hls.js's defaults.
import { recordAnswer } from "./media-answers.js";
import { mintMediaUrl, RETRY_LIMIT, RetryBudget } from "./media-url.js";
import { startPlayer } from "./player.js";

/** @typedef {import("hls.js").default} Hls */
/** @typedef {import("hls.js").HlsConfig} HlsConfig */
/** @typedef {import("hls.js").LoaderConfig} LoaderConfig */
/** @typedef {import("hls.js").RetryConfig} RetryConfig */
/** @typedef {import("hls.js").LoaderResponse} LoaderResponse */
/** @typedef {import("./media-url.js").MintedUrl} MintedUrl */

/** hls.js's ES module build and its worker, same-origin (scripts/vendor-player.ts copies them). */
const HLS_MODULE_URL = "/app/vendor/hls.min.mjs";
const HLS_WORKER_URL = "/app/vendor/hls.worker.js";
export const MASTER_PLAYLIST = "master.m3u8";
/** Media URLs are `/media/v1/<jwt>/<path>`: the token is this path segment. */
const TOKEN_SEGMENT = 3;

/**
 * The ladder's URL base (`/media/v1/<jwt>/`) and its renewal: at most one
 * refresh in flight, shared by every loader that saw a 401, and at most
 * RETRY_LIMIT refreshes a minute.
 */
export class PrefixToken {
  /** @type {string} */
  #base;
  /** @type {Promise<void> | undefined} */
  #refreshing;
  /** The base each URL was last sent with, so a 401 on an already-replaced token does not refresh again. */
  #sentWith = new Map();
  #budget = new RetryBudget();
  #mint;
  #onRefresh;

  /**
   * @param {string} base
   * @param {() => Promise<MintedUrl>} mint
   * @param {(outcome: "renewed" | "failed" | "gave-up") => void} onRefresh
   */
  constructor(base, mint, onRefresh) {
    this.#base = base;
    this.#mint = mint;
    this.#onRefresh = onRefresh;
  }

  get base() {
    return this.#base;
  }

  /**
   * `url` with the current token in place of whatever token it carries.
   * @param {string} url
   */
  rewrite(url) {
    const parsed = new URL(url, location.href);
    const segments = parsed.pathname.split("/");
    const base = new URL(this.#base, location.href);
    if (parsed.origin !== base.origin || segments.slice(0, TOKEN_SEGMENT).join("/") !== "/media/v1") return url;
    parsed.pathname = base.pathname + segments.slice(TOKEN_SEGMENT + 1).join("/");
    this.#sentWith.set(url, this.#base);
    return parsed.href;
  }

  /** Resolves once no refresh is in flight (never rejects: a failed refresh leaves the old token). */
  settled() {
    return this.#refreshing ?? Promise.resolve();
  }

  /**
   * After a 401 for `url`: true when a retry can succeed (a refresh is under
   * way, or already replaced the token the URL was sent with), false once the
   * cap is spent.
   * @param {string} url
   */
  retryAfterUnauthorized(url) {
    const sentWith = this.#sentWith.get(url);
    if (this.#refreshing !== undefined || (sentWith !== undefined && sentWith !== this.#base)) return true;
    if (!this.#budget.take()) {
      this.#onRefresh("gave-up");
      return false;
    }
    this.#refreshing = this.#mint()
      .then((minted) => {
        this.#base = minted.url;
        this.#onRefresh("renewed");
      })
      .catch(() => this.#onRefresh("failed"))
      .finally(() => (this.#refreshing = undefined));
    return true;
  }
}

/**
 * A load policy that is hls.js's default except that a 401 is retried after
 * a token refresh.
 * @param {{ default: LoaderConfig }} policy hls.js's default policy for this kind of load
 * @param {PrefixToken} token
 * @returns {{ default: LoaderConfig }}
 */
function refreshingOn401(policy, token) {
  const errorRetry = policy.default.errorRetry;
  if (errorRetry === null) return policy;
  /** @type {NonNullable<RetryConfig["shouldRetry"]>} */
  const shouldRetry = (config, retryCount, _isTimeout, response, retry) => {
    if (response?.code !== 401) return retry;
    return retryCount < (config?.maxNumRetry ?? 0) && token.retryAfterUnauthorized(response.url);
  };
  return { default: { ...policy.default, errorRetry: { ...errorRetry, shouldRetry } } };
}

/**
 * @typedef {object} HlsControls
 * @property {HTMLButtonElement} start the button that starts the stream (when it does not start by itself)
 * @property {HTMLSelectElement} quality
 * @property {HTMLSelectElement} subtitles
 * @property {HTMLElement} status
 */

/**
 * Plays the ladder under `media.prefix` (its master playlist) with hls.js
 * where the browser has MediaSource, else natively (Safari) with the MP4
 * player's reload-and-seek.
 * @param {HTMLVideoElement} video
 * @param {HlsControls} controls
 * @param {{ prefix: string, bkt?: string, ttl?: string, maxBufferLength?: number }} media
 */
export async function startHlsPlayer(video, controls, media) {
  const show = (/** @type {string} */ text) => (controls.status.textContent = text);
  const mint = () => mintMediaUrl({ prefix: media.prefix, bkt: media.bkt, ttl: media.ttl });
  controls.start.disabled = true;
  /** @type {{ default: typeof import("hls.js").default }} */
  const { default: Hls } = await import(HLS_MODULE_URL);
  video.dataset.hlsVersion = Hls.version;

  if (!Hls.isSupported()) {
    if (video.canPlayType("application/vnd.apple.mpegurl") === "") {
      show("This browser can play neither MediaSource nor HLS.");
      return;
    }
    // Native HLS has no loader hooks: renew the whole URL on a 401 and seek back, as for MP4.
    controls.quality.disabled = controls.subtitles.disabled = true;
    startPlayer(video, controls.status, {
      label: `${media.prefix}${MASTER_PLAYLIST} (native HLS)`,
      mint: async () => {
        const minted = await mint();
        return { ...minted, url: `${minted.url}${MASTER_PLAYLIST}` };
      },
    });
    return;
  }

  show("Asking the backend for a prefix token…");
  const first = await mint();
  video.dataset.refreshes = "0";
  const token = new PrefixToken(first.url, mint, (outcome) => {
    if (outcome === "renewed") {
      video.dataset.refreshes = String(Number(video.dataset.refreshes) + 1);
      show(`The token was refused (401): fetched a fresh one, hls.js goes on with it.`);
    } else if (outcome === "failed") {
      show("The token was refused (401) and the backend gave no fresh one.");
    } else {
      show(`The token was refused (401) again after ${RETRY_LIMIT} fresh tokens in a minute: giving up.`);
    }
  });

  const defaults = Hls.DefaultConfig;
  /** @type {Partial<HlsConfig>} */
  const config = {
    workerPath: HLS_WORKER_URL,
    // Runs before every attempt, retries included, so a retry goes out with the refreshed token.
    xhrSetup: async (xhr, url) => {
      await token.settled();
      xhr.open("GET", token.rewrite(url), true);
      xhr.addEventListener("loadend", () =>
        recordAnswer({
          method: "GET",
          url: xhr.responseURL || token.rewrite(url),
          status: xhr.status,
          requestId: xhr.getResponseHeader("X-Request-Id") ?? undefined,
          serverTiming: xhr.getResponseHeader("Server-Timing") ?? undefined,
        }),
      );
    },
    manifestLoadPolicy: refreshingOn401(defaults.manifestLoadPolicy, token),
    playlistLoadPolicy: refreshingOn401(defaults.playlistLoadPolicy, token),
    fragLoadPolicy: refreshingOn401(defaults.fragLoadPolicy, token),
  };
  // hls.js otherwise buffers up to maxBufferSize (60 MB), which at this ladder's bitrates is the whole clip.
  if (media.maxBufferLength !== undefined) config.maxBufferLength = config.maxMaxBufferLength = media.maxBufferLength;
  // The page shows subtitles on tracks of its own: hls.js's <track> nodes load a data: URL, which media-src refuses.
  config.renderTextTracksNatively = false;
  const hls = new Hls(config);

  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    controls.quality.replaceChildren(
      option("-1", "Auto"),
      ...hls.levels.map((level, index) =>
        option(String(index), `${level.height}p · ${Math.round(level.bitrate / 1000)} kb/s`),
      ),
    );
    controls.quality.disabled = false;
    void video.play().catch((error) => {
      if (error instanceof DOMException && error.name === "NotAllowedError") show("Autoplay was blocked: press play.");
    });
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
    const level = hls.levels[data.level];
    video.dataset.level = level ? `${level.height}p` : "";
    video.dataset.levelSwitches = String(Number(video.dataset.levelSwitches ?? "-1") + 1);
    const choice = hls.autoLevelEnabled ? "picked by hls.js" : "chosen";
    show(
      `Playing ${video.dataset.level} (${choice}) with hls.js ${Hls.version}, one prefix token for the whole ladder.`,
    );
  });
  hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, () => {
    controls.subtitles.replaceChildren(
      option("-1", "Off"),
      ...hls.subtitleTracks.map((track, index) =>
        option(String(index), track.name || track.lang || `Track ${index + 1}`),
      ),
    );
    showSubtitles(hls.subtitleTrack);
    controls.subtitles.disabled = false;
  });
  /** @type {Map<number, TextTrack>} one text track per subtitle rendition, by its MediaPlaylist id */
  const textTracks = new Map();
  /** Shows the rendition at `index` of hls.subtitleTracks (-1: none), as hls.subtitleTrack counts. */
  const showSubtitles = (/** @type {number} */ index) => {
    controls.subtitles.value = String(index);
    const shown = hls.subtitleTracks[index]?.id;
    for (const [id, track] of textTracks) track.mode = id === shown ? "showing" : "disabled";
  };
  hls.on(Hls.Events.NON_NATIVE_TEXT_TRACKS_FOUND, (_event, data) => {
    for (const { subtitleTrack, label } of data.tracks) {
      if (subtitleTrack === undefined || textTracks.has(subtitleTrack.id)) continue;
      textTracks.set(subtitleTrack.id, video.addTextTrack("subtitles", label, subtitleTrack.lang ?? ""));
    }
    showSubtitles(hls.subtitleTrack);
  });
  hls.on(Hls.Events.CUES_PARSED, (_event, data) => {
    const track = data.subtitleTrack === undefined ? undefined : textTracks.get(data.subtitleTrack.id);
    /** @type {VTTCue[]} */
    const cues = data.cues;
    for (const cue of cues) if (track && !track.cues?.getCueById(cue.id)) track.addCue(cue);
  });
  hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, (_event, data) => showSubtitles(data.id));
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    const status = data.response?.code === undefined ? "" : ` (HTTP ${data.response.code})`;
    show(`Playback failed: ${data.details}${status}.`);
  });

  controls.quality.addEventListener("change", () => (hls.currentLevel = Number(controls.quality.value)));
  controls.subtitles.addEventListener("change", () => (hls.subtitleTrack = Number(controls.subtitles.value)));

  hls.attachMedia(video);
  hls.loadSource(`${first.url}${MASTER_PLAYLIST}`);
}

/**
 * @param {string} value
 * @param {string} label
 */
function option(value, label) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = label;
  return element;
}

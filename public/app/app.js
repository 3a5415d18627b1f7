// @ts-check
// The demo page: the gateway's three faces in one screen. Plain ES modules,
// no build step; settings come from the query string so tests (and curious
// readers) can change them: /?key=<object key>&bkt=<bucket>&ttl=<seconds>&every=<ms>
// &chunk=<MiB per upload PATCH>&health=<ms between health polls>,
// and for HLS &prefix=<ladder prefix>&buffer=<seconds ahead>&player=hls (the HLS
// player starts at once and the MP4 player stays off; by default the MP4 player
// starts and the HLS player waits for its button).
import { startEvents } from "./events.js";
import { startHealthStrip } from "./health.js";
import { startHlsPlayer } from "./hls-player.js";
import { startMediaAnswers } from "./media-answers.js";
import { mintMediaUrl } from "./media-url.js";
import { startPlayer } from "./player.js";
import { DEFAULT_CHUNK_MIB, startUploadPanel } from "./upload.js";

/** The samples `npm run dev` seeds into local R2 (samples/README.md). */
const DEFAULT_KEY = "samples/testsrc-640x360.mp4";
const DEFAULT_LADDER_PREFIX = "samples/hls/";
/** The download link's file name: not ASCII on purpose, so the header carries both forms (RFC 6266). */
const DOWNLOAD_NAME = "Prüfbild – 640×360.mp4";

const query = new URLSearchParams(location.search);

/** @param {string} id */
function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no #${id}`);
  return found;
}

element("route").textContent = `Client route: ${location.pathname}`;
startMediaAnswers(element("media-answers"));
const healthEvery = Number(query.get("health"));
startHealthStrip(element("health"), healthEvery > 0 ? healthEvery : undefined);

const mp4 = {
  key: query.get("key") ?? DEFAULT_KEY,
  bkt: query.get("bkt") ?? undefined,
  ttl: query.get("ttl") ?? undefined,
};
const hlsOnly = query.get("player") === "hls";
if (hlsOnly) {
  element("player-status").textContent = "The MP4 player is off (?player=hls).";
} else {
  startPlayer(/** @type {HTMLVideoElement} */ (element("player")), element("player-status"), {
    label: mp4.key,
    mint: () => mintMediaUrl(mp4),
    lifetime: element("player-lifetime"),
  });
}

element("download").addEventListener("click", (event) => {
  event.preventDefault();
  // Minted on click, so the link never holds a stale token.
  mintMediaUrl({ ...mp4, dl: DOWNLOAD_NAME })
    .then((minted) => location.assign(minted.url))
    .catch(
      (error) =>
        (element("player-status").textContent =
          `No download URL: ${error instanceof Error ? error.message : String(error)}`),
    );
});

const hlsControls = {
  start: /** @type {HTMLButtonElement} */ (element("hls-start")),
  quality: /** @type {HTMLSelectElement} */ (element("hls-quality")),
  subtitles: /** @type {HTMLSelectElement} */ (element("hls-subtitles")),
  status: element("hls-status"),
};
const buffer = query.get("buffer");
const startHls = () => {
  hlsControls.start.hidden = true;
  startHlsPlayer(/** @type {HTMLVideoElement} */ (element("hls-player")), hlsControls, {
    prefix: query.get("prefix") ?? DEFAULT_LADDER_PREFIX,
    bkt: query.get("bkt") ?? undefined,
    ttl: query.get("ttl") ?? undefined,
    maxBufferLength: buffer !== null && Number(buffer) > 0 ? Number(buffer) : undefined,
  }).catch(
    (error) =>
      (hlsControls.status.textContent = `HLS player failed: ${error instanceof Error ? error.message : String(error)}`),
  );
};
hlsControls.start.addEventListener("click", startHls);
if (hlsOnly) startHls();
const chunk = Number(query.get("chunk"));
const onUploadCompleted = startUploadPanel(
  {
    input: /** @type {HTMLInputElement} */ (element("upload-file")),
    pause: /** @type {HTMLButtonElement} */ (element("upload-pause")),
    resume: /** @type {HTMLButtonElement} */ (element("upload-resume")),
    progress: /** @type {HTMLProgressElement} */ (element("upload-progress")),
    status: element("upload-status"),
    video: /** @type {HTMLVideoElement} */ (element("upload-player")),
    image: /** @type {HTMLImageElement} */ (element("upload-image")),
    playerStatus: element("upload-player-status"),
  },
  { chunkMiB: chunk > 0 ? chunk : DEFAULT_CHUNK_MIB },
);
startEvents(element("events"), element("events-state"), query.get("every") ?? "1000", onUploadCompleted);

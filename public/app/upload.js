// @ts-check
// The upload panel: tus-js-client (vendored from node_modules into
// /app/vendor/, loaded on first use) uploading the picked file through the
// gateway's tus endpoint with an upload token the backend minted for it.
// tus-js-client remembers each upload's URL in localStorage (its fingerprint
// of the file), so after a reload, picking the same file resumes where the
// server says it stopped instead of starting over; when that URL is gone
// (expired) or finished, the page checks whether the object is already
// stored before it uploads anything again. When the backend's
// `upload.completed` event arrives over SSE, the page plays (or shows) the
// object through a freshly minted download URL.
import { recordAnswer } from "./media-answers.js";
import { mintMediaUrl } from "./media-url.js";
import { startPlayer } from "./player.js";

/** @typedef {typeof import("tus-js-client")} Tus */
/** @typedef {import("tus-js-client").Upload} Upload */
/** @typedef {import("tus-js-client").HttpRequest} HttpRequest */
/** @typedef {import("tus-js-client").HttpResponse} HttpResponse */

/** tus-js-client's browser build (a UMD script that defines `tus`), same-origin (scripts/vendor-player.ts copies it). */
const TUS_SCRIPT_URL = "/app/vendor/tus.min.js";
const MIB = 1024 * 1024;
/**
 * PATCH size: a multiple of the media Worker's part size (5 MiB or more) and
 * well under the edge's request body cap (100 MB on Free and Pro), which
 * answers 413 before the Worker does, and tus-js-client does not retry a 413.
 */
export const DEFAULT_CHUNK_MIB = 50;
/** Retries of a failed request while online; offline, the panel waits for the `online` event instead. */
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10_000, 20_000];
/** Which object each upload URL is creating, so a resumed upload knows which event is its own. */
const KEYS_STORAGE = "edge-gateway:upload-keys";

/** @type {Promise<Tus> | undefined} */
let tusLoading;

/** Loads tus-js-client once, as a classic script (its UMD build sets `globalThis.tus`). */
function loadTus() {
  tusLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = TUS_SCRIPT_URL;
    script.addEventListener("load", () => resolve(/** @type {Tus} */ (Reflect.get(globalThis, "tus"))));
    script.addEventListener("error", () => reject(new Error(`${TUS_SCRIPT_URL} did not load`)));
    document.head.append(script);
  });
  return tusLoading;
}

/**
 * @typedef {{
 *   input: HTMLInputElement,
 *   pause: HTMLButtonElement,
 *   resume: HTMLButtonElement,
 *   progress: HTMLProgressElement,
 *   status: HTMLElement,
 *   video: HTMLVideoElement,
 *   image: HTMLImageElement,
 *   playerStatus: HTMLElement,
 * }} UploadPanel
 */

/** @typedef {{ key: string, bucket?: string, size?: number, contentType?: string, at?: string }} CompletedUpload */

/**
 * Wires the panel. Returns the handler for the backend's `upload.completed` events.
 * @param {UploadPanel} panel
 * @param {{ chunkMiB: number }} options
 * @returns {(event: CompletedUpload) => void}
 */
export function startUploadPanel(panel, options) {
  /** @type {Upload | undefined} */
  let upload;
  /** The key the current upload creates: its completion event is the one the panel waits for. */
  let expectedKey = "";
  const show = (/** @type {string} */ text, /** @type {string} */ state) => {
    panel.status.textContent = text;
    panel.status.dataset.state = state;
  };
  const setButtons = (/** @type {boolean} */ running) => {
    panel.pause.disabled = !running;
    panel.resume.disabled = running || upload === undefined;
  };

  panel.input.addEventListener("change", () => {
    const file = panel.input.files?.[0];
    if (!file) return;
    void begin(file).catch((error) => show(`Upload failed: ${messageOf(error)}`, "failed"));
  });
  panel.pause.addEventListener("click", () => {
    if (!upload) return;
    void upload.abort().then(() => {
      setButtons(false);
      show(`Paused at ${describeProgress(panel.progress)}.`, "paused");
    });
  });
  panel.resume.addEventListener("click", () => {
    if (!upload) return;
    upload.start();
    setButtons(true);
    show("Resuming…", "uploading");
  });

  /** @param {File} file */
  const begin = async (file) => {
    if (upload) await upload.abort();
    const tus = await loadTus();
    const chunkSize = options.chunkMiB * MIB;
    panel.progress.max = file.size;
    panel.progress.value = 0;
    delete panel.status.dataset.resumedFrom;
    delete panel.status.dataset.alreadyStored;
    delete panel.status.dataset.startedOver;
    const current = new tus.Upload(file, {
      endpoint: "/media/uploads",
      chunkSize,
      retryDelays: RETRY_DELAYS_MS,
      // The client's idea of the type travels as metadata only: the token's `ct` decides what is stored.
      metadata: file.type === "" ? { filename: file.name } : { filename: file.name, filetype: file.type },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => {
        panel.progress.value = sent;
        panel.progress.max = total;
        panel.progress.textContent = describeProgress(panel.progress);
        show(`Uploading ${file.name}: ${describeProgress(panel.progress)}`, "uploading");
      },
      // A stored upload that is gone (expired, or completed before the page saw its answer) makes
      // tus-js-client create a new one: that creation needs a token of its own.
      onBeforeRequest: async (request) => {
        if (request.getMethod() !== "POST" || request.getHeader("Authorization")) return;
        const minted = await mintUploadToken(file);
        expectedKey = minted.key;
        panel.status.dataset.key = expectedKey;
        current.options.headers = { Authorization: `Bearer ${minted.token}` };
        request.setHeader("Authorization", `Bearer ${minted.token}`);
      },
      onAfterResponse: (request, response) => onAnswer(request, response),
      onUploadUrlAvailable: () => {
        if (current.url) rememberKey(pathOf(current.url), expectedKey);
      },
      onSuccess: () => {
        setButtons(false);
        panel.resume.disabled = true;
        show(`Uploaded ${file.name}; waiting for the backend's upload.completed event…`, "uploaded");
      },
      onError: (error) => {
        setButtons(false);
        if (!navigator.onLine) {
          // tus-js-client does not retry while the browser is offline: resume when it is back.
          show(`Offline at ${describeProgress(panel.progress)}: resumes when the network is back.`, "offline");
          window.addEventListener("online", () => panel.resume.click(), { once: true });
          return;
        }
        show(`Upload failed: ${messageOf(error)}`, "failed");
      },
    });
    upload = current;

    /**
     * Records each tus answer; a HEAD answer is where a resumed upload learns its offset.
     * @param {HttpRequest} request
     * @param {HttpResponse} response
     */
    const onAnswer = (request, response) => {
      recordAnswer({
        method: request.getMethod(),
        url: request.getURL(),
        status: response.getStatus(),
        requestId: response.getHeader("X-Request-Id"),
        serverTiming: response.getHeader("Server-Timing"),
      });
      if (request.getMethod() === "HEAD" && response.getStatus() === 200)
        panel.status.dataset.resumedFrom = response.getHeader("Upload-Offset") ?? "";
    };

    const previous = (await current.findPreviousUploads())[0];
    let startingOver = "";
    if (previous?.uploadUrl) {
      const storedPath = pathOf(previous.uploadUrl);
      const storedKey = keyOf(storedPath);
      const standing = await uploadStanding(previous.uploadUrl);
      if (standing === "open") {
        // The stored URL is a capability of its own: no new token, no new upload.
        expectedKey = storedKey;
        panel.status.dataset.key = expectedKey;
        current.resumeFromPreviousUpload(previous);
        show(`Resuming ${file.name} from the stored upload URL…`, "uploading");
        current.start();
        setButtons(true);
        return;
      }
      // Finished, or gone (its URL expired): tus-js-client would silently upload the whole file again.
      await tus.defaultOptions.urlStorage.removeUpload(previous.urlStorageKey);
      forgetKey(storedPath);
      if (standing === "complete" || (storedKey !== "" && (await storedSize(storedKey)) === file.size)) {
        upload = undefined;
        expectedKey = storedKey;
        panel.status.dataset.key = storedKey;
        panel.progress.value = file.size;
        setButtons(false);
        onCompleted({ key: storedKey, size: file.size, contentType: file.type });
        show(`${file.name} is already stored as ${storedKey}: playing it, not uploading it again.`, "completed");
        panel.status.dataset.alreadyStored = storedKey;
        return;
      }
      startingOver = `The stored upload URL for ${file.name} has expired before it completed: starting a new upload. `;
    }
    const minted = await mintUploadToken(file);
    expectedKey = minted.key;
    current.options.headers = { Authorization: `Bearer ${minted.token}` };
    current.options.endpoint = minted.endpoint;
    panel.status.dataset.key = expectedKey;
    show(`${startingOver}Uploading ${file.name} as ${minted.key}…`, "uploading");
    if (startingOver !== "") panel.status.dataset.startedOver = "expired";
    current.start();
    setButtons(true);
  };

  let playing = false;
  /** @param {CompletedUpload} event */
  const onCompleted = (event) => {
    if (event.key !== expectedKey || playing) return;
    playing = true;
    show(
      `The backend announced ${event.key} (${event.size ?? "?"} bytes): playing it through a fresh download URL.`,
      "completed",
    );
    panel.status.dataset.completedKey = event.key;
    if ((event.contentType ?? "").startsWith("image/")) {
      void mintMediaUrl({ key: event.key }).then((minted) => {
        panel.image.src = minted.url;
        panel.image.hidden = false;
      });
      return;
    }
    panel.video.hidden = false;
    startPlayer(panel.video, panel.playerStatus, { label: event.key, mint: () => mintMediaUrl({ key: event.key }) });
  };
  return onCompleted;
}

/**
 * Where a stored upload URL stands, asked with the tus HEAD: still open, complete (its URL has
 * not expired yet), or gone (expired, terminated, never existed).
 * @param {string} uploadUrl
 * @returns {Promise<"open" | "complete" | "gone">}
 */
async function uploadStanding(uploadUrl) {
  const response = await fetch(uploadUrl, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0" }, cache: "no-store" });
  recordAnswer({
    method: "HEAD",
    url: uploadUrl,
    status: response.status,
    requestId: response.headers.get("X-Request-Id") ?? undefined,
  });
  if (!response.ok) return "gone";
  const length = response.headers.get("Upload-Length");
  return length !== null && response.headers.get("Upload-Offset") === length ? "complete" : "open";
}

/**
 * The size of the stored object `key` (a HEAD through a freshly minted download URL), or undefined.
 * @param {string} key
 */
async function storedSize(key) {
  const minted = await mintMediaUrl({ key }).catch(() => undefined);
  if (minted === undefined) return undefined;
  const response = await fetch(minted.url, { method: "HEAD", cache: "no-store" });
  recordAnswer({
    method: "HEAD",
    url: minted.url,
    status: response.status,
    requestId: response.headers.get("X-Request-Id") ?? undefined,
    serverTiming: response.headers.get("Server-Timing") ?? undefined,
  });
  return response.ok ? Number(response.headers.get("Content-Length")) : undefined;
}

/**
 * Asks the backend (through /api) for an upload token for this file: the
 * backend picks the key, checks the type against its allow-list and the size against its cap.
 * @param {File} file
 * @returns {Promise<{ endpoint: string, token: string, key: string, expiresAt: string }>}
 */
async function mintUploadToken(file) {
  const response = await fetch("/api/v1/uploads", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: file.name, type: file.type, size: file.size }),
    cache: "no-store",
  });
  if (!response.ok) {
    /** @type {{ error?: { message?: string } }} */
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error?.message ?? `the backend answered ${response.status}`);
  }
  return response.json();
}

/**
 * @param {string} uploadPath `/media/uploads/<id>`
 * @param {string} key
 */
function rememberKey(uploadPath, key) {
  const keys = readKeys();
  keys[uploadPath] = key;
  localStorage.setItem(KEYS_STORAGE, JSON.stringify(keys));
}

/** @param {string} uploadPath */
function forgetKey(uploadPath) {
  const keys = readKeys();
  delete keys[uploadPath];
  localStorage.setItem(KEYS_STORAGE, JSON.stringify(keys));
}

/** @param {string} url an upload URL, absolute or not */
function pathOf(url) {
  return new URL(url, window.location.origin).pathname;
}

/** @param {string} uploadPath */
function keyOf(uploadPath) {
  return readKeys()[uploadPath] ?? "";
}

/** @returns {Record<string, string>} */
function readKeys() {
  try {
    const stored = JSON.parse(localStorage.getItem(KEYS_STORAGE) ?? "{}");
    return typeof stored === "object" && stored !== null ? stored : {};
  } catch {
    return {};
  }
}

/** @param {HTMLProgressElement} progress */
function describeProgress(progress) {
  const percent = progress.max > 0 ? Math.floor((100 * progress.value) / progress.max) : 0;
  return `${(progress.value / MIB).toFixed(1)} of ${(progress.max / MIB).toFixed(1)} MiB (${percent} %)`;
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

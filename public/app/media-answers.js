// @ts-check
// The media answers panel: what the media Worker said to this page, one line
// per answer, with its cache status (the `cache` metric of Server-Timing:
// hit, miss, …) and its request id (X-Request-Id, the id to quote in a bug
// report; the gateway's logs carry it). Answers the page fetched itself (tus
// requests, hls.js's playlist and segment loads, the MP4 player's probe of
// each URL it is given). A <video> element's own range requests cannot be
// listed: the page sees none of their headers, and Chromium's Resource Timing
// does not report media element loads.

/** Older answers drop off so a long-open page stays small. */
const KEEP_ANSWERS = 50;

/** @type {HTMLElement | undefined} */
let panel;

/**
 * @typedef {{
 *   method: string,
 *   url: string,
 *   status: number,
 *   requestId?: string | undefined,
 *   serverTiming?: string | undefined,
 * }} MediaAnswer
 */

/**
 * Shows media answers in `list` from now on.
 * @param {HTMLElement} list
 */
export function startMediaAnswers(list) {
  panel = list;
}

/**
 * Lists one answer (newest first).
 * @param {MediaAnswer} answer
 */
export function recordAnswer(answer) {
  if (!panel) return;
  const cache = cacheStatusOf(answer.serverTiming ?? null) ?? "";
  const item = document.createElement("li");
  item.dataset.method = answer.method;
  item.dataset.status = String(answer.status);
  item.dataset.cache = cache;
  item.dataset.requestId = answer.requestId ?? "";
  item.dataset.path = describePath(new URL(answer.url, location.origin).pathname);
  const what = document.createElement("span");
  what.textContent = `${answer.method} ${answer.status || "—"} ${item.dataset.path}`;
  const cacheLabel = document.createElement("span");
  cacheLabel.className = "cache";
  cacheLabel.textContent = cache === "" ? "cache: —" : `cache: ${cache}`;
  const id = document.createElement("code");
  id.textContent = answer.requestId ? `id ${answer.requestId}` : "id: not exposed";
  item.append(what, cacheLabel, id);
  panel.prepend(item);
  while (panel.children.length > KEEP_ANSWERS) panel.lastElementChild?.remove();
}

/**
 * Records a fetch() answer from the media Worker.
 * @param {string} method
 * @param {Response} response
 */
export function recordResponse(method, response) {
  recordAnswer({
    method,
    url: response.url,
    status: response.status,
    requestId: response.headers.get("X-Request-Id") ?? undefined,
    serverTiming: response.headers.get("Server-Timing") ?? undefined,
  });
}

/**
 * The `cache` metric's description in a Server-Timing header (`cache;desc=hit;dur=0, r2;dur=4`), or undefined.
 * @param {string | null} header
 */
export function cacheStatusOf(header) {
  if (!header) return undefined;
  for (const metric of header.split(",")) {
    const [name, ...params] = metric.split(";").map((part) => part.trim());
    if (name !== "cache") continue;
    for (const param of params) {
      const match = /^desc=(?:"([^"]*)"|([^";,\s]*))$/.exec(param);
      if (match) return match[1] ?? match[2];
    }
  }
  return undefined;
}

/**
 * A media path without its token: the token is a credential and long.
 * @param {string} path
 */
function describePath(path) {
  if (path.startsWith("/media/v1/")) {
    const rest = path.slice("/media/v1/".length);
    const slash = rest.indexOf("/");
    return slash === -1 ? "/media/v1/<token>" : `/media/v1/<token>${rest.slice(slash)}`;
  }
  if (path.startsWith("/media/uploads/")) return "/media/uploads/<id>";
  return path;
}

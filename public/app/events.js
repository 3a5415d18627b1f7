// @ts-check
// The live events panel: an EventSource through /api. The browser reconnects
// by itself and sends Last-Event-ID, so the backend resumes the numbering;
// the gateway answers 200 with `retry:` while the backend is down, because
// any other status would make EventSource give up for good.

/** Older events drop off the panel so a long-open page stays small. */
const KEEP_EVENTS = 200;

/** @typedef {import("./upload.js").CompletedUpload} CompletedUpload */

/**
 * Subscribes to the backend's events and lists each as it arrives, with its
 * latency (from the backend's `at` to this page; both clocks are this
 * machine's locally, so across machines it includes their skew).
 * @param {HTMLElement} list the list that receives one item per event
 * @param {HTMLElement} stateLabel shows live / reconnecting
 * @param {string} every milliseconds between ticks, passed to the backend
 * @param {(upload: CompletedUpload) => void} onUploadCompleted called for each `upload.completed`
 */
export function startEvents(list, stateLabel, every, onUploadCompleted) {
  const source = new EventSource(`/api/v1/events?every=${encodeURIComponent(every)}`);
  let reconnects = 0;
  const show = (/** @type {string} */ state) => {
    stateLabel.textContent = state;
    stateLabel.dataset.state = state;
    stateLabel.dataset.reconnects = String(reconnects);
  };

  source.addEventListener("open", () => show("live"));
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) return show("closed");
    reconnects += 1;
    show("reconnecting");
  });
  /**
   * @param {string} type
   * @param {string} at when the backend sent it (ISO 8601)
   * @param {string} text
   */
  const listEvent = (type, at, text) => {
    const received = new Date();
    const item = document.createElement("li");
    item.dataset.type = type;
    item.dataset.emittedAt = at;
    item.dataset.receivedAt = received.toISOString();
    item.dataset.latencyMs = String(received.getTime() - Date.parse(at));
    item.textContent = `${text} · sent ${at.slice(11, 23)} · ${item.dataset.latencyMs} ms`;
    list.prepend(item);
    while (list.children.length > KEEP_EVENTS) list.lastElementChild?.remove();
    return item;
  };
  source.addEventListener("tick", (event) => {
    /** @type {{ n: number, at: string }} */
    const tick = JSON.parse(event.data);
    listEvent("tick", tick.at, `#${event.lastEventId}`).dataset.id = event.lastEventId;
  });
  source.addEventListener("upload.completed", (event) => {
    /** @type {CompletedUpload & { at: string }} */
    const upload = JSON.parse(event.data);
    listEvent("upload.completed", upload.at, `upload.completed ${upload.key}`).dataset.key = upload.key;
    onUploadCompleted(upload);
  });
}

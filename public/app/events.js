// @ts-check
// The live events panel: an EventSource through /api. The browser reconnects
// by itself and sends Last-Event-ID, so the backend resumes the numbering;
// the gateway answers 200 with `retry:` while the backend is down, because
// any other status would make EventSource give up for good.

/** Older events drop off the panel so a long-open page stays small. */
const KEEP_EVENTS = 200;

/**
 * Subscribes to the backend's numbered events and lists each as it arrives.
 * @param {HTMLElement} list the list that receives one item per event
 * @param {HTMLElement} stateLabel shows live / reconnecting
 * @param {string} every milliseconds between events, passed to the backend
 */
export function startEvents(list, stateLabel, every) {
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
  source.addEventListener("tick", (event) => {
    /** @type {{ n: number, at: string }} */
    const tick = JSON.parse(event.data);
    const item = document.createElement("li");
    item.dataset.id = event.lastEventId;
    item.dataset.emittedAt = tick.at;
    item.dataset.receivedAt = new Date().toISOString();
    item.textContent = `#${event.lastEventId} sent ${tick.at.slice(11, 23)}`;
    list.prepend(item);
    while (list.children.length > KEEP_EVENTS) list.lastElementChild?.remove();
  });
}

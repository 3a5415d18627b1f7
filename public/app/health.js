// @ts-check
// The status strip: one chip per Worker from GET /_health. A hidden tab does
// not poll (nobody sees the chips, and a forgotten tab should not cost the
// gateway a request every few seconds for days); it refreshes on return.

export const REFRESH_MS = 10_000;

/**
 * Shows each Worker's status from /_health and refreshes it while the page is visible.
 * @param {HTMLElement} strip the list that receives one item per Worker
 * @param {number} [every] milliseconds between refreshes
 */
export function startHealthStrip(strip, every = REFRESH_MS) {
  let polls = 0;
  const refresh = async () => {
    polls += 1;
    strip.dataset.polls = String(polls);
    try {
      const response = await fetch("/_health", { cache: "no-store" });
      // The same document on 200 and 503: a degraded Worker shows as failed.
      /** @type {{ workers: Record<string, { status: string, reason?: string }> }} */
      const report = await response.json();
      strip.replaceChildren(
        ...Object.entries(report.workers).map(([worker, health]) => chip(worker, health.status, health.reason)),
      );
    } catch {
      strip.replaceChildren(chip("router", "unreachable"));
    }
  };
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  const resume = () => {
    strip.dataset.polling = "on";
    void refresh();
    timer = setInterval(() => void refresh(), every);
  };
  document.addEventListener("visibilitychange", () => {
    clearInterval(timer);
    timer = undefined;
    if (document.visibilityState === "visible") resume();
    else strip.dataset.polling = "paused";
  });
  if (document.visibilityState === "visible") resume();
  else strip.dataset.polling = "paused";
}

/**
 * @param {string} worker
 * @param {string} status
 * @param {string} [reason]
 */
function chip(worker, status, reason) {
  const item = document.createElement("li");
  item.className = status === "ok" ? "ok" : "failed";
  item.dataset.worker = worker;
  item.textContent = reason ? `${worker}: ${status} (${reason})` : `${worker}: ${status}`;
  return item;
}

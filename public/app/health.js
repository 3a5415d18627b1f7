// @ts-check
// The status strip: one chip per Worker from GET /_health.

const REFRESH_MS = 10_000;

/**
 * Shows each Worker's status from /_health and refreshes it.
 * @param {HTMLElement} strip the list that receives one item per Worker
 */
export function startHealthStrip(strip) {
  const refresh = async () => {
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
  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
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

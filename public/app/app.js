// @ts-check
// The demo page: the gateway's three faces in one screen. Plain ES modules,
// no build step; settings come from the query string so tests (and curious
// readers) can change them: /?key=<object key>&bkt=<bucket>&ttl=<seconds>&every=<ms>.
import { startEvents } from "./events.js";
import { startHealthStrip } from "./health.js";
import { startPlayer } from "./player.js";

/** The sample `npm run dev` seeds into local R2 (samples/README.md). */
const DEFAULT_KEY = "samples/testsrc-640x360.mp4";

const query = new URLSearchParams(location.search);

/** @param {string} id */
function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no #${id}`);
  return found;
}

element("route").textContent = `Client route: ${location.pathname}`;
startHealthStrip(element("health"));
startPlayer(/** @type {HTMLVideoElement} */ (element("player")), element("player-status"), {
  key: query.get("key") ?? DEFAULT_KEY,
  bkt: query.get("bkt") ?? undefined,
  ttl: query.get("ttl") ?? undefined,
});
startEvents(element("events"), element("events-state"), query.get("every") ?? "1000");

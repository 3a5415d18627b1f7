/**
 * What the bench's origin (bench/sse-origin.ts) answers on its JSON paths,
 * shared with the variants that check every answer byte for byte: a JSON GET
 * and a small POST, the api pairs' two requests.
 */
export const API_JSON_PATH = "/api/bench/items";

/** The GET's answer: a small JSON list, as a typical API read returns. */
export const API_JSON_BODY = JSON.stringify({
  items: Array.from({ length: 8 }, (_, i) => ({
    id: i + 1,
    name: `item ${i + 1}`,
    price: 100 + i,
    tags: ["bench", "json"],
  })),
  next: null,
});

/** The POST's body: a small JSON document. */
export const API_POST_BODY = JSON.stringify({
  name: "bench item",
  price: 123,
  tags: ["bench", "post"],
  note: "x".repeat(96),
});

/** The POST's answer when the whole body arrived. */
export const API_POST_ANSWER = JSON.stringify({ ok: true, received: API_POST_BODY.length });

/** The data of every event on a stream opened with `fixed=1` (else the time it was written). */
export const FIXED_EVENT_DATA = "0";

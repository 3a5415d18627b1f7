// @ts-check
// Signed media URLs as the page gets them: minted by the backend (through
// /api), and renewed under one cap that both players share the rule of.

/** At most this many fresh URLs per window; a real fault stops after the cap. */
export const RETRY_LIMIT = 3;
export const RETRY_WINDOW_MS = 60_000;

/**
 * What to ask the backend for: one object (`key`) or every object under a
 * prefix (`prefix`, ending in `/`, for an HLS ladder), in bucket `bkt`, for
 * `ttl` seconds, optionally as a download named `dl`.
 * @typedef {{ key?: string, prefix?: string, bkt?: string, ttl?: string, dl?: string }} MediaRequest
 */

/**
 * A minted URL: `/media/v1/<jwt>` for a key, `/media/v1/<jwt>/` (the base the
 * ladder's paths follow) for a prefix.
 * @typedef {{ url: string, expiresAt: string }} MintedUrl
 */

/**
 * Asks the backend (through /api) for a signed URL (a name ending in `/` is a prefix).
 * @param {MediaRequest} media
 * @returns {Promise<MintedUrl>}
 */
export async function mintMediaUrl(media) {
  const name = media.prefix ?? media.key ?? "";
  const path = name.split("/").map(encodeURIComponent).join("/");
  const query = new URLSearchParams();
  if (media.bkt) query.set("bkt", media.bkt);
  if (media.ttl) query.set("ttl", media.ttl);
  if (media.dl) query.set("dl", media.dl);
  const response = await fetch(`/api/v1/media/${path}?${query}`, { cache: "no-store" });
  if (!response.ok) throw new Error(`the backend answered ${response.status}`);
  return response.json();
}

/** Counts fresh URLs in a sliding window and refuses one past the cap. */
export class RetryBudget {
  /** @type {number[]} start times of recent retries */
  #spent = [];

  /** True (and counted) when one more fresh URL fits in the window. */
  take(now = Date.now()) {
    this.#spent = this.#spent.filter((at) => now - at < RETRY_WINDOW_MS);
    if (this.#spent.length >= RETRY_LIMIT) return false;
    this.#spent.push(now);
    return true;
  }
}

/**
 * R2 multipart part planning. R2 (and Miniflare's local R2, at complete())
 * requires every part but the last to be the same size, at least 5 MiB, and
 * at most 10,000 parts. The part size is fixed once, at creation, from
 * Upload-Length (or `max` when the length is deferred), so part n always
 * holds bytes [n·size, (n+1)·size) whatever PATCH sizes the client sends.
 */

const MIB = 1024 * 1024;
/** R2's smallest part (all but the last). */
export const MIN_PART_BYTES = 5 * MIB;
/** R2's most parts per upload. */
export const MAX_PARTS = 10_000;
/**
 * The largest part this Worker plans: an upload holds about two parts in
 * memory (the one filling, and a chunk of the request), so this bounds its
 * memory whatever the file size.
 */
export const MAX_PART_BYTES = 16 * MIB;
/** The largest upload the part rule allows: 10,000 parts of 16 MiB (156.25 GiB). */
export const LARGEST_PLANNABLE_UPLOAD_BYTES = MAX_PARTS * MAX_PART_BYTES;

/** The part size for an upload of at most `bytes`: the smallest whole MiB, at least 5 MiB, that fits it in 10,000 parts. */
export function partSizeFor(bytes: number): number {
  const perPart = Math.ceil(bytes / MAX_PARTS / MIB) * MIB;
  return Math.min(Math.max(MIN_PART_BYTES, perPart), MAX_PART_BYTES);
}

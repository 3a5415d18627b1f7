/**
 * File signatures ("magic numbers") of the types the Worker knows: an
 * upload's first bytes must match the signature of its token's `ct`, so a
 * page cannot be stored as a video. Types without an entry are not checked.
 */

/** A byte, or null for any byte. */
type Pattern = readonly (number | null)[];

const ascii = (text: string): number[] => [...text].map((character) => character.charCodeAt(0));
const ANY4 = [null, null, null, null];

/** ISO base media (MP4, QuickTime, 3GP, M4A, AVIF, HEIC): a box of type `ftyp` first, its size in bytes 0-3. */
const ISO_BASE_MEDIA: readonly Pattern[] = [[...ANY4, ...ascii("ftyp")]];
const MATROSKA: readonly Pattern[] = [[0x1a, 0x45, 0xdf, 0xa3]];
const RIFF = (form: string): readonly Pattern[] => [[...ascii("RIFF"), ...ANY4, ...ascii(form)]];

const SIGNATURES: Readonly<Record<string, readonly Pattern[]>> = {
  "video/mp4": ISO_BASE_MEDIA,
  "video/quicktime": ISO_BASE_MEDIA,
  "video/x-m4v": ISO_BASE_MEDIA,
  "video/3gpp": ISO_BASE_MEDIA,
  "audio/mp4": ISO_BASE_MEDIA,
  "image/avif": ISO_BASE_MEDIA,
  "image/heic": ISO_BASE_MEDIA,
  "video/webm": MATROSKA,
  "audio/webm": MATROSKA,
  "video/x-matroska": MATROSKA,
  "image/jpeg": [[0xff, 0xd8, 0xff]],
  "image/png": [[0x89, ...ascii("PNG"), 0x0d, 0x0a, 0x1a, 0x0a]],
  "image/gif": [ascii("GIF87a"), ascii("GIF89a")],
  "image/webp": RIFF("WEBP"),
  "audio/wav": RIFF("WAVE"),
  "audio/ogg": [ascii("OggS")],
  "video/ogg": [ascii("OggS")],
  "audio/flac": [ascii("fLaC")],
  "application/pdf": [ascii("%PDF-")],
};

/** Bytes enough to decide any signature above. */
export const SIGNATURE_BYTES = 12;

/**
 * Whether the first bytes of an upload fit its type: `match`, `mismatch`, or
 * `need-more` while the bytes so far fit but are too few to decide (at the
 * end of the file, `need-more` means it does not match).
 */
export function signatureVerdict(contentType: string, head: Uint8Array): "match" | "mismatch" | "need-more" {
  const patterns = SIGNATURES[contentType];
  if (patterns === undefined) return "match";
  let undecided = false;
  for (const pattern of patterns) {
    const fits = pattern.every((byte, index) => index >= head.byteLength || byte === null || head[index] === byte);
    if (!fits) continue;
    if (head.byteLength >= pattern.length) return "match";
    undecided = true;
  }
  return undecided ? "need-more" : "mismatch";
}

/**
 * `Upload-Metadata` (tus 1.0): `key base64value, key2 base64value2`. It is
 * kept for the webhook and the object's R2 custom metadata, bounded so it
 * fits R2's 2 KB, and never decides the key or the type. Whatever is not
 * plainly well formed is refused (400), never repaired.
 */

/** The header's longest form: 2 KB decoded is about 2.7 KB of base64, plus the keys. */
export const MAX_METADATA_HEADER_CHARS = 4096;
/** R2 custom metadata holds at most 2,048 bytes of keys and values together. */
export const MAX_METADATA_BYTES = 2048;
const MAX_METADATA_PAIRS = 32;
/** Keys R2 and every header stack carry as they are. */
const METADATA_KEY = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** C0 controls, DEL and C1 controls: none belongs in a header or a log viewer. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The metadata pairs of the header (an absent header is none), or why it is refused. */
export function parseUploadMetadata(header: string | null): { metadata: Record<string, string> } | { problem: string } {
  const metadata: Record<string, string> = {};
  if (header === null || header.trim() === "") return { metadata };
  if (header.length > MAX_METADATA_HEADER_CHARS)
    return { problem: `Upload-Metadata is longer than ${MAX_METADATA_HEADER_CHARS} characters.` };
  const pairs = header.split(",");
  if (pairs.length > MAX_METADATA_PAIRS)
    return { problem: `Upload-Metadata has more than ${MAX_METADATA_PAIRS} pairs.` };
  let bytes = 0;
  for (const pair of pairs) {
    const parts = pair.trim().split(" ");
    const [key = "", encoded = "", extra] = parts;
    if (extra !== undefined || !METADATA_KEY.test(key) || !BASE64.test(encoded))
      return { problem: "Upload-Metadata must be `key base64value` pairs separated by commas." };
    if (Object.hasOwn(metadata, key)) return { problem: "Upload-Metadata names a key twice." };
    let value: string;
    try {
      value = strictUtf8.decode(Uint8Array.from(atob(encoded), (character) => character.charCodeAt(0)));
    } catch {
      return { problem: "Upload-Metadata values must be UTF-8 text." };
    }
    if (CONTROL_CHARACTER.test(value) || !value.isWellFormed())
      return { problem: "Upload-Metadata values may not hold control characters." };
    bytes += key.length + encoder.encode(value).byteLength;
    if (bytes > MAX_METADATA_BYTES) return { problem: `Upload-Metadata holds more than ${MAX_METADATA_BYTES} bytes.` };
    metadata[key] = value;
  }
  return { metadata };
}

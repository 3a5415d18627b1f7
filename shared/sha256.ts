/**
 * SHA-256 of a string's UTF-8 bytes, with Web Crypto (Workers and Node alike):
 * the one digest the gateway uses, for fingerprints, rate-limit keys and
 * constant-time token comparison.
 */
const encoder = new TextEncoder();

export function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/** The digest's first `bytes` bytes (all 32 by default) as lower-case hex. */
export async function sha256Hex(text: string, bytes = 32): Promise<string> {
  const digest = new Uint8Array(await sha256(text), 0, bytes);
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** SHA-256 of a string's UTF-8 bytes, as lowercase hex (Web Crypto). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Fingerprint of a secret, in the format the backend logs: the first 8 hex
 * characters of SHA-256 of the secret's UTF-8 bytes, as stored. Operators
 * compare fingerprints (never values) to prove two sides hold the same secret.
 */
export async function fingerprint(secret: string): Promise<string> {
  return (await sha256Hex(secret)).slice(0, 8);
}

/**
 * Fingerprint of a secret, in the format the backend logs: the first 8 hex
 * characters of SHA-256 of the secret's UTF-8 bytes, as stored. Operators
 * compare fingerprints (never values) to prove two sides hold the same secret.
 * Runs in Workers and in Node alike (Web Crypto).
 */
export async function fingerprint(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return [...new Uint8Array(digest, 0, 4)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

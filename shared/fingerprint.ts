import { sha256Hex } from "./sha256.ts";

/**
 * Fingerprint of a secret, in the format the backend logs: the first 8 hex
 * characters of SHA-256 of the secret's UTF-8 bytes, as stored. Operators
 * compare fingerprints (never values) to prove two sides hold the same secret.
 */
export async function fingerprint(secret: string): Promise<string> {
  return sha256Hex(secret, 4);
}

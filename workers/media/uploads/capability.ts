/**
 * The upload capability, `<id>` in `/media/uploads/<id>`: the upload's
 * Durable Object id, its expiry and a MAC over both with a media token
 * secret (the kid is named, so a rotation leaves open uploads valid). It is
 * checked without a storage read: a forged, altered or expired id is a 404
 * before any Durable Object is reached.
 */
import type { KidRegistry } from "../token";

/** `<object id: 64 hex>-<expiry: seconds>-<kid>-<MAC: 43 base64url>`. */
const CAPABILITY = /^([0-9a-f]{64})-([1-9][0-9]{9,11})-(v[1-9][0-9]{0,5})-([A-Za-z0-9_-]{43})$/;
const encoder = new TextEncoder();

/** What the MAC covers: a fixed label (no other use of the secret signs the same bytes), the object and its expiry. */
function macInput(objectId: string, expiresSeconds: number): Uint8Array {
  return encoder.encode(`media-upload-capability\n${objectId}\n${expiresSeconds}`);
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/** The capability for an upload, signed with `kid`'s key. */
export async function issueCapability(
  objectId: string,
  expiresSeconds: number,
  kid: string,
  key: CryptoKey,
): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, macInput(objectId, expiresSeconds)));
  return `${objectId}-${expiresSeconds}-${kid}-${base64url(mac)}`;
}

/** The upload a capability names, or undefined when it is malformed, forged or expired at `now` (ms). */
export async function readCapability(
  id: string,
  registry: KidRegistry,
  now = Date.now(),
): Promise<{ objectId: string; expiresSeconds: number } | undefined> {
  const match = CAPABILITY.exec(id);
  if (match === null) return undefined;
  const [, objectId = "", expiresText = "", kid = "", mac = ""] = match;
  const expiresSeconds = Number(expiresText);
  if (expiresSeconds * 1000 <= now) return undefined;
  const entry = registry.kids.get(kid);
  if (entry === undefined) return undefined;
  const macBytes = fromBase64url(mac);
  // One spelling per capability: the 43rd digit's two spare bits must be zero, as a token's are.
  if (base64url(macBytes) !== mac) return undefined;
  const valid = await crypto.subtle.verify("HMAC", entry.key, macBytes, macInput(objectId, expiresSeconds));
  return valid ? { objectId, expiresSeconds } : undefined;
}

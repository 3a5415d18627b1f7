/**
 * What the media tests share: minting with the vector secrets, requests to the
 * real Worker, seeding R2 through its bindings. Not part of the Worker bundle.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { mediaPath, mediaPrefixPath } from "../../shared/media-token";
import { signMediaToken } from "../../shared/token-sign";
import { TEST_SECRETS } from "../../test/secrets";

export { captureLogs, logRecords } from "../../test/logs";
import { handleMediaRequest } from "./handle";

export const ORIGIN = "https://gateway.test";

interface MintOptions {
  bkt?: string;
  dl?: string;
  kid?: "v1" | "v2";
  ttlSeconds?: number;
  now?: number;
}

/** A token for `key` signed with a test secret (v2, the active kid, unless told). */
export function mint(key: string, options: MintOptions = {}): Promise<string> {
  const kid = options.kid ?? "v2";
  const secret = kid === "v1" ? TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V1 : TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2;
  return signMediaToken({
    key,
    bkt: options.bkt,
    dl: options.dl,
    ttlSeconds: options.ttlSeconds ?? 300,
    kid,
    secret,
    now: options.now,
  });
}

/** A request to the real media Worker for a token. */
export function fetchToken(token: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${mediaPath(token)}`, init));
}

/** Mints a token for `key` and fetches it. */
export async function fetchMedia(key: string, init?: RequestInit, options?: MintOptions): Promise<Response> {
  return fetchToken(await mint(key, options), init);
}

/** Deterministic bytes (byte i = (i * 7 + seed) mod 251), so a wrong slice shows up as different bytes. */
export function patternBytes(size: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + seed) % 251;
  return bytes;
}

/** A key no other test uses (R2 and the cache outlive one test). */
export function uniqueKey(name: string): string {
  return `test/${crypto.randomUUID()}/${name}`;
}

/** The body as bytes. */
export async function bodyBytes(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * One request for `path` (`/media/v1/...`) through the real handler with some
 * vars changed (bindings stay real), after its background work (the cache fill) is done.
 */
export async function answerWithVars(
  path: string,
  init?: RequestInit,
  vars: Partial<Record<keyof MediaEnv, unknown>> = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await handleMediaRequest(
    new Request(`${ORIGIN}${path}`, init),
    { ...env, ...vars } as MediaEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

/** A prefix token's base path (`/media/v1/<jwt>/`), signed with the active test kid. */
export async function mintPrefix(
  pfx: string,
  claims: { dl?: string; ip?: string; bkt?: string } = {},
): Promise<string> {
  return mediaPrefixPath(
    await signMediaToken({
      pfx,
      ...claims,
      ttlSeconds: 300,
      kid: "v2",
      secret: TEST_SECRETS.media.MEDIA_TOKEN_SECRET_V2,
    }),
  );
}

/**
 * Operator-only endpoints (`Authorization: Bearer <ADMIN_TOKEN>`; anyone
 * else gets 401 and learns nothing):
 *
 * - `GET /_status`: each Worker's deployed version, and the media Worker's
 *   status() over RPC: loaded kids with fingerprints (never values), the
 *   active kid, bound buckets. Operators compare the fingerprints with the
 *   backend's log and with `npm run fingerprint`.
 * - `POST /_sign` `{"key":"…","bkt":"media","ttl":60}` (or `"pfx":"…/"`, and
 *   optionally `"dl"` and `"ip"`): a media path from the media Worker's sign()
 *   over RPC, so the smoke test proves the signing path without anyone
 *   outside the media Worker holding a secret. With `"put"` (and `"max"`,
 *   `"ct"`, optionally `"jti"`, `"replace"`): an upload token, answered as
 *   `{"path":"/media/uploads","token":"…","jti":"…"}`.
 */
import type { MediaControl, MediaStatus, WorkerControl } from "../../shared/control";
import type { MintInput } from "../../shared/mint-input";
import { readMintInput } from "../../shared/mint-input";
import { errorResponse, jsonResponse } from "../../shared/errors";
import type { VersionInfo } from "../../shared/health";
import { versionInfo } from "../../shared/health";
import type { RequestContext } from "../../shared/context";
import type { FailedProbe } from "./health";
import { probe } from "./health";

/** A sign request is a key, a bucket and a lifetime: anything larger is not one. */
const MAX_SIGN_BODY_BYTES = 4096;

export interface StatusDocument {
  status: "ok" | "degraded";
  requestId: string;
  workers: {
    router: { version: VersionInfo };
    media: ({ status: "ok" } & MediaStatus) | FailedProbe;
    api: { status: "ok"; version: VersionInfo } | FailedProbe;
  };
}

interface StatusDependencies {
  MEDIA_CONTROL: Pick<MediaControl, "status">;
  API_CONTROL: WorkerControl;
  VERSION: WorkerVersionMetadata;
}

/** The 401 for a caller without the admin token: the same for a wrong token and none. */
export function operatorOnly(requestId: string): Response {
  return errorResponse(
    401,
    "unauthorized",
    "This endpoint is for operators: send Authorization: Bearer <ADMIN_TOKEN>.",
    requestId,
    {
      "WWW-Authenticate": 'Bearer realm="gateway-operator"',
    },
  );
}

/** `GET /_status` for an operator: 200, or 503 when a Worker did not answer. */
export async function statusResponse(
  env: StatusDependencies,
  call: Pick<RequestContext, "requestId" | "log">,
): Promise<Response> {
  const [media, api] = await Promise.all([
    probe("media", () => env.MEDIA_CONTROL.status(), call.log),
    probe("api", () => env.API_CONTROL.health(), call.log),
  ]);
  const document: StatusDocument = {
    status: media.status === "ok" && api.status === "ok" ? "ok" : "degraded",
    requestId: call.requestId,
    workers: {
      router: { version: versionInfo(env.VERSION) },
      media: media.status === "ok" ? { status: "ok", ...media.answer } : media,
      api: api.status === "ok" ? { status: "ok", version: api.answer.version } : api,
    },
  };
  return jsonResponse(document, document.status === "ok" ? 200 : 503);
}

/**
 * The body of a sign request, read by the contract's one reader (the media
 * Worker reads it again, with its buckets and largest upload), or the
 * sentence saying why it is not one.
 */
export function parseSignBody(text: string): MintInput | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'The body must be JSON: {"key":"…","bkt":"media","ttl":60}.';
  }
  const input = readMintInput(body);
  return "problem" in input ? input.message : input;
}

/**
 * `POST /_sign` for an operator. The media Worker answers a signed path or a
 * refusal: bad input is a 400 with its message, no signing key a 503, and so
 * is a media Worker that fails to answer at all.
 */
export async function signResponse(
  request: Request,
  media: Pick<MediaControl, "sign">,
  call: Pick<RequestContext, "requestId" | "log">,
): Promise<Response> {
  const { requestId, log } = call;
  const tooLarge = () =>
    errorResponse(413, "payload_too_large", `The body is larger than ${MAX_SIGN_BODY_BYTES} bytes.`, requestId);
  // A declared length is refused unread; a chunked body is read (operators only) and measured.
  if (Number(request.headers.get("Content-Length") ?? "0") > MAX_SIGN_BODY_BYTES) return tooLarge();
  const text = await request.text();
  if (new TextEncoder().encode(text).byteLength > MAX_SIGN_BODY_BYTES) return tooLarge();
  const input = parseSignBody(text);
  if (typeof input === "string") return errorResponse(400, "bad_request", input, requestId);
  const signed = await probe("media", () => media.sign(input), log);
  const answer = signed.status === "ok" ? signed.answer : signed;
  if ("path" in answer) {
    const upload = "token" in answer && "jti" in answer ? { token: answer.token, jti: answer.jti } : {};
    return jsonResponse({ path: answer.path, ...upload, requestId }, 200);
  }
  if (answer.reason === "bad-input" && "message" in answer)
    return errorResponse(400, "bad_request", answer.message, requestId);
  log.error("sign-failed", { target: "media", reason: answer.reason });
  return errorResponse(
    503,
    "dependency_failed",
    "The media Worker could not sign: see its registry log line (is a MEDIA_TOKEN_SECRET_V<N> of at least 32 bytes set?).",
    requestId,
  );
}

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
import type { MediaControl, MediaStatus, SignInput, WorkerControl } from "../../shared/control";
import type { MintInput, UploadMintInput } from "../../shared/media-token";
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

/** The body of a sign request, or the reason it is not one. */
export function parseSignBody(text: string): SignInput | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'The body must be JSON: {"key":"…","bkt":"media","ttl":60}.';
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return 'The body must be a JSON object: {"key":"…"}.';
  const fields = body as Record<string, unknown>;
  if (fields.put !== undefined) return parseUploadSignBody(fields);
  if (fields.key === undefined && fields.pfx === undefined)
    return "Give key (one object) or pfx (a prefix ending in /), or put (an object to upload).";
  const input: MintInput = {};
  for (const name of ["key", "pfx", "bkt", "dl", "ip"] as const) {
    const value = fields[name];
    if (value === undefined) continue;
    if (typeof value !== "string") return `${name} must be a string.`;
    input[name] = value;
  }
  if (fields.ttl !== undefined && typeof fields.ttl !== "number") return "ttl must be a number of seconds.";
  if (typeof fields.ttl === "number") input.ttl = fields.ttl;
  return input;
}

/** An upload sign request: `{"put":"…","max":1048576,"ct":"video/mp4"}`, optionally bkt, jti, replace, ttl. */
function parseUploadSignBody(fields: Record<string, unknown>): UploadMintInput | string {
  const { put, bkt, max, ct, jti, replace, ttl } = fields;
  if (typeof put !== "string") return "put must be a string.";
  if (typeof max !== "number") return "max must be a number of bytes.";
  if (typeof ct !== "string") return "ct must be a string (a MIME type such as video/mp4).";
  const input: UploadMintInput = { put, max, ct };
  if (bkt !== undefined && typeof bkt !== "string") return "bkt must be a string.";
  if (typeof bkt === "string") input.bkt = bkt;
  if (jti !== undefined && typeof jti !== "string") return "jti must be a string.";
  if (typeof jti === "string") input.jti = jti;
  if (replace !== undefined && typeof replace !== "boolean") return "replace must be true or false.";
  if (typeof replace === "boolean") input.replace = replace;
  if (ttl !== undefined && typeof ttl !== "number") return "ttl must be a number of seconds.";
  if (typeof ttl === "number") input.ttl = ttl;
  return input;
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

/**
 * `/media/uploads` (creation) and `/media/uploads/<id>` (HEAD, PATCH,
 * DELETE): tus 1.0 with creation, creation-with-upload,
 * creation-defer-length, expiration, checksum (sha1) and termination.
 * This layer checks what needs no state (the upload token, the capability,
 * the headers) and hands the rest to the upload's Durable Object.
 */
import { applyCorsHeaders } from "../../../shared/cors";
import { MEDIA_UPLOADS_PATH } from "../../../shared/media-token";
import type { MediaContext } from "../context";
import { invalidTokenResponse } from "../handle";
import { issueCapability, readCapability } from "./capability";
import { parseUploadMetadata } from "./metadata";
import { partSizeFor } from "./parts";
import type { TusAnswer } from "./protocol";
import {
  NOT_FOUND,
  OFFSET_OCTET_STREAM,
  TUS_CHECKSUM_ALGORITHMS,
  TUS_EXTENSIONS,
  TUS_VERSION,
  parseByteCount,
  refusal,
  tusResponse,
  uploadCorsHeaders,
} from "./protocol";
import type { UploadSettings } from "./settings";
import { uploadSettings } from "./settings";
import { bearerToken, verifyUploadToken } from "./token";
import type { MediaUpload, WriteInput } from "./upload-object";

const COLLECTION_METHODS = "POST, OPTIONS";
const UPLOAD_METHODS = "HEAD, PATCH, DELETE, OPTIONS";
/** Methods a client behind a proxy that allows only GET and POST may ask for (tus 1.0, X-HTTP-Method-Override). */
const OVERRIDABLE = new Set(["PATCH", "DELETE", "HEAD"]);

/** True for the paths this module answers. */
export function isUploadPath(pathname: string): boolean {
  return pathname === MEDIA_UPLOADS_PATH || pathname.startsWith(`${MEDIA_UPLOADS_PATH}/`);
}

/** An upload request's context: the media one, with the method as tus reads it and the upload settings. */
interface UploadCall extends MediaContext {
  /** The request's own method (hono dispatches HEAD as GET), or the one X-HTTP-Method-Override names. */
  method: string;
  env: MediaEnv;
  settings: UploadSettings;
  /** The path for log lines: the capability never reaches one. */
  path: string;
}

/** A browser's CORS preflight carries Access-Control-Request-Method; tus discovery (OPTIONS too) does not. */
function isPreflight(request: Request): boolean {
  return request.method === "OPTIONS" && request.headers.has("Access-Control-Request-Method");
}

/**
 * Answers one upload request, any method (the media app routes every path
 * under /media/uploads here); withUploadHeaders finishes the answer.
 */
export async function answerUploadRequest(media: MediaContext, env: MediaEnv): Promise<Response> {
  const { request } = media;
  const rest = media.pathname.slice(MEDIA_UPLOADS_PATH.length);
  const id = rest === "" ? undefined : rest.slice(1);
  const override = request.headers.get("X-HTTP-Method-Override")?.trim().toUpperCase();
  const method =
    request.method === "POST" && override !== undefined && OVERRIDABLE.has(override) ? override : request.method;
  const call: UploadCall = {
    ...media,
    method,
    env,
    settings: uploadSettings(env),
    path: id === undefined ? MEDIA_UPLOADS_PATH : `${MEDIA_UPLOADS_PATH}/:id`,
  };
  let answer: TusAnswer | Response;
  try {
    answer = await answerUpload(call, id, isPreflight(request));
  } catch {
    // R2 or the upload's Durable Object failed (a client mistake never throws): the client may retry.
    call.log.error("media-upload-failed", { method, path: call.path, status: 503, reason: "storage-failed" });
    answer = refusal(503, "storage_unavailable", "Storage failed: retry the request (HEAD first to learn the offset).");
  }
  // A tus answer gets its tus headers here; every answer gets Tus-Resumable in withUploadHeaders.
  return answer instanceof Response ? answer : tusResponse(answer, method, call.requestId);
}

/**
 * The headers of every upload answer, whatever built it (the media entry
 * calls this): nosniff and the upload CORS headers, the bare 401
 * above all, or a cross-origin tus client would see status 0 and could not
 * tell a refused token from a network failure; and Tus-Resumable, which
 * tus 1.0 puts on every answer (the bare 401 and an exception's 500 too).
 */
export function withUploadHeaders(response: Response, call: MediaContext): Response {
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("Tus-Resumable", TUS_VERSION);
  const { request } = call;
  applyCorsHeaders(
    response.headers,
    uploadCorsHeaders(request, call.config.settings.corsOrigins, isPreflight(request)),
  );
  return response;
}

/** The tus answer, or the bare 401 of a refused upload token. */
async function answerUpload(
  call: UploadCall,
  id: string | undefined,
  preflight: boolean,
): Promise<TusAnswer | Response> {
  if (id !== undefined && (id === "" || id.includes("/"))) return NOT_FOUND;
  const allow = id === undefined ? COLLECTION_METHODS : UPLOAD_METHODS;
  if (call.method === "OPTIONS") {
    // A browser's CORS preflight carries Access-Control-Request-Method; tus discovery does not.
    if (preflight) return { status: 204, headers: { Allow: allow } };
    return {
      status: 204,
      headers: {
        Allow: allow,
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Max-Size": String(call.settings.maxSize),
        "Tus-Checksum-Algorithm": TUS_CHECKSUM_ALGORITHMS,
      },
    };
  }
  if (!allow.split(", ").includes(call.method))
    return refusal(405, "method_not_allowed", `Use ${allow}.`, { Allow: allow });
  if (call.request.headers.get("Tus-Resumable") !== TUS_VERSION)
    return refusal(412, "precondition_failed", `Send Tus-Resumable: ${TUS_VERSION}.`, { "Tus-Version": TUS_VERSION });
  if (id === undefined) return create(call);
  // Authorization is ignored here: the capability alone authorizes its upload.
  const capability = await readCapability(id, await call.kidRegistry());
  if (capability === undefined) return NOT_FOUND;
  const upload = call.env.MEDIA_UPLOADS.get(call.env.MEDIA_UPLOADS.idFromString(capability.objectId));
  const answer =
    call.method === "PATCH"
      ? await write(call, upload, call.request.headers.get("Upload-Offset"))
      : await call.metrics.timeUpstream(call.method === "HEAD" ? upload.head() : upload.terminate());
  if (answer.bucket !== undefined) call.metrics.note({ bucket: answer.bucket });
  return answer;
}

/** A PATCH, or a creation's data (at offset 0): its headers checked, then the upload's own write. */
async function write(
  call: UploadCall,
  upload: DurableObjectStub<MediaUpload>,
  offsetHeader: string | null,
): Promise<TusAnswer> {
  const input = writeInput(call.request, offsetHeader);
  if (typeof input !== "string") return call.metrics.timeUpstream(upload.write(input));
  await call.request.body?.cancel();
  return writeRefusal(input);
}

/** The answer to a write whose headers are refused. */
function writeRefusal(problem: string): TusAnswer {
  return problem === UNSUPPORTED_BODY_TYPE
    ? refusal(415, "unsupported_media_type", problem)
    : refusal(400, "bad_request", problem);
}

const UNSUPPORTED_BODY_TYPE = `The body must be sent as Content-Type: ${OFFSET_OCTET_STREAM}.`;

/** A write's headers as its input, or why they are refused. */
function writeInput(request: Request, offsetHeader: string | null): WriteInput | string {
  const contentType = request.headers.get("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== OFFSET_OCTET_STREAM) return UNSUPPORTED_BODY_TYPE;
  const offset = parseByteCount(offsetHeader);
  if (offset === undefined || offset === "invalid") return "Upload-Offset must be a whole number of bytes.";
  const uploadLength = parseByteCount(request.headers.get("Upload-Length"));
  if (uploadLength === "invalid") return "Upload-Length must be a whole number of bytes.";
  const contentLength = parseByteCount(request.headers.get("Content-Length"));
  if (contentLength === "invalid") return "Content-Length must be a whole number of bytes.";
  const checksum = request.headers.get("Upload-Checksum");
  let sha1: Uint8Array | null = null;
  if (checksum !== null) {
    const match = /^sha1 ([A-Za-z0-9+/]{27}=)$/.exec(checksum.trim());
    if (match?.[1] === undefined) return "Upload-Checksum must be `sha1 <base64 digest>` (the only algorithm here).";
    sha1 = Uint8Array.from(atob(match[1]), (character) => character.charCodeAt(0));
  }
  return { offset, uploadLength: uploadLength ?? null, contentLength: contentLength ?? null, sha1, body: request.body };
}

/** Whether a creation carries data (creation-with-upload): a body that is not declared empty. */
function hasBody(request: Request): boolean {
  return request.body !== null && request.headers.get("Content-Length") !== "0";
}

/**
 * Creation: the upload token (any failure is the bare 401, its reason only
 * in the log), the length or its deferral, the metadata; then the upload's
 * Durable Object, named by the token's jti, so a repeated creation finds it.
 */
async function create(call: UploadCall): Promise<TusAnswer | Response> {
  const { request, log } = call;
  const registry = await call.kidRegistry();
  const grant = await verifyUploadToken(
    bearerToken(request.headers.get("Authorization")),
    registry,
    call.settings.maxSize,
  );
  if (!grant.ok) {
    log.warn("media-upload-token-rejected", {
      method: call.method,
      path: call.path,
      status: 401,
      reason: grant.reason,
      kid: grant.kid,
    });
    call.metrics.note({ reason: grant.reason, kid: grant.kid });
    await request.body?.cancel();
    return invalidTokenResponse();
  }
  call.metrics.note({ bucket: grant.bucket, kid: grant.kid });
  const length = parseByteCount(request.headers.get("Upload-Length"));
  const deferred = request.headers.get("Upload-Defer-Length");
  const refuse = async (answer: TusAnswer): Promise<TusAnswer> => {
    await request.body?.cancel();
    return answer;
  };
  if (length === "invalid")
    return refuse(refusal(400, "bad_request", "Upload-Length must be a whole number of bytes."));
  if ((length === undefined) === (deferred === null))
    return refuse(refusal(400, "bad_request", "Send Upload-Length, or Upload-Defer-Length: 1 (not both)."));
  if (deferred !== null && deferred !== "1")
    return refuse(refusal(400, "bad_request", "Upload-Defer-Length must be 1."));
  if (length !== undefined && length > grant.max)
    return refuse(refusal(413, "payload_too_large", "Upload-Length is larger than this token's max."));
  // A creation whose body cannot be written (its headers, its length) creates nothing: no upload its client never learns of.
  const bodyInput = hasBody(request) ? writeInput(request, "0") : undefined;
  if (typeof bodyInput === "string") return refuse(writeRefusal(bodyInput));
  const bodyBytes = bodyInput?.contentLength ?? null;
  if (bodyBytes !== null && bodyBytes > (length ?? grant.max))
    return refuse(refusal(413, "payload_too_large", "The body is larger than the upload."));
  const metadata = parseUploadMetadata(request.headers.get("Upload-Metadata"));
  if ("problem" in metadata) return refuse(refusal(400, "bad_request", metadata.problem));

  const namespace = call.env.MEDIA_UPLOADS;
  const objectId = namespace.idFromName(grant.jti);
  const upload = namespace.get(objectId);
  const signer = registry.kids.get(grant.kid);
  if (signer === undefined) return refuse(NOT_FOUND);
  const expires = Math.floor(Date.now() / 1000) + call.settings.expirySeconds;
  const id = await issueCapability(objectId.toString(), expires, signer.kid, signer.key);
  const created = await call.metrics.timeUpstream(
    upload.create({
      put: grant.put,
      bucket: grant.bucket,
      ct: grant.ct,
      jti: grant.jti,
      replace: grant.replace,
      max: grant.max,
      length: length ?? null,
      partSize: partSizeFor(length ?? grant.max),
      expires: expires * 1000,
      tokenDeadline: grant.deadline,
      location: `${MEDIA_UPLOADS_PATH}/${id}`,
      metadata: metadata.metadata,
    }),
  );
  const location = created.headers?.Location;
  if (created.status === 201) log.info("media-upload-created", { bucket: grant.bucket, kid: grant.kid });
  // A repeated creation answers with the upload as it is; its body (if any) is not written twice.
  if (
    created.status !== 201 ||
    location === undefined ||
    !hasBody(request) ||
    created.headers?.["Upload-Offset"] !== "0"
  )
    return refuse(created);
  const written = await write(call, upload, "0");
  if (written.status === 204)
    return { status: 201, headers: { ...created.headers, ...written.headers, Location: location } };
  // tus creation-with-upload: a body refused for what it holds (a checksum) leaves the creation standing,
  // answered with the offset the bytes taken reached (the next PATCH meets the refusal itself); a refusal
  // that ended the upload (a file signature that does not match) has nothing to resume and is the answer.
  const after = await upload.head();
  const offset = after.headers?.["Upload-Offset"];
  if (after.status !== 200 || offset === undefined) return written;
  return { status: 201, headers: { ...created.headers, "Upload-Offset": offset, Location: location } };
}

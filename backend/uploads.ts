/**
 * The backend's half of uploads (contract v1.2, docs/uploads.md): it mints
 * one upload token per file a user picked, and it is told by the media
 * Worker's signed webhook when an upload completed, which it announces on
 * its event stream.
 *
 * | Route                          | Answers |
 * | ------------------------------ | ------- |
 * | `POST /api/v1/uploads` `{ name, type, size }` | `{ endpoint, token, key, contentType, maxBytes, jti, expiresAt }`: an upload token for one new object |
 * | `POST /webhooks/media-upload`  | 204 for a verified `upload.completed` (Standard Webhooks), 400/401 for anything else |
 */
import type { IncomingMessage } from "node:http";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import type { ErrorCode } from "../shared/errors.ts";
import { newUploadJti, readMintInput } from "../shared/mint-input.ts";
import type { Signer } from "../shared/token-sign.ts";
import { mintToken } from "../shared/token-sign.ts";
import type { EventHub } from "./events.ts";

/** Where the media Worker posts `upload.completed` (MEDIA_UPLOAD_WEBHOOK_URL points here). */
export const UPLOAD_WEBHOOK_PATH = "/webhooks/media-upload";

/** What the demo accepts: types whose file signature the media Worker checks (a mislabelled file gets 415). */
export const UPLOAD_CONTENT_TYPES: readonly string[] = [
  "video/mp4",
  "video/quicktime",
  "video/webm",
  "image/jpeg",
  "image/png",
  "image/gif",
  "image/webp",
];
/** The demo's size cap per file: large enough for a real clip, small enough for a laptop's local R2. */
export const UPLOAD_MAX_BYTES = 2 * 1024 ** 3;
/** The deadline to create the upload (not to finish it: the upload URL lives for hours). */
export const UPLOAD_TOKEN_TTL_SECONDS = 600;
/** Request bodies this module reads whole: a mint request is a few fields, a webhook a few KiB. */
const MAX_MINT_BODY_BYTES = 4096;
const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
const REFUSAL_CODES = {
  400: "bad_request",
  401: "unauthorized",
  413: "payload_too_large",
  503: "dependency_failed",
} as const satisfies Record<number, ErrorCode>;
/** Webhook ids already announced (a retried delivery is acknowledged again, not announced twice). */
const REMEMBERED_WEBHOOK_IDS = 1000;

/** What a route answers; backend/server.ts writes it (errors in the gateway's one JSON shape). */
export type Answer =
  | { status: 200; body: unknown }
  | { status: 204 }
  | { status: 400 | 401 | 413 | 503; code: ErrorCode; message: string };

/** What the page asks for: the file's name, its type and its size, as the browser reports them. */
interface UploadRequest {
  name: string;
  type: string;
  size: number;
}

/**
 * The object key for a user's file: under `uploads/<jti>/`, so two users'
 * `clip.mp4` never collide, with the name reduced to characters that are
 * safe in a URL, a header and a shell.
 */
export function uploadKeyFor(jti: string, fileName: string): string {
  const safe = fileName
    .normalize("NFKC")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+/, "")
    .slice(-100);
  return `uploads/${jti}/${safe === "" ? "upload" : safe}`;
}

/** Reads the whole body up to `limit` bytes; undefined when it is longer (the rest is drained). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let tooLong = false;
    request.on("data", (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) tooLong = true;
      else chunks.push(chunk);
    });
    request.on("end", () => resolve(tooLong ? undefined : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** Why a mint request is refused (status and sentence), or the request. */
function readUploadRequest(body: unknown): UploadRequest | { status: 400 | 413; message: string } {
  if (typeof body !== "object" || body === null) return { status: 400, message: "Send JSON: { name, type, size }." };
  const { name, type, size } = body as Record<string, unknown>;
  if (typeof name !== "string" || name.length === 0 || name.length > 255)
    return { status: 400, message: "name must be the file's name (1-255 characters)." };
  if (typeof type !== "string" || !UPLOAD_CONTENT_TYPES.includes(type))
    return { status: 400, message: `type must be one of ${UPLOAD_CONTENT_TYPES.join(", ")}.` };
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 1)
    return { status: 400, message: "size must be the file's size in bytes (a whole number from 1)." };
  if (size > UPLOAD_MAX_BYTES)
    return { status: 413, message: `This demo takes files up to ${UPLOAD_MAX_BYTES} bytes (${size} asked).` };
  return { name, type, size };
}

/**
 * `POST /api/v1/uploads`: an upload token for the file the user picked, its
 * `ct` from the file's type (allow-listed), its `max` the file's size, valid
 * for creating the upload within ten minutes.
 */
export async function mintUploadToken(request: IncomingMessage, signer: Signer | undefined): Promise<Answer> {
  const body = await readBody(request, MAX_MINT_BODY_BYTES);
  if (body === undefined)
    return { status: 413, code: "payload_too_large", message: "A mint request is a few fields of JSON." };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return { status: 400, code: "bad_request", message: "Send JSON: { name, type, size }." };
  }
  const wanted = readUploadRequest(parsed);
  if ("status" in wanted)
    return {
      status: wanted.status,
      code: wanted.status === 413 ? "payload_too_large" : "bad_request",
      message: wanted.message,
    };
  if (signer === undefined)
    return {
      status: 503,
      code: "dependency_failed",
      message: "No media token secret to sign with: set MEDIA_TOKEN_SECRET_V<N> of at least 32 bytes.",
    };

  const jti = newUploadJti();
  const input = readMintInput({
    put: uploadKeyFor(jti, wanted.name),
    max: wanted.size,
    ct: wanted.type,
    jti,
    ttl: UPLOAD_TOKEN_TTL_SECONDS,
  });
  if ("problem" in input) return { status: 400, code: "bad_request", message: `${input.message}.` };
  const minted = await mintToken(input, signer);
  const body200 = {
    endpoint: minted.path,
    token: minted.token,
    key: input.put,
    contentType: input.ct,
    maxBytes: input.max,
    jti,
    expiresAt: new Date(minted.exp * 1000).toISOString(),
  };
  return { status: 200, body: body200 };
}

/** The Standard Webhooks headers, each present once (a repeated header is refused, not guessed at). */
function webhookHeaders(request: IncomingMessage): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
    const value = request.headers[name];
    if (typeof value !== "string" || value === "") return undefined;
    headers[name] = value;
  }
  return /^[0-9]{1,12}$/.test(headers["webhook-timestamp"] ?? "") ? headers : undefined;
}

/** The announced part of an `upload.completed` event. */
interface CompletedUpload {
  type: string;
  data: Record<string, unknown>;
}

function readEvent(payload: unknown): CompletedUpload | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const { type, data } = payload as Record<string, unknown>;
  if (typeof type !== "string" || typeof data !== "object" || data === null) return undefined;
  return { type, data: data as Record<string, unknown> };
}

/**
 * Receives the media Worker's webhooks. The signature is checked by the
 * `standardwebhooks` package over the raw body (with its 5-minute timestamp
 * tolerance) before anything is parsed; a delivery already seen (the same
 * `webhook-id`, a retry whose 2xx was lost) is acknowledged and not announced again.
 */
export class UploadWebhookReceiver {
  readonly #seen = new Set<string>();
  readonly #secret: string | undefined;
  readonly #hub: EventHub;
  readonly #log: (line: string) => void;

  constructor(secret: string | undefined, hub: EventHub, log: (line: string) => void = (line) => console.log(line)) {
    this.#secret = secret;
    this.#hub = hub;
    this.#log = log;
  }

  async receive(request: IncomingMessage): Promise<Answer> {
    const refuse = (status: 400 | 401 | 413 | 503, reason: string): Answer => {
      this.#log(`backend: webhook refused ${status} (${reason})`);
      return {
        status,
        code: REFUSAL_CODES[status],
        // The reason stays in the log: a forger learns nothing about which check failed.
        message: status === 401 ? "The webhook signature does not verify." : `Webhook refused: ${reason}.`,
      };
    };
    const body = await readBody(request, MAX_WEBHOOK_BODY_BYTES);
    if (body === undefined) return refuse(413, `body over ${MAX_WEBHOOK_BODY_BYTES} bytes`);
    if (this.#secret === undefined) return refuse(503, "MEDIA_UPLOAD_WEBHOOK_SECRET is not set");
    const headers = webhookHeaders(request);
    if (headers === undefined) return refuse(400, "webhook-id, webhook-timestamp and webhook-signature are required");
    try {
      new Webhook(this.#secret).verify(body, headers, { jsonParse: false });
    } catch (error) {
      if (error instanceof WebhookVerificationError) return refuse(401, error.message);
      return refuse(503, "MEDIA_UPLOAD_WEBHOOK_SECRET is not a whsec_<base64> secret");
    }
    let event: CompletedUpload | undefined;
    try {
      event = readEvent(JSON.parse(body.toString("utf8")));
    } catch {
      event = undefined;
    }
    if (event === undefined) return refuse(400, "a verified body that is not a JSON event { type, data }");
    const id = headers["webhook-id"] ?? "";
    if (this.#seen.has(id)) {
      this.#log(`backend: webhook ${event.type} id=${id} again (a retry): acknowledged, not announced twice`);
      return { status: 204 };
    }
    this.#remember(id);
    const listeners = event.type === "upload.completed" ? this.#hub.announce(event) : 0;
    this.#log(
      `backend: webhook ${event.type} id=${id} ${describe(event.data)}, announced to ${listeners} event streams`,
    );
    return { status: 204 };
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > REMEMBERED_WEBHOOK_IDS) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}

/** The event's data in one log line (what a backend author checks first). */
function describe(data: Record<string, unknown>): string {
  return ["key", "bucket", "size", "contentType", "etag"]
    .filter((field) => data[field] !== undefined)
    .map((field) => `${field}=${String(data[field])}`)
    .join(" ");
}

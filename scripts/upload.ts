/**
 * `npm run upload -- <file> [--base http://127.0.0.1:8787] [--chunk 50] [--type video/mp4] [--token <upload token>]`:
 * uploads a file through the local gateway with a real tus client
 * (tus-js-client for Node), the way a backend's uploader or a desktop app
 * would (docs/uploads.md), and prints the object's download URL on stdout.
 *
 * The upload token comes from the backend behind /api (`POST /api/v1/uploads`,
 * the demo page's route), or from `--token`: a token, or the JSON line
 * `npm run mint -- --upload <key> --max <bytes> --ct <type>` prints.
 * Each upload URL is stored in .wrangler/upload-urls.json under the file's
 * fingerprint (path, size, mtime): run the same command after an interruption
 * (Ctrl-C, a lost connection) and it resumes from the offset the server
 * reports instead of starting over. Progress goes to stderr.
 * `--stop-after <MiB>` stops on purpose once that much is sent (exit 3), to
 * show or test a resume.
 */
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, extname } from "node:path";
import { parseArgs } from "node:util";
import { decodeJwt } from "jose";
import type { HttpRequest, HttpResponse, PreviousUpload, UrlStorage } from "tus-js-client";
import * as tus from "tus-js-client";

// tus-js-client's Node build exports FileUrlStorage; its type definitions do not declare it.
const { FileUrlStorage, Upload } = tus as typeof tus & { FileUrlStorage: new (path: string) => UrlStorage };

const USAGE =
  "usage: npm run upload -- <file> [--base http://127.0.0.1:8787] [--chunk MiB] [--type video/mp4] [--token <upload token>] [--stop-after MiB]";
const MIB = 1024 * 1024;
/** A multiple of the media Worker's 5 MiB parts, well under the edge's 100 MB body cap (docs/uploads.md). */
const DEFAULT_CHUNK_MIB = 50;
const URL_STORE = ".wrangler/upload-urls.json";
/** Network failures are retried with these delays; a 4xx other than 409/423 is not (tus-js-client's rule). */
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10_000, 20_000];
/** Exit codes: 3 for a deliberate stop (`--stop-after`), 130 for Ctrl-C; both resume on the next run. */
const EXIT_STOPPED = 3;
const EXIT_INTERRUPTED = 130;

/** The types the demo backend accepts, by file extension (what a browser reports as `file.type`). */
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  ".mp4": "video/mp4",
  ".m4v": "video/mp4",
  ".mov": "video/quicktime",
  ".webm": "video/webm",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    base: { type: "string" },
    chunk: { type: "string" },
    type: { type: "string" },
    token: { type: "string" },
    "stop-after": { type: "string" },
  },
});
const path = positionals[0];
if (path === undefined || positionals.length > 1 || !existsSync(path) || !statSync(path).isFile()) {
  console.error(path === undefined || positionals.length > 1 ? USAGE : `upload: ${path} is not a file\n${USAGE}`);
  process.exit(2);
}
const base = new URL(values.base ?? `http://127.0.0.1:${process.env.PORT ?? "8787"}`);
const chunkMiB = Number(values.chunk ?? DEFAULT_CHUNK_MIB);
const stopAfter = values["stop-after"] === undefined ? undefined : Number(values["stop-after"]) * MIB;
const type = values.type ?? TYPES_BY_EXTENSION[extname(path).toLowerCase()];
if (!(chunkMiB > 0) || (stopAfter !== undefined && !(stopAfter > 0)) || type === undefined) {
  console.error(
    `upload: ${type === undefined ? `no type known for ${extname(path) || "a file without extension"}: pass --type` : "--chunk and --stop-after are MiB, above 0"}\n${USAGE}`,
  );
  process.exit(2);
}
const size = statSync(path).size;
const say = (line: string) => console.error(`upload: ${line}`);
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

/** A credential stays out of the terminal's scrollback: `/media/uploads/AbCdEfGh…`. */
function shortUploadUrl(url: string): string {
  const { pathname } = new URL(url, base);
  return pathname.length > 23 ? `${pathname.slice(0, 23)}…` : pathname;
}

/** FileUrlStorage that also keeps which object key each stored upload creates (for the download URL at the end). */
function keyedStorage(file: string, key: () => string): UrlStorage {
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file)) writeFileSync(file, "{}");
  const storage = new FileUrlStorage(file);
  return {
    findAllUploads: () => storage.findAllUploads(),
    findUploadsByFingerprint: (fingerprint) => storage.findUploadsByFingerprint(fingerprint),
    removeUpload: (urlStorageKey) => storage.removeUpload(urlStorageKey),
    addUpload: (fingerprint, upload) => storage.addUpload(fingerprint, { ...upload, key: key() } as PreviousUpload),
  };
}

interface MintedUpload {
  endpoint: string;
  token: string;
  key: string;
  expiresAt: string;
}

async function mintUploadToken(): Promise<MintedUpload> {
  const url = new URL("/api/v1/uploads", base);
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: basename(path ?? ""), type, size }),
  });
  const body = (await response.json().catch(() => ({}))) as Partial<MintedUpload> & { error?: { message?: string } };
  if (!response.ok || body.token === undefined || body.key === undefined) {
    throw new Error(`${url.href} answered ${response.status}: ${body.error?.message ?? "no token"}`);
  }
  say(`token from ${url.href} for ${body.key} (create by ${body.expiresAt ?? "?"})`);
  return {
    endpoint: body.endpoint ?? "/media/uploads",
    token: body.token,
    key: body.key,
    expiresAt: body.expiresAt ?? "",
  };
}

async function downloadUrl(key: string): Promise<string> {
  const url = new URL(`/api/v1/media/${key.split("/").map(encodeURIComponent).join("/")}`, base);
  const response = await fetch(url);
  const body = (await response.json().catch(() => ({}))) as { url?: string; error?: { message?: string } };
  if (!response.ok || body.url === undefined)
    throw new Error(`${url.href} answered ${response.status}: ${body.error?.message ?? "no URL"}`);
  return new URL(body.url, base).href;
}

/** `--token`'s value: a compact JWS, or `npm run mint`'s JSON line `{"endpoint":…,"token":…}`. */
function tokenOf(value: string): string {
  if (!value.trimStart().startsWith("{")) return value.trim();
  try {
    const line = JSON.parse(value) as { token?: unknown };
    return typeof line.token === "string" ? line.token : "";
  } catch {
    return "";
  }
}

let key = "";
const storage = keyedStorage(URL_STORE, () => key);
let patches = 0;
const upload = new Upload(createReadStream(path), {
  endpoint: new URL("/media/uploads", base).href,
  chunkSize: chunkMiB * MIB,
  retryDelays: RETRY_DELAYS_MS,
  metadata: { filename: basename(path), filetype: type },
  storeFingerprintForResuming: true,
  removeFingerprintOnSuccess: true,
  urlStorage: storage,
  onAfterResponse: (request: HttpRequest, response: HttpResponse) => {
    const method = request.getMethod();
    const id = response.getHeader("X-Request-Id") ?? "-";
    if (method === "POST" && response.getStatus() === 201)
      say(
        `created ${shortUploadUrl(response.getHeader("Location") ?? "")} (201, expires ${response.getHeader("Upload-Expires") ?? "?"}, request ${id})`,
      );
    else if (method === "HEAD")
      say(
        `the server has ${mib(Number(response.getHeader("Upload-Offset") ?? 0))} (HEAD ${response.getStatus()}, Upload-Offset ${response.getHeader("Upload-Offset") ?? "-"}, request ${id})`,
      );
    else if (method === "PATCH") {
      patches += 1;
      say(`PATCH ${response.getStatus()}: offset ${response.getHeader("Upload-Offset") ?? "-"} (request ${id})`);
    }
  },
  onProgress: (sent) => {
    if (stopAfter !== undefined && sent >= stopAfter) {
      say(`stopping on purpose after ${mib(sent)} sent (--stop-after): run the same command without it to resume`);
      void upload.abort().then(() => process.exit(EXIT_STOPPED));
    }
  },
  onError: (error) => {
    say(`failed: ${error.message}`);
    process.exit(1);
  },
  onSuccess: () => {
    say(`complete: ${mib(size)} in ${patches} PATCH${patches === 1 ? "" : "es"} this run`);
    downloadUrl(key).then(
      (url) => {
        say(`download URL (signed, 5 min):`);
        console.log(url);
      },
      (error: unknown) => {
        say(`uploaded, but no download URL: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  },
});

process.on("SIGINT", () => {
  say("interrupted: run the same command to resume");
  void upload.abort().then(() => process.exit(EXIT_INTERRUPTED));
});

/** `--token`'s upload token, checked before anything is sent; its `put` claim is the key (read, not verified: the gateway verifies). */
function givenToken(value: string): { token: string; key: string } {
  const token = tokenOf(value);
  let put: unknown;
  try {
    put = decodeJwt(token).put;
  } catch {
    put = undefined;
  }
  if (typeof put !== "string") {
    console.error(`upload: --token is not an upload token (no put claim)\n${USAGE}`);
    process.exit(2);
  }
  return { token, key: put };
}

/** The object, when it already holds all `size` bytes (an upload that completed before its client saw the answer). */
async function finishedObject(objectKey: string): Promise<string | undefined> {
  const url = await downloadUrl(objectKey).catch(() => undefined);
  if (url === undefined) return undefined;
  const head = await fetch(url, { method: "HEAD" });
  return head.status === 200 && head.headers.get("Content-Length") === String(size) ? url : undefined;
}

/** Points the upload at a new object: --token's, or one the backend mints now. */
async function createNew(): Promise<void> {
  if (values.token !== undefined) {
    const given = givenToken(values.token);
    key = given.key;
    upload.options.headers = { Authorization: `Bearer ${given.token}` };
    return;
  }
  const minted = await mintUploadToken().catch((error: unknown) => {
    say(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
  key = minted.key;
  upload.options.headers = { Authorization: `Bearer ${minted.token}` };
}

if (values.token !== undefined) givenToken(values.token);
say(`${basename(path)}: ${mib(size)}, ${type}, chunks of ${chunkMiB} MiB, through ${base.origin}`);
/** keyedStorage's records carry the key beside what tus-js-client stores. */
const previous: (PreviousUpload & { key?: string }) | undefined = (await upload.findPreviousUploads())[0];
const stored =
  previous?.uploadUrl &&
  (await fetch(new URL(previous.uploadUrl, base), { method: "HEAD", headers: { "Tus-Resumable": "1.0.0" } })).status;
if (previous?.uploadUrl && stored !== 404) {
  key = previous.key ?? key;
  say(`resuming the stored upload ${shortUploadUrl(previous.uploadUrl)} (started ${previous.creationTime})`);
  upload.resumeFromPreviousUpload(previous);
} else if (previous?.uploadUrl && previous.key !== undefined && (await finishedObject(previous.key)) !== undefined) {
  // It completed (its last answer perhaps lost), and its URL has expired since: nothing is left to send.
  await storage.removeUpload(previous.urlStorageKey);
  say(`the stored upload is gone and ${previous.key} holds all ${size} bytes: it completed before its URL expired`);
  say(`download URL (signed, 5 min):`);
  console.log(await downloadUrl(previous.key));
  process.exit(0);
} else {
  if (previous?.uploadUrl) {
    await storage.removeUpload(previous.urlStorageKey);
    say(`the stored upload ${shortUploadUrl(previous.uploadUrl)} is gone (expired or terminated): starting a new one`);
  }
  await createNew();
}
upload.start();

/**
 * `npm run upload` (scripts/upload.ts, tus-js-client for Node) against the
 * three real Workers in one workerd (scripts/local-gateway.ts: local R2 with
 * multipart, the upload Durable Objects) and the local backend, which mints
 * the token and receives the signed webhook: interrupted on purpose, run
 * again, it resumes from the offset the server reports, completes, and the
 * URL it prints downloads the file byte for byte.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunningBackend } from "../../backend/server.ts";
import { startBackend } from "../../backend/server.ts";
import { UPLOAD_WEBHOOK_PATH } from "../../backend/uploads.ts";
import type { LocalGateway } from "../../scripts/local-gateway.ts";
import { startLocalGateway } from "../../scripts/local-gateway.ts";
import { MEDIA_UPLOADS_PATH } from "../../shared/media-token.ts";
import { newUploadJti } from "../../shared/mint-input.ts";
import { signUploadToken } from "../../shared/token-sign.ts";
import { offlineEnvironment, runScript } from "./run-script.ts";

const MIB = 1024 * 1024;
const secrets = {
  ADMIN_TOKEN: "upload-cli-admin-token",
  MEDIA_TOKEN_SECRET_V1: "upload-cli-media-secret-v1-0123456789abcdef",
  BACKEND_AUTH_TOKEN: "upload-cli-backend-auth-token",
};
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString("base64")}`;

let backend: RunningBackend;
let gateway: LocalGateway;
const dir = mkdtempSync(join(tmpdir(), "upload-cli-"));
const log = vi.spyOn(console, "log").mockImplementation(() => undefined);

beforeAll(async () => {
  backend = await startBackend({
    port: 0,
    secrets: { ...secrets, MEDIA_UPLOAD_WEBHOOK_SECRET: WEBHOOK_SECRET },
  });
  gateway = await startLocalGateway({
    backendUrl: backend.url,
    secrets,
    mediaVars: {
      MEDIA_UPLOAD_WEBHOOK_URL: `${backend.url}${UPLOAD_WEBHOOK_PATH}`,
      MEDIA_UPLOAD_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
  });
}, 60_000);

afterAll(async () => {
  await gateway.dispose();
  await backend.close();
  log.mockRestore();
  rmSync(dir, { recursive: true, force: true });
});

/** An MP4-looking file (the sample's `ftyp` box first, as the media Worker checks), the rest random. */
function mp4File(name: string, size: number): { path: string; bytes: Buffer } {
  const head = readFileSync("samples/testsrc-640x360.mp4").subarray(0, 64);
  const bytes = Buffer.concat([head, randomBytes(size - head.length)]);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

/** An upload token for a new MP4 of `size` bytes under `cli/`, as a backend (or `npm run mint -- --upload`) mints it. */
async function mintUploadToken(size: number): Promise<{ token: string; key: string }> {
  const jti = newUploadJti();
  const key = `cli/${jti}.mp4`;
  const token = await signUploadToken({
    put: key,
    max: size,
    ct: "video/mp4",
    jti,
    ttlSeconds: 300,
    kid: "v1",
    secret: secrets.MEDIA_TOKEN_SECRET_V1,
  });
  return { token, key };
}

const upload = (args: string[]) =>
  runScript("upload.ts", [...args, "--base", gateway.url.origin], { env: offlineEnvironment() });

async function downloaded(url: string): Promise<Buffer> {
  expect(new URL(url).origin).toBe(gateway.url.origin);
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe("npm run upload", () => {
  it("stops on purpose, resumes from the server's offset on the next run, and prints a URL that downloads the file byte for byte", async () => {
    const file = mp4File("resume.mp4", 12 * MIB);
    const first = await upload([file.path, "--chunk", "5", "--stop-after", "6"]);
    expect(first.stderr).toMatch(/token from .*\/api\/v1\/uploads for uploads\/[A-Za-z0-9_-]+\/resume\.mp4/);
    expect(first.stderr).toMatch(/created \/media\/uploads\/\S+… \(201, expires /);
    expect(first.stderr).toContain("stopping on purpose");
    expect(first.code).toBe(3);
    expect(first.stdout).toBe("");

    const second = await upload([file.path, "--chunk", "5"]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("resuming the stored upload /media/uploads/");
    const offset = Number(/Upload-Offset (\d+)/.exec(second.stderr)?.[1]);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(12 * MIB);
    // Resumed, not recreated: no new token, no new creation.
    expect(second.stderr).not.toContain("token from");
    expect(second.stderr).not.toContain("created /media/uploads/");
    expect(second.stderr).toContain("complete: 12.0 MiB");
    const url = second.stdout.trim();
    expect((await downloaded(url)).equals(file.bytes)).toBe(true);
    // The media Worker told the backend, signed; the backend verified it.
    await vi.waitFor(
      () =>
        expect(log).toHaveBeenCalledWith(
          expect.stringMatching(
            /^backend: webhook upload\.completed id=\S+ key=uploads\/\S+\/resume\.mp4 bucket=media size=12582912 contentType=video\/mp4 /,
          ),
        ),
      { timeout: 10_000 },
    );
  });

  it("uploads with a token minted elsewhere (--token, e.g. from npm run mint), its key read from the token's put claim", async () => {
    const file = mp4File("minted.mp4", 6 * MIB + 123);
    const { token } = await mintUploadToken(file.bytes.length);
    const result = await upload([file.path, "--token", token, "--chunk", "5"]);
    expect(result.code).toBe(0);
    expect((await downloaded(result.stdout.trim())).equals(file.bytes)).toBe(true);
  });

  /** The upload URL store (.wrangler/upload-urls.json) with one entry for `path`, as an interrupted run leaves it. */
  function storeUpload(path: string, uploadUrl: string, key: string): void {
    const store = ".wrangler/upload-urls.json";
    const endpoint = new URL(MEDIA_UPLOADS_PATH, gateway.url).href;
    const { size, mtime } = statSync(path);
    const fingerprint = ["node-file", resolve(path), size, mtime.getTime(), endpoint].join("-");
    const entries = existsSync(store) ? (JSON.parse(readFileSync(store, "utf8")) as Record<string, unknown>) : {};
    entries[`tus::${fingerprint}::1`] = {
      size,
      metadata: {},
      creationTime: new Date().toString(),
      uploadUrl,
      parallelUploadUrls: null,
      key,
    };
    writeFileSync(store, JSON.stringify(entries));
  }

  /** A whole upload sent by hand (one PATCH), as a client whose last answer was lost leaves it: its URL and key. */
  async function completedUpload(bytes: Buffer): Promise<{ uploadUrl: string; key: string }> {
    const { token, key } = await mintUploadToken(bytes.length);
    const tus = { "Tus-Resumable": "1.0.0" };
    const created = await fetch(new URL(MEDIA_UPLOADS_PATH, gateway.url), {
      method: "POST",
      headers: { ...tus, Authorization: `Bearer ${token}`, "Upload-Length": String(bytes.length) },
    });
    expect(created.status).toBe(201);
    const uploadUrl = new URL(created.headers.get("Location") ?? "", gateway.url).href;
    const patched = await fetch(uploadUrl, {
      method: "PATCH",
      headers: { ...tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream" },
      body: Uint8Array.from(bytes),
    });
    expect(patched.status).toBe(204);
    return { uploadUrl, key };
  }

  it("finishes without sending a byte when the stored upload completed before the interruption (its last answer never arrived)", async () => {
    const file = mp4File("finished.mp4", 6 * MIB);
    const { uploadUrl, key } = await completedUpload(file.bytes);
    storeUpload(file.path, uploadUrl, key);

    const result = await upload([file.path]);
    expect(result.code).toBe(0);
    // The completed upload's HEAD shows its whole length until its URL expires.
    expect(result.stderr).toContain(`the server has 6.0 MiB (HEAD 200, Upload-Offset ${file.bytes.length},`);
    expect(result.stderr).toContain("complete: 6.0 MiB in 0 PATCHes this run");
    expect(result.stderr).not.toContain("created /media/uploads/");
    expect((await downloaded(result.stdout.trim())).equals(file.bytes)).toBe(true);
    // Forgotten: the next run of the same file starts a new upload.
    expect(readFileSync(".wrangler/upload-urls.json", "utf8")).not.toContain(uploadUrl);
  });

  it("prints the object's URL when the stored upload URL is gone but its object holds every byte", async () => {
    const file = mp4File("expired-but-done.mp4", 1 * MIB);
    const { key } = await completedUpload(file.bytes);
    const gone = new URL(`${MEDIA_UPLOADS_PATH}/no-such-upload`, gateway.url).href;
    storeUpload(file.path, gone, key);

    const result = await upload([file.path]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`the stored upload is gone and ${key} holds all ${file.bytes.length} bytes`);
    expect(result.stderr).not.toContain("created /media/uploads/");
    expect((await downloaded(result.stdout.trim())).equals(file.bytes)).toBe(true);
    expect(readFileSync(".wrangler/upload-urls.json", "utf8")).not.toContain(gone);
  });

  it("starts a new upload when the stored one is gone and its object does not exist (expired or terminated)", async () => {
    const file = mp4File("expired.mp4", 1 * MIB);
    storeUpload(file.path, new URL(`${MEDIA_UPLOADS_PATH}/no-such-upload`, gateway.url).href, "cli/never-written.mp4");
    const result = await upload([file.path]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("is gone (expired or terminated): starting a new one");
    expect(result.stderr).toMatch(/created \/media\/uploads\/\S+… \(201/);
    expect((await downloaded(result.stdout.trim())).equals(file.bytes)).toBe(true);
  });

  const refusals = [
    { what: "no file", args: [], code: 2, message: "usage: npm run upload" },
    { what: "a missing file", args: ["no/such/file.mp4"], code: 2, message: "is not a file" },
    { what: "an unknown extension without --type", args: ["README.md"], code: 2, message: "no type known for .md" },
    {
      what: "a type the backend does not allow",
      args: ["README.md", "--type", "text/html"],
      code: 1,
      message: "answered 400: type must be one of",
    },
    {
      what: "a token that is not an upload token",
      args: ["samples/sprite.jpg", "--token", "not-a-jwt"],
      code: 2,
      message: "not an upload token",
    },
  ];
  it.each(refusals)("refuses $what with exit code $code and a clear message", async ({ args, code, message }) => {
    const result = await upload(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
  });

  it("refuses a file over the backend's cap before sending a byte", async () => {
    // A sparse 3 GiB file: the size is real, the disk blocks are not.
    const path = join(dir, "huge.mp4");
    closeSync(openSync(path, "w"));
    await import("node:fs/promises").then((fs) => fs.truncate(path, 3 * 1024 ** 3));
    const result = await upload([path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("answered 413: This demo takes files up to 2147483648 bytes");
  });
});

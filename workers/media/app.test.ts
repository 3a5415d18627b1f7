/**
 * The media Worker's entry (handle.ts): it puts the request id it was
 * passed, nosniff and CORS on every kind of answer, a delivery's (before the
 * Hono app) and the app's, errors and an exception's 500 included; a tus HEAD
 * is answered as a HEAD although hono dispatches it as a GET.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import { ORIGIN, captureLogs, mint, uniqueKey } from "./test-kit";
import { handleMediaRequest } from "./handle";
import { mediaPath } from "../../shared/media-token";
import { TUS, createUpload, locationOf, mintUpload, send } from "./uploads/upload-kit";

const ALLOWED = "https://player.example";

/** One request through the app with CORS on for ALLOWED, asked from ALLOWED with request id `rid-app`. */
async function answer(
  path: string,
  init: RequestInit = {},
  deployment: object = { ...env, MEDIA_CORS_ORIGINS: ALLOWED },
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Origin", ALLOWED);
  headers.set("X-Request-Id", "rid-app");
  const ctx = createExecutionContext();
  const response = await handleMediaRequest(
    new Request(`${ORIGIN}${path}`, { ...init, headers }),
    deployment as MediaEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

/** The entry's JSON 500 of an exception: the request id, the CORS grant, the exact body and the `media-failed` line. */
async function expectExceptionAnswer(response: Response, lines: readonly string[]): Promise<void> {
  expect(response.status).toBe(500);
  expect(response.headers.get("X-Request-Id")).toBe("rid-app");
  expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
  expect((await response.json<ErrorBody>()).error).toEqual({
    status: 500,
    code: "internal_error",
    message: "The media Worker failed to answer.",
    requestId: "rid-app",
  });
  expect(lines.some((line) => line.includes('"event":"media-failed"'))).toBe(true);
}

describe("every media answer leaves through the entry", () => {
  const answers: [string, () => Promise<Response>, number][] = [
    ["a path it does not serve (404)", () => answer("/media/nope"), 404],
    ["a refused token (401)", () => answer("/media/v1/not.a.token"), 401],
    ["a write method (405)", async () => answer(mediaPath(await mint(uniqueKey("a.mp4"))), { method: "POST" }), 405],
    ["a missing object (404)", async () => answer(mediaPath(await mint(uniqueKey("missing.mp4")))), 404],
    ["an upload without a token (401)", () => answer("/media/uploads", { method: "POST", headers: TUS }), 401],
    ["an unknown upload (404)", () => answer("/media/uploads/nope", { method: "HEAD", headers: TUS }), 404],
  ];
  it.each(answers)("%s carries the request id, nosniff and the CORS grant", async (_kind, send, status) => {
    const response = await send();
    await response.body?.cancel();
    expect(response.status).toBe(status);
    expect(response.headers.get("X-Request-Id")).toBe("rid-app");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
  });

  it("answers an exception in a delivery with the JSON 500, with the request id and the CORS grant", async () => {
    const broken = {
      ...env,
      MEDIA_CORS_ORIGINS: ALLOWED,
      get MEDIA_TOKEN_SECRET_V2(): string {
        throw new Error("secret store unavailable (on purpose)");
      },
    };
    const path = mediaPath(await mint(uniqueKey("a.mp4")));
    const { result: response, lines } = await captureLogs(() => answer(path, {}, broken));
    await expectExceptionAnswer(response, lines);
  });

  it("answers an exception in an app route (uploads) with the same JSON 500, from the entry", async () => {
    const broken = {
      ...env,
      MEDIA_CORS_ORIGINS: ALLOWED,
      get MEDIA_UPLOAD_MAX_SIZE(): string {
        throw new Error("vars unavailable (on purpose)");
      },
    };
    const token = await mintUpload(uniqueKey("broken.mp4"));
    const headers = { ...TUS, Authorization: `Bearer ${token}`, "Upload-Length": "10" };
    const { result: response, lines } = await captureLogs(() =>
      answer("/media/uploads", { method: "POST", headers }, broken),
    );
    expect(response.headers.get("Tus-Resumable")).toBe("1.0.0");
    await expectExceptionAnswer(response, lines);
  });
});

describe("tus HEAD through hono, which dispatches HEAD as GET", () => {
  it("answers a HEAD with the upload's offset and no body, and a GET on the same upload with a 405", async () => {
    const created = await createUpload(await mintUpload(uniqueKey("head.mp4")), 10);
    const location = locationOf(created);
    const head = await send(location, { method: "HEAD", headers: TUS });
    expect(head.status).toBe(200);
    expect(head.headers.get("Upload-Offset")).toBe("0");
    expect(head.headers.get("Upload-Length")).toBe("10");
    expect(await head.text()).toBe("");
    const get = await send(location, { headers: TUS });
    expect(get.status).toBe(405);
    expect(get.headers.get("Allow")).toBe("HEAD, PATCH, DELETE, OPTIONS");
  });
});

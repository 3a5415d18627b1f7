/** tus 1.0 extensions through the real media Worker: each answer's exact status and headers. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../../shared/errors";
import { answerWithVars, uniqueKey } from "../test-kit";
import { MIB, TUS, createUpload, locationOf, mintUpload, mp4Bytes, patch, send, storedBytes } from "./upload-kit";

const PNG_START = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngBytes(size: number): Uint8Array {
  const bytes = mp4Bytes(size, 9);
  bytes.set(PNG_START);
  return bytes;
}

async function sha1Base64(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes));
  return btoa(String.fromCharCode(...digest));
}

const head = (location: string, headers: Record<string, string> = {}) =>
  send(location, { method: "HEAD", headers: { ...TUS, ...headers } });

describe("tus extensions", { timeout: 60_000 }, () => {
  it("discovery: OPTIONS names the version, extensions, Tus-Max-Size and checksum algorithm", async () => {
    for (const path of ["/media/uploads", "/media/uploads/anything"]) {
      const response = await send(path, { method: "OPTIONS" });
      expect(response.status).toBe(204);
      expect(response.headers.get("Tus-Version")).toBe("1.0.0");
      expect(response.headers.get("Tus-Resumable")).toBe("1.0.0");
      expect(response.headers.get("Tus-Extension")).toBe(
        "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination",
      );
      expect(response.headers.get("Tus-Max-Size")).toBe("5368709120");
      expect(response.headers.get("Tus-Checksum-Algorithm")).toBe("sha1");
    }
  });

  it("CORS: an allow-listed origin's preflight gets the tus headers allowed, its answers get them exposed", async () => {
    const origin = "https://app.example";
    const vars = { MEDIA_CORS_ORIGINS: origin };
    const preflight = await answerWithVars(
      "/media/uploads",
      { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "PATCH" } },
      vars,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    expect(preflight.headers.get("Access-Control-Allow-Methods")).toBe("POST, HEAD, PATCH, DELETE, OPTIONS");
    expect(preflight.headers.get("Access-Control-Allow-Headers")).toContain("Upload-Offset");
    expect(preflight.headers.get("Access-Control-Allow-Headers")).toContain("Tus-Resumable");
    expect(preflight.headers.get("Tus-Version")).toBeNull();
    const discovery = await answerWithVars("/media/uploads", { method: "OPTIONS", headers: { Origin: origin } }, vars);
    expect(discovery.headers.get("Access-Control-Expose-Headers")).toContain("Upload-Offset");
    expect(discovery.headers.get("Access-Control-Expose-Headers")).toContain("Location");
    const stranger = await answerWithVars(
      "/media/uploads",
      { method: "OPTIONS", headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "PATCH" } },
      vars,
    );
    expect(stranger.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(stranger.headers.get("Vary")).toBe("Origin");
  });

  it("CORS on every upload answer to an allow-listed origin, from one place: 401, 404, 409, 413, 415, 412 and a preflight", async () => {
    const origin = "https://app.example";
    const vars = { MEDIA_CORS_ORIGINS: origin };
    const ask = (path: string, init: RequestInit & { headers: Record<string, string> }) =>
      answerWithVars(path, { ...init, headers: { Origin: origin, ...init.headers } }, vars);
    const expectGranted = (response: Response, status: number) => {
      expect(response.status).toBe(status);
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe(origin);
      expect(response.headers.get("Access-Control-Expose-Headers")).toBe(
        "Location, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, " +
          "Upload-Offset, Upload-Length, Upload-Defer-Length, Upload-Expires, X-Request-Id",
      );
      expect(response.headers.get("Vary")).toBe("Origin");
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    };
    const token = (max = MIB) => mintUpload(uniqueKey("cors.mp4"), { max });
    const post = async (headers: Record<string, string>) =>
      ask("/media/uploads", { method: "POST", headers: { ...TUS, ...headers } });

    // The bare 401 of a refused token: no body, its scheme, and the grant, so a page sees 401 and not status 0.
    const refused = await post({ Authorization: "Bearer not-a-token", "Upload-Length": "10" });
    expectGranted(refused, 401);
    expect(refused.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    expectGranted(await post({ "Upload-Length": "10" }), 401);
    const stranger = await answerWithVars(
      "/media/uploads",
      { method: "POST", headers: { ...TUS, Origin: "https://evil.example", "Upload-Length": "10" } },
      vars,
    );
    expect(stranger.status).toBe(401);
    expect(stranger.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(stranger.headers.get("Vary")).toBe("Origin");

    expectGranted(await ask("/media/uploads/no-such-upload", { method: "HEAD", headers: TUS }), 404);
    const notFound = await ask("/media/uploads/no-such-upload", {
      method: "PATCH",
      headers: { ...TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0" },
      body: new Uint8Array(1),
    });
    expectGranted(notFound, 404);
    expect((await notFound.json<ErrorBody>()).error.code).toBe("not_found");

    expectGranted(await post({ Authorization: `Bearer ${await token()}`, "Upload-Length": String(2 * MIB) }), 413);
    expectGranted(await ask("/media/uploads", { method: "POST", headers: { "Upload-Length": "10" } }), 412);

    const created = await post({ Authorization: `Bearer ${await token()}`, "Upload-Length": "1024" });
    expectGranted(created, 201);
    const location = locationOf(created);
    const octets = { ...TUS, "Content-Type": "application/offset+octet-stream" };
    const behind = await ask(location, {
      method: "PATCH",
      headers: { ...octets, "Upload-Offset": "7" },
      body: new Uint8Array(1),
    });
    expectGranted(behind, 409);
    expect(behind.headers.get("Upload-Offset")).toBe("0");
    const wrongBodyType = await ask(location, {
      method: "PATCH",
      headers: { ...TUS, "Content-Type": "text/plain", "Upload-Offset": "0" },
      body: "x",
    });
    expectGranted(wrongBodyType, 415);
    // A file that does not start like its token's type: the Durable Object's 415, the upload gone.
    const png = await ask(location, {
      method: "PATCH",
      headers: { ...octets, "Upload-Offset": "0" },
      body: pngBytes(1024),
    });
    expectGranted(png, 415);

    const preflight = await ask(location, {
      method: "OPTIONS",
      headers: { "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "upload-offset" },
    });
    expectGranted(preflight, 204);
    expect(preflight.headers.get("Access-Control-Allow-Methods")).toBe("POST, HEAD, PATCH, DELETE, OPTIONS");
    expect(preflight.headers.get("Access-Control-Allow-Headers")).toBe(
      "Authorization, Content-Type, Tus-Resumable, Upload-Length, Upload-Defer-Length, Upload-Offset, " +
        "Upload-Metadata, Upload-Checksum, X-HTTP-Method-Override, X-Request-Id",
    );
    expect(preflight.headers.get("Access-Control-Max-Age")).toBe("86400");
  });

  it("a refused upload token is the bare 401 with Tus-Resumable (tus puts it on every answer but OPTIONS) and nothing more", async () => {
    const refusals: Record<string, string>[] = [{ Authorization: "Bearer not-a-token" }, {}];
    for (const authorization of refusals) {
      const refused = await send("/media/uploads", {
        method: "POST",
        headers: { ...TUS, ...authorization, "Upload-Length": "10" },
      });
      expect(refused.status).toBe(401);
      expect(await refused.text()).toBe("");
      expect(refused.headers.get("Tus-Resumable")).toBe("1.0.0");
      expect(refused.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
      expect([...refused.headers.keys()].sort()).toEqual([
        "cache-control",
        "content-length",
        "tus-resumable",
        "www-authenticate",
        "x-content-type-options",
        "x-request-id",
      ]);
    }
  });

  it("creation-with-upload: a small file in the POST body is one put, stored with the token's type", async () => {
    const key = uniqueKey("avatar.png");
    const file = pngBytes(MIB);
    const created = await createUpload(
      await mintUpload(key, { ct: "image/png", max: 2 * MIB }),
      file.byteLength,
      {},
      file,
    );
    expect(created.status).toBe(201);
    expect(created.headers.get("Upload-Offset")).toBe(String(MIB));
    const object = await env.MEDIA_BUCKET.head(key);
    expect(object?.httpMetadata?.contentType).toBe("image/png");
    expect(await storedBytes(env.MEDIA_BUCKET, key)).toEqual(file);
  });

  it("creation-with-upload: a body refused for its bytes leaves the creation at offset 0, one that ends the upload or cannot be written is the answer", async () => {
    // A checksum that does not match: the upload exists, none of the body is taken, the client PATCHes from 0.
    const checkedKey = uniqueKey("checked-at-creation.mp4");
    const file = mp4Bytes(1000);
    const checked = await createUpload(
      await mintUpload(checkedKey),
      file.byteLength,
      {
        "Upload-Checksum": `sha1 ${await sha1Base64(file.subarray(1))}`,
      },
      file,
    );
    expect(checked.status).toBe(201);
    expect(checked.headers.get("Upload-Offset")).toBe("0");
    expect(checked.headers.get("Upload-Expires")).not.toBeNull();
    const location = locationOf(checked);
    expect((await head(location)).headers.get("Upload-Offset")).toBe("0");
    expect((await patch(location, 0, file)).status).toBe(204);
    expect(await storedBytes(env.MEDIA_BUCKET, checkedKey)).toEqual(file);

    // A body that cannot be written (not offset+octet-stream, a malformed checksum) creates nothing.
    const typedToken = await mintUpload(uniqueKey("typed-at-creation.mp4"));
    const typed = await createUpload(typedToken, 100, { "Content-Type": "text/plain" }, mp4Bytes(100));
    expect(typed.status).toBe(415);
    expect(typed.headers.get("Location")).toBeNull();
    const malformed = await createUpload(
      typedToken,
      100,
      { "Upload-Checksum": "md5 1B2M2Y8AsgTpgAmY7PhCfg==" },
      mp4Bytes(100),
    );
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("Location")).toBeNull();
    const typedAgain = await createUpload(typedToken, 100, {}, mp4Bytes(100));
    expect(typedAgain.status).toBe(201);
    expect(typedAgain.headers.get("Upload-Offset")).toBe("100");

    // Bytes that do not start like ct end the upload: 415, no Location, the token spent.
    const pageKey = uniqueKey("page-at-creation.mp4");
    const pageToken = await mintUpload(pageKey);
    const page = new TextEncoder().encode("<html>".padEnd(100, " "));
    const refused = await createUpload(pageToken, 100, {}, page);
    expect(refused.status).toBe(415);
    expect(refused.headers.get("Location")).toBeNull();
    expect((await refused.json<ErrorBody>()).error.code).toBe("unsupported_media_type");
    expect((await createUpload(pageToken, 100)).status).toBe(409);
    expect(await env.MEDIA_BUCKET.head(pageKey)).toBeNull();

    // A body larger than the upload creates nothing: 413, and the token can still create it.
    const bigKey = uniqueKey("big-at-creation.mp4");
    const bigToken = await mintUpload(bigKey);
    const tooBig = await createUpload(bigToken, 10, {}, mp4Bytes(20));
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers.get("Location")).toBeNull();
    expect((await tooBig.json<ErrorBody>()).error.code).toBe("payload_too_large");
    const deferredBig = await createUpload(
      await mintUpload(uniqueKey("big-deferred.mp4"), { max: 10 }),
      "deferred",
      {},
      mp4Bytes(20),
    );
    expect(deferredBig.status).toBe(413);
    const fresh = await createUpload(bigToken, 10, {}, mp4Bytes(10));
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get("Upload-Offset")).toBe("10");
  });

  it("creation-defer-length: the length arrives with a later PATCH", async () => {
    const key = uniqueKey("deferred.mp4");
    const file = mp4Bytes(6 * MIB + 7);
    const location = locationOf(await createUpload(await mintUpload(key, { max: 8 * MIB }), "deferred"));
    const before = await head(location);
    expect(before.headers.get("Upload-Defer-Length")).toBe("1");
    expect(before.headers.get("Upload-Length")).toBeNull();
    expect((await patch(location, 0, file.subarray(0, 5 * MIB + 1))).status).toBe(204);
    const last = await patch(location, 5 * MIB + 1, file.subarray(5 * MIB + 1), {
      "Upload-Length": String(file.byteLength),
    });
    expect(last.status).toBe(204);
    expect(last.headers.get("Upload-Offset")).toBe(String(file.byteLength));
    expect(await storedBytes(env.MEDIA_BUCKET, key)).toEqual(file);
  });

  it("checksum: a matching sha1 is accepted, a wrong one is 460 with the offset unchanged", async () => {
    const key = uniqueKey("checked.mp4");
    const file = mp4Bytes(2048);
    const location = locationOf(await createUpload(await mintUpload(key), file.byteLength));
    const first = file.subarray(0, 1024);
    const good = await patch(location, 0, first, { "Upload-Checksum": `sha1 ${await sha1Base64(first)}` });
    expect(good.status).toBe(204);
    const rest = file.subarray(1024);
    const wrong = await patch(location, 1024, rest, { "Upload-Checksum": `sha1 ${await sha1Base64(first)}` });
    expect(wrong.status).toBe(460);
    expect((await wrong.json<{ error: { code: string } }>()).error.code).toBe("checksum_mismatch");
    expect((await head(location)).headers.get("Upload-Offset")).toBe("1024");
    const md5 = await patch(location, 1024, rest, { "Upload-Checksum": "md5 1B2M2Y8AsgTpgAmY7PhCfg==" });
    expect(md5.status).toBe(400);
    expect((await patch(location, 1024, rest, { "Upload-Checksum": `sha1 ${await sha1Base64(rest)}` })).status).toBe(
      204,
    );
    expect(await storedBytes(env.MEDIA_BUCKET, key)).toEqual(file);
  });

  it("termination: DELETE answers 204, then the upload is 404 and its token is spent (409)", async () => {
    const key = uniqueKey("terminated.mp4");
    const token = await mintUpload(key);
    const location = locationOf(await createUpload(token, 6 * MIB));
    expect((await patch(location, 0, mp4Bytes(MIB))).status).toBe(204);
    const deleted = await send(location, { method: "DELETE", headers: TUS });
    expect(deleted.status).toBe(204);
    expect((await head(location)).status).toBe(404);
    expect((await send(location, { method: "DELETE", headers: TUS })).status).toBe(404);
    expect((await patch(location, MIB, mp4Bytes(10))).status).toBe(404);
    expect((await createUpload(token, 6 * MIB)).status).toBe(409);
  });

  it("a repeated creation with the same token answers 201 with the same Location while the upload is open, 409 once completed", async () => {
    const key = uniqueKey("replayed.mp4");
    const token = await mintUpload(key);
    const first = await createUpload(token, 100);
    const again = await createUpload(token, 100);
    expect(again.status).toBe(201);
    expect(again.headers.get("Location")).toBe(locationOf(first));
    expect((await patch(locationOf(first), 0, mp4Bytes(100))).status).toBe(204);
    const after = await createUpload(token, 100);
    expect(after.status).toBe(409);
    expect((await after.json<{ error: { code: string } }>()).error.code).toBe("conflict");
  });

  it("replace: an existing key is refused (409) unless the token allows it; a key that appears meanwhile fails completion", async () => {
    const key = uniqueKey("exists.mp4");
    await env.MEDIA_BUCKET.put(key, "old");
    expect((await createUpload(await mintUpload(key), 10)).status).toBe(409);
    const replacing = locationOf(await createUpload(await mintUpload(key, { replace: true }), 10));
    expect((await patch(replacing, 0, mp4Bytes(10))).status).toBe(204);
    expect(await storedBytes(env.MEDIA_BUCKET, key)).toEqual(mp4Bytes(10));

    const racing = uniqueKey("raced.mp4");
    const location = locationOf(await createUpload(await mintUpload(racing), 20));
    expect((await patch(location, 0, mp4Bytes(10))).status).toBe(204);
    await env.MEDIA_BUCKET.put(racing, "someone else's");
    const completion = await patch(location, 10, mp4Bytes(20).subarray(10));
    expect(completion.status).toBe(409);
    expect(await (await env.MEDIA_BUCKET.get(racing))?.text()).toBe("someone else's");
    expect((await head(location)).status).toBe(404);
  });

  it("file signatures: bytes that do not start like ct are 415 and the upload is terminated", async () => {
    const key = uniqueKey("page.mp4");
    const location = locationOf(await createUpload(await mintUpload(key), 100));
    const page = new TextEncoder().encode("<html><script>alert(1)</script>".padEnd(100, " "));
    const refused = await patch(location, 0, page);
    expect(refused.status).toBe(415);
    expect((await refused.json<{ error: { code: string } }>()).error.code).toBe("unsupported_media_type");
    expect((await head(location)).status).toBe(404);
    expect(await env.MEDIA_BUCKET.head(key)).toBeNull();

    // Three bytes of a PNG cannot decide; the fourth does.
    const png = uniqueKey("a.png");
    const pngLocation = locationOf(await createUpload(await mintUpload(png, { ct: "image/png" }), 100));
    expect((await patch(pngLocation, 0, new Uint8Array(PNG_START.slice(0, 3)))).status).toBe(204);
    expect((await patch(pngLocation, 3, new Uint8Array([0x00]))).status).toBe(415);

    // A file too short to carry its signature is refused at completion.
    const tiny = uniqueKey("tiny.gif");
    const tinyLocation = locationOf(await createUpload(await mintUpload(tiny, { ct: "image/gif" }), 3));
    expect((await patch(tinyLocation, 0, new TextEncoder().encode("GIF"))).status).toBe(415);

    // A type without a known signature is stored as it comes.
    const text = uniqueKey("notes.txt");
    const textLocation = locationOf(await createUpload(await mintUpload(text, { ct: "text/plain" }), 5));
    expect((await patch(textLocation, 0, new TextEncoder().encode("hello"))).status).toBe(204);
    expect((await env.MEDIA_BUCKET.head(text))?.httpMetadata?.contentType).toBe("text/plain");
  });

  it("X-HTTP-Method-Override turns a POST into PATCH or DELETE; Authorization on an upload URL is ignored", async () => {
    const key = uniqueKey("override.mp4");
    const location = locationOf(await createUpload(await mintUpload(key), 20));
    const patched = await send(location, {
      method: "POST",
      headers: {
        ...TUS,
        "X-HTTP-Method-Override": "PATCH",
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": "0",
        Authorization: "Bearer not-a-token",
      },
      body: mp4Bytes(10),
    });
    expect(patched.status).toBe(204);
    const probed = await head(location, { Authorization: "Bearer not-a-token" });
    expect(probed.status).toBe(200);
    expect(probed.headers.get("Upload-Offset")).toBe("10");
    const deleted = await send(location, { method: "POST", headers: { ...TUS, "X-HTTP-Method-Override": "DELETE" } });
    expect(deleted.status).toBe(204);
  });

  it("an upload that completes at creation (Upload-Length 0) of a type without a signature is stored empty", async () => {
    const key = uniqueKey("empty.txt");
    const created = await createUpload(await mintUpload(key, { ct: "text/plain" }), 0);
    expect(created.status).toBe(201);
    expect((await env.MEDIA_BUCKET.head(key))?.size).toBe(0);
  });
});

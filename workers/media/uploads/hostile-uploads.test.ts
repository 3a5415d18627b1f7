/**
 * A hostile corpus for uploads, each case sent to the real media Worker with
 * its one exact status: token kinds swapped, tampered and expired upload
 * URLs, offsets past the length, negative and non-numeric headers, huge
 * metadata, concurrent PATCHes, replayed creations, an existing key without
 * `replace`. Never a 5xx, and no log line holds a token or an upload id.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../shared/log";
import { mediaConfig } from "../config";
import { answerWithVars, captureLogs, logRecords, mint, uniqueKey } from "../test-kit";
import { issueCapability } from "./capability";
import { MIB, TUS, createUpload, locationOf, mintUpload, mp4Bytes, patch, send } from "./upload-kit";

const head = (location: string) => send(location, { method: "HEAD", headers: TUS });
const token503 = await mintUpload("uploads/storage-failure.mp4");

/** The reason logged for a refused upload token, and the answer. */
async function refusedCreation(token: string, length: number | "deferred" = 10): Promise<string | undefined> {
  const { result, lines } = await captureLogs(() => createUpload(token, length));
  expect(result.status).toBe(401);
  expect(await result.text()).toBe("");
  return logRecords(lines).find((line) => line.event === "media-upload-token-rejected")?.reason as string | undefined;
}

/** A fresh open upload of `length` bytes. */
async function openUpload(length = 100, claims: Parameters<typeof mintUpload>[1] = {}): Promise<string> {
  return locationOf(await createUpload(await mintUpload(uniqueKey("hostile.mp4"), claims), length));
}

/** Replaces one character of the capability at `index` (from the end when negative). */
function tamper(location: string, index: number): string {
  const at = index < 0 ? location.length + index : index;
  const character = location[at] === "a" ? "b" : "a";
  return `${location.slice(0, at)}${character}${location.slice(at + 1)}`;
}

describe("hostile uploads", { timeout: 60_000 }, () => {
  it("refuses token kinds swapped: a download token creates nothing, an upload token downloads nothing", async () => {
    expect(await refusedCreation(await mint("clips/a.mp4"))).toBe("missing-put");
    expect(await refusedCreation("")).toBe("missing-token");
    expect(await refusedCreation("not.a.jwt")).toBe("malformed");
    const upload = await mintUpload(uniqueKey("x.mp4"));
    const { result, lines } = await captureLogs(() => send(`/media/v1/${upload}`));
    expect(result.status).toBe(401);
    expect(logRecords(lines).find((line) => line.event === "media-token-rejected")?.reason).toBe("put-on-download");
  });

  it("refuses a second spelling of an upload token (padding, spare bits) and creates nothing with it", async () => {
    const token = await mintUpload(uniqueKey("respelled.mp4"));
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // A 32-byte signature is 43 digits: the last digit's two low bits are spare, so flipping one decodes the same.
    const last = alphabet.indexOf(token.slice(-1));
    const spareBitSet = `${token.slice(0, -1)}${alphabet.charAt(last ^ 1)}`;
    expect(await refusedCreation(`${token}=`)).toBe("malformed: non-canonical");
    expect(await refusedCreation(spareBitSet)).toBe("malformed: non-canonical");
    expect((await createUpload(token, 10)).status).toBe(201);
  });

  it("refuses a max above Tus-Max-Size and an expired upload token", async () => {
    expect(await refusedCreation(await mintUpload(uniqueKey("x.mp4"), { max: 5 * 1024 ** 3 + 1 }))).toBe("bad-max");
    const past = Math.floor(Date.now() / 1000) - 3600;
    expect(await refusedCreation(await mintUpload(uniqueKey("x.mp4"), { now: past, ttlSeconds: 60 }))).toBe("expired");
  });

  it("answers 404 for tampered, truncated, extended and expired upload URLs", async () => {
    const location = await openUpload();
    const objectId = location.slice("/media/uploads/".length, "/media/uploads/".length + 64);
    const registry = await mediaConfig(env).kidRegistry(createLogger("media"));
    const key = registry.kids.get("v2")?.key;
    if (key === undefined) throw new Error("no v2 key");
    const expired = await issueCapability(objectId, Math.floor(Date.now() / 1000) - 1, "v2", key);
    const [, , , expires = ""] = /^\/media\/uploads\/([0-9a-f]{64})-(\d+)-(v2)-/.exec(location) ?? [];
    const cases = [
      tamper(location, -1),
      tamper(location, "/media/uploads/".length),
      location.replace(`-${expires}-`, `-${Number(expires) + 3600}-`),
      location.replace("-v2-", "-v1-"),
      location.replace("-v2-", "-v9-"),
      location.slice(0, -1),
      `${location}A`,
      `${location}/x`,
      `/media/uploads/${expired}`,
      "/media/uploads/",
      "/media/uploads/..%2F",
      "/media/uploads/%00",
    ];
    for (const path of cases) {
      const answer = await head(path);
      expect(answer.status, path).toBe(404);
      expect((await patch(path, 0, mp4Bytes(10))).status, path).toBe(404);
      expect((await send(path, { method: "DELETE", headers: TUS })).status, path).toBe(404);
    }
    expect((await head(location)).status).toBe(200);
  });

  it("answers 404 for every other spelling of an upload URL's MAC (the last digit's spare bits)", async () => {
    const location = await openUpload();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(location.slice(-1));
    for (const spare of [1, 2, 3]) {
      const respelled = `${location.slice(0, -1)}${alphabet.charAt(last ^ spare)}`;
      expect((await head(respelled)).status, respelled).toBe(404);
    }
    expect((await head(location)).status).toBe(200);
  });

  it("refuses negative, non-numeric and conflicting length and offset headers with 400", async () => {
    const token = () => mintUpload(uniqueKey("x.mp4"));
    for (const length of ["-1", "abc", "1e3", "01", "12.5", "9007199254740993", "+10", ""]) {
      const answer = await send("/media/uploads", {
        method: "POST",
        headers: { ...TUS, Authorization: `Bearer ${await token()}`, "Upload-Length": length },
      });
      expect(answer.status, `Upload-Length: ${length}`).toBe(400);
    }
    const both = await createUpload(await token(), 10, { "Upload-Defer-Length": "1" });
    expect(both.status).toBe(400);
    const neither = await send("/media/uploads", {
      method: "POST",
      headers: { ...TUS, Authorization: `Bearer ${await token()}` },
    });
    expect(neither.status).toBe(400);
    expect((await createUpload(await token(), "deferred", { "Upload-Defer-Length": "2" })).status).toBe(400);

    const location = await openUpload();
    for (const offset of ["-1", "abc", "0x0", "01", ""]) {
      expect((await patch(location, 0, mp4Bytes(10), { "Upload-Offset": offset })).status, offset).toBe(400);
    }
    const noOffset = await send(location, {
      method: "PATCH",
      headers: { ...TUS, "Content-Type": "application/offset+octet-stream" },
      body: mp4Bytes(10),
    });
    expect(noOffset.status).toBe(400);
    expect((await head(location)).headers.get("Upload-Offset")).toBe("0");
  });

  it("answers 409 with the current offset for an offset that is not the upload's", async () => {
    const location = await openUpload(100);
    expect((await patch(location, 0, mp4Bytes(10))).status).toBe(204);
    for (const offset of [0, 5, 11, 100, 1000]) {
      const answer = await patch(location, offset, mp4Bytes(10));
      expect(answer.status, String(offset)).toBe(409);
      expect(answer.headers.get("Upload-Offset")).toBe("10");
    }
  });

  it("answers 413 for bytes past Upload-Length or past max with a deferred length, and keeps the offset", async () => {
    const location = await openUpload(100);
    expect((await patch(location, 0, mp4Bytes(101))).status).toBe(413);
    expect((await head(location)).headers.get("Upload-Offset")).toBe("0");
    // A body without a declared length is counted as it arrives.
    const streamed = await send(location, {
      method: "PATCH",
      headers: { ...TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0" },
      body: new Blob([mp4Bytes(150)]).stream(),
    });
    expect(streamed.status).toBe(413);
    expect((await head(location)).headers.get("Upload-Offset")).toBe("0");
    const deferred = locationOf(await createUpload(await mintUpload(uniqueKey("d.mp4"), { max: 50 }), "deferred"));
    expect((await patch(deferred, 0, mp4Bytes(51))).status).toBe(413);
    expect((await patch(deferred, 0, mp4Bytes(10))).status).toBe(204);
    expect((await patch(deferred, 10, mp4Bytes(10), { "Upload-Length": "51" })).status).toBe(413);
    expect((await patch(deferred, 10, mp4Bytes(10), { "Upload-Length": "5" })).status).toBe(400);
    // A refused PATCH does not fix the length: it stays deferred.
    expect((await patch(deferred, 10, mp4Bytes(10), { "Upload-Length": "12" })).status).toBe(413);
    expect((await head(deferred)).headers.get("Upload-Defer-Length")).toBe("1");
    expect((await head(deferred)).headers.get("Upload-Offset")).toBe("10");
  });

  it("refuses huge, malformed or control-character metadata with 400", async () => {
    const cases = [
      `filename ${btoa("a".repeat(3000))}`,
      Array.from({ length: 40 }, (_, index) => `k${index} ${btoa("v")}`).join(","),
      "filename not-base64!",
      "file name dmFsdWU=",
      `filename ${btoa("a\u0007b")}`,
      `filename ${btoa("x")},filename ${btoa("y")}`,
      "x".repeat(5000),
    ];
    for (const metadata of cases) {
      const answer = await createUpload(await mintUpload(uniqueKey("m.mp4")), 10, { "Upload-Metadata": metadata });
      expect(answer.status, metadata.slice(0, 40)).toBe(400);
    }
  });

  it("allows one writer at a time: a second PATCH while the first streams is 409", async () => {
    const location = await openUpload(2 * MIB);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let pulls = 0;
    let started: () => void = () => undefined;
    const streaming = new Promise<void>((resolve) => (started = resolve));
    const slow = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls += 1;
        if (pulls === 1) return controller.enqueue(mp4Bytes(MIB));
        started();
        await released;
        controller.enqueue(mp4Bytes(2 * MIB).subarray(MIB));
        controller.close();
      },
    });
    const first = send(location, {
      method: "PATCH",
      headers: { ...TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0" },
      body: slow,
    });
    await streaming;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await patch(location, 0, mp4Bytes(10));
    expect(second.status).toBe(409);
    const third = await send(location, { method: "DELETE", headers: TUS });
    expect(third.status).toBe(409);
    release();
    expect((await first).status).toBe(204);
  });

  it("refuses a wrong body type (415), a wrong or missing Tus-Resumable (412) and other methods (405)", async () => {
    const location = await openUpload();
    expect((await patch(location, 0, mp4Bytes(10), { "Content-Type": "application/octet-stream" })).status).toBe(415);
    for (const version of ["0.2.2", "1.0", ""]) {
      const answer = await patch(location, 0, mp4Bytes(10), { "Tus-Resumable": version });
      expect(answer.status).toBe(412);
      expect(answer.headers.get("Tus-Version")).toBe("1.0.0");
    }
    const bare = await send(location, { method: "HEAD" });
    expect(bare.status).toBe(412);
    const get = await send(location, { headers: TUS });
    expect(get.status).toBe(405);
    expect(get.headers.get("Allow")).toBe("HEAD, PATCH, DELETE, OPTIONS");
    expect((await send("/media/uploads", { method: "PUT", headers: TUS })).status).toBe(405);
    const bodyType = await send("/media/uploads", {
      method: "POST",
      headers: {
        ...TUS,
        Authorization: `Bearer ${await mintUpload(uniqueKey("t.mp4"))}`,
        "Upload-Length": "10",
        "Content-Type": "text/plain",
      },
      body: "0123456789",
    });
    expect(bodyType.status).toBe(415);
  });

  it("answers a storage failure behind the upload with a JSON 503, never a 500", async () => {
    // A namespace whose object fails: the local runtime cannot make a real Durable Object or R2 fail on demand.
    const failing = {
      idFromName: (name: string) => env.MEDIA_UPLOADS.idFromName(name),
      get: () => ({
        create: () => Promise.reject(new Error("storage failed on purpose")),
      }),
    };
    const { result, lines } = await captureLogs(() =>
      answerWithVars(
        "/media/uploads",
        {
          method: "POST",
          headers: { ...TUS, Authorization: `Bearer ${token503}`, "Upload-Length": "10" },
        },
        { MEDIA_UPLOADS: failing },
      ),
    );
    expect(result.status).toBe(503);
    expect((await result.json<{ error: { code: string } }>()).error.code).toBe("storage_unavailable");
    expect(logRecords(lines).find((line) => line.event === "media-upload-failed")?.reason).toBe("storage-failed");
  });

  it("never writes a token, an upload id or an object key into a log line", async () => {
    const key = uniqueKey("secret-name-0123456789.mp4");
    const token = await mintUpload(key);
    const { result: created, lines } = await captureLogs(async () => {
      const response = await createUpload(token, 20, { "Upload-Metadata": `filename ${btoa("x.mp4")}` });
      const location = locationOf(response);
      await patch(location, 0, mp4Bytes(10));
      await patch(location, 0, mp4Bytes(10));
      await patch(location, 10, mp4Bytes(10));
      await head(location);
      await createUpload(`${token}x`, 20);
      await head(tamper(location, -1));
      return location;
    });
    const id = created.slice("/media/uploads/".length);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(line).not.toContain(token.split(".")[2] ?? token);
      expect(line).not.toContain(token.split(".")[1] ?? token);
      expect(line).not.toContain(id.slice(0, 64));
      expect(line).not.toContain(id.slice(-43));
      expect(line).not.toContain(key);
    }
  });
});

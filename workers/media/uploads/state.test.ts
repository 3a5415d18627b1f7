/**
 * The upload's state lives in its Durable Object's storage, not in memory:
 * an object evicted between PATCHes resumes at the stored offset; its alarm
 * aborts an expired upload and erases it; the webhook reaches a backend that
 * was down once it is back, exactly once, signed per Standard Webhooks.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { RecordedDelivery } from "../../../test/webhook-fixtures";
import { uniqueKey } from "../test-kit";
import { MIB, TUS, createUpload, locationOf, mintUpload, mp4Bytes, patch, send, storedBytes } from "./upload-kit";
import type { MediaUpload, UploadState } from "./upload-object";

/** The upload's Durable Object, from the capability in its Location. */
function objectOf(location: string): DurableObjectStub<MediaUpload> {
  const objectId = location.slice("/media/uploads/".length, "/media/uploads/".length + 64);
  return env.MEDIA_UPLOADS.get(env.MEDIA_UPLOADS.idFromString(objectId));
}

/** Every row the object stores, by key. */
function rowsOf(stub: DurableObjectStub<MediaUpload>): Promise<Record<string, unknown>> {
  return runInDurableObject(stub, (_instance, state) => Object.fromEntries(state.storage.kv.list()));
}

const webhookOrigin = new URL(env.MEDIA_UPLOAD_WEBHOOK_URL).origin;

async function deliveries(jti: string): Promise<RecordedDelivery[]> {
  return (await fetch(`${webhookOrigin}/deliveries/${jti}`)).json();
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("condition not met in 5 s");
}

describe("upload state", { timeout: 60_000 }, () => {
  it("resumes at the stored offset after the object is evicted between PATCHes, in rows within storage limits", async () => {
    const key = uniqueKey("resumed.mp4");
    const file = mp4Bytes(12 * MIB, 3);
    const location = locationOf(await createUpload(await mintUpload(key), file.byteLength));
    const stub = objectOf(location);
    // 3 MiB: no part is full yet, so every byte so far is in the object's tail rows.
    expect((await patch(location, 0, file.subarray(0, 3 * MIB))).status).toBe(204);
    const rows = await rowsOf(stub);
    expect(Object.keys(rows).sort()).toEqual(["state", "tail:00000", "tail:00001", "tail:00002"]);
    for (const name of ["tail:00000", "tail:00001", "tail:00002"])
      expect((rows[name] as Uint8Array).byteLength).toBe(MIB);
    await evictDurableObject(stub);
    const head = await send(location, { method: "HEAD", headers: TUS });
    expect(head.headers.get("Upload-Offset")).toBe(String(3 * MIB));
    // 6 MiB: part 1 (bytes 0-5 MiB) is written, 4 MiB stay in the tail; then the object is evicted again.
    expect((await patch(location, 3 * MIB, file.subarray(3 * MIB, 9 * MIB))).status).toBe(204);
    const state = (await rowsOf(stub)).state as UploadState;
    expect(state).toMatchObject({ offset: 9 * MIB, partsWritten: 1, partSize: 5 * MIB, tailRows: 4 });
    expect(Object.keys(await rowsOf(stub)).filter((row) => row.startsWith("tail:"))).toHaveLength(4);
    await evictDurableObject(stub);
    // 1 MiB fills part 2 exactly, and Upload-Length owes more: it is written at once, no tail rows.
    expect((await patch(location, 9 * MIB, file.subarray(9 * MIB, 10 * MIB))).status).toBe(204);
    expect((await rowsOf(stub)).state).toMatchObject({ offset: 10 * MIB, partsWritten: 2, tailRows: 0 });
    expect(Object.keys(await rowsOf(stub)).filter((row) => row.startsWith("tail:"))).toEqual([]);
    expect(state.multipartId).toEqual(expect.any(String));
    await evictDurableObject(stub);
    expect((await patch(location, 10 * MIB, file.subarray(10 * MIB))).status).toBe(204);
    expect(await storedBytes(env.MEDIA_BUCKET, key)).toEqual(file);
    // Completed: a tombstone only (once the webhook is delivered), so the token stays spent.
    await runDurableObjectAlarm(stub);
    await until(
      () => rowsOf(stub),
      (rows) => Object.keys(rows).join() === "state",
    );
  });

  it("aborts an expired upload from its alarm and erases its state", async () => {
    const key = uniqueKey("expired.mp4");
    const file = mp4Bytes(12 * MIB, 4);
    const location = locationOf(await createUpload(await mintUpload(key), file.byteLength));
    const stub = objectOf(location);
    expect((await patch(location, 0, file.subarray(0, 7 * MIB))).status).toBe(204);
    const { multipartId } = (await rowsOf(stub)).state as UploadState;
    if (multipartId === null) throw new Error("no multipart upload was started");
    // The alarm is due at Upload-Expires: move the expiry into the past, then run it.
    await runInDurableObject(stub, (_instance, state) => {
      const stored = state.storage.kv.get<UploadState>("state");
      if (stored !== undefined) state.storage.kv.put("state", { ...stored, expires: Date.now() - 1 });
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(Object.keys(await rowsOf(stub))).toEqual(["state"]);
    expect(((await rowsOf(stub)).state as UploadState).phase).toBe("expired");
    expect((await send(location, { method: "HEAD", headers: TUS })).status).toBe(404);
    // R2 no longer knows the multipart upload: it was aborted.
    const aborted = env.MEDIA_BUCKET.resumeMultipartUpload(key, multipartId);
    await expect(aborted.uploadPart(2, new Uint8Array(5 * MIB))).rejects.toThrow();
    expect(await env.MEDIA_BUCKET.head(key)).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("delivers upload.completed to a backend that was down, once it is back, exactly once and signed", async () => {
    const key = uniqueKey("announced.mp4");
    const jti = `down-${crypto.randomUUID()}`;
    const file = mp4Bytes(1024, 5);
    const token = await mintUpload(key, { jti, max: 4096 });
    const location = locationOf(
      await createUpload(token, file.byteLength, { "Upload-Metadata": `filename ${btoa("clip.mp4")}` }),
    );
    expect((await patch(location, 0, file)).status).toBe(204);
    const stub = objectOf(location);
    // The first attempt runs from the alarm set at completion; the backend answers 503.
    await until(
      () => deliveries(jti),
      (seen) => seen.length >= 1,
    );
    await runDurableObjectAlarm(stub);
    const failed = await deliveries(jti);
    expect(failed.every((attempt) => attempt.answered === 503)).toBe(true);
    expect(failed.length).toBeGreaterThanOrEqual(2);
    // Back up: the next retry is accepted, and no attempt follows it.
    await fetch(`${webhookOrigin}/control/up/${jti}`, { method: "POST" });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const all = await deliveries(jti);
    const accepted = all.filter((attempt) => attempt.answered === 204);
    expect(accepted).toHaveLength(1);
    expect(all.at(-1)?.answered).toBe(204);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect(Object.keys(await rowsOf(stub))).toEqual(["state"]);

    const delivery = accepted[0];
    if (delivery === undefined) throw new Error("no accepted delivery");
    expect(delivery.headers["webhook-id"]).toBe(jti);
    expect(delivery.headers["content-type"]).toBe("application/json");
    // Verified as a backend verifies it: the standardwebhooks package, the same whsec_ secret.
    const event = new Webhook(env.MEDIA_UPLOAD_WEBHOOK_SECRET).verify(delivery.body, delivery.headers);
    const object = await env.MEDIA_BUCKET.head(key);
    expect(event).toEqual({
      type: "upload.completed",
      timestamp: expect.any(String) as string,
      data: {
        key,
        bucket: "media",
        size: 1024,
        etag: object?.httpEtag,
        contentType: "video/mp4",
        jti,
        metadata: { filename: "clip.mp4" },
      },
    });
    expect(() =>
      new Webhook(env.MEDIA_UPLOAD_WEBHOOK_SECRET).verify(delivery.body.replace("1024", "1025"), delivery.headers),
    ).toThrow();
  });
});

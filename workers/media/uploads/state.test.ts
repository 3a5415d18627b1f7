/**
 * The upload's state lives in its Durable Object's storage, not in memory:
 * an object evicted between PATCHes resumes at the stored offset; its alarm
 * aborts an expired upload and erases it; the webhook reaches a backend that
 * was down once it is back, exactly once, signed per Standard Webhooks; and
 * a finished upload's record is erased once nothing needs it any more.
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

/** The object's rows and its alarm: what it keeps in storage. */
function storageOf(stub: DurableObjectStub<MediaUpload>): Promise<{ rows: string[]; alarm: number | null }> {
  return runInDurableObject(stub, async (_instance, state) => ({
    rows: [...state.storage.kv.list()].map(([row]) => row),
    alarm: await state.storage.getAlarm(),
  }));
}

/** The stored state (a failed test without one). */
async function stateOf(stub: DurableObjectStub<MediaUpload>): Promise<UploadState> {
  const state = (await rowsOf(stub)).state as UploadState | undefined;
  if (state === undefined) throw new Error("no stored state");
  return state;
}

/** What time would do: the upload URL expired and the token's deadline past. */
function agePast(
  stub: DurableObjectStub<MediaUpload>,
  fields: ReadonlyArray<"expires" | "tokenDeadline">,
): Promise<void> {
  return runInDurableObject(stub, (_instance, state) => {
    const stored = state.storage.kv.get<UploadState>("state");
    if (stored === undefined) throw new Error("no stored state");
    const past = Object.fromEntries(fields.map((field) => [field, Date.now() - 1]));
    state.storage.kv.put("state", { ...stored, ...past });
  });
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
    const token = await mintUpload(key);
    const location = locationOf(await createUpload(token, file.byteLength));
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
    // Until its URL expires HEAD shows the whole length; until its token's deadline a repeated creation is 409.
    const done = await send(location, { method: "HEAD", headers: TUS });
    expect(done.status).toBe(200);
    expect(done.headers.get("Upload-Offset")).toBe(String(12 * MIB));
    expect(done.headers.get("Upload-Length")).toBe(String(12 * MIB));
    expect((await createUpload(token, file.byteLength)).status).toBe(409);
    const completed = await stateOf(stub);
    expect(completed.phase).toBe("completed");
    expect((await storageOf(stub)).alarm).toBe(Math.max(completed.expires, completed.tokenDeadline));
    // Both past: the alarm erases everything, itself included.
    await agePast(stub, ["expires", "tokenDeadline"]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storageOf(stub)).toEqual({ rows: [], alarm: null });
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect(await storedBytes(env.MEDIA_BUCKET, key)).toEqual(file);
  });

  it("keeps a finished upload's record until its token's deadline when that is later than the URL's expiry", async () => {
    const key = uniqueKey("spent.mp4");
    const token = await mintUpload(key, { ttlSeconds: 3600 });
    const location = locationOf(await createUpload(token, 1024));
    const stub = objectOf(location);
    expect((await send(location, { method: "DELETE", headers: TUS })).status).toBe(204);
    const terminated = await stateOf(stub);
    expect(terminated.phase).toBe("terminated");
    // The token's exp (an hour) plus the 30 s clock tolerance: the last moment it verifies.
    expect(terminated.tokenDeadline).toBeGreaterThan(Date.now() + 3600_000);
    await agePast(stub, ["expires"]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // The URL is dead, the token is not: the record stays, and the token stays spent.
    expect(await storageOf(stub)).toEqual({ rows: ["state"], alarm: terminated.tokenDeadline });
    expect((await createUpload(token, 1024)).status).toBe(409);
    await agePast(stub, ["tokenDeadline"]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storageOf(stub)).toEqual({ rows: [], alarm: null });
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
    const expired = await stateOf(stub);
    expect(expired.phase).toBe("expired");
    expect((await send(location, { method: "HEAD", headers: TUS })).status).toBe(404);
    // R2 no longer knows the multipart upload: it was aborted.
    const aborted = env.MEDIA_BUCKET.resumeMultipartUpload(key, multipartId);
    await expect(aborted.uploadPart(2, new Uint8Array(5 * MIB))).rejects.toThrow();
    expect(await env.MEDIA_BUCKET.head(key)).toBeNull();
    // The tombstone waits for the token's deadline, then the alarm erases it.
    expect((await storageOf(stub)).alarm).toBe(expired.tokenDeadline);
    await agePast(stub, ["tokenDeadline"]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storageOf(stub)).toEqual({ rows: [], alarm: null });
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
    // No attempt follows: the one alarm left is the record's erasure.
    const completed = await stateOf(stub);
    expect(await storageOf(stub)).toEqual({
      rows: ["state"],
      alarm: Math.max(completed.expires, completed.tokenDeadline),
    });

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

  it("holds the record past its URL's expiry while the webhook is pending: erased once delivered, or given up", async () => {
    for (const outcome of ["delivered", "given up"] as const) {
      const key = uniqueKey("pending.mp4");
      const jti = `down-${crypto.randomUUID()}`;
      const location = locationOf(await createUpload(await mintUpload(key, { jti, max: 4096 }), 1024));
      expect((await patch(location, 0, mp4Bytes(1024, 6))).status).toBe(204);
      const stub = objectOf(location);
      await until(
        () => deliveries(jti),
        (seen) => seen.length >= 1,
      );
      await agePast(stub, ["expires", "tokenDeadline"]);
      // The backend is still down: the event and the record stay, the next attempt is due.
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const pending = await storageOf(stub);
      expect(pending.rows).toEqual(["event", "state"]);
      expect(pending.alarm).toBeGreaterThan(Date.now());
      if (outcome === "delivered") {
        await fetch(`${webhookOrigin}/control/up/${jti}`, { method: "POST" });
      } else {
        // The 24 h retry window is over: the next failure is the last.
        await runInDurableObject(stub, (_instance, state) => {
          const event = state.storage.kv.get<{ firstAttempt: number }>("event");
          state.storage.kv.put("event", { ...event, firstAttempt: Date.now() - 25 * 3600_000 });
        });
      }
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect((await deliveries(jti)).at(-1)?.answered, outcome).toBe(outcome === "delivered" ? 204 : 503);
      expect(await storageOf(stub), outcome).toEqual({ rows: [], alarm: null });
      expect(await env.MEDIA_BUCKET.head(key)).not.toBeNull();
    }
  });
});

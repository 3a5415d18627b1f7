/**
 * One upload, one SQLite-backed Durable Object (named by the token's `jti`):
 * the only state the gateway keeps. Everything lives in its storage, never
 * only in memory (an evicted or restarted object resumes at the stored
 * offset): the upload's claims, the offset, the R2 multipart upload id, the
 * etag of each part written, and the bytes past the last part written, in
 * rows of at most 1 MiB (a storage value holds at most 2 MB).
 *
 * The record outlives the upload only while something needs it: until the
 * upload URL expires (HEAD on a completed upload), until the token's own
 * deadline (a repeated creation finds the token spent), and until the
 * webhook is delivered or given up; then the alarm erases it all.
 *
 * Part n always holds bytes [n·size, (n+1)·size): a part is written once
 * it is full and more bytes follow it (arrived, or owed by Upload-Length),
 * so the last part is written at completion and an upload that fits in one
 * part is one `put`. Memory per
 * upload: the part that is filling, plus one chunk of the request.
 */
import { DurableObject } from "cloudflare:workers";
import { createLogger, keyHint } from "../../../shared/log";
import type { BucketName } from "../buckets";
import { MEDIA_BUCKETS } from "../buckets";
import type { TusAnswer } from "./protocol";
import { NOT_FOUND, refusal } from "./protocol";
import { uploadSettings } from "./settings";
import { signatureVerdict } from "./signatures";
import type { PendingDelivery, UploadCompletedEvent } from "./webhook";
import { attemptDelivery, nextAttemptAt, webhookKey } from "./webhook";

const log = createLogger("media");

/** The bytes past the last part written are stored in rows of this size (a value holds at most 2 MB). */
export const TAIL_ROW_BYTES = 1024 * 1024;

type Phase = "open" | "completed" | "terminated" | "expired";

/** What the object stores under `state`. */
export interface UploadState {
  phase: Phase;
  put: string;
  bucket: BucketName;
  ct: string;
  jti: string;
  replace: boolean;
  max: number;
  /** Upload-Length; null while deferred. */
  length: number | null;
  partSize: number;
  offset: number;
  /** Set when the first part is written. */
  multipartId: string | null;
  /** Parts written and recorded (`part:<n>` rows). */
  partsWritten: number;
  /** Whether the first bytes have been checked against `ct`'s signature. */
  typeChecked: boolean;
  /** When the upload URL expires (Upload-Expires), ms since the epoch. */
  expires: number;
  /** When the token can no longer create anything (its exp plus the clock tolerance), ms since the epoch. */
  tokenDeadline: number;
  /** The Location handed out at creation, handed out again to a repeated creation. */
  location: string;
  metadata: Record<string, string>;
  /** How many `tail:<i>` rows hold the bytes past the last part written. */
  tailRows: number;
}

/** What a creation asks for: the token's grant, the client's headers, and what the Worker decided. */
export type CreateInput = Omit<
  UploadState,
  "phase" | "offset" | "multipartId" | "partsWritten" | "typeChecked" | "tailRows"
>;

/** One PATCH (or a creation's data). */
export interface WriteInput {
  offset: number;
  /** Upload-Length sent with this PATCH (deferred length), or null. */
  uploadLength: number | null;
  contentLength: number | null;
  /** Upload-Checksum's SHA-1 of this PATCH's body, or null. */
  sha1: Uint8Array | null;
  body: ReadableStream<Uint8Array> | null;
}

const STATE = "state";
const EVENT = "event";
const partRow = (n: number): string => `part:${String(n).padStart(5, "0")}`;
const tailRow = (i: number): string => `tail:${String(i).padStart(5, "0")}`;

function offsetHeaders(state: Pick<UploadState, "offset" | "expires">): Record<string, string> {
  return { "Upload-Offset": String(state.offset), "Upload-Expires": new Date(state.expires).toUTCString() };
}

/** The bytes of one PATCH as they arrive, cut into parts. */
interface Filling {
  pending: Uint8Array;
  fill: number;
  partsWritten: number;
  written: R2UploadedPart[];
}

export class MediaUpload extends DurableObject<MediaEnv> {
  /** One writer at a time: set while a PATCH streams in (memory only: a restarted object has no writer). */
  private writing = false;

  private get kv(): SyncKvStorage {
    return this.ctx.storage.kv;
  }

  private state(): UploadState | undefined {
    return this.kv.get<UploadState>(STATE);
  }

  /** The open upload, or undefined when there is none (never created, completed, terminated, expired). */
  private openState(): UploadState | undefined {
    const state = this.state();
    return state?.phase === "open" && state.expires > Date.now() ? state : undefined;
  }

  /** Uploads go to a bucket's main binding only: fallbacks are read-only. */
  private bucket(state: Pick<UploadState, "bucket">): R2Bucket {
    return this.env[MEDIA_BUCKETS[state.bucket].main];
  }

  /** Creation: 201 with the Location (again, for a repeated creation of an open upload), 409 or 413 otherwise. */
  async create(input: CreateInput): Promise<TusAnswer> {
    const existing = this.state();
    if (existing !== undefined) {
      if (existing.put !== input.put || existing.bucket !== input.bucket)
        return refusal(409, "conflict", "This token's jti already names another upload.");
      if (existing.phase === "open" && existing.expires > Date.now())
        return { status: 201, headers: { Location: existing.location, ...offsetHeaders(existing) } };
      return refusal(409, "conflict", "This token's upload has already completed, been terminated or expired.");
    }
    if (!input.replace && (await this.bucket(input).head(input.put)) !== null)
      return refusal(409, "conflict", "The object exists and this token may not replace it.");
    const state: UploadState = {
      ...input,
      phase: "open",
      offset: 0,
      multipartId: null,
      partsWritten: 0,
      typeChecked: false,
      tailRows: 0,
    };
    this.kv.put(STATE, state);
    await this.ctx.storage.setAlarm(state.expires);
    if (state.length === 0) {
      const completed = await this.complete(state, {
        pending: new Uint8Array(0),
        fill: 0,
        partsWritten: 0,
        written: [],
      });
      if (completed.status !== 204) return completed;
    }
    return { status: 201, headers: { Location: state.location, ...offsetHeaders(state) } };
  }

  /**
   * HEAD: the offset and the length (or that it is deferred). A completed
   * upload answers with its full length until its URL expires, so a client
   * whose last 204 was lost learns that it is done instead of starting over.
   */
  async head(): Promise<TusAnswer> {
    return this.withBucket(this.headAnswer());
  }

  private headAnswer(): TusAnswer {
    const stored = this.state();
    const done = stored?.phase === "completed" && stored.expires > Date.now() ? stored : undefined;
    const state = this.openState() ?? done;
    if (state === undefined) return NOT_FOUND;
    const length: Record<string, string> =
      state.length === null ? { "Upload-Defer-Length": "1" } : { "Upload-Length": String(state.length) };
    return { status: 200, headers: { ...offsetHeaders(state), ...length } };
  }

  /** DELETE: the upload and its parts are gone (204), then 404. */
  async terminate(): Promise<TusAnswer> {
    return this.withBucket(await this.terminateAnswer());
  }

  private async terminateAnswer(): Promise<TusAnswer> {
    const state = this.openState();
    if (state === undefined) return NOT_FOUND;
    if (this.writing) return refusal(409, "conflict", "A PATCH is writing this upload: terminate it once it ends.");
    await this.erase(state, "terminated");
    return { status: 204 };
  }

  /** PATCH: appends the body at `offset`; completes the upload when it reaches Upload-Length. */
  async write(input: WriteInput): Promise<TusAnswer> {
    if (this.writing) {
      await input.body?.cancel();
      return refusal(409, "conflict", "Another PATCH is writing this upload: one writer at a time.");
    }
    this.writing = true;
    try {
      return this.withBucket(await this.writeAlone(input));
    } finally {
      this.writing = false;
    }
  }

  /** The answer with the upload's bucket, for the request's data point. */
  private withBucket(answer: TusAnswer): TusAnswer {
    const bucket = this.state()?.bucket;
    return bucket === undefined ? answer : { ...answer, bucket };
  }

  private async writeAlone(input: WriteInput): Promise<TusAnswer> {
    const state = this.openState();
    const refuse = async (answer: TusAnswer): Promise<TusAnswer> => {
      await input.body?.cancel();
      return answer;
    };
    if (state === undefined) return refuse(NOT_FOUND);
    if (input.offset !== state.offset)
      return refuse(
        refusal(409, "conflict", "Upload-Offset is not the upload's offset: HEAD it and resume there.", {
          "Upload-Offset": String(state.offset),
        }),
      );
    if (input.uploadLength !== null) {
      if (state.length !== null && input.uploadLength !== state.length)
        return refuse(refusal(400, "bad_request", "Upload-Length cannot change once it is known."));
      if (input.uploadLength > state.max)
        return refuse(refusal(413, "payload_too_large", "Upload-Length is larger than this token's max."));
      if (input.uploadLength < state.offset)
        return refuse(refusal(400, "bad_request", "Upload-Length is smaller than the bytes already uploaded."));
      // Recorded with the PATCH's bytes (commit): a refused PATCH leaves the length deferred.
      state.length = input.uploadLength;
    }
    const limit = state.length ?? state.max;
    if (input.contentLength !== null && state.offset + input.contentLength > limit) return refuse(tooLarge(state));

    const filling: Filling = {
      pending: this.readTail(state),
      fill: state.offset - state.partsWritten * state.partSize,
      partsWritten: state.partsWritten,
      written: [],
    };
    const tailBefore = filling.fill;
    const digest = input.sha1 === null ? undefined : new crypto.DigestStream("SHA-1");
    const digestWriter = digest?.getWriter();
    let received = 0;
    let interrupted = false;
    const reader = input.body?.getReader();
    if (reader !== undefined) {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (state.offset + received + value.byteLength > limit) {
            await reader.cancel();
            return tooLarge(state);
          }
          await digestWriter?.write(value);
          const typeAnswer = await this.append(state, filling, value);
          if (typeAnswer !== undefined) {
            await reader.cancel();
            return typeAnswer;
          }
          received += value.byteLength;
        }
      } catch {
        // The client went away mid-body: what arrived is kept (unless a checksum must cover it).
        interrupted = true;
      }
    }
    if (digest !== undefined && digestWriter !== undefined && input.sha1 !== null) {
      if (interrupted) return refusal(400, "bad_request", "The body ended early: its checksum cannot be checked.");
      await digestWriter.close();
      if (!equalBytes(new Uint8Array(await digest.digest), input.sha1))
        return refusal(460, "checksum_mismatch", "Upload-Checksum does not match the body: the offset is unchanged.", {
          "Upload-Offset": String(state.offset),
        });
    }
    // A part that is exactly full with more bytes known to follow is written now, not stored as
    // tail rows: a client whose chunks are multiples of the part size costs no storage writes.
    if (filling.fill === state.partSize && state.length !== null && state.offset + received < state.length) {
      filling.written.push(await this.writePart(state, filling.partsWritten + 1, filling.pending));
      filling.partsWritten += 1;
      filling.fill = 0;
    }
    this.commit(state, filling, received, tailBefore);
    if (state.length !== null && state.offset === state.length) return this.complete(state, filling);
    return { status: 204, headers: offsetHeaders(state) };
  }

  /** Copies a chunk into the filling part, writing each full part once more bytes follow it; a 415 when the type is wrong. */
  private async append(state: UploadState, filling: Filling, chunk: Uint8Array): Promise<TusAnswer | undefined> {
    let at = 0;
    while (at < chunk.byteLength) {
      if (filling.fill === state.partSize) {
        filling.written.push(await this.writePart(state, filling.partsWritten + 1, filling.pending));
        filling.partsWritten += 1;
        filling.fill = 0;
      }
      const count = Math.min(state.partSize - filling.fill, chunk.byteLength - at);
      filling.pending.set(chunk.subarray(at, at + count), filling.fill);
      filling.fill += count;
      at += count;
    }
    if (!state.typeChecked && filling.partsWritten === 0) {
      const verdict = signatureVerdict(state.ct, filling.pending.subarray(0, filling.fill));
      if (verdict === "mismatch") return this.refuseType(state);
      if (verdict === "match") state.typeChecked = true;
    }
    return undefined;
  }

  private async refuseType(state: UploadState): Promise<TusAnswer> {
    await this.erase(state, "terminated");
    return refusal(
      415,
      "unsupported_media_type",
      `The file does not start like ${state.ct}: the upload is terminated.`,
    );
  }

  private async writePart(state: UploadState, partNumber: number, bytes: Uint8Array): Promise<R2UploadedPart> {
    const bucket = this.bucket(state);
    if (state.multipartId === null) {
      const multipart = await bucket.createMultipartUpload(state.put, {
        httpMetadata: { contentType: state.ct },
        customMetadata: state.metadata,
      });
      // Stored at once, offset unchanged: the alarm must be able to abort it whatever happens next.
      state.multipartId = multipart.uploadId;
      this.kv.put(STATE, { ...(this.state() ?? state), multipartId: multipart.uploadId });
    }
    return bucket.resumeMultipartUpload(state.put, state.multipartId).uploadPart(partNumber, bytes);
  }

  /** A part-sized buffer holding the bytes past the last part written, as stored. */
  private readTail(state: UploadState): Uint8Array {
    const pending = new Uint8Array(state.partSize);
    for (let row = 0; row < state.tailRows; row++) {
      const bytes = this.kv.get<Uint8Array>(tailRow(row));
      if (bytes !== undefined) pending.set(bytes, row * TAIL_ROW_BYTES);
    }
    return pending;
  }

  /** Records a PATCH in one transaction: the offset, the parts written, the new tail rows. */
  private commit(state: UploadState, filling: Filling, received: number, tailBefore: number): void {
    const firstPart = state.partsWritten + 1;
    // Rows already stored and unchanged are not written again (the part did not move on, they are a prefix).
    const firstChangedRow = filling.partsWritten === state.partsWritten ? Math.floor(tailBefore / TAIL_ROW_BYTES) : 0;
    const rows = Math.ceil(filling.fill / TAIL_ROW_BYTES);
    const previousRows = state.tailRows;
    state.offset += received;
    state.partsWritten = filling.partsWritten;
    state.tailRows = rows;
    this.ctx.storage.transactionSync(() => {
      filling.written.forEach((part, index) => this.kv.put(partRow(firstPart + index), part.etag));
      for (let row = firstChangedRow; row < rows; row++) {
        // A copy: storing a view would store its whole buffer.
        this.kv.put(
          tailRow(row),
          filling.pending.slice(row * TAIL_ROW_BYTES, Math.min((row + 1) * TAIL_ROW_BYTES, filling.fill)),
        );
      }
      for (let row = rows; row < previousRows; row++) this.kv.delete(tailRow(row));
      this.kv.put(STATE, state);
    });
  }

  /** The last part and R2's complete (or the one `put`): 204 once the object exists with `ct`. */
  private async complete(state: UploadState, filling: Filling): Promise<TusAnswer> {
    if (!state.typeChecked && signatureVerdict(state.ct, filling.pending.subarray(0, filling.fill)) !== "match")
      return this.refuseType(state);
    const bucket = this.bucket(state);
    if (!state.replace && (await bucket.head(state.put)) !== null) {
      await this.erase(state, "terminated");
      return refusal(
        409,
        "conflict",
        "The object was created meanwhile and this token may not replace it: the upload is terminated.",
      );
    }
    let object: R2Object;
    if (state.multipartId === null) {
      object = await bucket.put(state.put, filling.pending.subarray(0, filling.fill), {
        httpMetadata: { contentType: state.ct },
        customMetadata: state.metadata,
      });
    } else {
      const multipart = bucket.resumeMultipartUpload(state.put, state.multipartId);
      const parts: R2UploadedPart[] = [];
      for (const [row, etag] of this.kv.list<string>({ prefix: "part:" }))
        parts.push({ partNumber: Number(row.slice("part:".length)), etag });
      if (filling.fill > 0)
        parts.push(await multipart.uploadPart(state.partsWritten + 1, filling.pending.subarray(0, filling.fill)));
      object = await multipart.complete(parts);
    }
    const settings = uploadSettings(this.env);
    const now = Date.now();
    this.eraseRows();
    const completed: UploadState = { ...state, phase: "completed", multipartId: null, tailRows: 0 };
    this.kv.put(STATE, completed);
    log.info("media-upload-completed", { bucket: state.bucket, keyHint: keyHint(state.put), bytes: object.size });
    if (settings.webhookUrl !== undefined) {
      const event: UploadCompletedEvent = {
        type: "upload.completed",
        timestamp: new Date(now).toISOString(),
        data: {
          key: state.put,
          bucket: state.bucket,
          size: object.size,
          etag: object.httpEtag,
          contentType: state.ct,
          jti: state.jti,
          metadata: state.metadata,
        },
      };
      this.kv.put(EVENT, {
        id: state.jti,
        body: JSON.stringify(event),
        firstAttempt: now,
        attempts: 0,
      } satisfies PendingDelivery);
      await this.ctx.storage.setAlarm(now);
    } else {
      await this.settle(completed);
    }
    return { status: 204, headers: { "Upload-Offset": String(object.size) } };
  }

  /** Aborts the multipart upload and erases every row but a tombstone, kept until `settle` lets it go: the token stays spent. */
  private async erase(state: UploadState, phase: Exclude<Phase, "open" | "completed">): Promise<void> {
    if (state.multipartId !== null) {
      try {
        await this.bucket(state).resumeMultipartUpload(state.put, state.multipartId).abort();
      } catch {
        // R2 aborts an unfinished multipart upload by itself after 7 days.
        log.warn("media-upload-abort-failed", { bucket: state.bucket, reason: "abort-failed" });
      }
    }
    this.eraseRows();
    const tombstone: UploadState = { ...state, phase, multipartId: null, tailRows: 0, metadata: {} };
    this.kv.put(STATE, tombstone);
    await this.settle(tombstone);
  }

  /**
   * What a finished upload (completed, terminated, expired) waits for: a
   * pending webhook delivery (its alarm is set), then the later of its URL's
   * expiry and its token's deadline; once all are past, its storage is
   * erased, the alarm with it (deleteAll, compatibility date 2026-02-24 on).
   */
  private async settle(state: UploadState): Promise<void> {
    if (this.kv.get(EVENT) !== undefined) return;
    const forgetAt = Math.max(state.expires, state.tokenDeadline);
    if (forgetAt > Date.now()) await this.ctx.storage.setAlarm(forgetAt);
    else await this.ctx.storage.deleteAll();
  }

  private eraseRows(): void {
    this.ctx.storage.transactionSync(() => {
      for (const prefix of ["part:", "tail:"]) for (const [row] of this.kv.list({ prefix })) this.kv.delete(row);
    });
  }

  /** Expiry (abort and erase), webhook delivery (with backoff, for up to 24 h), and erasing the finished record. */
  override async alarm(): Promise<void> {
    const state = this.state();
    if (state === undefined) return;
    if (state.phase === "open") {
      if (state.expires <= Date.now()) {
        await this.erase(state, "expired");
        log.info("media-upload-expired", { bucket: state.bucket, keyHint: keyHint(state.put) });
      } else {
        await this.ctx.storage.setAlarm(state.expires);
      }
      return;
    }
    const delivery = this.kv.get<PendingDelivery>(EVENT);
    if (delivery !== undefined) await this.deliver(delivery);
    await this.settle(state);
  }

  private async deliver(delivery: PendingDelivery): Promise<void> {
    const settings = uploadSettings(this.env);
    const key = await webhookKey(settings.webhookSecret);
    if (settings.webhookUrl === undefined || key === undefined) {
      log.error("media-upload-webhook-unconfigured", { reason: key === undefined ? "bad-secret" : "no-url" });
      this.kv.delete(EVENT);
      return;
    }
    const outcome = await attemptDelivery(settings.webhookUrl, key, delivery);
    if ("status" in outcome && outcome.status >= 200 && outcome.status < 300) {
      this.kv.delete(EVENT);
      log.info("media-upload-webhook-delivered", { status: outcome.status });
      return;
    }
    const failed: PendingDelivery = { ...delivery, attempts: delivery.attempts + 1 };
    const next = nextAttemptAt(failed, Date.now());
    const fields = "status" in outcome ? { status: outcome.status, reason: "status" } : { reason: outcome.reason };
    if (next === undefined) {
      this.kv.delete(EVENT);
      log.error("media-upload-webhook-abandoned", fields);
      return;
    }
    this.kv.put(EVENT, failed);
    await this.ctx.storage.setAlarm(next);
    log.warn("media-upload-webhook-failed", fields);
  }
}

function tooLarge(state: UploadState): TusAnswer {
  return refusal(
    413,
    "payload_too_large",
    state.length === null
      ? "The body would take the upload past this token's max."
      : "The body would take the upload past its Upload-Length.",
  );
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, index) => byte === b[index]);
}

/**
 * Server-Sent Events rules of the proxy.
 *
 * Event streams pass through untouched (no JS on the data path) unless a
 * heartbeat is configured. Compression never touches them: the api Worker
 * asks the backend for `identity`, and Cloudflare's front line compresses
 * only a fixed list of content types, which does not include
 * `text/event-stream` (Miniflare's entry worker copies that list,
 * `isCompressedByCloudflareFL`, so `wrangler dev` behaves the same).
 */

const EVENT_STREAM_TYPE = "text/event-stream";

/** EventSource reconnect delay while the backend is down (ms). Browsers default to about 3 s. */
export const OUTAGE_RETRY_MS = 5000;

/** An EventSource (or any client) that asked for an event stream. */
export function wantsEventStream(headers: Headers): boolean {
  return headers.get("accept")?.toLowerCase().includes(EVENT_STREAM_TYPE) ?? false;
}

/** A response that is an event stream (by its Content-Type). */
export function isEventStream(headers: Headers): boolean {
  return headers.get("content-type")?.toLowerCase().startsWith(EVENT_STREAM_TYPE) ?? false;
}

/**
 * The answer to an event-stream request while the backend cannot serve it
 * (unreachable, too slow, or the client is rate limited). An EventSource
 * gives up for good on any non-200 answer, so this is a 200 that says only
 * `retry:` and closes: the browser reconnects after `retryMs`, and the
 * comment line tells a human reading the stream why.
 */
export function retryLaterStream(retryMs: number, reason: string, extraHeaders?: HeadersInit): Response {
  const headers = new Headers(extraHeaders);
  headers.set("Content-Type", `${EVENT_STREAM_TYPE}; charset=utf-8`);
  headers.set("Cache-Control", "no-store");
  return new Response(`: ${reason}\nretry: ${Math.round(retryMs)}\n\n`, { status: 200, headers });
}

const HEARTBEAT = new TextEncoder().encode(": heartbeat\n\n");
const LF = 0x0a;
const CR = 0x0d;

/**
 * Tracks whether the bytes written so far end on an event boundary (a blank
 * line: `\n\n`, `\r\r` or `\r\n\r\n`), so a heartbeat never lands inside an event.
 */
export class EventBoundary {
  // The last four bytes written; a fresh stream counts as "between events".
  #tail: number[] = [LF, LF, LF, LF];

  /** Feed the bytes as they pass. */
  push(chunk: Uint8Array): void {
    const take = Math.min(4, chunk.length);
    this.#tail = [...this.#tail, ...chunk.subarray(chunk.length - take)].slice(-4);
  }

  get atBoundary(): boolean {
    const [a, b, c, d] = this.#tail;
    return (c === LF && d === LF) || (c === CR && d === CR) || (a === CR && b === LF && c === CR && d === LF);
  }
}

/**
 * The event stream with an SSE comment line written whenever it has been idle
 * for `seconds` and sits between events, so intermediaries that drop idle
 * connections keep it open. It costs the pass-through fast path: every chunk
 * now crosses JavaScript (a read and an enqueue) instead of being piped by
 * the runtime, so it is off by default and applied to event streams only.
 * Errors and cancellation propagate both ways, as the plain pipe does.
 */
export function withHeartbeat(body: ReadableStream<Uint8Array>, seconds: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const boundary = new EventBoundary();
  const intervalMs = seconds * 1000;
  let lastWrite = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setInterval(() => {
        // Date.now() advances with I/O in Workers, which is what idleness is measured against here.
        if (Date.now() - lastWrite < intervalMs || !boundary.atBoundary) return;
        controller.enqueue(HEARTBEAT);
        lastWrite = Date.now();
      }, intervalMs);
    },
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        stop();
        controller.error(error);
        return;
      }
      if (result.done) {
        stop();
        controller.close();
        return;
      }
      boundary.push(result.value);
      lastWrite = Date.now();
      controller.enqueue(result.value);
    },
    async cancel(reason) {
      stop();
      await reader.cancel(reason);
    },
  });
}

/**
 * The backend's event stream (`GET /api/v1/events`): numbered `tick` events
 * for each subscriber, and announcements (`upload.completed`) that go to
 * every open stream at once. An announcement carries no `id:` line, so a
 * reconnecting EventSource still resumes the tick numbering with
 * Last-Event-ID; one missed while a page was away is not replayed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** SSE cadence bounds: fast enough for a demo, slow enough not to flood a terminal. */
const MIN_EVENT_EVERY_MS = 10;
const DEFAULT_EVENT_EVERY_MS = 1000;
/** How long an EventSource waits before reconnecting after the stream ends. */
const SSE_RETRY_MS = 2000;

/** What every open stream receives: an event type and its JSON data (`at` is added when it is sent). */
export interface Announcement {
  type: string;
  data: Record<string, unknown>;
}

/** The open streams of one backend, so a webhook can announce to all of them. */
export class EventHub {
  readonly #streams = new Set<ServerResponse>();

  /** Writes the announcement to every open stream; returns how many received it. */
  announce(announcement: Announcement): number {
    const frame = sseFrame(announcement.type, { ...announcement.data, at: new Date().toISOString() });
    for (const stream of this.#streams) stream.write(frame);
    return this.#streams.size;
  }

  /**
   * Numbered events every `every` ms. `Last-Event-ID: n` resumes at n + 1, as
   * a reconnecting EventSource expects; `count` ends the stream after that many.
   */
  stream(request: IncomingMessage, response: ServerResponse, query: URLSearchParams): void {
    const every = Math.max(
      MIN_EVENT_EVERY_MS,
      Number(query.get("every") ?? DEFAULT_EVENT_EVERY_MS) || DEFAULT_EVENT_EVERY_MS,
    );
    const count = Number(query.get("count") ?? Infinity);
    const lastId = Number(request.headers["last-event-id"] ?? 0);
    let next = Number.isSafeInteger(lastId) && lastId >= 0 ? lastId + 1 : 1;
    let sent = 0;

    response.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
    });
    response.write(`retry: ${SSE_RETRY_MS}\n\n`);
    this.#streams.add(response);
    const timer = setInterval(() => {
      response.write(`id: ${next}\n${sseFrame("tick", { n: next, at: new Date().toISOString() })}`);
      next += 1;
      sent += 1;
      if (sent >= count) {
        clearInterval(timer);
        this.#streams.delete(response);
        response.end();
      }
    }, every);
    // The client (through the gateway) went away: stop producing.
    response.on("close", () => {
      clearInterval(timer);
      this.#streams.delete(response);
    });
  }
}

/** One event: JSON has no raw newline, so `data:` is always a single line. */
function sseFrame(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

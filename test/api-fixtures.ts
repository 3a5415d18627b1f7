/**
 * What the test origin (test/origin.ts, Node) and the api proxy tests
 * (workerd) share. No Node imports here: the Workers' test programs include this file.
 */

declare module "vitest" {
  interface ProvidedContext {
    /** http://127.0.0.1:<port> of the test origin behind the api Worker (test/global-setup.ts). */
    backendOrigin: string;
  }
}

/** What the origin saw of one held-open request, by probe id. */
export interface ProbeRecord {
  openedAt: number;
  /** Milliseconds from open to the connection closing; absent while open. */
  closedAfterMs?: number;
  /** Request body bytes received so far (uploads). */
  bytes?: number;
  /** Requests that reached the route (`/api/test/leaky`). */
  requests?: number;
}

/** What `/api/test/leaky` answers a GET with: the method it saw and the client address it believed. */
export interface LeakyBody {
  method: string;
  believedClientIp: string;
}

/** What `/api/test/leaky` sends as X-Proxy-Token when the request carried none. */
export const LEAKY_PROXY_TOKEN_ECHO = "no-token-received";

/** What `/api/test/echo` answers: the request exactly as the origin received it. */
export interface EchoBody {
  method: string;
  url: string;
  /** Header values by lower-case name; repeated headers joined as Node joins them. */
  headers: Record<string, string>;
  bodyBytes: number;
}

/** The text `/api/test/gzip` sends gzip-compressed. */
export const GZIP_TEXT = "compressed by the backend, ".repeat(200);

/** Reads an event stream one event (blank-line-terminated block) at a time, as an EventSource would split it. */
export class EventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  constructor(response: Response) {
    if (!response.body) throw new Error("the response has no body");
    // Workers types a body as ReadableStream<any>; its chunks are bytes.
    this.#reader = (response.body as ReadableStream<Uint8Array>).getReader();
  }

  /** The next event's text, or undefined when the stream ended cleanly. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const event = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return event;
      }
      const { done, value } = await this.#reader.read();
      if (done) return undefined;
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

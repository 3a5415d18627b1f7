import { describe, expect, it } from "vitest";
import { EventBoundary, isEventStream, retryLaterStream, wantsEventStream } from "./sse";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("EventBoundary", () => {
  it("is at a boundary before anything was written", () => {
    expect(new EventBoundary().atBoundary).toBe(true);
  });

  it.each([
    ["sees the end of an event with LF line ends", "data: a\n\n", true],
    ["sees the end of an event with CR line ends", "data: a\r\r", true],
    ["sees the end of an event with CRLF line ends", "data: a\r\n\r\n", true],
    ["sees the end of a retry field alone", "retry: 2000\n\n", true],
    ["is not at a boundary after one line of an event", "id: 1\ndata: a\n", false],
    ["is not at a boundary in the middle of a line", "data: hal", false],
    ["is not at a boundary after a CRLF that ends only a line", "data: a\r\n", false],
  ])("%s", (_what, text, expected) => {
    const boundary = new EventBoundary();
    boundary.push(bytes(text));
    expect(boundary.atBoundary).toBe(expected);
  });

  it("follows an event split across chunks, even one byte at a time", () => {
    const boundary = new EventBoundary();
    const seen: boolean[] = [];
    for (const char of "data: x\r\n\r\n") {
      boundary.push(bytes(char));
      seen.push(boundary.atBoundary);
    }
    expect(seen.at(-1)).toBe(true);
    expect(seen.slice(0, -1).every((at) => !at)).toBe(true);
  });
});

describe("event stream detection", () => {
  it("recognises an EventSource's Accept and an event-stream Content-Type, with parameters", () => {
    expect(wantsEventStream(new Headers({ Accept: "text/event-stream" }))).toBe(true);
    expect(wantsEventStream(new Headers({ Accept: "application/json" }))).toBe(false);
    expect(isEventStream(new Headers({ "Content-Type": "Text/Event-Stream; charset=utf-8" }))).toBe(true);
    expect(isEventStream(new Headers({ "Content-Type": "text/plain" }))).toBe(false);
  });
});

describe("retryLaterStream", () => {
  it("is a 200 event stream holding only a comment and the retry delay, never cached", async () => {
    const response = retryLaterStream(5000, "upstream_unreachable", { "Retry-After": "5" });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(await response.text()).toBe(": upstream_unreachable\nretry: 5000\n\n");
  });
});

/**
 * The logger (shared/log.ts) keeps secrets out by construction: it writes only
 * allow-listed fields, only as strings or numbers, and short. These tests feed
 * it what careless code would pass (a request's headers, a token, a nested
 * object) and read the line it actually wrote.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LogFields } from "../../shared/log";
import { createLogger, keyHint, loggablePath } from "../../shared/log";

const TOKEN =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InYxIn0.eyJrZXkiOiJhLmpwZyIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJlLXZhbHVl";

/** Captures what the logger writes to one console method and parses each line as JSON. */
function capture(method: "log" | "warn" | "error"): () => Record<string, unknown>[] {
  const spy = vi.spyOn(console, method).mockImplementation(() => undefined);
  return () => spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
}

/** What careless code might pass: fields the type does not allow, past the object-literal check (LogFields is all optional). */
function unchecked(fields: Record<string, unknown>): LogFields {
  return fields;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the allow-listed logger", () => {
  it("writes one JSON object per call with level, worker, event and the allowed fields", () => {
    const lines = capture("log");
    createLogger("media").info("served", { requestId: "r1", status: 206, bytes: 10, cache: "hit" });
    expect(lines()).toEqual([
      { level: "info", worker: "media", event: "served", requestId: "r1", status: 206, bytes: 10, cache: "hit" },
    ]);
  });

  it("drops every field that is not allow-listed, whatever it holds", () => {
    const lines = capture("warn");
    createLogger("api").warn(
      "rejected",
      unchecked({
        requestId: "r2",
        token: TOKEN,
        authorization: "Bearer secret-value",
        cookie: "session=abc",
        secret: "MEDIA_TOKEN_SECRET_V1 value",
        headers: { authorization: "Bearer secret-value" },
        key: "private/user-42/passport.jpg",
        url: `https://gateway.test/media/v1/${TOKEN}`,
      }),
    );
    expect(lines()).toEqual([{ level: "warn", worker: "api", event: "rejected", requestId: "r2" }]);
  });

  it("drops allowed fields whose value is not a string or a number (an object could carry anything)", () => {
    const lines = capture("error");
    createLogger("router").error(
      "odd",
      unchecked({ reason: { token: TOKEN }, status: [500], target: null, bytes: true, path: () => TOKEN }),
    );
    expect(lines()).toEqual([{ level: "error", worker: "router", event: "odd" }]);
  });

  it("cuts a runaway string field to 200 characters", () => {
    const lines = capture("log");
    createLogger("media").info("long", { reason: "x".repeat(10_000) });
    const [line] = lines();
    expect(line?.reason).toBe("x".repeat(200));
  });

  it("keeps a quote or newline inside a value from breaking the one-line JSON", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    createLogger("api").info("quoted", { reason: 'a"}\n{"level":"error' });
    const text = String(spy.mock.calls[0]?.[0]);
    expect(text).not.toContain("\n");
    expect(JSON.parse(text)).toMatchObject({ event: "quoted", reason: 'a"}\n{"level":"error' });
  });

  it("writes errors to console.error and warnings to console.warn", () => {
    const errors = capture("error");
    const warnings = capture("warn");
    const logger = createLogger("router");
    logger.error("e");
    logger.warn("w");
    expect(errors()).toEqual([{ level: "error", worker: "router", event: "e" }]);
    expect(warnings()).toEqual([{ level: "warn", worker: "router", event: "w" }]);
  });
});

describe("loggablePath", () => {
  it("replaces a token segment with :token", () => {
    expect(loggablePath(`/media/v1/${TOKEN}`)).toBe("/media/v1/:token");
  });

  it("replaces a token with an empty signature (alg none) too", () => {
    expect(loggablePath("/media/v1/eyJhbGciOiJub25lIn0.eyJrZXkiOiJhIn0.")).toBe("/media/v1/:token");
  });

  it("replaces any segment longer than 64 characters, token-shaped or not", () => {
    expect(loggablePath(`/api/${"s".repeat(65)}/x`)).toBe("/api/:token/x");
  });

  it("keeps a path at most 200 characters long", () => {
    expect(loggablePath(`/api/${"a/".repeat(500)}`).length).toBeLessThanOrEqual(200);
  });
});

describe("keyHint", () => {
  it("never returns a long key whole", () => {
    const key = "users/4f1c2b/private/2026/holiday-video-final.mp4";
    const hint = keyHint(key);
    expect(hint).not.toBe(key);
    expect(hint.startsWith(key.slice(0, 12))).toBe(true);
    expect(hint.endsWith(key.slice(-8))).toBe(true);
  });

  it("returns a short key as it is (short keys carry too little to hide)", () => {
    expect(keyHint("a.jpg")).toBe("a.jpg");
  });
});

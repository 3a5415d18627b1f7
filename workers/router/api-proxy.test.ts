/**
 * The api proxy end to end: test → router → api Worker (the deploy bundle,
 * over a real service binding) → a real Node origin on loopback
 * (test/origin.ts: the local backend plus routes that misbehave on purpose).
 * The api Worker here waits 1.5 s for response headers (vitest.config.ts).
 */
import { exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import type { EchoBody, ProbeRecord } from "../../test/api-fixtures";
import { EventReader, GZIP_TEXT } from "../../test/api-fixtures";
import { TEST_SECRETS } from "../../test/secrets";

const PUBLIC = "https://gateway.test";
const backendOrigin = inject("backendOrigin");
const get = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`${PUBLIC}${path}`, init));
const SSE = { Accept: "text/event-stream" };

async function echo(init?: RequestInit, path = "/api/test/echo"): Promise<EchoBody> {
  const response = await get(path, init);
  expect(response.status).toBe(200);
  return response.json<EchoBody>();
}

async function probe(id: string): Promise<ProbeRecord> {
  return (await get(`/api/test/probe/${id}`)).json<ProbeRecord>();
}

/** The origin's record once it saw the connection close, polling for at most `withinMs`. */
async function closedWithin(id: string, withinMs: number): Promise<ProbeRecord> {
  const since = Date.now();
  let record = await probe(id);
  while (record.closedAfterMs === undefined && Date.now() - since < withinMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    record = await probe(id);
  }
  return record;
}

describe("proxying /api/* to the backend", () => {
  it("forwards path and query to BACKEND_URL and returns the backend's JSON with the router's request id", async () => {
    const response = await get("/api/v1/hello?lang=en", { headers: { "X-Request-Id": "trace-hello-1" } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: "Hello from the local backend.", requestId: "trace-hello-1" });
    expect(response.headers.get("X-Request-Id")).toBe("trace-hello-1");
  });

  it("keeps the /api prefix, the query string and the method", async () => {
    const seen = await echo({ method: "DELETE" }, "/api/test/echo?a=1&b=two%20words");
    expect(seen.method).toBe("DELETE");
    expect(seen.url).toBe("/api/test/echo?a=1&b=two%20words");
  });

  it("sets X-Forwarded-For from CF-Connecting-IP and X-Forwarded-Proto/-Host from the public URL, whatever the client sent", async () => {
    const seen = await echo({
      headers: {
        "CF-Connecting-IP": "203.0.113.7",
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Host": "evil.test",
        "X-Forwarded-Proto": "http",
      },
    });
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.headers["x-forwarded-host"]).toBe("gateway.test");
  });

  it("sends BACKEND_AUTH_TOKEN in X-Proxy-Token, never a client's copy, and leaves Authorization and Cookie untouched", async () => {
    const seen = await echo({
      headers: { "X-Proxy-Token": "guessed", Authorization: "Bearer user-token", Cookie: "session=abc; theme=dark" },
    });
    expect(seen.headers["x-proxy-token"]).toBe(TEST_SECRETS.api.BACKEND_AUTH_TOKEN);
    expect(seen.headers.authorization).toBe("Bearer user-token");
    expect(seen.headers.cookie).toBe("session=abc; theme=dark");
  });

  it("passes the request id the router decided to the backend", async () => {
    const seen = await echo({ headers: { "X-Request-Id": "bad id with spaces" } });
    expect(seen.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("drops hop-by-hop request headers, including those the client named in Connection", async () => {
    const seen = await echo({
      headers: {
        Connection: "X-Client-Hop",
        "X-Client-Hop": "per-hop",
        "Keep-Alive": "timeout=5",
        "X-End-To-End": "kept",
      },
    });
    expect(seen.headers["x-client-hop"]).toBeUndefined();
    expect(seen.headers["keep-alive"]).toBeUndefined();
    expect(seen.headers["x-end-to-end"]).toBe("kept");
  });

  it("drops hop-by-hop response headers, including those the backend named in Connection", async () => {
    const response = await get("/api/test/hop-by-hop");
    expect(response.headers.get("X-Connection-Secret")).toBeNull();
    expect(response.headers.get("Keep-Alive")).toBeNull();
    expect(response.headers.get("X-Kept")).toBe("end-to-end");
    expect(await response.text()).toBe("ok");
  });

  it("keeps several Set-Cookie headers one by one, commas and dates intact", async () => {
    const response = await get("/api/test/cookies");
    expect(response.headers.getSetCookie()).toEqual([
      "session=abc; Path=/; HttpOnly",
      "theme=dark, with comma; Path=/",
      "lang=en; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
    ]);
    await response.body?.cancel();
  });

  it("passes the backend's own 4xx/5xx through as they are, body and headers", async () => {
    const response = await get("/api/test/status?code=503");
    expect(response.status).toBe(503);
    expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("X-Backend-Error")).toBe("yes");
    expect(await response.text()).toBe("<h1>backend says 503</h1>");
  });

  it("streams a 50 MB upload to the backend without buffering it: the backend has bytes before the client finished", async () => {
    const id = crypto.randomUUID();
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const chunks = 800; // 800 × 64 KiB = 50 MiB
    let sent = 0;
    let bytesSeenMidway = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === chunks / 2) {
          // Hold the second half back until the origin has received something. A
          // proxy that buffered the body would send nothing yet: the test would time out.
          for (let record = await probe(id); !record.bytes; record = await probe(id))
            await new Promise((resolve) => setTimeout(resolve, 20));
          bytesSeenMidway = (await probe(id)).bytes ?? 0;
        }
        if (sent === chunks) controller.close();
        else {
          controller.enqueue(chunk);
          sent += 1;
        }
      },
    });
    const response = await get(`/api/test/upload?probe=${id}`, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/octet-stream" },
    });
    expect(response.status).toBe(200);
    expect((await response.json<{ bytes: number }>()).bytes).toBe(chunks * chunk.length);
    expect(bytesSeenMidway).toBeGreaterThan(0);
    expect(bytesSeenMidway).toBeLessThanOrEqual((chunks / 2) * chunk.length);
  });

  it("passes a compressed body through as the backend compressed it", async () => {
    const response = await get("/api/test/gzip", { headers: { "Accept-Encoding": "gzip" } });
    expect(response.headers.get("Content-Encoding")).toBe("gzip");
    // Content-Length survives only when the runtime sends the backend's bytes
    // untouched (a re-encode would stream chunked): the compressed size, not the text's.
    expect(Number(response.headers.get("Content-Length"))).toBeLessThan(GZIP_TEXT.length);
    expect(await response.text()).toBe(GZIP_TEXT);
  });
});

describe("redirects", () => {
  // The test's own fetch would follow a redirect; a browser navigation or fetch sees the 3xx the same way.
  const noFollow = { redirect: "manual" } as const;

  it("passes a redirect to the client with a Location on the backend's origin rewritten to the public one", async () => {
    const to = encodeURIComponent(`${backendOrigin}/api/v1/hello?next=1#top`);
    const response = await get(`/api/test/redirect?to=${to}`, noFollow);
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe(`${PUBLIC}/api/v1/hello?next=1#top`);
  });

  it("rewrites a root-relative Location to the public origin", async () => {
    const response = await get(`/api/test/redirect?status=303&to=${encodeURIComponent("/api/login")}`, noFollow);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe(`${PUBLIC}/api/login`);
  });

  it("leaves a Location on another origin alone", async () => {
    const response = await get(
      `/api/test/redirect?to=${encodeURIComponent("https://id.example.com/authorize?x=1")}`,
      noFollow,
    );
    expect(response.headers.get("Location")).toBe("https://id.example.com/authorize?x=1");
  });
});

describe("Server-Sent Events", () => {
  it("delivers the first event while the backend still holds the stream open", async () => {
    const id = crypto.randomUUID();
    const response = await get(`/api/test/hold?probe=${id}`, { headers: SSE });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/event-stream");
    expect(response.headers.get("Cache-Control")).toBe("no-cache");
    const events = new EventReader(response);
    expect(await events.next()).toBe("id: 1\ndata: first");
    expect((await probe(id)).closedAfterMs).toBeUndefined();
    await events.cancel();
  });

  it("aborts the backend's request within a second of the client disconnecting", async () => {
    const id = crypto.randomUUID();
    const events = new EventReader(await get(`/api/test/hold?probe=${id}`, { headers: SSE }));
    await events.next();
    await events.cancel();
    expect((await closedWithin(id, 1000)).closedAfterMs).toBeTypeOf("number");
  });

  it("aborts the backend's request within a second when the client gives up while still waiting for headers", async () => {
    const id = crypto.randomUUID();
    const client = new AbortController();
    const pending = get(`/api/test/slow-headers?ms=1200&probe=${id}`, { signal: client.signal });
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.abort();
    await expect(pending).rejects.toThrow();
    const record = await closedWithin(id, 1000);
    // Closed early by the abort, not answered by the origin after 1.2 s.
    expect(record.closedAfterMs).toBeLessThan(1200);
  });

  it("ends the client's stream when the backend dies mid-stream, instead of hanging", async () => {
    const events = new EventReader(await get("/api/test/die-mid-stream", { headers: SSE }));
    expect(await events.next()).toBe("id: 1\ndata: before the crash");
    // The stream ends, cleanly or with an error; it does not wait forever.
    const ending = await events.next().then(
      (event) => event ?? "ended",
      () => "errored",
    );
    expect(["ended", "errored"]).toContain(ending);
  });

  it("asks the backend for an uncompressed event stream, whatever the client accepts", async () => {
    const seen = await echo({ headers: { ...SSE, "Accept-Encoding": "gzip, br" } });
    expect(seen.headers["accept-encoding"]).toBe("identity");
  });

  it("passes Last-Event-ID to the backend, which resumes after it", async () => {
    const response = await get("/api/v1/events?every=20&count=2", { headers: { ...SSE, "Last-Event-ID": "41" } });
    const events = new EventReader(response);
    expect(await events.next()).toBe("retry: 2000");
    expect(await events.next()).toMatch(/^id: 42\nevent: tick\ndata: \{"n":42,/);
    expect(await events.next()).toMatch(/^id: 43\n/);
    expect(await events.next()).toBeUndefined();
  });

  it("keeps a stream open for several times the header timeout: the timer stops once headers arrive", async () => {
    // 5 events a second apart: the stream lives 5 s against a 1.5 s header timeout.
    const events = new EventReader(await get("/api/v1/events?every=1000&count=5", { headers: SSE }));
    const ids: string[] = [];
    for (let event = await events.next(); event !== undefined; event = await events.next()) {
      const id = /^id: (\d+)/.exec(event)?.[1];
      if (id) ids.push(id);
    }
    expect(ids).toEqual(["1", "2", "3", "4", "5"]);
  }, 15_000);
});

describe("backend failures", () => {
  it("answers 504 upstream_timeout in the JSON shape when the backend sends no headers in time", async () => {
    const response = await get("/api/test/slow-headers?ms=5000", { headers: { "X-Request-Id": "slow-1" } });
    expect(response.status).toBe(504);
    expect(await response.json<ErrorBody>()).toEqual({
      error: {
        status: 504,
        code: "upstream_timeout",
        message: "The backend did not answer in time.",
        requestId: "slow-1",
      },
    });
  });

  it("answers an EventSource with 200 and retry: when the backend does not answer in time", async () => {
    const response = await get("/api/test/slow-headers?ms=5000", { headers: SSE });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/event-stream; charset=utf-8");
    expect(await response.text()).toBe(": upstream_timeout\nretry: 5000\n\n");
  });
});

describe("WebSockets", () => {
  it("passes an upgrade through to the backend and echoes messages both ways", async () => {
    const response = await get("/api/v1/ws", { headers: { Upgrade: "websocket" } });
    expect(response.status).toBe(101);
    const socket = response.webSocket;
    if (!socket) throw new Error("no webSocket on the 101");
    socket.accept();
    const reply = new Promise<unknown>((resolve) =>
      socket.addEventListener("message", (event) => resolve(event.data), { once: true }),
    );
    socket.send("ping through the gateway");
    expect(await reply).toBe("ping through the gateway");
    socket.close(1000, "done");
  });

  it("accepts an upgrade from a page on the gateway's own origin", async () => {
    const response = await get("/api/v1/ws", { headers: { Upgrade: "websocket", Origin: PUBLIC } });
    expect(response.status).toBe(101);
    response.webSocket?.accept();
    response.webSocket?.close(1000, "done");
  });

  it("refuses with 403 JSON an upgrade from a page on another site (cross-site WebSocket hijacking)", async () => {
    const response = await get("/api/v1/ws", { headers: { Upgrade: "websocket", Origin: "https://evil.example" } });
    expect(response.status).toBe(403);
    expect(response.webSocket).toBeNull();
    expect((await response.json<ErrorBody>()).error.code).toBe("forbidden");
  });
});

import { describe, expect, it } from "vitest";
import { withRequestId } from "../../shared/request-id";

describe("withRequestId on a fetched response (the router's own answers)", () => {
  it("keeps the service's status, status text, every header (each Set-Cookie apart) and body, and sets X-Request-Id over the service's own", async () => {
    const headers = new Headers({ "Content-Type": "video/mp4", ETag: '"abc"', "X-Request-Id": "from-the-service" });
    headers.append("Set-Cookie", "a=1; Path=/");
    headers.append("Set-Cookie", "b=2, with comma; Path=/");
    const service = new Response("partial body", { status: 206, statusText: "Partial Content", headers });

    const wrapped = withRequestId(service, "rid-decided-by-router", "fetched");

    expect(wrapped.status).toBe(206);
    expect(wrapped.statusText).toBe("Partial Content");
    expect(wrapped.headers.get("X-Request-Id")).toBe("rid-decided-by-router");
    expect(wrapped.headers.get("Content-Type")).toBe("video/mp4");
    expect(wrapped.headers.get("ETag")).toBe('"abc"');
    expect(wrapped.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2, with comma; Path=/"]);
    expect(await wrapped.text()).toBe("partial body");
  });

  it("hands on the same body stream without reading it", async () => {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const wrapped = withRequestId(new Response(readable), "rid", "fetched");
    // Nothing has been written yet: the wrapper must not wait for (or buffer) the body.
    const writer = writable.getWriter();
    const reading = wrapped.text();
    await writer.write(new TextEncoder().encode("late bytes"));
    await writer.close();
    expect(await reading).toBe("late bytes");
  });

  it("does not change the service's own response object", () => {
    const service = new Response(null, { status: 204, headers: { "X-Request-Id": "service-id" } });
    withRequestId(service, "router-id", "fetched");
    expect(service.headers.get("X-Request-Id")).toBe("service-id");
  });
});

describe("withRequestId on a response the Worker built", () => {
  it("sets X-Request-Id in place and returns the same response, so a 101's socket or a stream is never re-wrapped", () => {
    const built = new Response("body", { status: 201, headers: { "X-Request-Id": "stale" } });
    expect(withRequestId(built, "rid-built")).toBe(built);
    expect(built.headers.get("X-Request-Id")).toBe("rid-built");
  });
});

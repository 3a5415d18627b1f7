/**
 * `npm run smoke` against a stand-in gateway (a local HTTP server that answers
 * like the real one, or fails on purpose), for the verdicts the local stack
 * cannot produce: a public /_status, a cache that never hits, an api that
 * fails. (The passing run against the real local stack, `npm run dev`, is in
 * docs/operations.md.)
 */
import { createServer } from "node:http";
import type { Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NO_CACHE_HIT_HINT } from "../../scripts/smoke.ts";
import { offlineEnvironment, runScript } from "./run-script.ts";

const PORT = 8853;
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN = "stand-in-admin-token";

interface Behaviour {
  statusIsPublic: boolean;
  cacheHits: boolean;
  sse: "events" | "fails";
}
let behaviour: Behaviour;
const requestIds: string[] = [];
let server: Server;

beforeAll(async () => {
  server = createServer((request, response) => {
    requestIds.push(String(request.headers["x-request-id"]));
    const operator = request.headers.authorization === `Bearer ${ADMIN}`;
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const path = request.url ?? "";
    if (path === "/_health")
      return json(200, {
        status: "ok",
        workers: { router: { status: "ok" }, media: { status: "ok" }, api: { status: "ok" } },
      });
    if (path === "/_status") {
      if (!operator && !behaviour.statusIsPublic) return json(401, { error: { code: "unauthorized" } });
      return json(200, {
        status: "ok",
        workers: { media: { status: "ok", activeKid: "v2", kids: [{ kid: "v2", fingerprint: "c33b55fc" }] } },
      });
    }
    if (path === "/_sign" && request.method === "POST" && operator) return json(200, { path: "/media/v1/aaa.bbb.ccc" });
    if (path === "/media/v1/aaa.bbb.ccc") {
      response.writeHead(200, {
        "Content-Type": "video/mp4",
        "Content-Length": "5",
        "Server-Timing": `cache;desc=${behaviour.cacheHits ? "hit" : "miss"}`,
      });
      return response.end(request.method === "HEAD" ? undefined : "12345");
    }
    if (path === "/api/v1/events" && behaviour.sse === "events") {
      response.writeHead(200, { "Content-Type": "text/event-stream" });
      response.write("id: 1\ndata: first\n\n");
      return setTimeout(() => response.end(), 50);
    }
    json(502, { error: { code: "upstream_unreachable" } });
  });
  await new Promise<void>((resolve) => server.listen(PORT, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  behaviour = { statusIsPublic: false, cacheHits: true, sse: "events" };
  requestIds.length = 0;
});

const smoke = (expected = "v2:c33b55fc") =>
  runScript("smoke.ts", [BASE, "--env", "staging"], {
    input: expected,
    env: offlineEnvironment({ ADMIN_TOKEN: ADMIN }),
  });

describe("npm run smoke against a stand-in gateway", () => {
  it("passes all six checks when every answer is right, tagging each request with a smoke request id", async () => {
    const result = await smoke();
    expect(result.stdout).toContain("smoke: all 6 checks passed");
    expect(result.code).toBe(0);
    expect(requestIds.length).toBeGreaterThanOrEqual(7);
    for (const id of requestIds) expect(id).toMatch(/^smoke-[a-z0-9]+-\d+$/);
  });

  it("fails on a fingerprint other than the active kid's and names the media rollback", async () => {
    const result = await smoke("v2:526d65e9");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "FAIL  signing key: active v2:c33b55fc, loaded [v2:c33b55fc], expected v2:526d65e9",
    );
    expect(result.stdout).toContain("  npm run rollback -- media staging\n");
  });

  it("fails when /_status answers without the admin token", async () => {
    behaviour.statusIsPublic = true;
    const result = await smoke();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("/_status answered 200 without the admin token: it must be 401");
    expect(result.stdout).toContain("npm run rollback -- router staging");
  });

  it("explains that the Cache API needs a custom domain when no request hits", async () => {
    behaviour.cacheHits = false;
    const result = await smoke();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("FAIL  edge cache: no hit in 5 GETs of the same object");
    expect(result.stdout).toContain(NO_CACHE_HIT_HINT);
    expect(NO_CACHE_HIT_HINT).toMatch(/custom domain.*workers\.dev.*Cloudflare Access/);
  });

  it("blames the api Worker when SSE fails, and prints its rollback", async () => {
    behaviour.sse = "fails";
    const result = await smoke();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("FAIL  SSE /api/v1/events: 502 application/json");
    expect(result.stdout).toMatch(
      /checks failed\. If the last deploy caused it, roll back the Worker involved:\n {2}npm run rollback -- api staging\n$/,
    );
  });
});

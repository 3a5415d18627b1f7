/**
 * The client address under `npm run dev` is the connection's, as at the
 * edge: scripts/dev-front.ts replaces any CF-Connecting-IP a client sends, so
 * the api Worker's X-Forwarded-For and its rate-limit key (both read from
 * CF-Connecting-IP) follow the socket, not the client's claim. The backend
 * here is the real test origin (test/origin.ts) on the e2e backend port.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDevSecrets } from "../backend/server.ts";
import type { EchoBody, LeakyBody } from "../test/api-fixtures.ts";
import type { RunningOrigin } from "../test/origin.ts";
import { startTestOrigin } from "../test/origin.ts";
import { E2E_PORTS, GATEWAY_URL } from "./stack.ts";

let origin: RunningOrigin;

beforeAll(async () => {
  origin = await startTestOrigin(loadDevSecrets(), E2E_PORTS.backend);
});

afterAll(async () => {
  await origin.close();
});

const CLAIMS = { "CF-Connecting-IP": "1.2.3.4", "cf-CONNECTING-ip": "1.2.3.5", "X-Client-IP": "6.6.6.6" };

describe("the client address under npm run dev", () => {
  it("is the connection's: a client's CF-Connecting-IP reaches neither X-Forwarded-For nor the rate-limit key", async () => {
    const response = await fetch(`${GATEWAY_URL}/api/test/echo`, { headers: CLAIMS });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as EchoBody;
    // The api Worker sets X-Forwarded-For from the CF-Connecting-IP it received, the header its rate-limit key
    // reads too (rate-limit.ts); Miniflare drops CF-Connecting-IP itself from a Worker's outbound fetch.
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers).not.toHaveProperty("cf-connecting-ip");
    expect(seen.headers).not.toHaveProperty("x-client-ip");
  });

  it("is what a backend that honours X-Client-IP believes", async () => {
    const response = await fetch(`${GATEWAY_URL}/api/test/leaky`, { headers: CLAIMS });
    expect(((await response.json()) as LeakyBody).believedClientIp).toBe("127.0.0.1");
    expect(response.headers.get("X-Proxy-Token")).toBeNull();
  });
});

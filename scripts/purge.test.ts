import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineEnvironment, runScript } from "../test/ops/run-script.ts";
import { purgeRequest, tagForObject } from "./purge.ts";

/** A local stand-in for the Cloudflare API: records each request, answers as the real one does. */
const PORT = 8851;
const ZONE = "0123456789abcdef0123456789abcdef";
interface Recorded {
  method: string | undefined;
  url: string | undefined;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}
const recorded: Recorded[] = [];
let server: Server;

async function bodyOf(request: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of request) body += String(chunk);
  return body;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void bodyOf(request).then((body) => {
      recorded.push({
        method: request.method,
        url: request.url,
        authorization: request.headers.authorization,
        contentType: request.headers["content-type"],
        body,
      });
      const refused = request.headers.authorization !== "Bearer purge-token";
      response.writeHead(refused ? 403 : 200, { "Content-Type": "application/json" });
      response.end(
        JSON.stringify(
          refused
            ? { success: false, errors: [{ code: 10000, message: "Authentication error" }] }
            : { success: true, errors: [], result: { id: ZONE } },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(PORT, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const apiEnvironment = (token: string) =>
  offlineEnvironment({
    CLOUDFLARE_ZONE_ID: ZONE,
    CLOUDFLARE_API_TOKEN: token,
    CLOUDFLARE_API_BASE_URL: `http://127.0.0.1:${PORT}/client/v4`,
  });

describe("npm run purge", () => {
  it("POSTs the object's Cache-Tag to the zone's purge_cache endpoint with the API token", async () => {
    recorded.length = 0;
    const result = await runScript("purge.ts", ["media/videos/intro.mp4"], { env: apiEnvironment("purge-token") });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(recorded).toEqual([
      {
        method: "POST",
        url: `/client/v4/zones/${ZONE}/purge_cache`,
        authorization: "Bearer purge-token",
        contentType: "application/json",
        body: '{"tags":["media/videos/intro.mp4"]}',
      },
    ]);
    expect(result.stdout).toBe('purge: purged {"tags":["media/videos/intro.mp4"]}\n');
  });

  it("fails with the API's error when the token is refused", async () => {
    const result = await runScript("purge.ts", ["media/a.mp4"], { env: apiEnvironment("wrong") });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("purge: the API answered 403: 10000 Authentication error");
    expect(result.stderr).not.toContain("wrong");
  });

  it("--dry-run prints the request with the token redacted and sends nothing", async () => {
    recorded.length = 0;
    const result = await runScript("purge.ts", ["assets/a,b c.jpg", "--dry-run"], {
      env: apiEnvironment("purge-token"),
    });
    expect(result.code).toBe(0);
    expect(recorded).toEqual([]);
    expect(result.stdout).toBe(
      [
        `would send: POST http://127.0.0.1:${PORT}/client/v4/zones/${ZONE}/purge_cache`,
        "  Authorization: Bearer <CLOUDFLARE_API_TOKEN, not shown>",
        "  Content-Type: application/json",
        '  {"tags":["assets/a%2Cb%20c.jpg"]}',
        "",
      ].join("\n"),
    );
  });

  it("needs the zone and token unless it is a dry run, and refuses a zone id that is not one", async () => {
    const missing = await runScript("purge.ts", ["media/a.mp4"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("set CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN");
    const bad = await runScript("purge.ts", ["media/a.mp4"], {
      env: offlineEnvironment({ CLOUDFLARE_ZONE_ID: "../accounts", CLOUDFLARE_API_TOKEN: "t" }),
    });
    expect(bad.code).toBe(2);
  });

  it("tags objects as the media Worker does and refuses what is not <bkt>/<key>", () => {
    expect(tagForObject("media/dir/clip.mp4")).toBe("media/dir/clip.mp4");
    expect(tagForObject("media/é.jpg")).toBe("media/%C3%A9.jpg");
    for (const target of ["media", "/clip.mp4", "media/"])
      expect(() => tagForObject(target)).toThrow("is not <bkt>/<key>");
  });

  it("builds the request against the public API by default", () => {
    expect(purgeRequest(ZONE, "t", ["media/a"]).url).toBe(
      `https://api.cloudflare.com/client/v4/zones/${ZONE}/purge_cache`,
    );
  });
});

/**
 * A site on another origin that embeds the gateway's media: a Node server on
 * its own loopback port serving a page with the demo's HLS player
 * (public/app/hls-player.js and the vendored hls.js, unchanged) and its own
 * `/api/v1/media/*`, which stands in for that site's backend: it asks the
 * gateway's /api for a media URL server-side (no browser, so no CORS) and
 * hands the page the URL made absolute on the gateway. Every playlist and
 * segment request then goes from this origin to the gateway: cross-origin,
 * under MEDIA_CORS_ORIGINS alone.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import { extname, resolve, sep } from "node:path";

const APP_DIR = resolve("public/app");
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
};

/** The HLS ladder npm run dev seeds (samples/README.md). */
const LADDER_PREFIX = "samples/hls/";

/**
 * The page: the HLS player's elements (the ids e2e/demo-page.ts reads) and a
 * module that starts it with `bkt` and `ttl` from the query and a 10 s
 * forward buffer (as the same-origin tests run it).
 */
const PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>A site on another origin</title></head>
  <body>
    <video id="hls-player" muted playsinline></video>
    <button id="hls-start" type="button" hidden>Play</button>
    <select id="hls-quality"></select>
    <select id="hls-subtitles"></select>
    <p id="hls-status"></p>
    <script type="module">
      import { startHlsPlayer } from "/app/hls-player.js";
      const query = new URLSearchParams(location.search);
      const element = (id) => document.getElementById(id);
      const controls = {
        start: element("hls-start"),
        quality: element("hls-quality"),
        subtitles: element("hls-subtitles"),
        status: element("hls-status"),
      };
      startHlsPlayer(element("hls-player"), controls, {
        prefix: "${LADDER_PREFIX}",
        bkt: query.get("bkt") ?? undefined,
        ttl: query.get("ttl") ?? undefined,
        maxBufferLength: 10,
      }).catch((error) => (controls.status.textContent = "HLS player failed: " + error.message));
    </script>
  </body>
</html>
`;

export interface SecondOrigin {
  url: string;
  close(): Promise<void>;
}

/** Serves the page on 127.0.0.1:`port`, minting media URLs through the gateway at `gatewayUrl`. */
export async function startSecondOrigin(port: number, gatewayUrl: string): Promise<SecondOrigin> {
  const server = createServer((request, response) => {
    answer(request, response, gatewayUrl).catch((error: unknown) => {
      response.writeHead(500, { "Content-Type": "text/plain" });
      response.end(String(error));
    });
  });
  await new Promise<void>((ready, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", ready);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, gatewayUrl: string): Promise<void> {
  const target = request.url ?? "/";
  const { pathname } = new URL(target, "http://second-origin.invalid");
  if (pathname === "/") {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    response.end(PAGE);
    return;
  }
  if (pathname.startsWith("/api/v1/media/")) {
    const minted = await fetch(`${gatewayUrl}${target}`, { cache: "no-store" });
    const body = minted.ok ? absoluteOn(gatewayUrl, await minted.json()) : await minted.text();
    response.writeHead(minted.status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
    response.end(body);
    return;
  }
  const file = resolve(APP_DIR, `.${pathname.replace(/^\/app\//, "/")}`);
  const contentType = CONTENT_TYPES[extname(file)];
  if (!pathname.startsWith("/app/") || !file.startsWith(APP_DIR + sep) || contentType === undefined) {
    response.writeHead(404).end();
    return;
  }
  const content = await readFile(file).catch(() => undefined);
  if (content === undefined) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { "Content-Type": contentType, "Cache-Control": "no-store" });
  response.end(content);
}

/** The backend's `{ url: "/media/v1/<jwt>/", expiresAt }` with the URL absolute on the gateway. */
function absoluteOn(gatewayUrl: string, minted: unknown): string {
  if (typeof minted !== "object" || minted === null || !("url" in minted) || typeof minted.url !== "string")
    throw new Error(`the gateway minted no URL: ${JSON.stringify(minted)}`);
  return JSON.stringify({ ...minted, url: new URL(minted.url, gatewayUrl).href });
}

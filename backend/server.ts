/**
 * The local development backend: what the api Worker proxies to under
 * `npm run dev` (BACKEND_URL, http://127.0.0.1:8788 by default). Plain Node
 * `http`, no framework, so it reads as a sketch of what any backend behind
 * the gateway has to do (docs/api.md, "Putting your own backend behind it").
 *
 * | Route                                  | Answers |
 * | -------------------------------------- | ------- |
 * | `GET /api/v1/hello`                    | JSON greeting with the request id the gateway passed |
 * | `POST /api/v1/upload`                  | `{ bytes }`: the body counted as it streams in, never held |
 * | `GET /api/v1/events?every=<ms>&count=` | SSE: numbered `tick` events with `id:`, resuming after `Last-Event-ID`, and `upload.completed` as uploads complete |
 * | `GET /api/v1/media/<key>?bkt=&ttl=&dl=&ip=` | a signed media URL (`/media/v1/<jwt>`), the media token contract; a key ending in `/` is a prefix (`/media/v1/<jwt>/`) |
 * | `GET /api/v1/ws` (Upgrade)             | WebSocket echo |
 * | `POST /api/v1/uploads`                 | an upload token for one file (backend/uploads.ts) |
 * | `POST /webhooks/media-upload`          | the media Worker's signed `upload.completed`, announced on the events stream (not through the gateway: no proxy token, the signature instead) |
 *
 * Run alone: `node backend/server.ts` (port from BACKEND_PORT, default 8788).
 * `npm run dev` starts it in-process with `startBackend()`.
 */
import { timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { EventHub } from "./events.ts";
import type { Answer } from "./uploads.ts";
import { mintUploadToken, UPLOAD_WEBHOOK_PATH, UploadWebhookReceiver } from "./uploads.ts";
import type { ErrorBody, ErrorCode } from "../shared/errors.ts";
import { JSON_DOCUMENT_HEADERS } from "../shared/errors.ts";
import type { DownloadMintInput } from "../shared/mint-input.ts";
import { readMintInput } from "../shared/mint-input.ts";
import { readSigningSecrets } from "../shared/token-secrets.ts";
import { mintToken } from "../shared/token-sign.ts";

export const DEFAULT_BACKEND_PORT = 8788;

/** What the backend shares with the gateway: the proxy token and the media token secrets. */
export interface BackendSecrets {
  /** When set, requests must carry it in `authHeader` (they came through the proxy). */
  BACKEND_AUTH_TOKEN?: string;
  /** Header that carries the proxy token (the api Worker's BACKEND_AUTH_HEADER). */
  BACKEND_AUTH_HEADER?: string;
  MEDIA_TOKEN_ACTIVE_KID?: string;
  /** `whsec_<base64>`: verifies the media Worker's upload webhook. */
  MEDIA_UPLOAD_WEBHOOK_SECRET?: string;
  /** `MEDIA_TOKEN_SECRET_V<N>`, shared with the media Worker. */
  [name: string]: string | undefined;
}

export interface BackendOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Defaults to `.dev.vars` (then `.dev.vars.example`) overlaid by the process environment. */
  secrets?: BackendSecrets;
}

export interface RunningBackend {
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the backend on loopback and resolves once it listens.
 *
 * @example
 * const backend = await startBackend({ port: 0 });
 * await fetch(`${backend.url}/api/v1/hello`);
 * await backend.close();
 */
export async function startBackend(options: BackendOptions = {}): Promise<RunningBackend> {
  const host = options.host ?? "127.0.0.1";
  const server = createBackendServer(options.secrets ?? loadDevSecrets());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_BACKEND_PORT, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () => closeServer(server),
  };
}

/**
 * How long an idle keep-alive connection stays open: longer than the gateway
 * may keep one to reuse it (Cloudflare's proxy idle timeout to an origin is
 * 900 s). With Node's default of 5 s the backend closes sockets the gateway is
 * about to reuse, and that request fails as a 502 (`connect-failed`).
 */
export const KEEP_ALIVE_MS = 905_000;

/**
 * The backend as an `http.Server` (not listening yet), with its WebSocket echo
 * attached. Tests pass a handler that adds routes in front of the backend's.
 */
export function createBackendServer(
  secrets: BackendSecrets,
  handler: RequestListener = backendHandler(secrets),
): Server {
  const server = createServer(handler);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  const echo = new WebSocketServer({ noServer: true });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!isProxied(request, secrets) || routePath(request) !== "/v1/ws") {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    echo.handleUpgrade(request, socket, head, (ws) => {
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  server.on("close", () => echo.close());
  return server;
}

/** The request handler: routes under `/api/v1` (or `/v1` when the gateway strips `/api`); `log` takes the webhook lines (stdout by default). */
export function backendHandler(secrets: BackendSecrets, log?: (line: string) => void): RequestListener {
  const hub = new EventHub();
  const webhooks = new UploadWebhookReceiver(secrets.MEDIA_UPLOAD_WEBHOOK_SECRET, hub, log);
  return (request, response) => {
    const url = new URL(request.url ?? "/", "http://backend.local");
    // The media Worker calls this directly (MEDIA_UPLOAD_WEBHOOK_URL): its signature is the proof, not the proxy token.
    if (url.pathname === UPLOAD_WEBHOOK_PATH && request.method === "POST") {
      void answer(request, response, webhooks.receive(request));
      return;
    }
    if (!isProxied(request, secrets)) {
      sendError(
        request,
        response,
        401,
        "unauthorized",
        "This backend only answers requests that come through the gateway.",
      );
      return;
    }
    const path = routePath(request);
    if (path === "/v1/hello" && request.method === "GET") {
      sendJson(response, 200, { message: "Hello from the local backend.", requestId: requestIdOf(request) });
    } else if (path === "/v1/upload" && request.method === "POST") {
      countUpload(request, response);
    } else if (path === "/v1/events" && request.method === "GET") {
      hub.stream(request, response, url.searchParams);
    } else if (path === "/v1/uploads" && request.method === "POST") {
      void answer(request, response, mintUploadToken(request, activeSigner(secrets)));
    } else if (path.startsWith("/v1/media/") && request.method === "GET") {
      void mintMediaUrl(request, response, path.slice("/v1/media/".length), url.searchParams, secrets);
    } else {
      sendError(request, response, 404, "not_found", "No such backend route.");
    }
  };
}

/** The path with the gateway's `/api` prefix removed, so the routes work whether or not it strips it. */
function routePath(request: IncomingMessage): string {
  const { pathname } = new URL(request.url ?? "/", "http://backend.local");
  return pathname === "/api" || pathname.startsWith("/api/") ? pathname.slice("/api".length) : pathname;
}

function requestIdOf(request: IncomingMessage): string {
  const id = request.headers["x-request-id"];
  return typeof id === "string" ? id : "";
}

/** The check a real backend makes so that only the gateway can reach it. */
function isProxied(request: IncomingMessage, secrets: BackendSecrets): boolean {
  const expected = secrets.BACKEND_AUTH_TOKEN;
  if (!expected) return true;
  const offered = request.headers[(secrets.BACKEND_AUTH_HEADER ?? "X-Proxy-Token").toLowerCase()];
  if (typeof offered !== "string") return false;
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function countUpload(request: IncomingMessage, response: ServerResponse): void {
  let bytes = 0;
  request.on("data", (chunk: Buffer) => (bytes += chunk.length));
  request.on("end", () => sendJson(response, 200, { bytes, requestId: requestIdOf(request) }));
  request.on("error", () => response.destroy());
}

/**
 * A signed media URL, the way any backend mints one (shared/mint-input.ts, shared/token-sign.ts):
 * `<key>` names one object, or with a trailing `/` a prefix (a playlist and
 * its segments); `dl` makes it a download, `ip` binds it to a client address.
 */
async function mintMediaUrl(
  request: IncomingMessage,
  response: ServerResponse,
  encodedKey: string,
  query: URLSearchParams,
  secrets: BackendSecrets,
): Promise<void> {
  let name: string;
  try {
    name = decodeURIComponent(encodedKey);
  } catch {
    sendError(request, response, 400, "bad_request", "The key is not valid percent-encoding.");
    return;
  }
  if (name === "") {
    sendError(request, response, 400, "bad_request", "A media key is required: /api/v1/media/<key> (or <prefix>/).");
    return;
  }
  const asked: DownloadMintInput = name.endsWith("/") ? { pfx: name } : { key: name };
  const ttl = query.get("ttl");
  if (ttl !== null) asked.ttl = Number(ttl);
  for (const field of ["bkt", "dl", "ip"] as const) {
    const value = query.get(field);
    if (value !== null) asked[field] = value;
  }
  const input = readMintInput(asked);
  if ("problem" in input) {
    sendError(request, response, 400, "bad_request", `${input.message}.`);
    return;
  }
  const signer = activeSigner(secrets);
  if (!signer) {
    sendError(
      request,
      response,
      503,
      "dependency_failed",
      "No media token secret to sign with: set MEDIA_TOKEN_SECRET_V<N> of at least 32 bytes.",
    );
    return;
  }
  const minted = await mintToken(input, signer);
  sendJson(response, 200, {
    url: minted.path,
    kid: signer.kid,
    expiresAt: new Date(minted.exp * 1000).toISOString(),
    requestId: requestIdOf(request),
  });
}

/** The active kid as the media Worker picks it (the contract's one rule), with its secret. */
export function activeSigner(secrets: BackendSecrets): { kid: string; secret: string } | undefined {
  const { loaded, activeKid } = readSigningSecrets(secrets);
  const chosen = loaded.find((entry) => entry.kid === activeKid);
  return chosen === undefined ? undefined : { kid: chosen.kid, secret: chosen.secret };
}

/** Writes a route's answer; a route that throws is a 500 in the one JSON shape, never a hung request. */
async function answer(request: IncomingMessage, response: ServerResponse, pending: Promise<Answer>): Promise<void> {
  let result: Answer;
  try {
    result = await pending;
  } catch (error) {
    console.error("backend: route failed", error);
    sendError(request, response, 500, "internal_error", "The backend failed; see its log.");
    return;
  }
  if (result.status === 204) {
    response.writeHead(204);
    response.end();
  } else if ("body" in result) {
    sendJson(response, result.status, { ...(result.body as object), requestId: requestIdOf(request) });
  } else {
    sendError(request, response, result.status, result.code, result.message);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { ...JSON_DOCUMENT_HEADERS, "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}

/** Errors in the gateway's one JSON shape, so a client sees one format whoever answered. */
function sendError(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
): void {
  const body: ErrorBody = { error: { status, code, message, requestId: requestIdOf(request) } };
  // Unread request bodies are drained, so the connection can be reused.
  request.resume();
  sendJson(response, status, body);
}

/** `KEY=value` lines of a dotenv-style file (`#` comments, optional quotes). */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    vars[match[1]] = match[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return vars;
}

/** The secrets `wrangler dev` gives the Workers (.dev.vars), so the backend and media Worker agree. */
export function loadDevSecrets(): BackendSecrets {
  const file = existsSync(".dev.vars") ? ".dev.vars" : ".dev.vars.example";
  const fromFile = existsSync(file) ? parseDevVars(readFileSync(file, "utf8")) : {};
  const fromProcess = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        name.startsWith("MEDIA_TOKEN_") || name.startsWith("BACKEND_AUTH_") || name === "MEDIA_UPLOAD_WEBHOOK_SECRET",
    ),
  );
  return { ...fromFile, ...fromProcess };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Open SSE streams and keep-alive sockets would hold close() forever.
    server.closeAllConnections();
  });
}

if (import.meta.main) {
  const port = Number(process.env.BACKEND_PORT ?? DEFAULT_BACKEND_PORT);
  const backend = await startBackend({ port });
  console.log(`backend: listening on ${backend.url}`);
}

/**
 * A real webhook receiver on loopback for the upload tests (started once by
 * test/global-setup.ts): it records every delivery attempt with its headers
 * and body, and answers 503, as a backend that is down would, to every
 * event whose id starts with `down-` until a test brings that id up
 * (`POST /control/up/<id>`). `GET /deliveries/<id>` lists what arrived.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { RunningOrigin } from "./origin.ts";
import { listenOnLoopback } from "./origin.ts";
import type { RecordedDelivery } from "./webhook-fixtures.ts";

export async function startWebhookSink(): Promise<RunningOrigin> {
  const deliveries = new Map<string, RecordedDelivery[]>();
  const up = new Set<string>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://sink.local");
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method === "GET" && url.pathname.startsWith("/deliveries/")) {
      json(200, deliveries.get(decodeURIComponent(url.pathname.slice("/deliveries/".length))) ?? []);
      return;
    }
    if (request.method === "POST" && url.pathname.startsWith("/control/up/")) {
      up.add(decodeURIComponent(url.pathname.slice("/control/up/".length)));
      json(200, { ok: true });
      return;
    }
    if (request.method !== "POST" || url.pathname !== "/hooks") {
      json(404, { error: "no such route" });
      return;
    }
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const id = String(request.headers["webhook-id"] ?? "");
      const status = id.startsWith("down-") && !up.has(id) ? 503 : 204;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name] = String(value);
      deliveries.set(id, [
        ...(deliveries.get(id) ?? []),
        { answered: status, headers, body: Buffer.concat(chunks).toString("utf8") },
      ]);
      response.writeHead(status);
      response.end();
    });
  });
  return listenOnLoopback(server);
}

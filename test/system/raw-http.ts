/**
 * HTTP/1.1 over a plain socket, for what `fetch` will not send: raw request
 * targets (`fetch` resolves `%2e%2e` and collapses nothing, but normalizes
 * the rest), unknown methods, oversized request lines and headers.
 */
import { connect } from "node:net";

export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Sends one request with `Connection: close` and reads the whole answer (bounded by `timeoutMs`). */
export async function rawRequest(
  url: URL,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  timeoutMs = 5_000,
): Promise<RawResponse> {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${url.host}`, "Connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const socket = connect(Number(url.port), url.hostname);
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  await new Promise<void>((resolve, reject) => {
    socket.on("close", () => resolve());
    socket.on("error", reject);
  });
  return parseResponse(Buffer.concat(chunks).toString("latin1"));
}

function parseResponse(text: string): RawResponse {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: new Map(), body: text };
  const [statusLine = "", ...headerLines] = text.slice(0, end).split("\r\n");
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = text.slice(end + 4);
  if (headers.get("transfer-encoding") === "chunked") body = dechunk(body);
  return { status: Number(statusLine.split(" ")[1] ?? 0), headers, body };
}

function dechunk(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const lineEnd = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

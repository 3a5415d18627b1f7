/**
 * A WebSocket opened as the callgrind section counts it: the upgrade request
 * (with the socket's own Origin, as a page of the site would send), the first
 * message from the origin, then the connection dropped. Plain node:http, so
 * the bench needs no WebSocket library.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";

export interface WebSocketAnswer {
  status: number;
  /** The first message's payload length after a 101; the body's length otherwise. */
  bytes: number;
}

/** The payload length of the first unmasked frame in `data`, once all of it arrived (short frames only). */
function firstFramePayload(data: Buffer): number | undefined {
  if (data.length < 2) return undefined;
  const length = (data[1] ?? 0) & 0x7f;
  if (length > 125) throw new Error("bench: the origin's first WebSocket frame is longer than 125 bytes");
  return data.length >= 2 + length ? length : undefined;
}

export function openWebSocket(url: string, timeoutMs: number): Promise<WebSocketAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const upgrade = request(url, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
        Origin: target.origin,
      },
      timeout: timeoutMs,
    });
    upgrade.on("timeout", () =>
      upgrade.destroy(new Error(`bench: no WebSocket answer from ${url} in ${timeoutMs} ms`)),
    );
    upgrade.on("error", reject);
    upgrade.on("response", (response) => {
      let bytes = 0;
      response.on("data", (chunk: Buffer) => (bytes += chunk.length));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, bytes }));
      response.on("error", reject);
    });
    upgrade.on("upgrade", (response, socket, head) => {
      let received = head;
      const settle = (): void => {
        try {
          const length = firstFramePayload(received);
          if (length === undefined) return;
          socket.destroy();
          resolve({ status: response.statusCode ?? 0, bytes: length });
        } catch (error) {
          socket.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        settle();
      });
      socket.on("error", reject);
      socket.on("close", () => reject(new Error(`bench: ${url} closed the WebSocket before its first message`)));
      settle();
    });
    upgrade.end();
  });
}

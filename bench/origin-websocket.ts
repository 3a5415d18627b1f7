/** What the bench's origin (bench/sse-origin.ts) does with a WebSocket upgrade, shared with the WebSocket variants. */

/** Where the origin accepts a WebSocket upgrade (any other path answers as before). */
export const WEBSOCKET_PATH = "/api/bench/socket";

/** The one text message the origin sends on every WebSocket it accepts. */
export const WEBSOCKET_GREETING = "hello from the origin";

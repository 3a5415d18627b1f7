/**
 * The floor: 64 KiB from memory, nothing else. Every other Worker in the
 * bench runs in the same workerd behind the same kind of socket, so a ratio
 * to this one is the cost of what that Worker does beyond answering bytes.
 */
const FLOOR_BYTES = 64 * 1024;
const body = new Uint8Array(FLOOR_BYTES).fill(0x61);

export default {
  fetch(): Response {
    return new Response(body, { headers: { "Content-Type": "application/octet-stream" } });
  },
} satisfies ExportedHandler;

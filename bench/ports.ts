/** The bench's loopback ports and the Worker sockets among them. */

/**
 * Ports: BENCH_PORT_BASE (default 8880, the bench's range on this shared
 * machine) plus a fixed offset each, so several benches can run at once on
 * separate ranges (each needs 30 ports from its base).
 */
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? "8880");
if (!Number.isInteger(PORT_BASE) || PORT_BASE < 1024 || PORT_BASE > 65_500) {
  throw new Error(
    `bench: BENCH_PORT_BASE must be an integer port from 1024 to 65500, got ${process.env.BENCH_PORT_BASE ?? ""}`,
  );
}

export const PORTS = {
  floor: PORT_BASE + 0,
  router: PORT_BASE + 1,
  media: PORT_BASE + 2,
  forwarder: PORT_BASE + 3,
  bareCache: PORT_BASE + 4,
  bareR2: PORT_BASE + 5,
  ssePump: PORT_BASE + 6,
  verify: PORT_BASE + 7,
  seed: PORT_BASE + 8,
  api: PORT_BASE + 9,
  nginx: PORT_BASE + 10,
  sseOrigin: PORT_BASE + 11,
  nginxSse: PORT_BASE + 12,
  routerNoAssets: PORT_BASE + 13,
  mediaNoCache: PORT_BASE + 14,
  // The hop's profile: the router and its steps forwarding to the floor Worker.
  routerToFloor: PORT_BASE + 15,
  forwarderToFloor: PORT_BASE + 16,
  hopSteps: PORT_BASE + 17,
  // The api's peers: a bare fetch Worker, with and without the api's limiter; the limiter alone; the bare forwarder in front of the api and of the limited bare fetch Worker.
  bareFetch: PORT_BASE + 18,
  bareFetchLimited: PORT_BASE + 19,
  limiter: PORT_BASE + 20,
  forwarderToApi: PORT_BASE + 21,
  forwarderToFetchLimited: PORT_BASE + 22,
  // /_health's peer: a bare Worker making the same two RPC health() calls.
  bareHealth: PORT_BASE + 23,
  // The uploads row's peer: a bare Worker streaming a body into one R2 put.
  bareR2Put: PORT_BASE + 24,
  // BENCH_BASELINE's media and api bundles.
  mediaBaseline: PORT_BASE + 25,
  apiBaseline: PORT_BASE + 26,
  // workerd's inspector, for the isolate-heap section only (bench/isolate-heaps.ts).
  inspector: PORT_BASE + 28,
} as const;

export type SocketName = Exclude<keyof typeof PORTS, "nginx" | "sseOrigin" | "nginxSse" | "inspector">;

/** Where a socket listens (the same for every gateway of a run). */
export function socketUrl(socket: SocketName): string {
  return `http://127.0.0.1:${PORTS[socket]}`;
}

/** The socket a variant's URL goes to. */
export function socketOf(url: string): SocketName {
  const port = Number(new URL(url).port);
  const socket = (Object.keys(PORTS) as (keyof typeof PORTS)[]).find((name) => PORTS[name] === port);
  if (
    socket === undefined ||
    socket === "nginx" ||
    socket === "sseOrigin" ||
    socket === "nginxSse" ||
    socket === "inspector"
  )
    throw new Error(`bench: ${url} is no gateway socket`);
  return socket;
}

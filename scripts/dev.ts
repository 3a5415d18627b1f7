/**
 * `npm run dev`: the whole stack on this machine, one command.
 * All three Workers in one `wrangler dev` (router primary on :8787, local R2
 * persisted under .wrangler/state).
 * The local backend (backend/server.ts) runs in this process on BACKEND_PORT
 * (8788, BACKEND_PORT moves it); `BACKEND_URL=http://127.0.0.1:PORT npm run dev`
 * proxies /api to that backend instead, and the media Worker's upload webhook
 * goes to it too (scripts/dev-backend.ts). PORT and INSPECTOR_PORT move wrangler's ports.
 * MEDIA_CORS_ORIGINS and API_CORS_ORIGINS from the environment reach the
 * media and api Workers (scripts/dev-configs.ts).
 * Clients reach wrangler through scripts/dev-front.ts on PORT, which sets
 * CF-Connecting-IP from the connection as the edge does; wrangler itself
 * listens on a free loopback port behind it.
 */
import { spawn } from "node:child_process";
import { devBackend } from "./dev-backend.ts";
import { derivedDir, devConfig, devVars } from "./dev-configs.ts";
import { freeLoopbackPort, startDevFront } from "./dev-front.ts";
import { ensureDevVars } from "./dev-vars.ts";
import { seedLocalMedia } from "./seed-media.ts";
import { PLAYER_VENDOR_DIR, vendorPlayer } from "./vendor-player.ts";
import { WORKERS } from "./workers.ts";

const PORT = process.env.PORT ?? "8787";
// wrangler's inspector defaults to 9229; several dev servers on one machine need their own.
const inspectorArgs = process.env.INSPECTOR_PORT ? ["--inspector-port", process.env.INSPECTOR_PORT] : [];

// A fresh clone has no .dev.vars: start from the committed throwaway values.
ensureDevVars();

// The demo page's HLS player comes from node_modules (a fresh clone has no copy yet).
console.log(`dev: hls.js ${vendorPlayer().version} in ${PLAYER_VENDOR_DIR}/`);

// Sample media in local R2 (idempotent), before wrangler dev opens the same state.
console.log(`dev: ${await seedLocalMedia()} sample media objects seeded (see samples/README.md)`);

const backend = await devBackend();
console.log(`dev: /api goes to ${backend.url}${backend.local ? " (the local backend)" : ""}`);
console.log(`dev: upload webhooks go to ${backend.webhookUrl}`);

// Clients never reach wrangler directly: the front sets the client address from the socket, as the edge does.
const wranglerPort = await freeLoopbackPort();
await startDevFront("127.0.0.1", Number(PORT), { host: "127.0.0.1", port: wranglerPort });
console.log(
  `dev: the gateway is http://127.0.0.1:${PORT}/ (CF-Connecting-IP set from the connection by scripts/dev-front.ts; wrangler dev behind it on ${wranglerPort})`,
);

// The router is the primary Worker: its config comes first.
const configs = [...WORKERS].reverse().flatMap((worker) => {
  const vars = devVars(worker.name, process.env, backend);
  for (const [name, value] of Object.entries(vars)) console.log(`dev: ${worker.name} runs with ${name}=${value}`);
  return ["-c", devConfig(worker, vars, derivedDir(PORT))];
});
// Its own process group: npx does not pass signals on to wrangler and workerd,
// so a SIGTERM to this script (a test harness, a supervisor) must reach the group.
const wranglerDev = spawn(
  "npx",
  [
    "wrangler",
    "dev",
    ...configs,
    "--port",
    String(wranglerPort),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    ".wrangler/state",
    ...inspectorArgs,
  ],
  { stdio: "inherit", detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (wranglerDev.pid !== undefined) process.kill(-wranglerDev.pid, signal);
  });
}
wranglerDev.on("exit", (code) => process.exit(code ?? 0));

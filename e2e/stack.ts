/**
 * The stack the e2e suite drives: the three Workers exactly as `npm run dev`
 * runs them (scripts/dev.ts, so the suite cannot drift from what developers
 * use), on this suite's own ports, and the local backend.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { RunningBackend } from "../backend/server.ts";
import { startBackend } from "../backend/server.ts";

export type { RunningBackend };

/**
 * Ports from the e2e range, so the suite can run beside other stacks on one
 * machine; `listedOrigin` and `unlistedOrigin` serve pages from other origins
 * (e2e/second-origin.ts), only the first of them in the CORS allow-lists.
 */
export const E2E_PORTS = {
  gateway: 8860,
  inspector: 8861,
  backend: 8862,
  listedOrigin: 8863,
  unlistedOrigin: 8864,
} as const;
export const GATEWAY_URL = `http://127.0.0.1:${E2E_PORTS.gateway}`;
export const LISTED_ORIGIN = `http://127.0.0.1:${E2E_PORTS.listedOrigin}`;
const BACKEND_URL = `http://127.0.0.1:${E2E_PORTS.backend}`;
/** The sample video `npm run dev` seeds into local R2 (samples/README.md). */
export const SAMPLE_KEY = "samples/testsrc-640x360.mp4";

/** wrangler dev bundles and boots three Workers; on 2 busy cores that takes a while. */
const STARTUP_TIMEOUT_MS = 120_000;

export interface RunningGateway {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `npm run dev`'s Workers on the e2e ports and resolves once
 * `/_health` answers 200 (the router reached media and api over RPC).
 */
export async function startGateway(): Promise<RunningGateway> {
  // Its own process group, so stopping it also stops wrangler's workerd children.
  const dev = spawn(process.execPath, ["scripts/dev.ts"], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(E2E_PORTS.gateway),
      INSPECTOR_PORT: String(E2E_PORTS.inspector),
      // dev.ts then starts no backend of its own: the test files run it (startLocalBackend).
      BACKEND_URL,
      // npm run dev passes these to the media and api Workers (scripts/dev-configs.ts).
      MEDIA_CORS_ORIGINS: LISTED_ORIGIN,
      API_CORS_ORIGINS: LISTED_ORIGIN,
    },
  });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  dev.stdout?.on("data", keep);
  dev.stderr?.on("data", keep);

  const stop = () => stopProcessGroup(dev);
  try {
    await waitForHealth(GATEWAY_URL, dev);
  } catch (error) {
    await stop();
    throw new Error(`the gateway did not start: ${String(error)}\n--- scripts/dev.ts output ---\n${output}`);
  }
  return { url: GATEWAY_URL, stop };
}

/**
 * The local backend, in this process, on the port the gateway's api Worker
 * proxies to: a test can stop and restart it (the events stream must survive that).
 */
export function startLocalBackend(): Promise<RunningBackend> {
  return startBackend({ port: E2E_PORTS.backend });
}

async function waitForHealth(url: string, dev: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (dev.exitCode !== null) throw new Error(`scripts/dev.ts exited with ${dev.exitCode}`);
    const status = await fetch(`${url}/_health`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no 200 from ${url}/_health within ${STARTUP_TIMEOUT_MS / 1000} s`);
}

/** SIGTERM to the whole group (dev.ts, wrangler, workerd), then SIGKILL to whatever outlives the grace period. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const group = -child.pid;
  signalGroup(group, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (groupAlive(group) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  signalGroup(group, "SIGKILL");
  if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(group, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch {
    return false;
  }
}

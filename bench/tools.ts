/**
 * The machine tools the bench drives: wrk (load, a separate process) and
 * nginx (the peer). Debian packages: installed on demand when running as
 * root with apt-get, else the bench says how and stops.
 */
import { execFileSync, spawn } from "node:child_process";

function has(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Makes sure wrk and nginx are on PATH (nginx lives in /usr/sbin). */
export function ensureTools(): void {
  if (!process.env.PATH?.includes("/usr/sbin")) process.env.PATH = `${process.env.PATH ?? ""}:/usr/sbin`;
  const missing = ["wrk", "nginx"].filter((tool) => !has(tool));
  if (missing.length === 0) return;
  const packages = missing.join(" ");
  if (process.getuid?.() === 0 && has("apt-get")) {
    console.log(`bench: installing ${packages} from Debian (apt-get)`);
    execFileSync("sh", ["-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages} >/dev/null`], {
      stdio: "inherit",
    });
    return;
  }
  throw new Error(`bench: needs ${packages}. Install with: sudo apt-get install -y ${packages} (Debian/Ubuntu)`);
}

/** First line of a tool's version output. */
export function toolVersion(command: string, args: string[]): string {
  try {
    // nginx prints its version on stderr; wrk exits 1 after printing it.
    return execFileSync("sh", ["-c", `${command} ${args.join(" ")} 2>&1 || true`]).toString().split("\n")[0]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

export interface WrkResult {
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  /** CPU seconds wrk itself used (user + system). */
  cpuSeconds: number;
}

export interface WrkOptions {
  seconds: number;
  connections: number;
  headers?: Record<string, string>;
}

function parseDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "ms" ? value : match[2] === "s" ? value * 1000 : value * 60_000;
}

function parseClock(text: string): number {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : 0;
}

/**
 * One bounded wrk run (one thread: the machine has 2 cores for load and
 * server together). bash's `times` after wrk reports wrk's own CPU time.
 */
export function runWrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const args = ["-t1", `-c${options.connections}`, `-d${options.seconds}s`, "--latency", "--timeout", "10s"];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", 'wrk "$@"; status=$?; times; exit $status', "bash", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = setTimeout(() => child.kill("SIGKILL"), (options.seconds + 20) * 1000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(deadline);
      if (code !== 0) return reject(new Error(`wrk ${args.join(" ")} exited with ${code}\n${output}`));
      const number = (pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? 0);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
      const timesLines = output.trim().split("\n").slice(-1)[0]?.trim().split(/\s+/) ?? [];
      resolve({
        requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
        p50Ms: parseDurationMs(/^\s+50%\s+(\S+)/m.exec(output)?.[1] ?? ""),
        p99Ms: parseDurationMs(/^\s+99%\s+(\S+)/m.exec(output)?.[1] ?? ""),
        requests: number(/(\d+) requests in/),
        non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
        socketErrors: socket ? socket.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0,
        cpuSeconds: timesLines.reduce((sum, value) => sum + parseClock(value), 0),
      });
    });
  });
}

/**
 * The machine tools the bench drives: wrk (load, a separate process), nginx
 * (the peer) and valgrind (callgrind counts workerd's instructions). Debian
 * packages: installed on demand when running as root with apt-get, else the
 * bench says how and stops (wrk, nginx) or skips that section (valgrind).
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, release, tmpdir } from "node:os";
import { join } from "node:path";

function has(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function canInstall(): boolean {
  return process.getuid?.() === 0 && has("apt-get");
}

let aptUpdated = false;

function aptInstall(packages: string): void {
  console.log(`bench: installing ${packages} from Debian (apt-get)`);
  const update = aptUpdated ? "" : "apt-get update -qq && ";
  execFileSync("sh", ["-c", `${update}DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages} >/dev/null`], {
    stdio: "inherit",
  });
  aptUpdated = true;
}

export interface Tools {
  /** Why callgrind cannot run (valgrind missing and not installable); undefined when it can. */
  valgrindUnavailable?: string;
}

/**
 * Makes sure wrk and nginx are on PATH (nginx lives in /usr/sbin), and
 * valgrind with callgrind_control if it can: the bench runs without it, less
 * its instruction counts.
 */
export function ensureTools(): Tools {
  if (!process.env.PATH?.includes("/usr/sbin")) process.env.PATH = `${process.env.PATH ?? ""}:/usr/sbin`;
  const missing = ["wrk", "nginx"].filter((tool) => !has(tool));
  if (missing.length > 0) {
    const packages = missing.join(" ");
    if (!canInstall())
      throw new Error(`bench: needs ${packages}. Install with: sudo apt-get install -y ${packages} (Debian/Ubuntu)`);
    aptInstall(packages);
  }
  const hasValgrind = (): boolean => has("valgrind") && has("callgrind_control");
  if (hasValgrind()) return {};
  if (!canInstall()) return { valgrindUnavailable: "valgrind not installed (sudo apt-get install -y valgrind)" };
  try {
    aptInstall("valgrind");
  } catch (error) {
    return {
      valgrindUnavailable: `installing valgrind failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  return hasValgrind() ? {} : { valgrindUnavailable: "valgrind installed without callgrind_control" };
}

/** First line of a tool's version output. */
export function toolVersion(command: string, args: string[]): string {
  try {
    // nginx prints its version on stderr; wrk exits 1 after printing it.
    return (
      execFileSync("sh", ["-c", `${command} ${args.join(" ")} 2>&1 || true`])
        .toString()
        .split("\n")[0]
        ?.trim() ?? "unknown"
    );
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
  /**
   * Paths to request in turn, one per request (wrapping around), instead of
   * the URL's own path: through a Lua script, so each request can carry a
   * different token.
   */
  paths?: readonly string[];
  /** Index in `paths` of the first request (so consecutive runs need not repeat a path). */
  firstPath?: number;
  /** GET unless set; a POST sends `body` with every request (through a Lua script). */
  method?: "POST";
  body?: string;
}

function parseDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us"
    ? value / 1000
    : match[2] === "ms"
      ? value
      : match[2] === "s"
        ? value * 1000
        : value * 60_000;
}

function parseClock(text: string): number {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : 0;
}

/** A wrk script that sends the paths listed in `pathsFile` in turn, one per request, from index `first` on. */
function rotatingPathsScript(pathsFile: string, first: number): string {
  return [
    "local paths = {}",
    `for line in io.lines(${JSON.stringify(pathsFile)}) do paths[#paths + 1] = line end`,
    `local turn = ${first}`,
    "request = function()",
    "  turn = turn % #paths + 1",
    "  return wrk.format(nil, paths[turn])",
    "end",
    "",
  ].join("\n");
}

/** A wrk script that sends every request with `method` and the body in `bodyFile`. */
function methodScript(method: string, bodyFile: string): string {
  return [
    `local file = io.open(${JSON.stringify(bodyFile)}, "rb")`,
    `wrk.method = ${JSON.stringify(method)}`,
    'wrk.body = file:read("*a")',
    "file:close()",
    "",
  ].join("\n");
}

/**
 * One bounded wrk run (one thread: the machine has 2 cores for load and
 * server together). bash's `times` after wrk reports wrk's own CPU time.
 */
export async function runWrk(url: string, options: WrkOptions): Promise<WrkResult> {
  if (options.paths === undefined && options.method === undefined) return runWrkWith(url, options, []);
  if (options.paths !== undefined && options.method !== undefined)
    throw new Error("bench: wrk rotates paths for GETs only");
  const directory = await mkdtemp(join(tmpdir(), "gateway-bench-wrk-"));
  try {
    const script = join(directory, "request.lua");
    if (options.paths !== undefined) {
      const pathsFile = join(directory, "paths.txt");
      await writeFile(pathsFile, `${options.paths.join("\n")}\n`);
      await writeFile(script, rotatingPathsScript(pathsFile, options.firstPath ?? 0));
    } else {
      const bodyFile = join(directory, "body");
      await writeFile(bodyFile, options.body ?? "");
      await writeFile(script, methodScript(options.method ?? "GET", bodyFile));
    }
    return await runWrkWith(url, options, ["-s", script]);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function runWrkWith(url: string, options: WrkOptions, extraArgs: readonly string[]): Promise<WrkResult> {
  const args = [
    "-t1",
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    "--timeout",
    "10s",
    ...extraArgs,
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", 'wrk "$@"; status=$?; times; exit $status', "bash", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
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

/** What the run measured with: the harness, runtime and peers' versions, the kernel and the CPU. */
export function harnessVersions(): Record<string, string> {
  const packageVersion = (name: string): string =>
    (JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")) as { version: string }).version;
  return {
    harness: "Miniflare API (one workerd process, a direct socket per Worker; not wrangler dev)",
    workerd: execFileSync("node_modules/.bin/workerd", ["--version"]).toString().trim(),
    miniflare: packageVersion("miniflare"),
    wrangler: packageVersion("wrangler"),
    node: process.version,
    wrk: toolVersion("wrk", ["--version"]),
    nginx: toolVersion("nginx", ["-v"]),
    kernel: release(),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? "unknown"}`,
  };
}

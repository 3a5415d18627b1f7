/**
 * nginx as the context peer: the same 64 KiB file from disk (static, with
 * ranges), and a proxy for the SSE origin with `proxy_buffering off`. One
 * worker process, like the one workerd process it is compared with.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PORTS } from "./ports.ts";
import { childPids } from "./processes.ts";

export interface Nginx {
  staticUrl: string;
  sseUrl: string;
  /** Master and worker process ids, for CPU and RSS accounting. */
  pids(): number[];
  stop(): Promise<void>;
}

function nginxConfig(prefix: string, sseOrigin: string): string {
  return `
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
daemon off;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  server {
    listen 127.0.0.1:${PORTS.nginx};
    root ${prefix}/www;
    default_type application/octet-stream;
  }
  server {
    listen 127.0.0.1:${PORTS.nginxSse};
    location / {
      proxy_pass ${sseOrigin};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_cache off;
      proxy_read_timeout 1h;
    }
  }
}
`;
}

/** Starts nginx with a 64 KiB file at /64k.bin; resolves once it answers. */
export async function startNginx(body: Uint8Array, sseOrigin: string): Promise<Nginx> {
  const prefix = await mkdtemp(join(tmpdir(), "gateway-bench-nginx-"));
  // Workers may run as an unprivileged user: the tree must be readable.
  await chmod(prefix, 0o755);
  await mkdir(join(prefix, "tmp"), { recursive: true });
  await mkdir(join(prefix, "www"), { recursive: true, mode: 0o755 });
  await writeFile(join(prefix, "www", "64k.bin"), body, { mode: 0o644 });
  await writeFile(join(prefix, "nginx.conf"), nginxConfig(prefix, sseOrigin));
  const master: ChildProcess = spawn("nginx", ["-p", prefix, "-c", join(prefix, "nginx.conf")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  master.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const staticUrl = `http://127.0.0.1:${PORTS.nginx}/64k.bin`;
  for (let attempt = 0; ; attempt++) {
    if (master.exitCode !== null) throw new Error(`bench: nginx exited: ${stderr}`);
    const ok = await fetch(staticUrl).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    if (attempt > 100) throw new Error(`bench: nginx did not answer: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const masterPid = master.pid ?? 0;
  return {
    staticUrl,
    sseUrl: `http://127.0.0.1:${PORTS.nginxSse}`,
    pids: () => [masterPid, ...childPids(masterPid)],
    async stop() {
      if (master.exitCode === null) {
        const exited = new Promise((resolve) => master.once("exit", resolve));
        master.kill("SIGQUIT");
        await exited;
      }
      await rm(prefix, { recursive: true, force: true });
    },
  };
}

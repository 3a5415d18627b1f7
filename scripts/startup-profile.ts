/**
 * A Worker bundle's startup CPU time and its first request's, from workerd's
 * CPU time (/proc). `wrangler check startup` samples a CPU profile instead,
 * with workerd's default sampling, which takes 1-4 samples of our startups
 * here, so its figure moves between 0 and 30 ms from run to run
 * (docs/operations.md); many evaluations of the bundle in one isolate,
 * measured by the process's CPU time, give a figure a budget can hold.
 */
import { readFileSync } from "node:fs";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { bundledWorker } from "./bundled-worker.ts";
import { cpuMs, workerdPid } from "./workerd-process.ts";

/**
 * Evaluations per measurement: each a copy of the bundle with its own source
 * text (V8 caches compiled code by source), so the CPU time is well above the
 * 10 ms resolution of the process's accounting.
 */
export const STARTUP_COPIES = 200;

/**
 * Startup CPU of one built bundle (dist/<name>/index.js) per evaluation: a
 * fresh isolate imports STARTUP_COPIES copies of it on its first request (as
 * wrangler's profiler imports one), and workerd's CPU time over that request,
 * less the same request importing as many empty modules, is divided among them.
 */
export async function startupCpuMs(worker: string, config: string, bundleDir = `dist/${worker}`): Promise<number> {
  const source = readFileSync(`${bundleDir}/index.js`, "utf8");
  const withBundle = await cpuOfCopies(worker, config, {}, (index) => `${source}\n// copy ${index}\n`);
  const empty = await cpuOfCopies(worker, config, {}, (index) => `export default class {}\n// copy ${index}\n`);
  return perCopy(withBundle.imports - empty.imports);
}

export interface FirstRequestCpu {
  /** CPU of a Worker's first request in a fresh isolate, after startup. */
  firstMs: number;
  /** CPU of the same request again, in the same isolate. */
  againMs: number;
}

/**
 * The CPU of `url`'s first request in a fresh isolate and of the same request
 * again: each copy of the bundle is a module of its own (its own module-level
 * state, as a fresh isolate has), its default handler called directly.
 */
export async function firstRequestCpuMs(
  worker: string,
  config: string,
  bindings: Record<string, string>,
  url: string,
  bundleDir = `dist/${worker}`,
): Promise<FirstRequestCpu> {
  const source = readFileSync(`${bundleDir}/index.js`, "utf8");
  const run = await cpuOfCopies(worker, config, bindings, (index) => `${source}\n// copy ${index}\n`, url);
  return { firstMs: perCopy(run.first), againMs: perCopy(run.again) };
}

function perCopy(totalMs: number): number {
  return Math.round((Math.max(0, totalMs) / STARTUP_COPIES) * 100) / 100;
}

/** workerd's CPU time while one isolate imports every copy, then (with a url) sends the request through each copy twice. */
async function cpuOfCopies(
  worker: string,
  config: string,
  bindings: Record<string, string>,
  copyOf: (index: number) => string,
  url?: string,
) {
  const copies = Array.from({ length: STARTUP_COPIES }, (_, index) => ({
    type: "ESModule" as const,
    path: `/module-${index}.js`,
    contents: copyOf(index),
  }));
  const entry = `
    const paths = ${JSON.stringify(copies.map((copy) => `.${copy.path}`))};
    const modules = [];
    export default {
      async fetch(request, env, ctx) {
        const phase = new URL(request.url).pathname;
        if (phase === "/import") { for (const path of paths) modules.push(await import(path)); return new Response("ok"); }
        const target = request.headers.get("x-target");
        for (const module of modules) {
          const response = await module.default.fetch(new Request(target), env, ctx);
          await response.arrayBuffer();
        }
        return new Response("ok");
      },
    };`;
  // The config's bindings, with the copies as its modules in place of the bundle's path.
  const rest = { ...bundledWorker(worker, config, bindings), scriptPath: undefined };
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      ...rest,
      name: "startup",
      serviceBindings: {},
      modulesRoot: "/",
      modules: [{ type: "ESModule", path: "/profiler-entry.js", contents: entry }, ...copies],
      handleStructuredLogs: () => undefined,
    }),
  );
  try {
    await miniflare.ready;
    const pid = await workerdPid();
    const cpuOf = async (phase: string): Promise<number> => {
      const before = await cpuMs(pid);
      const response = await miniflare.dispatchFetch(`http://startup.invalid${phase}`, {
        headers: { "x-target": url ?? "http://startup.invalid/" },
      });
      if (!response.ok) throw new Error(`${worker}: ${phase} failed (${response.status}: ${await response.text()})`);
      await response.arrayBuffer();
      return (await cpuMs(pid)) - before;
    };
    const imports = await cpuOf("/import");
    if (url === undefined) return { imports, first: 0, again: 0 };
    const first = await cpuOf("/first");
    const again = await cpuOf("/again");
    return { imports, first, again };
  } finally {
    await miniflare.dispose();
  }
}

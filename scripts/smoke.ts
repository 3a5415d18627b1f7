/**
 * `npm run smoke -- <base-url>`: proves a deploy works from outside, the way
 * a user reaches it.
 *
 *   printf %s "v2:c33b55fc" | ADMIN_TOKEN=… npm run smoke -- https://staging.example.com
 *
 * 1. `/_health` answers 200 with router, media and api ok (versions shown to the operator).
 * 2. `/_status` is refused without the admin token, and with it shows the
 *    media Worker's active kid, whose fingerprint must equal the one on stdin
 *    (`v<N>:<8 hex>`, or the 8 hex of the active kid; `npm run fingerprint` prints it).
 * 3. `POST /_sign` (admin only) has the media Worker's `sign()` sign a short-lived
 *    URL for the smoke object (`npm run smoke:seed` puts it in the bucket); a HEAD on it answers 200.
 * 4. The same object asked for again is a hit in the edge cache (`Server-Timing: cache;desc=hit`).
 * 5. An SSE event arrives through `/api` (default `/api/v1/events`).
 *
 * On failure it prints the per-Worker rollback command for the Workers involved.
 * Options: --key, --bkt (the smoke object), --sse <path>, --env (for the rollback
 * hint; found from the router's routes when omitted).
 */
import { parseArgs } from "node:util";
import { rollbackHint, runScript, UsageError } from "./commands.ts";
import type { WorkerName } from "../shared/worker-names.ts";
import { WORKER_NAMES } from "../shared/worker-names.ts";
import { readSecret } from "./secret-input.ts";
import { readWorkerConfig, resolveEnvironment } from "./wrangler-config.ts";
import { ENVIRONMENTS } from "./workers.ts";

const USAGE =
  "usage: printf %s <expected fingerprint> | ADMIN_TOKEN=… npm run smoke -- <base-url> [--key _smoke/hello.txt] [--bkt media] [--sse /api/v1/events] [--env staging|production]";

/** Where `npm run smoke:seed` puts the smoke object. */
export const SMOKE_OBJECT = { bkt: "media", key: "_smoke/hello.txt" } as const;
/** Lifetime of the smoke URL: long enough for the checks, short enough to be worthless if it leaks into a log. */
const SMOKE_TTL_SECONDS = 120;
/** A cache fill runs after the first response (in waitUntil); a few tries give it time to land. */
const CACHE_ATTEMPTS = 5;
const CACHE_RETRY_MS = 1_000;
const SSE_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 15_000;

export const NO_CACHE_HIT_HINT =
  "The Cache API only stores on a custom domain: not on *.workers.dev, and not behind Cloudflare Access. Check that the base URL is the custom domain the router's routes name, and that Access does not sit in front of /media.";

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** Workers whose rollback could undo this failure. */
  suspects: WorkerName[];
  /** Extra advice printed under a failure. */
  hint?: string;
}

export interface SmokeOptions {
  baseUrl: string;
  adminToken: string;
  expectedFingerprint: string;
  key: string;
  bkt: string;
  ssePath: string;
}

/** The part of the router's `/_status` document the smoke test reads (workers/router/operator.ts). */
interface StatusDocument {
  workers?: { media?: { activeKid?: string | null; kids?: Array<{ kid: string; fingerprint: string }> } };
}

interface HealthDocument {
  status?: string;
  workers?: Record<string, { status?: string; version?: { id?: string } }>;
}

/** Whether the active kid's fingerprint is the one the operator expects (`v2:c33b55fc` or `c33b55fc`). */
export function fingerprintMatches(
  expected: string,
  activeKid: string | null | undefined,
  kids: ReadonlyArray<{ kid: string; fingerprint: string }>,
): boolean {
  const active = kids.find((entry) => entry.kid === activeKid);
  if (active === undefined) return false;
  const [kid, print] = expected.includes(":") ? expected.split(":", 2) : [active.kid, expected];
  return kid === active.kid && print === active.fingerprint;
}

/** The environment whose router routes name this host, for the rollback hint. */
export function environmentForHost(host: string): string | undefined {
  const router = readWorkerConfig({ config: "wrangler.router.toml" });
  const servesHost = (pattern: string) => {
    const patternHost = pattern.split("/")[0] ?? "";
    return patternHost === host || (patternHost.startsWith("*") && host.endsWith(patternHost.slice(1)));
  };
  return ENVIRONMENTS.find((environment) =>
    resolveEnvironment(router, environment).routes.some((route) => servesHost(route.pattern)),
  );
}

/** Every request of one run carries `X-Request-Id: smoke-<run>-<n>`, so its log lines are easy to find. */
export const SMOKE_RUN_ID = `smoke-${Date.now().toString(36)}`;
let requestCount = 0;

function withRequestId(init: RequestInit): RequestInit {
  const headers = new Headers(init.headers);
  requestCount += 1;
  headers.set("X-Request-Id", `${SMOKE_RUN_ID}-${requestCount}`);
  return { ...init, headers };
}

function timedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...withRequestId(init), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a response's Server-Timing names a cache hit (`cache;desc=hit`). */
export function isCacheHit(serverTiming: string | null): boolean {
  return /(^|,)\s*cache\s*;[^,]*desc="?hit"?/i.test(serverTiming ?? "");
}

async function checkHealth(options: SmokeOptions): Promise<CheckResult> {
  const name = "/_health";
  const response = await timedFetch(`${options.baseUrl}/_health`, {
    headers: { Authorization: `Bearer ${options.adminToken}` },
  });
  const body = (await response.json().catch(() => ({}))) as HealthDocument;
  const workers = body.workers ?? {};
  const failed = WORKER_NAMES.filter((worker) => workers[worker]?.status !== "ok");
  const versions = Object.entries(workers)
    .map(([worker, health]) => `${worker} ${health.version?.id?.slice(0, 8) ?? "?"}`)
    .join(", ");
  if (response.status === 200 && failed.length === 0)
    return { name, ok: true, detail: `router, media, api ok (versions: ${versions})`, suspects: [] };
  return {
    name,
    ok: false,
    detail: `${response.status}, not ok: ${failed.join(", ") || "unreadable body"}`,
    suspects: failed.length > 0 ? [...failed] : ["router"],
  };
}

async function checkSigningKey(options: SmokeOptions): Promise<CheckResult> {
  const name = "signing key";
  const anonymous = await timedFetch(`${options.baseUrl}/_status`);
  await anonymous.body?.cancel();
  if (anonymous.status !== 401) {
    return {
      name,
      ok: false,
      detail: `/_status answered ${anonymous.status} without the admin token: it must be 401`,
      suspects: ["router"],
    };
  }
  const response = await timedFetch(`${options.baseUrl}/_status`, {
    headers: { Authorization: `Bearer ${options.adminToken}` },
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    return {
      name,
      ok: false,
      detail: `/_status answered ${response.status} with the admin token (is ADMIN_TOKEN the router's?)`,
      suspects: ["router"],
    };
  }
  const media = ((await response.json()) as StatusDocument).workers?.media;
  const kids = media?.kids ?? [];
  const active = kids.find((entry) => entry.kid === media?.activeKid);
  const loaded = `active ${active === undefined ? "none" : `${active.kid}:${active.fingerprint}`}, loaded [${kids.map((entry) => `${entry.kid}:${entry.fingerprint}`).join(",")}]`;
  if (fingerprintMatches(options.expectedFingerprint, media?.activeKid, kids)) {
    return { name, ok: true, detail: `${loaded} matches the expected ${options.expectedFingerprint}`, suspects: [] };
  }
  return {
    name,
    ok: false,
    detail: `${loaded}, expected ${options.expectedFingerprint}`,
    suspects: ["media"],
    hint: "The media Worker does not sign with the secret you expect: compare `npm run fingerprint` of the backend's secret with this, then `npm run secrets:put` the right one.",
  };
}

async function signUrl(options: SmokeOptions): Promise<{ result: CheckResult; url?: string }> {
  const name = "/_sign";
  const response = await timedFetch(`${options.baseUrl}/_sign`, {
    method: "POST",
    headers: { Authorization: `Bearer ${options.adminToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ key: options.key, bkt: options.bkt, ttl: SMOKE_TTL_SECONDS }),
  });
  const body = (await response.json().catch(() => ({}))) as { path?: string; error?: { message?: string } };
  if (response.status !== 200 || typeof body.path !== "string") {
    return {
      result: {
        name,
        ok: false,
        detail: `${response.status}: ${body.error?.message ?? "no path"}`,
        suspects: ["router", "media"],
      },
    };
  }
  return {
    result: {
      name,
      ok: true,
      detail: `sign() gave a ${SMOKE_TTL_SECONDS} s URL for ${options.bkt}/${options.key}`,
      suspects: [],
    },
    url: `${options.baseUrl}${body.path}`,
  };
}

async function checkHead(url: string, options: SmokeOptions): Promise<CheckResult> {
  const name = "HEAD signed URL";
  const response = await timedFetch(url, { method: "HEAD" });
  const detail = `${response.status}, ${response.headers.get("Content-Length") ?? "?"} bytes, ${response.headers.get("Content-Type") ?? "no type"}`;
  if (response.status === 200) return { name, ok: true, detail, suspects: [] };
  const hint =
    response.status === 404
      ? `No ${options.bkt}/${options.key} in the bucket: run npm run smoke:seed -- <env> first.`
      : response.status === 401
        ? "The media Worker refused its own signature: a secret changed between sign() and verification, or the clocks disagree."
        : undefined;
  return { name, ok: false, detail, suspects: ["media"], ...(hint === undefined ? {} : { hint }) };
}

async function checkCacheHit(url: string): Promise<CheckResult> {
  const name = "edge cache";
  for (let attempt = 1; attempt <= CACHE_ATTEMPTS; attempt += 1) {
    const response = await timedFetch(url);
    await response.arrayBuffer();
    const timing = response.headers.get("Server-Timing");
    if (isCacheHit(timing))
      return {
        name,
        ok: true,
        detail: `hit on GET ${attempt} after the HEAD (Server-Timing: ${timing ?? ""})`,
        suspects: [],
      };
    if (attempt < CACHE_ATTEMPTS) await sleep(CACHE_RETRY_MS);
  }
  return {
    name,
    ok: false,
    detail: `no hit in ${CACHE_ATTEMPTS} GETs of the same object`,
    suspects: ["media"],
    hint: NO_CACHE_HIT_HINT,
  };
}

/** Reads an SSE stream until its first complete event (a block ending in a blank line with a `data:` line). */
async function checkServerSentEvent(options: SmokeOptions): Promise<CheckResult> {
  const name = `SSE ${options.ssePath}`;
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), SSE_TIMEOUT_MS);
  try {
    const response = await fetch(`${options.baseUrl}${options.ssePath}`, {
      ...withRequestId({ headers: { Accept: "text/event-stream" } }),
      signal: controller.signal,
    });
    const type = response.headers.get("Content-Type") ?? "";
    if (response.status !== 200 || !type.startsWith("text/event-stream") || response.body === null) {
      await response.body?.cancel();
      return { name, ok: false, detail: `${response.status} ${type}`, suspects: ["api"] };
    }
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk, { stream: true }).replaceAll("\r\n", "\n");
      const event = buffered
        .split("\n\n")
        .slice(0, -1)
        .find((block) => /^data:/m.test(block));
      if (event !== undefined) {
        return {
          name,
          ok: true,
          detail: `first event after ${Math.round(performance.now() - started)} ms`,
          suspects: [],
        };
      }
    }
    return { name, ok: false, detail: "the stream ended without an event", suspects: ["api"] };
  } catch {
    return {
      name,
      ok: false,
      detail: `no event within ${SSE_TIMEOUT_MS / 1000} s`,
      suspects: ["api"],
      hint: "Events buffered until the end point at compression or buffering between the backend and the client (see docs/operations.md, SSE arriving all at once).",
    };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Every check, in order; a check whose input failed (no signed URL) is skipped. */
export async function smoke(options: SmokeOptions, report: (result: CheckResult) => void): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const record = (result: CheckResult) => {
    results.push(result);
    report(result);
  };
  const guarded = async (name: string, suspects: WorkerName[], check: () => Promise<CheckResult>) => {
    try {
      record(await check());
    } catch (error) {
      record({
        name,
        ok: false,
        detail: `request failed: ${error instanceof Error ? error.message : String(error)}`,
        suspects,
      });
    }
  };
  await guarded("/_health", ["router"], () => checkHealth(options));
  await guarded("signing key", ["router", "media"], () => checkSigningKey(options));
  let url: string | undefined;
  await guarded("/_sign", ["router", "media"], async () => {
    const signed = await signUrl(options);
    url = signed.url;
    return signed.result;
  });
  if (url !== undefined) {
    const signedUrl = url;
    await guarded("HEAD signed URL", ["media"], () => checkHead(signedUrl, options));
    await guarded("edge cache", ["media"], () => checkCacheHit(signedUrl));
  }
  await guarded(`SSE ${options.ssePath}`, ["api"], () => checkServerSentEvent(options));
  return results;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { key: { type: "string" }, bkt: { type: "string" }, sse: { type: "string" }, env: { type: "string" } },
  });
  const base = positionals[0];
  if (base === undefined || !/^https?:\/\/[^/]+\/?$/.test(base))
    throw new UsageError("give the base URL, such as https://staging.example.com");
  const adminToken = process.env.ADMIN_TOKEN ?? "";
  if (adminToken === "") throw new UsageError("set ADMIN_TOKEN (the router's admin token) in the environment");
  const expectedFingerprint = await readSecret("expected signing fingerprint (v<N>:<8 hex>): ");
  if (!/^(v[1-9][0-9]*:)?[0-9a-f]{8}$/.test(expectedFingerprint))
    throw new UsageError(
      "stdin must hold the expected fingerprint: v<N>:<8 hex> or <8 hex> (npm run fingerprint prints it)",
    );
  const baseUrl = base.replace(/\/$/, "");
  const environment = values.env ?? environmentForHost(new URL(baseUrl).hostname) ?? "<staging|production>";
  const options: SmokeOptions = {
    baseUrl,
    adminToken,
    expectedFingerprint,
    key: values.key ?? SMOKE_OBJECT.key,
    bkt: values.bkt ?? SMOKE_OBJECT.bkt,
    ssePath: values.sse ?? "/api/v1/events",
  };

  console.log(`smoke: ${baseUrl} (${environment}), request ids ${SMOKE_RUN_ID}-<n> in the Workers' logs`);
  const results = await smoke(options, (result) => {
    console.log(`  ${result.ok ? "ok  " : "FAIL"}  ${result.name}: ${result.detail}`);
    if (!result.ok && result.hint !== undefined) console.log(`        ${result.hint}`);
  });
  const failed = results.filter((result) => !result.ok);
  if (failed.length === 0) {
    console.log(`smoke: all ${results.length} checks passed`);
    return;
  }
  const suspects = [...new Set(failed.flatMap((result) => result.suspects))];
  console.log(
    `smoke: ${failed.length} of ${results.length} checks failed. If the last deploy caused it, roll back the Worker involved:`,
  );
  for (const worker of suspects) console.log(`  ${rollbackHint(worker, environment)}`);
  process.exitCode = 1;
}

if (import.meta.main) await runScript(USAGE, main);

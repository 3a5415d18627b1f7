/**
 * Every test runs inside workerd (the Workers vitest integration), against
 * real local bindings. One project per Worker, each loading that Worker's own
 * wrangler config; the router's project also runs the real media and api
 * Workers (their deploy bundles, rebuilt by test/global-setup.ts) as
 * auxiliary Workers behind real service bindings.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import type { LegacyWorkerOptions } from "miniflare";
import { defineConfig } from "vitest/config";
import { bundledWorker } from "./scripts/bundled-worker.ts";
import { TEST_SECRETS } from "./test/secrets.ts";

type WorkerName = keyof typeof TEST_SECRETS;

/** A Worker's deploy bundle with the bindings its wrangler config declares, as Miniflare options. */
function auxiliaryWorker(
  name: WorkerName,
  configPath: string,
  testBindings: Record<string, string> = {},
): LegacyWorkerOptions {
  return bundledWorker(name, configPath, { ...TEST_SECRETS[name], ...testBindings });
}

/** A real Worker that throws or hangs on purpose (test/workers/faulty-service.js). */
const faultyService: LegacyWorkerOptions = {
  name: "faulty-service",
  modules: true,
  scriptPath: "./test/workers/faulty-service.js",
  compatibilityDate: "2026-11-01",
};

/** A real Worker that answers with the request it received (test/workers/echo-service.js). */
const echoService: LegacyWorkerOptions = {
  name: "echo-service",
  modules: true,
  scriptPath: "./test/workers/echo-service.js",
  compatibilityDate: "2026-11-01",
};

/** A real Worker that stands in for an R2 binding and fails on purpose (test/workers/failing-r2.js). */
const failingR2: LegacyWorkerOptions = {
  name: "failing-r2",
  modules: true,
  scriptPath: "./test/workers/failing-r2.js",
  compatibilityDate: "2026-11-01",
};

type ServiceDesignator = string | { name: string; entrypoint: string };

/**
 * The api Worker's settings under test: BACKEND_URL is the test origin that
 * global-setup started (test/origin.ts); a short header timeout so 504s and
 * "a long stream outlives the timer" take seconds, not minutes.
 */
function apiTestBindings(backendOrigin: string): Record<string, string> {
  return { BACKEND_URL: backendOrigin, BACKEND_HEADERS_TIMEOUT_MS: "1500" };
}

/** Options that depend on values global-setup provides (ports of servers it started). */
interface InjectedOptions {
  bindings?: Record<string, string>;
  auxiliaries?: LegacyWorkerOptions[];
  ratelimits?: Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }>;
}

function workerProject(
  name: WorkerName,
  auxiliaries: LegacyWorkerOptions[] = [],
  serviceBindings: Record<string, ServiceDesignator> = {},
  r2Buckets: Record<string, string> = {},
  injected: (origins: { backendOrigin: string; webhookOrigin: string }) => InjectedOptions = () => ({}),
) {
  return {
    plugins: [
      cloudflareTest((ctx) => {
        const extra = injected({
          backendOrigin: ctx.inject("backendOrigin"),
          webhookOrigin: ctx.inject("webhookOrigin"),
        });
        return {
          wrangler: { configPath: `./wrangler.${name}.toml` },
          miniflare: {
            bindings: { ...TEST_SECRETS[name], ...extra.bindings },
            serviceBindings,
            workers: [...auxiliaries, ...(extra.auxiliaries ?? [])],
            r2Buckets,
            ...(extra.ratelimits ? { ratelimits: extra.ratelimits } : {}),
          },
        };
      }),
    ],
    test: { name, include: [`workers/${name}/**/*.test.ts`] },
  };
}

export default defineConfig({
  test: {
    globalSetup: ["./test/global-setup.ts"],
    projects: [
      workerProject(
        "router",
        [auxiliaryWorker("media", "wrangler.media.toml"), faultyService, echoService],
        {
          FAILING_SERVICE: "faulty-service",
          SLOW_SERVICE: { name: "faulty-service", entrypoint: "Slow" },
          NO_SIGNING_KEY_SERVICE: { name: "faulty-service", entrypoint: "NoSigningKey" },
          ECHO_SERVICE: "echo-service",
        },
        // The media Worker's main bucket, so router tests can seed objects it then streams.
        { MEDIA_BUCKET_FOR_TESTS: "gateway-media" },
        ({ backendOrigin }) => ({
          auxiliaries: [auxiliaryWorker("api", "wrangler.api.toml", apiTestBindings(backendOrigin))],
        }),
      ),
      workerProject(
        "media",
        [failingR2],
        {
          R2_OUTAGE: "failing-r2",
          R2_GET_FAILS: { name: "failing-r2", entrypoint: "GetFails" },
          R2_DIES_MID_BODY: { name: "failing-r2", entrypoint: "DiesMidBody" },
        },
        {},
        // The upload webhook goes to a real receiver on loopback (test/webhook-sink.ts).
        ({ webhookOrigin }) => ({ bindings: { MEDIA_UPLOAD_WEBHOOK_URL: `${webhookOrigin}/hooks` } }),
      ),
      workerProject("api", [], {}, {}, ({ backendOrigin }) => ({
        bindings: apiTestBindings(backendOrigin),
        // A second, tight limiter so the 429 test does not share counters with the real one.
        ratelimits: { TIGHT_RATE_LIMITER: { namespace_id: "9001", simple: { limit: 2, period: 60 } } },
      })),
      // Operations scripts and the rotation walk run in Node (they drive wrangler and Miniflare).
      {
        test: {
          name: "ops",
          environment: "node",
          include: ["scripts/**/*.test.ts", "test/ops/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      // Whole-system tests in Node: the three real Workers from their wrangler configs in wrangler's test harness.
      { test: { name: "system", include: ["test/system/**/*.test.ts"], environment: "node" } },
    ],
  },
});

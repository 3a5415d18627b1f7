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
function auxiliaryWorker(name: WorkerName, configPath: string): LegacyWorkerOptions {
  return bundledWorker(name, configPath, TEST_SECRETS[name]);
}

/** A real Worker that throws or hangs on purpose (test/workers/faulty-service.js). */
const faultyService: LegacyWorkerOptions = {
  name: "faulty-service",
  modules: true,
  scriptPath: "./test/workers/faulty-service.js",
  compatibilityDate: "2026-11-01",
};

type ServiceDesignator = string | { name: string; entrypoint: string };

function workerProject(
  name: WorkerName,
  auxiliaries: LegacyWorkerOptions[] = [],
  serviceBindings: Record<string, ServiceDesignator> = {},
  r2Buckets: Record<string, string> = {},
) {
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: `./wrangler.${name}.toml` },
        miniflare: { bindings: { ...TEST_SECRETS[name] }, serviceBindings, workers: auxiliaries, r2Buckets },
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
        [auxiliaryWorker("media", "wrangler.media.toml"), auxiliaryWorker("api", "wrangler.api.toml"), faultyService],
        { FAILING_SERVICE: "faulty-service", SLOW_SERVICE: { name: "faulty-service", entrypoint: "Slow" } },
        // The media Worker's main bucket, so router tests can seed objects it then streams.
        { MEDIA_BUCKET_FOR_TESTS: "gateway-media" },
      ),
      workerProject("media"),
      workerProject("api"),
    ],
  },
});

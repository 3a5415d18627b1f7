/**
 * The whole gateway as it runs locally: the three real Workers from their real
 * wrangler configs (the deploy bundles test/global-setup.ts just built), in
 * one workerd through wrangler's `createTestHarness()`, which also captures
 * every Worker's console output, with the api Worker pointed at a real Node
 * origin (the local backend plus its misbehaving test routes, test/origin.ts)
 * unless a test brings its own. Loopback only; every port is picked free.
 */
import { fileURLToPath } from "node:url";
import type { TestHarness } from "wrangler";
import { createTestHarness } from "wrangler";
import { startTestOrigin } from "../origin.ts";
import { TEST_SECRETS } from "../secrets.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface WholeSystem {
  harness: TestHarness;
  /** The router's public URL on loopback. */
  url: URL;
  /** The origin behind the api Worker. */
  backendUrl: string;
  close(): Promise<void>;
}

export interface WholeSystemOptions {
  /** The api Worker's BACKEND_URL; by default a fresh test origin is started (and closed with the system). */
  backendUrl?: string;
  /** Vars that override the api Worker's wrangler config. */
  apiVars?: Record<string, string>;
}

/** Starts router (primary), media and api with the test secrets. */
export async function startWholeSystem(options: WholeSystemOptions = {}): Promise<WholeSystem> {
  const origin =
    options.backendUrl === undefined
      ? await startTestOrigin({ ...TEST_SECRETS.media, BACKEND_AUTH_TOKEN: TEST_SECRETS.api.BACKEND_AUTH_TOKEN })
      : undefined;
  const backendUrl = options.backendUrl ?? origin?.url ?? "";
  const harness = createTestHarness({
    root: ROOT,
    workers: [
      { configPath: "./wrangler.router.toml", prebuiltWorkerDir: "./dist/router", secrets: { ...TEST_SECRETS.router } },
      // Every delivery logged (production samples them): the log audit reads the lines of successful ones too.
      {
        configPath: "./wrangler.media.toml",
        prebuiltWorkerDir: "./dist/media",
        secrets: { ...TEST_SECRETS.media },
        vars: { MEDIA_SERVED_LOG_RATE: "1" },
      },
      {
        configPath: "./wrangler.api.toml",
        prebuiltWorkerDir: "./dist/api",
        secrets: { ...TEST_SECRETS.api },
        vars: { BACKEND_URL: backendUrl, ...options.apiVars },
      },
    ],
  });
  const { url } = await harness.listen();
  return {
    harness,
    url,
    backendUrl,
    close: async () => {
      await harness.close();
      await origin?.close();
    },
  };
}

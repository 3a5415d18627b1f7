/**
 * The whole gateway as it runs locally: the three real Workers from their real
 * wrangler configs (the deploy bundles test/global-setup.ts just built), in
 * one workerd through wrangler's `createTestHarness()`, which also captures
 * every Worker's console output. Loopback only; the harness picks a free port.
 */
import { fileURLToPath } from "node:url";
import type { TestHarness } from "wrangler";
import { createTestHarness } from "wrangler";
import { TEST_SECRETS } from "../secrets.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface WholeSystem {
  harness: TestHarness;
  /** The router's public URL on loopback. */
  url: URL;
}

/** Starts router (primary), media and api with the test secrets; vars override wrangler's where given. */
export async function startWholeSystem(vars: { api?: Record<string, string>; media?: Record<string, string> } = {}): Promise<WholeSystem> {
  const harness = createTestHarness({
    root: ROOT,
    workers: [
      { configPath: "./wrangler.router.toml", prebuiltWorkerDir: "./dist/router", secrets: { ...TEST_SECRETS.router } },
      { configPath: "./wrangler.media.toml", prebuiltWorkerDir: "./dist/media", secrets: { ...TEST_SECRETS.media }, vars: vars.media },
      { configPath: "./wrangler.api.toml", prebuiltWorkerDir: "./dist/api", secrets: { ...TEST_SECRETS.api }, vars: vars.api },
    ],
  });
  const { url } = await harness.listen();
  return { harness, url };
}

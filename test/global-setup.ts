/**
 * Runs once before any test project starts: rebuilds the Worker bundles that
 * the tests load as auxiliary Workers, so a test never runs stale code.
 * Also starts the origin the api proxy talks to (test/origin.ts) and hands its
 * URL to the Workers' configs through `provide("backendOrigin")`.
 */
import type { TestProject } from "vitest/node";
import { buildWorkers } from "../scripts/build-workers.ts";
import "./api-fixtures.ts";
import { startTestOrigin } from "./origin.ts";
import { TEST_SECRETS } from "./secrets.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await buildWorkers();
  const origin = await startTestOrigin({
    ...TEST_SECRETS.media,
    BACKEND_AUTH_TOKEN: TEST_SECRETS.api.BACKEND_AUTH_TOKEN,
  });
  project.provide("backendOrigin", origin.url);
  return () => origin.close();
}

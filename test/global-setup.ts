/**
 * Runs once before any test project starts: rebuilds the Worker bundles that
 * the tests load as auxiliary Workers, so a test never runs stale code.
 * Also starts the origin the api proxy talks to (test/origin.ts) and hands its
 * URL to the Workers' configs through `provide("backendOrigin")`, and the
 * webhook sink the media Worker's upload webhook posts to (`webhookOrigin`).
 */
import type { TestProject } from "vitest/node";
import { buildWorkers } from "../scripts/build-workers.ts";
import "./api-fixtures.ts";
import { startTestOrigin } from "./origin.ts";
import { TEST_SECRETS } from "./secrets.ts";
import "./webhook-fixtures.ts";
import { startWebhookSink } from "./webhook-sink.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await buildWorkers();
  const origin = await startTestOrigin({
    ...TEST_SECRETS.media,
    BACKEND_AUTH_TOKEN: TEST_SECRETS.api.BACKEND_AUTH_TOKEN,
  });
  project.provide("backendOrigin", origin.url);
  const sink = await startWebhookSink();
  project.provide("webhookOrigin", sink.url);
  return async () => {
    await origin.close();
    await sink.close();
  };
}

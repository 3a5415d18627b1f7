/**
 * Runs once before any test project starts: rebuilds the Worker bundles that
 * the tests load as auxiliary Workers, so a test never runs stale code.
 */
import { buildWorkers } from "../scripts/build-workers.ts";

export default async function setup(): Promise<void> {
  await buildWorkers();
}

/** Starts the gateway once for the whole e2e run and stops it afterwards. */
import { mkdirSync } from "node:fs";
import { SCREENSHOT_DIR } from "./browser.ts";
import { startGateway } from "./stack.ts";

export default async function setup(): Promise<() => Promise<void>> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const gateway = await startGateway();
  return () => gateway.stop();
}

/**
 * The end-to-end suite (`npm run test:e2e`): runs in Node, not workerd. A
 * global setup starts the Workers the way `npm run dev` does; the tests
 * drive headless Chromium against them. Files run one at a time: they
 * share one stack and a fixed backend port, and the machine has two cores.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "e2e",
    root: `${import.meta.dirname}/..`,
    include: ["e2e/**/*.test.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    fileParallelism: false,
    // Media token expiry alone takes over 30 s (the media Worker's clock tolerance).
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});

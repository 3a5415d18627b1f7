/**
 * Copies the demo page's HLS player, hls.js (the full build, as an ES module,
 * and its transmuxer worker), from node_modules into public/app/vendor/, so the
 * page loads both from its own origin under its CSP (`script-src 'self'`, a
 * worker from 'self', no blob: worker). The folder is git-ignored: the copy is
 * made from the installed package by every command that serves or ships
 * public/ (`npm run dev`, the test and deploy bundles, `npm run deploy`,
 * `npm run versions:upload`), so it always matches package.json's version.
 *
 *   node scripts/vendor-player.ts   →  vendor: hls.js 1.7.4 in public/app/vendor/ (4 files, 0 written)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const PLAYER_VENDOR_DIR = "public/app/vendor";

/** The files the page loads (and their source maps, which the files name): hls.js's ESM full build and its worker. */
export const HLS_VENDOR_FILES: readonly string[] = [
  "hls.min.mjs",
  "hls.min.mjs.map",
  "hls.worker.js",
  "hls.worker.js.map",
];

export interface VendoredPlayer {
  version: string;
  /** Where the package's dist/ files were read from. */
  sourceDir: string;
  /** How many files were missing or different and so written. */
  written: number;
}

/** The installed hls.js: its version and its dist/ folder. */
export function installedHlsJs(): { version: string; distDir: string } {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve("hls.js/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error(`${manifestPath} has no version`);
  return { version: manifest.version, distDir: join(dirname(manifestPath), "dist") };
}

/**
 * Copies hls.js into `targetDir`, writing only files that are missing or
 * differ (an unchanged file keeps its mtime, so `wrangler dev` does not reload).
 */
export function vendorPlayer(targetDir = PLAYER_VENDOR_DIR): VendoredPlayer {
  const { version, distDir } = installedHlsJs();
  mkdirSync(targetDir, { recursive: true });
  let written = 0;
  for (const name of HLS_VENDOR_FILES) {
    const source = readFileSync(join(distDir, name));
    const target = join(targetDir, name);
    if (existsSync(target) && readFileSync(target).equals(source)) continue;
    writeFileSync(target, source);
    written += 1;
  }
  return { version, sourceDir: distDir, written };
}

if (import.meta.main) {
  const { version, written } = vendorPlayer();
  console.log(
    `vendor: hls.js ${version} in ${PLAYER_VENDOR_DIR}/ (${HLS_VENDOR_FILES.length} files, ${written} written)`,
  );
}

/**
 * Copies the demo page's third-party browser code from node_modules into
 * public/app/vendor/, so the page loads it from its own origin under its CSP
 * (`script-src 'self'`, a worker from 'self', no blob: worker): hls.js (the
 * full build, as an ES module, and its transmuxer worker) and tus-js-client
 * (its browser build, a classic script that defines `tus`). The folder is
 * git-ignored: the copy is made from the installed packages by every command
 * that serves or ships public/ (`npm run dev`, the test and deploy bundles,
 * `npm run deploy`, `npm run versions:upload`), so it always matches
 * package.json's versions.
 *
 *   node scripts/vendor-player.ts   →  vendor: hls.js 1.7.4, tus-js-client 4.3.1 in public/app/vendor/ (6 files, 0 written)
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
/** tus-js-client's minified browser build (UMD: as a classic script it sets `globalThis.tus`) and its map. */
export const TUS_VENDOR_FILES: readonly string[] = ["tus.min.js", "tus.min.js.map"];

/** Each vendored package and the files taken from its dist/ folder. */
const VENDORED = [
  { name: "hls.js", files: HLS_VENDOR_FILES },
  { name: "tus-js-client", files: TUS_VENDOR_FILES },
] as const;
type VendoredName = (typeof VENDORED)[number]["name"];

export interface VendoredPlayer {
  /** hls.js's version. */
  version: string;
  /** Where hls.js's dist/ files were read from. */
  sourceDir: string;
  /** Each vendored package's version. */
  versions: Record<VendoredName, string>;
  /** How many files were missing or different and so written. */
  written: number;
}

/** An installed package: its version and its dist/ folder. */
export function installedPackage(name: VendoredName): { version: string; distDir: string } {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve(`${name}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error(`${manifestPath} has no version`);
  return { version: manifest.version, distDir: join(dirname(manifestPath), "dist") };
}

/** The installed hls.js: its version and its dist/ folder. */
export function installedHlsJs(): { version: string; distDir: string } {
  return installedPackage("hls.js");
}

/**
 * Copies the vendored packages into `targetDir`, writing only files that are
 * missing or differ (an unchanged file keeps its mtime, so `wrangler dev` does not reload).
 */
export function vendorPlayer(targetDir = PLAYER_VENDOR_DIR): VendoredPlayer {
  mkdirSync(targetDir, { recursive: true });
  let written = 0;
  const versions = {} as Record<VendoredName, string>;
  for (const { name, files } of VENDORED) {
    const { version, distDir } = installedPackage(name);
    versions[name] = version;
    for (const file of files) {
      const source = readFileSync(join(distDir, file));
      const target = join(targetDir, file);
      if (existsSync(target) && readFileSync(target).equals(source)) continue;
      writeFileSync(target, source);
      written += 1;
    }
  }
  return { version: versions["hls.js"], sourceDir: installedHlsJs().distDir, versions, written };
}

/** `hls.js 1.7.4, tus-js-client 4.3.1`. */
export function describeVendored(versions: Record<VendoredName, string>): string {
  return Object.entries(versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
}

if (import.meta.main) {
  const { versions, written } = vendorPlayer();
  const count = HLS_VENDOR_FILES.length + TUS_VENDOR_FILES.length;
  console.log(`vendor: ${describeVendored(versions)} in ${PLAYER_VENDOR_DIR}/ (${count} files, ${written} written)`);
}

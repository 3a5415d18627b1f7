/**
 * The demo page's vendored hls.js and tus-js-client (scripts/vendor-player.ts):
 * byte-for-byte copies of the installed packages' builds (hls.js's full ESM
 * build and worker, tus-js-client's browser build), made by every command
 * that serves or ships public/, and exactly the files the page loads.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  HLS_VENDOR_FILES,
  installedHlsJs,
  installedPackage,
  PLAYER_VENDOR_DIR,
  TUS_VENDOR_FILES,
  vendorPlayer,
} from "../../scripts/vendor-player.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vendor-player-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("vendorPlayer", () => {
  it("copies hls.js's full ESM build and its worker byte for byte, with the version package.json installed", () => {
    const target = join(tempDir(), "vendor");
    const result = vendorPlayer(target);
    const manifest = JSON.parse(readFileSync("node_modules/hls.js/package.json", "utf8")) as { version: string };
    expect(result).toMatchObject({
      version: manifest.version,
      written: HLS_VENDOR_FILES.length + TUS_VENDOR_FILES.length,
    });
    expect(readdirSync(target).sort()).toEqual([...HLS_VENDOR_FILES, ...TUS_VENDOR_FILES].sort());
    for (const name of HLS_VENDOR_FILES) {
      expect(readFileSync(join(target, name)).equals(readFileSync(join(installedHlsJs().distDir, name))), name).toBe(
        true,
      );
    }
    // The full build (not hls.light), which names its own version.
    expect(readFileSync(join(target, "hls.min.mjs"), "utf8")).toContain(`"${manifest.version}"`);
    expect(HLS_VENDOR_FILES).not.toContain("hls.light.min.mjs");
  });

  it("copies tus-js-client's browser build byte for byte, with the version package.json installed", () => {
    const target = join(tempDir(), "vendor");
    const result = vendorPlayer(target);
    const manifest = JSON.parse(readFileSync("node_modules/tus-js-client/package.json", "utf8")) as { version: string };
    expect(result.versions["tus-js-client"]).toBe(manifest.version);
    const { distDir } = installedPackage("tus-js-client");
    for (const name of TUS_VENDOR_FILES) {
      expect(readFileSync(join(target, name)).equals(readFileSync(join(distDir, name))), name).toBe(true);
    }
    // The UMD build: loaded as a classic script it defines the global `tus` the page reads.
    expect(readFileSync(join(target, "tus.min.js"), "utf8")).toMatch(/\.tus=\w+\(\)/);
  });

  it("leaves files that already match alone and rewrites one that differs", () => {
    const target = tempDir();
    vendorPlayer(target);
    const worker = join(target, "hls.worker.js");
    const before = statSync(join(target, "hls.min.mjs")).mtimeMs;
    writeFileSync(worker, "stale");
    expect(vendorPlayer(target).written).toBe(1);
    expect(statSync(join(target, "hls.min.mjs")).mtimeMs).toBe(before);
    expect(readFileSync(worker).equals(readFileSync(join(installedHlsJs().distDir, "hls.worker.js")))).toBe(true);
  });

  it("vendors exactly what the page loads, into the git-ignored public/app/vendor/", () => {
    const page = ["public/app/hls-player.js", "public/app/upload.js"]
      .map((file) => readFileSync(file, "utf8"))
      .join("\n");
    const loaded = [...page.matchAll(/"\/app\/vendor\/([\w.-]+)"/g)].map((match) => match[1]);
    expect(loaded.sort()).toEqual(["hls.min.mjs", "hls.worker.js", "tus.min.js"]);
    for (const name of loaded) expect([...HLS_VENDOR_FILES, ...TUS_VENDOR_FILES]).toContain(name);
    expect(PLAYER_VENDOR_DIR).toBe("public/app/vendor");
    expect(readFileSync(".gitignore", "utf8").split("\n")).toContain(`${PLAYER_VENDOR_DIR}/`);
  });
});

import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * public/_headers serves /assets/* as immutable for a year. That is only
 * true if a file there never changes under the same name, so every name must
 * carry the first 8 hex of its content's SHA-256 (as a bundler names output).
 */
describe("public/assets/ holds fingerprinted files only", () => {
  const files = readdirSync("public/assets");

  it("is not empty (the router's tests serve a file from it)", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)("%s is named after its content's hash", (name) => {
    const hash = createHash("sha256")
      .update(readFileSync(`public/assets/${name}`))
      .digest("hex")
      .slice(0, 8);
    expect(name).toMatch(/^[\w-]+\.[0-9a-f]{8}\.\w+$/);
    expect(name.split(".").at(-2)).toBe(hash);
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import vectors from "../test/fixtures/media-token-vectors.json" with { type: "json" };
import { runScript } from "../test/ops/run-script.ts";
import { fingerprintLine } from "./fingerprint.ts";
import { compareSecrets, hasWranglerCredentials } from "./secrets.ts";
import { asStored } from "./secret-input.ts";

const V2 = vectors.secrets.MEDIA_TOKEN_SECRET_V2;

describe("npm run fingerprint", () => {
  it("prints the vector secret's fingerprint as the Worker's registry line shows it", async () => {
    const result = await runScript("fingerprint.ts", ["--kid", "v2"], { input: V2 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`v2:${vectors.fingerprints.v2}\n`);
    expect(result.stderr).toMatch(/^fingerprint: \d+ bytes as stored/);
    expect(result.stdout + result.stderr).not.toContain(V2);
  });

  it("trims a trailing newline as wrangler secret put does, so `echo $SECRET |` gives the stored value's fingerprint", async () => {
    const result = await runScript("fingerprint.ts", [], { input: `${vectors.secrets.MEDIA_TOKEN_SECRET_V1}\n` });
    expect(result.stdout).toBe(`${vectors.fingerprints.v1}\n`);
    expect(asStored("abc \r\n")).toBe("abc");
  });

  it("refuses an empty stdin and a malformed kid with exit 2", async () => {
    expect((await runScript("fingerprint.ts", [], { input: "" })).code).toBe(2);
    const badKid = await runScript("fingerprint.ts", ["--kid", "2"], { input: V2 });
    expect(badKid.code).toBe(2);
    expect(badKid.stderr).toContain('--kid must be v<N>, not "2"');
  });

  it("has no way to take the secret from argv", async () => {
    const result = await runScript("fingerprint.ts", [V2], { input: V2 });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
  });

  it("formats the registry entry", async () => {
    expect(await fingerprintLine(V2, "v2")).toBe(`v2:${vectors.fingerprints.v2}`);
  });
});

describe("npm run secrets:check", () => {
  it("without credentials lists each Worker's required secrets for the environment and exits 0", async () => {
    const result = await runScript("secrets.ts", ["check", "production"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("  media (gateway-media-production): MEDIA_TOKEN_SECRET_V1\n");
    expect(result.stdout).toContain("  api (gateway-api-production): BACKEND_AUTH_TOKEN\n");
    expect(result.stdout).toContain("  router (gateway-router-production): ADMIN_TOKEN\n");
    expect(result.stdout).toContain("no wrangler credentials");
  });

  it("sees credentials from an API token or from `wrangler login`'s config file, without reading them", () => {
    const home = mkdtempSync(join(tmpdir(), "ops-home-"));
    expect(hasWranglerCredentials({}, home)).toBe(false);
    expect(hasWranglerCredentials({ CLOUDFLARE_API_TOKEN: "t" }, home)).toBe(true);
    mkdirSync(join(home, ".config", ".wrangler", "config"), { recursive: true });
    writeFileSync(join(home, ".config", ".wrangler", "config", "default.toml"), "");
    expect(hasWranglerCredentials({}, home)).toBe(true);
  });

  it("names missing secrets and those left over from a rotation", () => {
    expect(compareSecrets(["MEDIA_TOKEN_SECRET_V2"], ["MEDIA_TOKEN_SECRET_V1"])).toEqual({
      missing: ["MEDIA_TOKEN_SECRET_V2"],
      extra: ["MEDIA_TOKEN_SECRET_V1"],
    });
  });
});

describe("npm run secrets:put and secrets:delete", () => {
  it("put --dry-run shows the wrangler command and the fingerprint of what it would store, never the value", async () => {
    const result = await runScript("secrets.ts", ["put", "media", "staging", "MEDIA_TOKEN_SECRET_V1", "--dry-run"], {
      input: `${V2}\n`,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `would run: npx wrangler secret put MEDIA_TOKEN_SECRET_V1 -c wrangler.media.toml --env staging < value (fingerprint v1:${vectors.fingerprints.v2})\n`,
    );
  });

  it("put refuses a signing secret shorter than the contract's 32 bytes, which the media Worker would not load", async () => {
    const result = await runScript("secrets.ts", ["put", "media", "staging", "MEDIA_TOKEN_SECRET_V1", "--dry-run"], {
      input: "only-31-bytes-long-0123456789ab\n",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("MEDIA_TOKEN_SECRET_V1 must be at least 32 bytes");
    expect(result.stdout).not.toContain("would run");
  });

  it("put refuses an ADMIN_TOKEN shorter than 32 bytes: it unlocks /_sign", async () => {
    const result = await runScript("secrets.ts", ["put", "router", "staging", "ADMIN_TOKEN", "--dry-run"], {
      input: "only-31-bytes-long-0123456789ab\n",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("ADMIN_TOKEN must be at least 32 bytes (this one has 31)");
    expect(result.stdout).not.toContain("would run");
  });

  it("put --dry-run takes a 32-byte ADMIN_TOKEN", async () => {
    const result = await runScript("secrets.ts", ["put", "router", "staging", "ADMIN_TOKEN", "--dry-run"], {
      input: "exactly-32-bytes-long-0123456789\n",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^would run: npx wrangler secret put ADMIN_TOKEN -c wrangler.router.toml --env staging < value/,
    );
  });

  it("put refuses a secret the config does not require: rotation adds it to secrets.required first", async () => {
    const result = await runScript("secrets.ts", ["put", "media", "staging", "MEDIA_TOKEN_SECRET_V2", "--dry-run"], {
      input: V2,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "MEDIA_TOKEN_SECRET_V2 is not in wrangler.media.toml [env.staging] secrets.required",
    );
  });

  it("delete refuses a secret the config still requires, and --dry-run prints the command for one it does not", async () => {
    const refused = await runScript("secrets.ts", ["delete", "media", "staging", "MEDIA_TOKEN_SECRET_V1", "--dry-run"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("still in wrangler.media.toml [env.staging] secrets.required");
    const planned = await runScript("secrets.ts", ["delete", "media", "staging", "MEDIA_TOKEN_SECRET_V0", "--dry-run"]);
    expect(planned.stdout).toBe(
      "would run: npx wrangler secret delete MEDIA_TOKEN_SECRET_V0 -c wrangler.media.toml --env staging --force\n",
    );
  });
});

import { describe, expect, it } from "vitest";
import { offlineEnvironment, runScript } from "../test/ops/run-script.ts";
import { bucketCreateCommands } from "./buckets.ts";
import { rollbackHint } from "./commands.ts";
import { deployOrder, secretsFromEnvironment } from "./deploy.ts";
import { versionCommand } from "./versions.ts";

describe("npm run deploy", () => {
  it("deploys media and api before the router, whose bindings need them", () => {
    expect(deployOrder().map((worker) => worker.name)).toEqual(["media", "api", "router"]);
  });

  it("--dry-run prints the ordered wrangler commands and bundles each with wrangler's own dry run", async () => {
    const result = await runScript("deploy.ts", ["staging", "--dry-run"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n").filter((line) => line.includes("npx wrangler"))).toEqual([
      "deploy: 1/3 npx wrangler deploy -c wrangler.media.toml --env staging",
      "deploy: 2/3 npx wrangler deploy -c wrangler.api.toml --env staging",
      "deploy: 3/3 npx wrangler deploy -c wrangler.router.toml --env staging",
    ]);
    expect(result.stdout).toContain("deploy: dry run of staging ok");
  });

  it("deploy:media deploys the media Worker alone, with the required secrets found in the environment as a secrets file", async () => {
    const result = await runScript(
      "deploy.ts",
      ["--worker", "media", "production", "--dry-run", "--secrets-from-env"],
      {
        env: offlineEnvironment({
          MEDIA_TOKEN_SECRET_V1: "a-secret-that-must-never-be-printed-0123",
          ADMIN_TOKEN: "not-media's",
        }),
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /deploy: 1\/1 npx wrangler deploy -c wrangler\.media\.toml --env production --secrets-file \S+\/media\.json\n/,
    );
    expect(result.stdout).toContain("with secrets MEDIA_TOKEN_SECRET_V1 (values not shown)");
    expect(result.stdout + result.stderr).not.toContain("a-secret-that-must-never-be-printed");
  });

  it("puts only a Worker's own required secrets in its secrets file", () => {
    expect(
      secretsFromEnvironment(["MEDIA_TOKEN_SECRET_V1", "MEDIA_TOKEN_SECRET_V2"], {
        MEDIA_TOKEN_SECRET_V1: "one",
        MEDIA_TOKEN_SECRET_V2: "",
        ADMIN_TOKEN: "x",
      }),
    ).toEqual({
      MEDIA_TOKEN_SECRET_V1: "one",
    });
  });

  it.each([
    [["qa"], /unknown environment "qa": use one of staging, production/],
    [["staging", "--worker", "cdn"], /unknown Worker "cdn": use one of media, api, router/],
    [["staging", "--force"], /Unknown option '--force'/],
  ])("refuses %j with exit 2 and the usage line", async (args, message) => {
    const result = await runScript("deploy.ts", args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain("usage: npm run deploy -- <staging|production>");
  });
});

describe("versions and rollback", () => {
  const id = "0b5d4a36-1111-2222-3333-444455556666";

  it.each([
    [
      ["upload", "media", "staging"],
      ["versions", "upload", "-c", "wrangler.media.toml", "--env", "staging"],
    ],
    [
      ["list", "api", "production"],
      ["versions", "list", "-c", "wrangler.api.toml", "--env", "production"],
    ],
    [
      ["tail", "media", "production"],
      ["tail", "-c", "wrangler.media.toml", "--env", "production", "--format", "json"],
    ],
    [
      ["deploy", "router", "staging", `${id}@10`, "1c2d3e4f-0000@90"],
      ["versions", "deploy", `${id}@10`, "1c2d3e4f-0000@90", "-c", "wrangler.router.toml", "--env", "staging", "--yes"],
    ],
    [
      ["rollback", "media", "production"],
      ["rollback", "-c", "wrangler.media.toml", "--env", "production", "--message", "npm run rollback"],
    ],
    [
      ["rollback", "media", "production", id],
      ["rollback", id, "-c", "wrangler.media.toml", "--env", "production", "--message", "npm run rollback"],
    ],
  ])("%j runs wrangler %j", ([action, worker, environment, ...rest], expected) => {
    expect(versionCommand(action, worker, environment, rest)).toEqual(expected);
  });

  it.each([
    [["deploy", "media", "staging"], /at least one <version-id>@<percent>/],
    [["deploy", "media", "staging", `${id}@150`], /is not <version-id>@<percent>/],
    [["rollback", "media", "staging", id, id], /at most one version id/],
    [["promote", "media", "staging"], /unknown action "promote"/],
  ])("refuses %j", ([action, worker, environment, ...rest], message) => {
    expect(() => versionCommand(action, worker, environment, rest)).toThrow(message);
  });

  it("--dry-run prints the command and runs nothing", async () => {
    const result = await runScript("versions.ts", ["rollback", "api", "staging", "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "would run: npx wrangler rollback -c wrangler.api.toml --env staging --message 'npm run rollback'\n",
    );
  });

  it("names the rollback an operator types for one Worker", () => {
    expect(rollbackHint("media", "production")).toBe("npm run rollback -- media production");
  });
});

describe("npm run buckets", () => {
  it("creates each R2 bucket the media Worker binds in the environment", () => {
    expect(bucketCreateCommands("staging")).toEqual([
      ["r2", "bucket", "create", "gateway-media-staging"],
      ["r2", "bucket", "create", "gateway-media-fallback-staging"],
      ["r2", "bucket", "create", "gateway-assets-staging"],
    ]);
  });

  it("--dry-run prints the commands and creates nothing", async () => {
    const result = await runScript("buckets.ts", ["production", "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "would run: npx wrangler r2 bucket create gateway-media",
        "would run: npx wrangler r2 bucket create gateway-media-fallback",
        "would run: npx wrangler r2 bucket create gateway-assets",
        "",
      ].join("\n"),
    );
  });
});

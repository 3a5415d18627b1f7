import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { offlineEnvironment, runScript } from "../test/ops/run-script.ts";
import { environmentForHost, fingerprintMatches, isCacheHit } from "./smoke.ts";
import { readWorkerConfig, resolveEnvironment } from "./wrangler-config.ts";
import { ENVIRONMENTS, WORKERS } from "./workers.ts";

describe("the smoke test's judgements", () => {
  const kids = [
    { kid: "v1", fingerprint: "526d65e9" },
    { kid: "v2", fingerprint: "c33b55fc" },
  ];

  it("accepts the active kid's fingerprint with or without its kid", () => {
    expect(fingerprintMatches("v2:c33b55fc", "v2", kids)).toBe(true);
    expect(fingerprintMatches("c33b55fc", "v2", kids)).toBe(true);
  });

  it("refuses a loaded but inactive kid, a wrong fingerprint and a Worker with no active kid", () => {
    expect(fingerprintMatches("v1:526d65e9", "v2", kids)).toBe(false);
    expect(fingerprintMatches("526d65e9", "v2", kids)).toBe(false);
    expect(fingerprintMatches("v2:c33b55fc", null, [])).toBe(false);
  });

  it("reads a cache hit from Server-Timing", () => {
    expect(isCacheHit("cache;desc=hit, r2;dur=3")).toBe(true);
    expect(isCacheHit('r2;dur=1, cache;desc="hit"')).toBe(true);
    expect(isCacheHit("cache;desc=miss, r2;dur=12")).toBe(false);
    expect(isCacheHit(null)).toBe(false);
  });

  it("finds the environment from the router's routes, for the rollback hint", () => {
    expect(environmentForHost("staging.example.com")).toBe("staging");
    expect(environmentForHost("www.example.com")).toBe("production");
    expect(environmentForHost("localhost")).toBeUndefined();
  });

  it.each([
    [[], {}, "give the base URL"],
    [["https://staging.example.com"], {}, "set ADMIN_TOKEN"],
    [["https://staging.example.com"], { ADMIN_TOKEN: "t" }, "stdin must hold the expected fingerprint"],
  ])("refuses to start without what it needs (%j)", async (args, extra, message) => {
    const result = await runScript("smoke.ts", args, { env: offlineEnvironment(extra), input: "not-a-fingerprint" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe("npm run smoke:seed", () => {
  it("--dry-run names the environment's main media bucket, remotely", async () => {
    const result = await runScript("smoke-seed.ts", ["production", "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^would run: npx wrangler r2 object put gateway-media\/_smoke\/hello\.txt --file \S+ --content-type 'text\/plain; charset=utf-8' -c wrangler\.media\.toml --env production --remote\n$/,
    );
  });
});

describe("the GitHub Actions workflow", () => {
  const workflow = readFileSync(".github/workflows/deploy.yml", "utf8");
  const job = (name: string) => {
    const start = workflow.indexOf(`\n  ${name}:\n`);
    const next = workflow.slice(start + 1).search(/\n {2}[a-z-]+:\n/);
    return next === -1 ? workflow.slice(start) : workflow.slice(start, start + 1 + next);
  };

  it("runs the tests before any deploy", () => {
    expect(job("test")).toContain("- run: npm test");
    expect(job("deploy-staging")).toContain("needs: test");
    expect(job("deploy-production")).toContain("needs: deploy-staging");
  });

  it.each(ENVIRONMENTS)("deploys %s in order with the repository's scripts, then smoke-tests it", (environment) => {
    const deploy = job(`deploy-${environment}`);
    expect(deploy).toContain(`environment:\n      name: ${environment}`);
    expect(deploy).toContain(`- run: npm run deploy -- ${environment} --secrets-from-env`);
    expect(deploy.indexOf("npm run deploy --")).toBeLessThan(deploy.indexOf("npm run smoke --"));
    expect(job("test")).toContain(`- run: npm run deploy -- ${environment} --dry-run`);
  });

  it.each(ENVIRONMENTS)("passes every secret %s's configs require from the CI secret store", (environment) => {
    const deploy = job(`deploy-${environment}`);
    const required = WORKERS.flatMap(
      (worker) => resolveEnvironment(readWorkerConfig(worker), environment).requiredSecrets,
    );
    for (const name of [...required, "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID"]) {
      expect(deploy).toContain(`${name}: \${{ secrets.${name} }}`);
    }
  });
});

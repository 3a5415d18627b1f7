import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { ROUTE_TABLE } from "../shared/routes.ts";
import { budgetProblems, bundleSize } from "./check-deploy.ts";
import type { GatewayConfigs } from "./deploy-checks.ts";
import {
  committedSecretProblems,
  environmentProblems,
  missingRunWorkerFirst,
  uncoveredPrefixes,
} from "./deploy-checks.ts";
import type { WranglerFile } from "./wrangler-config.ts";
import { readWorkerConfig } from "./wrangler-config.ts";
import { ENVIRONMENTS } from "./workers.ts";

/** Fresh copies of the repository's configs, safe to break in one test. */
function repositoryConfigs(): GatewayConfigs {
  return {
    router: readWorkerConfig({ config: "wrangler.router.toml" }),
    media: readWorkerConfig({ config: "wrangler.media.toml" }),
    api: readWorkerConfig({ config: "wrangler.api.toml" }),
  };
}

function stagingOf(file: WranglerFile) {
  const staging = file.env?.staging;
  if (staging === undefined) throw new Error("the config has no [env.staging]");
  return staging;
}

describe("the repository's configs", () => {
  it.each(ENVIRONMENTS)("%s: has no deploy problems", (environment) => {
    expect(environmentProblems(repositoryConfigs(), environment)).toEqual([]);
  });
});

describe("the upload Durable Object check", () => {
  it("catches an environment without the binding or the SQLite migration (neither is inherited)", () => {
    const configs = repositoryConfigs();
    const staging = stagingOf(configs.media);
    delete staging.durable_objects;
    delete staging.migrations;
    expect(environmentProblems(configs, "staging")).toEqual([
      "staging: media lacks the Durable Object binding MEDIA_UPLOADS -> MediaUpload: every upload would fail",
      'staging: media has no migration with new_sqlite_classes = ["MediaUpload"]: the deploy would fail',
    ]);
    expect(environmentProblems(configs, "production")).toEqual([]);
  });
});

describe("the route pattern check", () => {
  it("catches run_worker_first missing an owned prefix", () => {
    const configs = repositoryConfigs();
    const assets = stagingOf(configs.router).assets;
    if (assets === undefined || !Array.isArray(assets.run_worker_first))
      throw new Error("staging has no run_worker_first list");
    assets.run_worker_first = assets.run_worker_first.filter((pattern) => !pattern.startsWith("/api"));
    expect(environmentProblems(configs, "staging")).toEqual([
      "staging: router assets.run_worker_first lacks /api, /api/*: the asset layer would answer those paths with the SPA's index.html",
    ]);
    expect(environmentProblems(configs, "production")).toEqual([]);
  });

  it("catches zone routes that miss an owned prefix", () => {
    const configs = repositoryConfigs();
    stagingOf(configs.router).routes = [
      { pattern: "staging.example.com/", zone_name: "example.com" },
      { pattern: "staging.example.com/api*", zone_name: "example.com" },
      { pattern: "staging.example.com/_*", zone_name: "example.com" },
      { pattern: "staging.example.com/assets*", zone_name: "example.com" },
    ];
    expect(environmentProblems(configs, "staging")).toEqual([
      "staging: router route patterns for staging.example.com miss the owned prefix /media: requests there never reach the router",
    ]);
  });

  it("catches an environment with no routes: the deploy would report no targets", () => {
    const configs = repositoryConfigs();
    delete stagingOf(configs.router).routes;
    const problems = environmentProblems(configs, "staging");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^staging: router has no routes or custom domains .*No targets deployed/);
  });

  it("accepts a custom domain or a host/* route as owning every prefix", () => {
    expect(uncoveredPrefixes([{ pattern: "www.example.com", custom_domain: true }])).toEqual([]);
    expect(uncoveredPrefixes([{ pattern: "*.example.com/*", zone_name: "example.com" }])).toEqual([]);
  });

  it("treats a zone route without a path as the root only", () => {
    expect(
      uncoveredPrefixes([{ pattern: "example.com", zone_name: "example.com" }]).map((miss) => miss.prefix),
    ).toEqual(ROUTE_TABLE.map((route) => route.prefix));
  });

  it("needs both /media and /media/* from a segment prefix: /media* alone would also take /mediafoo but covers it", () => {
    expect(uncoveredPrefixes([{ pattern: "example.com/media/*" }]).map((miss) => miss.prefix)).toContain("/media");
    expect(uncoveredPrefixes([{ pattern: "example.com/media*" }]).map((miss) => miss.prefix)).not.toContain("/media");
  });

  it("names each run_worker_first pattern the table needs and the list lacks", () => {
    expect(missingRunWorkerFirst(["/media", "/media/*", "/api/*", "/_*", "/assets", "/assets/*"])).toEqual(["/api"]);
    expect(missingRunWorkerFirst(undefined)).toHaveLength(7);
    expect(missingRunWorkerFirst(true)).toEqual([]);
  });
});

describe("the other environment checks", () => {
  it("catches a staging router bound to the production media Worker", () => {
    const configs = repositoryConfigs();
    const staging = stagingOf(configs.router);
    staging.services = (staging.services ?? []).map((bound) =>
      bound.binding === "MEDIA" ? { ...bound, service: "gateway-media-production" } : bound,
    );
    expect(environmentProblems(configs, "staging")).toEqual([
      "staging: router binds MEDIA to gateway-media-production, but this environment's Worker is gateway-media-staging",
    ]);
  });

  it("catches a missing control binding and one on the default entrypoint", () => {
    const configs = repositoryConfigs();
    const staging = stagingOf(configs.router);
    staging.services = (staging.services ?? [])
      .filter((bound) => bound.binding !== "API_CONTROL")
      .map((bound) => (bound.binding === "MEDIA_CONTROL" ? { binding: bound.binding, service: bound.service } : bound));
    expect(environmentProblems(configs, "staging")).toEqual([
      "staging: router binds MEDIA_CONTROL to the default entrypoint, not Control: RPC calls would reach the wrong handler",
      "staging: router binds API_CONTROL to nothing, but this environment's Worker is gateway-api-staging",
    ]);
  });

  it("catches an environment without the METRICS dataset or a head sampling rate (neither is inherited)", () => {
    const configs = repositoryConfigs();
    const staging = stagingOf(configs.api);
    staging.analytics_engine_datasets = [];
    staging.observability = { enabled: true };
    stagingOf(configs.media).observability = { enabled: true, head_sampling_rate: 0 };
    expect(environmentProblems(configs, "staging")).toEqual([
      "staging: media needs observability.head_sampling_rate in (0, 1]: it decides how many logs are kept",
      "staging: api needs observability.head_sampling_rate in (0, 1]: it decides how many logs are kept",
      "staging: api lacks the METRICS analytics_engine_datasets binding: its requests would write no data points",
    ]);
  });

  it("catches a data-plane binding on the Control entrypoint", () => {
    const configs = repositoryConfigs();
    const production = configs.router.env?.production;
    if (production === undefined) throw new Error("wrangler.router.toml has no [env.production]");
    production.services = (production.services ?? []).map((bound) =>
      bound.binding === "API" ? { ...bound, entrypoint: "Control" } : bound,
    );
    expect(environmentProblems(configs, "production")).toEqual([
      "production: router binds API to the Control entrypoint, not the default one: requests would reach the wrong handler",
    ]);
  });

  it("catches a media Worker made public", () => {
    const configs = repositoryConfigs();
    stagingOf(configs.media).workers_dev = true;
    expect(environmentProblems(configs, "staging")).toEqual([
      "staging: media must set workers_dev = false: it is reachable only through the router",
    ]);
  });

  it("catches an active kid whose secret the environment does not require", () => {
    const configs = repositoryConfigs();
    const staging = stagingOf(configs.media);
    staging.vars = { ...staging.vars, MEDIA_TOKEN_ACTIVE_KID: "v2" };
    expect(environmentProblems(configs, "staging")).toEqual([
      "staging: media: MEDIA_TOKEN_ACTIVE_KID is v2 but secrets.required lacks MEDIA_TOKEN_SECRET_V2: sign() would have no key",
    ]);
  });

  it("catches an environment that forgot secrets.required or observability (neither is inherited)", () => {
    const configs = repositoryConfigs();
    delete stagingOf(configs.api).secrets;
    delete stagingOf(configs.api).observability;
    expect(environmentProblems(configs, "staging")).toEqual([
      "staging: api lacks observability.enabled = true: its logs would not be kept",
      "staging: api declares no secrets.required ([env.staging] does not inherit them)",
    ]);
  });
});

describe("the bundle size budget", () => {
  it("weighs the modules of an outdir, not the source map or wrangler's README", () => {
    const outdir = mkdtempSync(join(tmpdir(), "ops-bundle-"));
    writeFileSync(join(outdir, "index.js"), "x".repeat(1000));
    writeFileSync(join(outdir, "index.js.map"), "y".repeat(5000));
    writeFileSync(join(outdir, "README.md"), "z".repeat(5000));
    const size = bundleSize(outdir);
    expect(size.rawBytes).toBe(1000);
    expect(size.gzipBytes).toBeGreaterThan(0);
    expect(size.gzipBytes).toBeLessThan(100);
  });

  it("fails a bundle over either budget and passes one under both", () => {
    const budget = { rawBytes: 1000, gzipBytes: 100 };
    expect(budgetProblems("staging: media", { rawBytes: 900, gzipBytes: 90 }, budget)).toEqual([]);
    expect(budgetProblems("staging: media", { rawBytes: 2048, gzipBytes: 90 }, budget)).toEqual([
      "staging: media: 2.0 KiB raw exceeds the budget of 1.0 KiB",
    ]);
    expect(budgetProblems("staging: media", { rawBytes: 900, gzipBytes: 101 }, budget)).toHaveLength(1);
  });
});

describe("committed throwaway secrets (.dev.vars.example)", () => {
  it("are all long enough as committed", () => {
    expect(committedSecretProblems(parseEnv(readFileSync(".dev.vars.example", "utf8")), ".dev.vars.example")).toEqual(
      [],
    );
  });

  it("fail on an ADMIN_TOKEN or a media signing secret under 32 bytes, and ignore other names", () => {
    expect(
      committedSecretProblems(
        {
          ADMIN_TOKEN: "local-dev-admin-token",
          MEDIA_TOKEN_SECRET_V1: "short",
          MEDIA_TOKEN_SECRET_V2: "x".repeat(32),
          BACKEND_AUTH_TOKEN: "short-is-the-backend's-business",
        },
        "f",
      ),
    ).toEqual([
      "f: ADMIN_TOKEN must be at least 32 bytes (this one has 21): it unlocks /_sign and /_status",
      "f: MEDIA_TOKEN_SECRET_V1 must be at least 32 bytes",
    ]);
  });
});

import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { ROUTE_TABLE, routeFor, runWorkerFirstPatterns } from "../../shared/routes";
import routerConfigText from "../../wrangler.router.toml?raw";

describe("the route table", () => {
  it.each([
    ["/media", "MEDIA"],
    ["/media/v1/abc.def.ghi", "MEDIA"],
    ["/media/", "MEDIA"],
    ["/api", "API"],
    ["/api/v1/users?x=1", "API"],
    ["/_health", "ROUTER"],
    ["/_anything", "ROUTER"],
    ["/assets/app.js", "BUILD_ASSETS"],
  ])("gives %s to %s", (path, target) => {
    expect(routeFor(path)?.target).toBe(target);
  });

  it.each(["/", "/index.html", "/mediafoo", "/apis", "/some/client/route", "/assetsx/app.js", "/x/_health"])(
    "leaves %s to the static assets",
    (path) => {
      expect(routeFor(path)).toBeUndefined();
    },
  );

  it("derives run_worker_first patterns: segment prefixes own the bare path and everything below it", () => {
    expect(runWorkerFirstPatterns()).toEqual(["/media", "/media/*", "/api", "/api/*", "/_*", "/assets", "/assets/*"]);
  });
});

interface AssetsConfig {
  run_worker_first?: string[];
  not_found_handling?: string;
}
interface ServiceConfig {
  binding: string;
  service: string;
}
interface RouterConfig {
  name: string;
  assets?: AssetsConfig;
  services?: ServiceConfig[];
  env?: Record<string, { assets?: AssetsConfig; services?: ServiceConfig[] }>;
}

const routerConfig = parse(routerConfigText) as unknown as RouterConfig;
const environments = Object.entries(routerConfig.env ?? {});

describe("wrangler.router.toml agrees with the route table", () => {
  it("has the staging and production environments", () => {
    expect(environments.map(([name]) => name).sort()).toEqual(["production", "staging"]);
  });

  const assetsByPlace: Array<[string, AssetsConfig | undefined]> = [
    ["top level", routerConfig.assets],
    ...environments.map(([name, env]): [string, AssetsConfig | undefined] => [name, env.assets]),
  ];
  const servicesByPlace: Array<[string, string, ServiceConfig[] | undefined]> = [
    ["top level", "", routerConfig.services],
    ...environments.map(([name, env]): [string, string, ServiceConfig[] | undefined] => [
      name,
      `-${name}`,
      env.services,
    ]),
  ];

  it.each(assetsByPlace)("%s: run_worker_first is exactly the table's patterns, in SPA mode", (_where, assets) => {
    expect(assets?.run_worker_first).toEqual(runWorkerFirstPatterns());
    expect(assets?.not_found_handling).toBe("single-page-application");
  });

  it.each(servicesByPlace)(
    "%s: binds every service target of the table to that environment's Worker",
    (_where, suffix, services) => {
      const targets = [
        ...new Set(ROUTE_TABLE.map((route) => route.target).filter((target) => target === "MEDIA" || target === "API")),
      ];
      for (const target of targets) {
        const binding = services?.find((service) => service.binding === target);
        expect(binding?.service).toBe(`gateway-${target.toLowerCase()}${suffix}`);
      }
    },
  );
});

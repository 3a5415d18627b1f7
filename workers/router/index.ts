/**
 * The router Worker: the public entry. It owns the hostname, decides the
 * request id, and hands each path to its owner from the route table
 * (shared/routes.ts): a service binding, its own endpoints, or the SPA.
 *
 * `/media` and `/api` are forwarded before any app runs: the services answer
 * with the request id themselves, so their responses (streams, 101s) pass
 * through untouched, and the hop stays the cheapest path. Everything the
 * router answers itself is the Hono app below, built once per isolate.
 */
import { Hono } from "hono/tiny";
import type { MiddlewareHandler } from "hono";
import type { RequestContext } from "../../shared/context";
import { requestContext } from "../../shared/context";
import { errorResponse } from "../../shared/errors";
import { createLogger } from "../../shared/log";
import type { RouteKind } from "../../shared/metrics";
import { RequestMetrics, recordedAnswer } from "../../shared/metrics";
import { decideRequestId, withRequestId } from "../../shared/request-id";
import type { OwnedRoute } from "../../shared/routes";
import { routeFor } from "../../shared/routes";
import { isOperator } from "./admin";
import { forwardToService } from "./forward";
import { healthResponse } from "./health";
import { operatorOnly, signResponse, statusResponse } from "./operator";
import { serveBuildAsset } from "./static";

const log = createLogger("router");

interface RouterApp {
  Bindings: RouterEnv;
  Variables: { call: RequestContext; operator: boolean };
}

/**
 * The router's own endpoints under `/_` and its static answers. Every answer,
 * an exception's included, leaves with the request id from `entry`.
 */
const app = new Hono<RouterApp>();

/** The request's context, once; the request id on whatever answers, and its one data point. */
const entry: MiddlewareHandler<RouterApp> = async (c, next) => {
  const call = contextOf(c.req.raw, c.env, routeFor(new URL(c.req.url).pathname));
  c.set("call", call);
  await next();
  c.res = call.metrics.answered(withRequestId(c.res, call.requestId, "fetched"));
};

/** Operators only (`Authorization: Bearer <ADMIN_TOKEN>`): anyone else gets the 401 of operatorOnly(). */
const operatorsOnly: MiddlewareHandler<RouterApp> = async (c, next) => {
  if (!c.var.operator) return operatorOnly(c.var.call.requestId);
  await next();
};

/** Whether the caller is an operator, for endpoints that answer everyone but show operators more. */
const readOperator: MiddlewareHandler<RouterApp> = async (c, next) => {
  c.set("operator", await isOperator(c.req.raw, c.env.ADMIN_TOKEN));
  await next();
};

/** An endpoint's other methods: a JSON 405 naming the ones it answers. */
function methodNotAllowed(allowed: readonly string[]): (c: { var: RouterApp["Variables"] }) => Response {
  return (c) =>
    errorResponse(405, "method_not_allowed", `Use ${allowed[0] ?? "GET"}.`, c.var.call.requestId, {
      Allow: allowed.join(", "),
    });
}

app.use(entry);
// GET routes answer HEAD too (hono strips the body).
app.get("/_health", readOperator, (c) => healthResponse(c.env, c.var.call, c.var.operator));
app.get("/_status", readOperator, operatorsOnly, (c) => statusResponse(c.env, c.var.call));
app.post("/_sign", readOperator, operatorsOnly, (c) => signResponse(c.req.raw, c.env.MEDIA_CONTROL, c.var.call));
app.all("/_health", methodNotAllowed(["GET", "HEAD"]));
app.all("/_status", methodNotAllowed(["GET", "HEAD"]));
app.all("/_sign", methodNotAllowed(["POST"]));
app.all("*", (c) => {
  const route = routeFor(new URL(c.req.url).pathname);
  // Called directly (the asset layer answers these paths itself in production): the SPA.
  if (route === undefined) return c.env.ASSETS.fetch(c.req.raw);
  if (route.target === "BUILD_ASSETS") return serveBuildAsset(c.env.ASSETS, c.req.raw, c.var.call.requestId);
  return errorResponse(404, "not_found", "No such gateway endpoint.", c.var.call.requestId);
});
app.onError((error, c) => {
  c.var.call.log.error("router-failed", { reason: error.name });
  return errorResponse(500, "internal_error", "The gateway failed to answer.", c.var.call.requestId);
});

/**
 * A plain handler object, not a WorkerEntrypoint class: nothing calls the
 * router over RPC (it only calls its services), and the class costs an
 * instance per request.
 */
export default {
  async fetch(request: Request, env: RouterEnv, ctx?: ExecutionContext): Promise<Response> {
    const route = routeFor(new URL(request.url).pathname);
    if (route?.target !== "MEDIA" && route?.target !== "API") return app.fetch(request, env, ctx);
    const call = contextOf(request, env, route);
    const service = env[route.target];
    return recordedAnswer(call.metrics, () => forwardToService(service, route.target, request, call));
  },
} satisfies ExportedHandler<RouterEnv>;

/** One request's context: the id the router decides (a well-formed client id, else a new one), its logger and data point. */
function contextOf(request: Request, env: RouterEnv, route: OwnedRoute | undefined): RequestContext {
  const metrics = new RequestMetrics(env.METRICS, "router", env.VERSION, request.method, routeKindOf(route));
  return requestContext(decideRequestId(request.headers), log, metrics);
}

/** The data point's route kind of a route-table entry (undefined: the SPA). */
function routeKindOf(route: OwnedRoute | undefined): RouteKind {
  switch (route?.target) {
    case undefined:
      return "spa";
    case "MEDIA":
      return "forward-media";
    case "API":
      return "forward-api";
    case "BUILD_ASSETS":
      return "build-asset";
    case "ROUTER":
      return "endpoint";
  }
}

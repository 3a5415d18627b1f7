/**
 * The router Worker: the public entry. It owns the hostname, decides the
 * request id, and hands each path to its owner from the route table
 * (shared/routes.ts): a service binding, its own endpoints, or the SPA.
 */
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

/** What an endpoint handler gets: the request, the router's Env, the request id, and whether the caller is an operator. */
interface EndpointCall {
  request: Request;
  env: RouterEnv;
  requestId: string;
  operator: boolean;
}

/** One of the router's own endpoints: the methods it answers, who may call it, and its handler. */
interface OwnEndpoint {
  methods: readonly string[];
  /** `operator`: callers without the admin token get the 401 of operatorOnly(). */
  access: "public" | "operator";
  answer(call: EndpointCall): Promise<Response>;
}

/** The router's own endpoints under `/_`: /_health for everyone (versions for operators), /_status and /_sign for operators. */
const OWN_ENDPOINTS: Readonly<Record<string, OwnEndpoint>> = {
  "/_health": {
    methods: ["GET", "HEAD"],
    access: "public",
    answer: (call) => healthResponse(call.env, call.requestId, call.operator, log),
  },
  "/_status": {
    methods: ["GET", "HEAD"],
    access: "operator",
    answer: (call) => statusResponse(call.env, call.requestId, log),
  },
  "/_sign": {
    methods: ["POST"],
    access: "operator",
    answer: (call) => signResponse(call.request, call.env.MEDIA_CONTROL, call.requestId, log),
  },
};

/**
 * A plain handler object, not a WorkerEntrypoint class: nothing calls the
 * router over RPC (it only calls its services), and the class costs an
 * instance per request.
 */
export default {
  fetch(request: Request, env: RouterEnv): Promise<Response> {
    const requestId = decideRequestId(request.headers);
    const { pathname } = new URL(request.url);
    const route = routeFor(pathname);
    const metrics = new RequestMetrics(env.METRICS, "router", env.VERSION, request.method, routeKindOf(route));
    // The services answer with the request id themselves: their responses (streams, 101s) pass through untouched.
    if (route?.target === "MEDIA" || route?.target === "API") {
      const service = env[route.target];
      return recordedAnswer(metrics, () => forwardToService(service, route.target, request, requestId, log, metrics));
    }
    return recordedAnswer(metrics, () =>
      answerHere(request, env, route, pathname, requestId).then((response) =>
        withRequestId(response, requestId, "fetched"),
      ),
    );
  },
} satisfies ExportedHandler<RouterEnv>;

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

/** What the router answers itself: the SPA (when called directly), its own endpoints, the build output. */
function answerHere(
  request: Request,
  env: RouterEnv,
  route: OwnedRoute | undefined,
  pathname: string,
  requestId: string,
): Promise<Response> {
  if (route === undefined) return env.ASSETS.fetch(request);
  if (route.target === "BUILD_ASSETS") return serveBuildAsset(env.ASSETS, request, requestId);
  return ownEndpoint(request, env, pathname, requestId);
}

/** The router's own endpoints, from OWN_ENDPOINTS: 404 for an unknown one, 405 for another method, 401 for a non-operator. */
async function ownEndpoint(request: Request, env: RouterEnv, pathname: string, requestId: string): Promise<Response> {
  const endpoint = Object.hasOwn(OWN_ENDPOINTS, pathname) ? OWN_ENDPOINTS[pathname] : undefined;
  if (endpoint === undefined) return errorResponse(404, "not_found", "No such gateway endpoint.", requestId);
  if (!endpoint.methods.includes(request.method)) {
    const allow = endpoint.methods.join(", ");
    return errorResponse(405, "method_not_allowed", `Use ${endpoint.methods[0] ?? "GET"}.`, requestId, {
      Allow: allow,
    });
  }
  const operator = await isOperator(request, env.ADMIN_TOKEN);
  if (endpoint.access === "operator" && !operator) return operatorOnly(requestId);
  return endpoint.answer({ request, env, requestId, operator });
}

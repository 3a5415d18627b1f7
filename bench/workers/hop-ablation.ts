/**
 * The router's hop taken apart (a profile by ablation): each Worker instance
 * runs the bare forwarder plus ONE of the router's per-request steps, with
 * the router's own functions, so the bench can show which step costs what.
 * `STEP` (a binding) picks the step:
 * - `route`: decide the request id, parse the URL, look up the route table;
 * - `trust`: rebuild the request without gateway-only headers, with the id set;
 * - `rewrap`: wrap the service's response to add X-Request-Id.
 * The real router (all three, plus its error handling) runs beside them.
 */
import { decideRequestId } from "../../shared/request-id";
import { routeFor } from "../../shared/routes";
import { trustedRequest, withRequestId } from "../../workers/router/forward";

interface HopAblationEnv {
  MEDIA: Fetcher;
  STEP: "route" | "trust" | "rewrap";
}

/** A fixed, well-formed id where a step skips the decision, so only the named step runs. */
const FIXED_REQUEST_ID = "bench-request-id";

export default {
  async fetch(request, env): Promise<Response> {
    const step = env.STEP;
    let requestId = FIXED_REQUEST_ID;
    if (step === "route") {
      requestId = decideRequestId(request.headers);
      const route = routeFor(new URL(request.url).pathname);
      if (route === undefined) return new Response("not routed", { status: 404 });
    }
    const forwarded = step === "trust" ? trustedRequest(request, requestId) : request;
    const response = await env.MEDIA.fetch(forwarded);
    return step === "rewrap" ? withRequestId(response, requestId) : response;
  },
} satisfies ExportedHandler<HopAblationEnv>;

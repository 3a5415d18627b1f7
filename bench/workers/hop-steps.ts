/**
 * The router's per-request steps, each run N times inside one request, with
 * the router's own functions: `GET /?step=<step>&n=<N>`. Repeating a step
 * thousands of times makes its CPU cost stand out from the request's own, so
 * the bench can say which step of the hop costs what (the client reads
 * workerd's CPU time around a batch: timers do not advance during CPU work).
 *
 * - `none`: the loop alone (the baseline that is subtracted);
 * - `id`: decide the request id (keep a well-formed one or make a UUID);
 * - `route`: parse the URL and look the path up in the route table;
 * - `trust`: rebuild the request without gateway-only headers, with the id set;
 * - `response`: build a media-like response (the input `rewrap` needs, subtracted from it);
 * - `rewrap`: build that response, then wrap it to add X-Request-Id;
 * - `log`: one allow-listed JSON log line like the media Worker's per-request
 *   `media-served` (not a router step: it prices the media Worker's own cost).
 */
import { createLogger } from "../../shared/log";
import { decideRequestId, withRequestId } from "../../shared/request-id";
import { routeFor } from "../../shared/routes";
import { trustedRequest } from "../../workers/router/forward";

const STEPS = ["none", "id", "route", "trust", "response", "rewrap", "log"] as const;
type Step = (typeof STEPS)[number];

const log = createLogger("media");

function isStep(value: string | null): value is Step {
  return STEPS.some((step) => step === value);
}

/** The headers the media Worker sends with a cached 64 KiB hit. */
function mediaLikeResponse(): Response {
  return new Response(null, {
    headers: {
      "Accept-Ranges": "bytes",
      "Cache-Control": "public, max-age=3600",
      "Content-Length": "65536",
      "Content-Type": "video/mp4",
      ETag: '"9cc60713923528a1dd94e1c1ab0ebc9e"',
      "Last-Modified": "Mon, 23 Nov 2026 05:03:00 GMT",
      "Server-Timing": "cache;desc=hit, cache-io;dur=1",
      "X-Content-Type-Options": "nosniff",
      "X-Served-From": "main",
    },
  });
}

export default {
  fetch(request): Response {
    const url = new URL(request.url);
    const step = url.searchParams.get("step");
    const count = Number(url.searchParams.get("n") ?? "1");
    if (!isStep(step) || !Number.isInteger(count) || count < 1)
      return new Response("step=<step>&n=<count>", { status: 400 });
    let sink = 0;
    for (let i = 0; i < count; i++) {
      if (step === "id") sink += decideRequestId(request.headers).length;
      else if (step === "route") sink += routeFor(new URL(request.url).pathname)?.prefix.length ?? 0;
      else if (step === "trust") sink += trustedRequest(request, "bench-request-id").method.length;
      else if (step === "response") sink += mediaLikeResponse().status;
      else if (step === "rewrap") sink += withRequestId(mediaLikeResponse(), "bench-request-id", "fetched").status;
      else if (step === "log") {
        log.info("media-served", {
          requestId: "3f1c2b9e-5d4a-4e8f-9b7c-1a2b3c4d5e6f",
          method: "GET",
          path: "/media/v1/:token",
          bucket: "media",
          keyHint: "bench/64k…4.mp4",
          kid: "v1",
          status: 200,
          cache: "hit",
          servedFrom: "main",
          bytes: 65536,
          durationMs: 1,
        });
        sink += 1;
      } else sink += i & 1;
    }
    return new Response(String(sink));
  },
} satisfies ExportedHandler;

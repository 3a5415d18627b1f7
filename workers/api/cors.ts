/**
 * CORS, off by default: the SPA and the API share one origin, so browsers
 * need none. API_CORS_ORIGINS lists the other origins allowed to call the
 * API (preflights included); every other origin gets no CORS headers and is
 * blocked by the browser. hono/cors does the header work.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { REQUEST_ID_HEADER } from "../../shared/request-id";
import type { ProxySettings } from "./settings";

/** What answers an allowed request once CORS is applied. */
export type ApiHandler = (request: Request) => Promise<Response>;

/** How long a browser may cache a preflight answer (seconds). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The per-request handler reaches the cached app as its Hono env. */
type CorsApp = Hono<{ Bindings: { handle: ApiHandler } }>;

const apps = new WeakMap<ProxySettings, CorsApp>();

/** Answers the request through hono/cors for the allow-listed origins (the app is built once per settings). */
export async function withCors(settings: ProxySettings, request: Request, handle: ApiHandler): Promise<Response> {
  let app = apps.get(settings);
  if (!app) {
    app = new Hono();
    app.use(
      cors({
        origin: [...settings.corsOrigins],
        // Cookies and Authorization are the API's credentials; the allow-list is explicit, so they may flow.
        credentials: true,
        allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        exposeHeaders: [REQUEST_ID_HEADER, "Retry-After"],
        maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      }),
    );
    app.all("*", (c) => c.env.handle(c.req.raw));
    apps.set(settings, app);
  }
  return app.fetch(request, { handle });
}

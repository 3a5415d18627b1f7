/**
 * The api's CORS policy, off by default: the SPA and the API share one
 * origin, so browsers need none. API_CORS_ORIGINS lists the other origins
 * allowed to call the API (preflights included); every other origin gets no
 * grant and is blocked by the browser. shared/cors.ts does the header work.
 */
import type { CorsPolicy } from "../../shared/cors";
import { corsPolicy } from "../../shared/cors";
import { REQUEST_ID_HEADER } from "../../shared/request-id";

export const API_CORS: CorsPolicy = corsPolicy({
  allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
  // Cookies and Authorization are the API's credentials; the allow-list is explicit, so they may flow.
  credentials: true,
  exposeHeaders: [REQUEST_ID_HEADER, "Retry-After"],
  maxAgeSeconds: 600,
});

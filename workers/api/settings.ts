/**
 * The api Worker's settings, read from its vars once per Env object (an
 * isolate keeps the same Env across requests, so this is parsed once, not per
 * request). docs/api.md has the table of settings.
 */
import { parseOriginList } from "../../shared/origins";
import { numberSetting, parsedPerEnv } from "../../shared/per-env";

export interface ProxySettings {
  /** The backend's origin (`https://backend.example.com`). */
  backendOrigin: string;
  /** A path BACKEND_URL puts in front of every request path, without a trailing slash; usually "". */
  backendBasePath: string;
  /** `/api/users` is forwarded as `/users`. */
  stripApiPrefix: boolean;
  /** Header that carries BACKEND_AUTH_TOKEN (lower case, as Headers iterates). */
  authHeader: string;
  authToken: string;
  headersTimeoutMs: number;
  websockets: boolean;
  /** API_CORS_ORIGINS; empty: same origin only, no CORS at all. */
  corsOrigins: ReadonlySet<string>;
  /** API_ALLOW_ENCODED_SLASHES: `%2F` in an /api path is forwarded instead of refused (path-rules.ts). */
  allowEncodedSlashes: boolean;
  /** 0 when off. */
  heartbeatSeconds: number;
  /** The rate limiter's period, for Retry-After (the binding does not say it). */
  rateLimitPeriodSeconds: number;
}

/** The vars this module reads: plain strings, whatever literal types `wrangler types` generated. */
export interface ProxyVars {
  BACKEND_URL: string;
  STRIP_API_PREFIX: string;
  BACKEND_AUTH_HEADER: string;
  BACKEND_AUTH_TOKEN: string;
  BACKEND_HEADERS_TIMEOUT_MS: string;
  WEBSOCKETS: string;
  API_CORS_ORIGINS: string;
  API_ALLOW_ENCODED_SLASHES: string;
  SSE_HEARTBEAT_SECONDS: string;
  RATE_LIMIT_PERIOD_SECONDS: string;
}

const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
const DEFAULT_RATE_LIMIT_PERIOD_SECONDS = 60;

/** The settings for this Env, parsed on first use. A malformed BACKEND_URL throws (a deploy mistake, not a client's). */
export const proxySettings: (vars: ProxyVars) => ProxySettings = parsedPerEnv((vars: ProxyVars) => parseSettings(vars));

/** Parses the vars (uncached; tests use it to try other settings). */
export function parseSettings(vars: ProxyVars): ProxySettings {
  const backend = new URL(vars.BACKEND_URL);
  return {
    backendOrigin: backend.origin,
    // A URL's pathname is never empty ("/" at least), so the base is kept as a string.
    backendBasePath: backend.pathname.replace(/\/+$/, ""),
    stripApiPrefix: vars.STRIP_API_PREFIX === "true",
    authHeader: (vars.BACKEND_AUTH_HEADER || "X-Proxy-Token").toLowerCase(),
    authToken: vars.BACKEND_AUTH_TOKEN,
    headersTimeoutMs: positiveNumber(vars.BACKEND_HEADERS_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS),
    websockets: vars.WEBSOCKETS !== "false",
    corsOrigins: new Set(parseOriginList(vars.API_CORS_ORIGINS)),
    allowEncodedSlashes: vars.API_ALLOW_ENCODED_SLASHES === "true",
    heartbeatSeconds: positiveNumber(vars.SSE_HEARTBEAT_SECONDS, 0),
    rateLimitPeriodSeconds: positiveNumber(vars.RATE_LIMIT_PERIOD_SECONDS, DEFAULT_RATE_LIMIT_PERIOD_SECONDS),
  };
}

function positiveNumber(text: string | undefined, fallback: number): number {
  const value = numberSetting(text);
  return value !== undefined && value > 0 ? value : fallback;
}

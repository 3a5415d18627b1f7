/**
 * `npm run purge -- <bkt>/<key> […]`: after an object is overwritten in R2,
 * purges its edge-cache copies in every data center by their Cache-Tag
 * (`<bkt>/<key>`, shared/cache-tag.ts), through the zone's purge API.
 * (`cache.delete` in a Worker reaches only the data center it runs in.)
 *
 *   CLOUDFLARE_ZONE_ID    the zone that holds the gateway's hostname
 *   CLOUDFLARE_API_TOKEN  a token with Zone > Cache Purge > Purge on that zone
 *   --dry-run             print the request (token redacted), send nothing
 *
 * CLOUDFLARE_API_BASE_URL overrides https://api.cloudflare.com/client/v4 (tests point it at a local server).
 */
import { parseArgs } from "node:util";
import { cacheTagFor } from "../shared/cache-tag.ts";
import { runScript, UsageError } from "./commands.ts";

const USAGE =
  "usage: npm run purge -- <bkt>/<key> [<bkt>/<key> …] [--dry-run]   (env: CLOUDFLARE_ZONE_ID, CLOUDFLARE_API_TOKEN)";
const DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4";
/** The purge API takes at most this many tags per request. */
export const MAX_TAGS_PER_REQUEST = 30;

export interface PurgeRequest {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

/** The Cache-Tag for `<bkt>/<key>` as the media Worker stored it. */
export function tagForObject(target: string): string {
  const slash = target.indexOf("/");
  if (slash <= 0 || slash === target.length - 1) throw new UsageError(`"${target}" is not <bkt>/<key>`);
  return cacheTagFor(target.slice(0, slash), target.slice(slash + 1));
}

/** One purge-by-tag request to the zone's purge_cache endpoint. */
export function purgeRequest(
  zoneId: string,
  apiToken: string,
  tags: readonly string[],
  baseUrl: string = DEFAULT_API_BASE_URL,
): PurgeRequest {
  return {
    url: `${baseUrl.replace(/\/+$/, "")}/zones/${zoneId}/purge_cache`,
    method: "POST",
    headers: { Authorization: `Bearer ${apiToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ tags }),
  };
}

interface PurgeApiAnswer {
  success?: boolean;
  errors?: Array<{ code?: number; message?: string }>;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "dry-run": { type: "boolean" } },
  });
  if (positionals.length === 0) throw new UsageError("name at least one <bkt>/<key>");
  const tags = positionals.map(tagForObject);
  const dryRun = values["dry-run"] === true;
  const zoneId = process.env.CLOUDFLARE_ZONE_ID ?? "";
  const apiToken = process.env.CLOUDFLARE_API_TOKEN ?? "";
  if (!dryRun && (zoneId === "" || apiToken === ""))
    throw new UsageError("set CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN (or use --dry-run)");
  // A zone id is 32 hex characters; anything else would put a path into the URL.
  if (zoneId !== "" && !/^[0-9a-f]{32}$/.test(zoneId))
    throw new UsageError("CLOUDFLARE_ZONE_ID is not a zone id (32 hex characters)");
  const baseUrl = process.env.CLOUDFLARE_API_BASE_URL ?? DEFAULT_API_BASE_URL;

  for (let start = 0; start < tags.length; start += MAX_TAGS_PER_REQUEST) {
    const request = purgeRequest(
      zoneId || "<CLOUDFLARE_ZONE_ID>",
      apiToken,
      tags.slice(start, start + MAX_TAGS_PER_REQUEST),
      baseUrl,
    );
    if (dryRun) {
      console.log(`would send: ${request.method} ${request.url}`);
      console.log("  Authorization: Bearer <CLOUDFLARE_API_TOKEN, not shown>");
      console.log(`  Content-Type: ${request.headers["Content-Type"] ?? ""}`);
      console.log(`  ${request.body}`);
      continue;
    }
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
    const answer = (await response.json().catch(() => ({}))) as PurgeApiAnswer;
    if (!response.ok || answer.success !== true) {
      const reasons = (answer.errors ?? [])
        .map((error) => `${error.code ?? "?"} ${error.message ?? ""}`.trim())
        .join("; ");
      throw new Error(`purge: the API answered ${response.status}${reasons === "" ? "" : `: ${reasons}`}`);
    }
    console.log(`purge: purged ${request.body}`);
  }
}

if (import.meta.main) await runScript(USAGE, main);

/**
 * Static assets (the SPA). The asset layer answers every path outside
 * run_worker_first before this Worker runs, with the SPA shell for client
 * routes. The router sees build output (/assets/) so that a miss there is a
 * 404 rather than the shell.
 */
import { errorResponse } from "../../shared/errors";

/** Serves a file under /assets/; a miss is a JSON 404, never the SPA shell. */
export async function serveBuildAsset(assets: Fetcher, request: Request, requestId: string): Promise<Response> {
  const response = await assets.fetch(request);
  if (!isSpaShell(response)) return response;
  await response.body?.cancel();
  return errorResponse(
    404,
    "not_found",
    "No such build asset: the page that asked for it is older than the deploy.",
    requestId,
  );
}

/** Build output is never HTML, so HTML here is the SPA fallback answering a miss. */
function isSpaShell(response: Response): boolean {
  return response.ok && (response.headers.get("Content-Type") ?? "").startsWith("text/html");
}

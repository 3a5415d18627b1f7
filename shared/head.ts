/**
 * HEAD through a Hono app. hono dispatches a HEAD as a GET and re-makes that
 * answer without its body; media and api answer HEAD themselves (their routes
 * read the request's own method, and a tus HEAD is not a GET), so the answer
 * their route built is the one returned, as it was built, not a copy.
 */
const finishedHeads = new WeakMap<Request, Response>();

/** A route's answer, kept (for a HEAD only) to be the one appAnswer returns. */
export async function keptHeadAnswer(request: Request, answer: Response | Promise<Response>): Promise<Response> {
  const response = await answer;
  if (request.method === "HEAD") finishedHeads.set(request, response);
  return response;
}

/** The app's answer to `request`: for a HEAD, the one its route built. */
export function appAnswer(request: Request, answer: Response | Promise<Response>): Response | Promise<Response> {
  if (request.method !== "HEAD") return answer;
  return Promise.resolve(answer).then((response) => finishedHeads.get(request) ?? response);
}

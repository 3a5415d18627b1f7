/** The answer: headers in one record and the body, from the representation and the decided answer. */
import { contentRange } from "../http-semantics";
import { attachmentDisposition, cacheControlFor } from "../policy";
import type { CacheStatus, Delivery, DeliveryRequest, Prepared } from "./model";

/** Builds the answer's headers (in one record, handed to the Response once) and body from the representation and the decision. */
export function respond(
  delivery: DeliveryRequest,
  prepared: Prepared,
  serverTiming: string,
  cacheStatus: CacheStatus,
): Omit<Delivery, "storageMs"> {
  const { key, request, config } = delivery;
  const { representation, answer } = prepared;
  const headers: Record<string, string> = {
    "Accept-Ranges": "bytes",
    ETag: representation.etag,
    "Last-Modified": representation.lastModified,
    "Cache-Control": cacheControlFor(key, representation.servedFrom, config.settings),
    "X-Served-From": representation.servedFrom,
    "Server-Timing": serverTiming,
  };
  const result = (status: number, body: ReadableStream | null, bytes: number): Omit<Delivery, "storageMs"> => ({
    response: new Response(body, { status, headers }),
    cache: cacheStatus,
    servedFrom: representation.servedFrom,
    bytes,
    // A 304's headers update the browser's stored answer: they must not sandbox an inline one.
    inline: representation.type.inline && status !== 412 && status !== 416,
  });

  if (answer.kind === "not-modified") return result(304, null, 0);
  if (answer.kind === "precondition-failed" || answer.kind === "unsatisfiable") {
    headers["Content-Length"] = "0";
    if (answer.kind === "unsatisfiable") headers["Content-Range"] = `bytes */${representation.size}`;
    return result(answer.kind === "unsatisfiable" ? 416 : 412, null, 0);
  }

  headers["Content-Type"] = representation.type.contentType;
  if (!representation.type.inline) headers["Content-Disposition"] = attachmentDisposition(key);
  if (delivery.contentDisposition !== undefined) headers["Content-Disposition"] = delivery.contentDisposition;
  const length = answer.kind === "partial" ? answer.length : representation.size;
  if (answer.kind === "partial")
    headers["Content-Range"] = contentRange(answer.offset, answer.length, representation.size);
  headers["Content-Length"] = String(length);
  const get = request.method === "GET";
  return result(answer.kind === "partial" ? 206 : 200, get ? prepared.body : null, get ? length : 0);
}

/** Reading the request's conditionals and Range once, and deciding the answer from them and the representation (RFC 9110, by http-semantics.ts). */
import type { RangeSpec, Validators } from "../http-semantics";
import {
  conditionalHeaders,
  evaluatePreconditions,
  ifRangeAllowsRange,
  parseRangeSpec,
  resolveRange,
} from "../http-semantics";
import type { Answer, Asks, DeliveryRequest, Representation } from "./model";
import { FULL } from "./model";

/** The validators the RFC 9110 rules compare, parsed only for a request that has conditions. */
function validatorsOf(representation: Representation): Validators {
  return { etag: representation.etag, lastModified: new Date(representation.lastModified) };
}

/** Reads the request's conditionals and Range once. */
export function asksOf(request: Request): Asks {
  const { headers } = request;
  const conditions = conditionalHeaders(headers);
  const range: RangeSpec = request.method === "GET" ? parseRangeSpec(headers.get("Range")) : { kind: "whole" };
  return {
    conditions,
    conditional:
      conditions.ifMatch !== null ||
      conditions.ifNoneMatch !== null ||
      conditions.ifModifiedSince !== null ||
      conditions.ifUnmodifiedSince !== null,
    range,
    // If-Range only qualifies a range: without one it is never read.
    ifRange: range.kind === "whole" ? null : headers.get("If-Range"),
  };
}

/** §13.2.2 preconditions, then If-Range, then Range (GET only: a HEAD answers as the full GET would). */
export function decideAnswer(asks: Asks, representation: Representation): Answer {
  if (asks.conditional) {
    const outcome = evaluatePreconditions(asks.conditions, validatorsOf(representation));
    if (outcome !== "proceed") return { kind: outcome };
  }
  if (asks.range.kind === "whole") return FULL;
  if (asks.ifRange !== null && !ifRangeAllowsRange(asks.ifRange, validatorsOf(representation))) return FULL;
  return resolveRange(asks.range, representation.size);
}

/** Whether the request asks anything that needs the object's metadata before its body. */
export function needsMetadataFirst(delivery: DeliveryRequest): boolean {
  return delivery.request.method !== "GET" || delivery.asks.conditional || delivery.request.headers.has("Range");
}

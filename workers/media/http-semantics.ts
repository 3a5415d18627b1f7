/**
 * RFC 9110 range and precondition rules as pure functions over parsed values.
 * The Worker decides every conditional here: neither R2's `onlyIf`/`range`
 * nor the Cache API ever sees a client's raw headers (R2 throws on a malformed
 * ETag; the Cache API applies some conditionals itself and ignores If-Range).
 */

/** The validators of one stored representation. */
export interface Validators {
  /** Strong entity tag with quotes, as R2's `httpEtag`: `"abc"`. */
  etag: string;
  lastModified: Date;
}

/** What a Range header asks of a representation of a known size. */
export type RangeDecision =
  /** No Range, a malformed one, another unit or several ranges: answer the whole representation. */
  | { kind: "full" }
  /** One satisfiable range, clamped to the representation: answer 206. */
  | { kind: "partial"; offset: number; length: number }
  /** A well-formed range that selects nothing: answer 416 with `Content-Range: bytes *\/size`. */
  | { kind: "unsatisfiable" };

/**
 * A Range header read without the representation: the one byte range it asks
 * for, or `whole` (no Range, a malformed one, another unit or several ranges).
 */
export type RangeSpec =
  | { kind: "whole" }
  /** `first-last` or `first-` (last undefined). */
  | { kind: "from"; first: number; last: number | undefined }
  /** `-length`: the last `length` bytes. */
  | { kind: "suffix"; length: number };

const WHOLE: RangeSpec = { kind: "whole" };

// RFC 9110 §14.1.2: ranges-specifier = range-unit "=" range-set, with OWS around list commas.
const BYTE_RANGE_SPEC = /^(?:([0-9]+)-([0-9]*)|-([0-9]+))$/;

/**
 * Reads `Range` (RFC 9110 §14.2) as far as it can be read without the size.
 * Several ranges get the whole representation (a server may ignore Range,
 * and one 200 is cheaper for everyone than multipart/byteranges).
 */
export function parseRangeSpec(header: string | null): RangeSpec {
  if (header === null) return WHOLE;
  const equals = header.indexOf("=");
  if (equals < 0 || header.slice(0, equals).trim().toLowerCase() !== "bytes") return WHOLE;
  const specs = header
    .slice(equals + 1)
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (specs.length !== 1 || specs[0] === undefined) return WHOLE;
  const match = BYTE_RANGE_SPEC.exec(specs[0]);
  if (match === null) return WHOLE;
  const [, first, last, suffix] = match;

  if (suffix !== undefined) {
    const length = Number(suffix);
    return Number.isSafeInteger(length) ? { kind: "suffix", length } : WHOLE;
  }
  const offset = Number(first);
  if (!Number.isSafeInteger(offset)) return WHOLE;
  if (last === undefined || last === "") return { kind: "from", first: offset, last: undefined };
  const lastPosition = Number(last);
  // §14.1.1: last-pos less than first-pos makes the spec invalid, and an invalid Range is ignored.
  if (!Number.isSafeInteger(lastPosition) || lastPosition < offset) return WHOLE;
  return { kind: "from", first: offset, last: lastPosition };
}

/** The spec against a representation of `size` bytes: clamped to it, or unsatisfiable. */
export function resolveRange(spec: RangeSpec, size: number): RangeDecision {
  if (spec.kind === "whole") return { kind: "full" };
  if (spec.kind === "suffix") {
    // §14.1.3: a suffix range is satisfiable when it is non-zero and the representation is not empty.
    if (spec.length === 0 || size === 0) return { kind: "unsatisfiable" };
    const length = Math.min(spec.length, size);
    return { kind: "partial", offset: size - length, length };
  }
  if (spec.first >= size) return { kind: "unsatisfiable" };
  const end = spec.last === undefined ? size - 1 : Math.min(spec.last, size - 1);
  return { kind: "partial", offset: spec.first, length: end - spec.first + 1 };
}

/** Parses `Range` against a representation of `size` bytes. */
export function parseRange(header: string | null, size: number): RangeDecision {
  return resolveRange(parseRangeSpec(header), size);
}

/** The spec re-serialised as one canonical `Range` value (`bytes=a-b`, `bytes=a-`, `bytes=-n`); undefined for `whole`. */
export function rangeHeaderOf(spec: RangeSpec): string | undefined {
  if (spec.kind === "whole") return undefined;
  if (spec.kind === "suffix") return `bytes=-${spec.length}`;
  return spec.last === undefined ? `bytes=${spec.first}-` : `bytes=${spec.first}-${spec.last}`;
}

const CONTENT_RANGE = /^bytes ([0-9]{1,15})-([0-9]{1,15})\/([0-9]{1,15})$/;

/** A satisfied `Content-Range` (`bytes a-b/size`, §14.4) as offset, length and size; undefined when it is anything else. */
export function parseContentRange(value: string | null): { offset: number; length: number; size: number } | undefined {
  const match = value === null ? null : CONTENT_RANGE.exec(value);
  if (match === null) return undefined;
  const [offset, last, size] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (last < offset || last >= size) return undefined;
  return { offset, length: last - offset + 1, size };
}

/** The `Content-Range` value of a partial answer. */
export function contentRange(offset: number, length: number, size: number): string {
  return `bytes ${offset}-${offset + length - 1}/${size}`;
}

interface EntityTag {
  weak: boolean;
  opaque: string;
}

// RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text.
// §5.6.1.2: a recipient must accept empty list elements (`, "a" ,, "b"`), so commas may lead each tag.
const ENTITY_TAG = /[\s,]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/y;

/** The tags of an `If-Match`/`If-None-Match` list; undefined when the list is malformed. */
function parseEntityTagList(value: string): EntityTag[] | undefined {
  const tags: EntityTag[] = [];
  ENTITY_TAG.lastIndex = 0;
  while (ENTITY_TAG.lastIndex < value.length) {
    const start = ENTITY_TAG.lastIndex;
    const match = ENTITY_TAG.exec(value);
    if (match === null) {
      // Trailing whitespace or empty list members are allowed; anything else is malformed.
      return value.slice(start).replace(/[\s,]/g, "") === "" ? tags : undefined;
    }
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? "" });
  }
  return tags;
}

function parseEntityTag(value: string): EntityTag | undefined {
  const tags = parseEntityTagList(value);
  return tags?.length === 1 ? tags[0] : undefined;
}

/** §8.8.3.2 strong comparison: both strong and the same opaque tag. */
function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** §8.8.3.2 weak comparison: the same opaque tag, either may be weak. */
function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

const MONTH_NAMES = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const DAY_NAMES = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY_NAMES = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
/**
 * §5.6.7: IMF-fixdate, rfc850-date, asctime-date, and nothing else. Date.parse
 * alone is far more lenient ("2024-01-01 12:00:00", a date without "GMT"),
 * and §13.1.3/§13.1.4 require a field that is not an HTTP-date to be ignored.
 */
const HTTP_DATE = new RegExp(
  `^(?:${DAY_NAMES}, \\d{2} ${MONTH_NAMES} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT` +
    `|${LONG_DAY_NAMES}, \\d{2}-${MONTH_NAMES}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT` +
    `|${DAY_NAMES} ${MONTH_NAMES} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4})$`,
);

/** An HTTP-date in seconds since the epoch; undefined when it is not a date (§5.6.7: then the field is ignored). */
function parseHttpDate(value: string): number | undefined {
  // Only the three HTTP-date formats; Date.parse reads each of them (asctime as UTC, which is the Workers time zone).
  if (!HTTP_DATE.test(value.trim())) return undefined;
  const milliseconds = Date.parse(value);
  return Number.isNaN(milliseconds) ? undefined : Math.floor(milliseconds / 1000);
}

function secondsOf(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** The conditional request fields, as the client sent them (absent = null). */
export interface ConditionalHeaders {
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  ifUnmodifiedSince: string | null;
}

/** Reads the four precondition fields of a request. */
export function conditionalHeaders(headers: Headers): ConditionalHeaders {
  return {
    ifMatch: headers.get("If-Match"),
    ifNoneMatch: headers.get("If-None-Match"),
    ifModifiedSince: headers.get("If-Modified-Since"),
    ifUnmodifiedSince: headers.get("If-Unmodified-Since"),
  };
}

type PreconditionOutcome = "proceed" | "not-modified" | "precondition-failed";

/**
 * RFC 9110 §13.2.2 for a GET or HEAD of an existing representation, in its
 * order: If-Match, else If-Unmodified-Since (412); If-None-Match, else
 * If-Modified-Since (304). A malformed If-Match list matches nothing (412),
 * a malformed If-None-Match list matches nothing (proceed), and a field that
 * is not a date is ignored.
 */
export function evaluatePreconditions(conditions: ConditionalHeaders, current: Validators): PreconditionOutcome {
  const currentTag = parseEntityTag(current.etag);
  const lastModified = secondsOf(current.lastModified);

  if (conditions.ifMatch !== null) {
    if (!ifMatchPasses(conditions.ifMatch, currentTag)) return "precondition-failed";
  } else if (conditions.ifUnmodifiedSince !== null) {
    const date = parseHttpDate(conditions.ifUnmodifiedSince);
    if (date !== undefined && lastModified > date) return "precondition-failed";
  }

  if (conditions.ifNoneMatch !== null) {
    if (!ifNoneMatchPasses(conditions.ifNoneMatch, currentTag)) return "not-modified";
  } else if (conditions.ifModifiedSince !== null) {
    const date = parseHttpDate(conditions.ifModifiedSince);
    if (date !== undefined && lastModified <= date) return "not-modified";
  }
  return "proceed";
}

/** §13.1.1: `*` matches any current representation; otherwise a strong match with one listed tag. */
function ifMatchPasses(value: string, current: EntityTag | undefined): boolean {
  if (value.trim() === "*") return true;
  const tags = parseEntityTagList(value);
  return current !== undefined && tags !== undefined && tags.some((tag) => strongMatch(tag, current));
}

/** §13.1.2: `*` fails for any current representation; otherwise fails on a weak match with one listed tag. */
function ifNoneMatchPasses(value: string, current: EntityTag | undefined): boolean {
  if (value.trim() === "*") return false;
  const tags = parseEntityTagList(value);
  return !(current !== undefined && tags !== undefined && tags.some((tag) => weakMatch(tag, current)));
}

/**
 * §13.1.5: whether the Range applies. An entity tag must match strongly; a
 * date must equal Last-Modified exactly; anything else (weak tag, junk)
 * means "send the whole representation".
 */
export function ifRangeAllowsRange(ifRange: string | null, current: Validators): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith("W/")) {
    const offered = parseEntityTag(value);
    const currentTag = parseEntityTag(current.etag);
    return offered !== undefined && currentTag !== undefined && strongMatch(offered, currentTag);
  }
  const date = parseHttpDate(value);
  return date !== undefined && date === secondsOf(current.lastModified);
}

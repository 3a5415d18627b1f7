/**
 * Range and conditional requests, property-based, through the real media
 * Worker and real local R2 (and its edge cache: early runs miss, later ones
 * hit). The oracle is a small model of RFC 9110 written here from the RFC,
 * independently of http-semantics.ts: for any header values and object size
 * the status is the model's, never a 5xx, and every 206 body is exactly the
 * bytes its Content-Range names.
 *
 * Where the RFC leaves a choice, the model takes the design's (docs/media.md):
 * several ranges get one full 200 (§14.2: a server MAY ignore Range), and so
 * does a numeral beyond 2^53 (§14.1: recipients must not overflow; ignoring
 * the field is always allowed).
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { bodyBytes, fetchToken, mint, patternBytes, uniqueKey } from "./test-kit";

/** Modest, so the suite stays fast: every run is one real request. */
const RUNS = 250;

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

interface StoredObject {
  token: string;
  bytes: Uint8Array;
  /** R2's httpEtag: a strong tag with quotes. */
  etag: string;
  /** Last-Modified in whole seconds since the epoch. */
  lastModified: number;
}

interface ClientRequest {
  method: "GET" | "HEAD";
  range?: string;
  ifRange?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

type Expected = { status: 200 | 304 | 412 | 416 } | { status: 206; first: number; last: number };

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
// §5.6.7: IMF-fixdate, then the two obsolete formats a recipient must also accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/** An HTTP-date in seconds, or undefined when the value is not one (the field is then ignored). */
function modelHttpDate(value: string): number | undefined {
  let day: string | undefined, month: string | undefined, year: number, time: (string | undefined)[];
  let match = IMF_FIXDATE.exec(value);
  if (match) {
    [day, month] = [match[1], match[2]];
    year = Number(match[3]);
    time = match.slice(4, 7);
  } else if ((match = RFC850_DATE.exec(value))) {
    [day, month] = [match[1], match[2]];
    // §5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const twoDigits = Number(match[3]);
    const thisYear = new Date().getUTCFullYear();
    year = 2000 + twoDigits > thisYear + 50 ? 1900 + twoDigits : 2000 + twoDigits;
    time = match.slice(4, 7);
  } else if ((match = ASCTIME_DATE.exec(value))) {
    [month, day] = [match[1], match[2]];
    year = Number(match[6]);
    time = match.slice(3, 6);
  } else {
    return undefined;
  }
  const [hours, minutes, seconds] = time.map(Number) as [number, number, number];
  const monthIndex = MONTHS.indexOf(month ?? "");
  const dayNumber = Number((day ?? "").trim());
  const milliseconds = Date.UTC(year, monthIndex, dayNumber, hours, minutes, seconds);
  // A calendar-impossible date (31 Feb, 25:00) is not a date.
  const check = new Date(milliseconds);
  if (
    check.getUTCDate() !== dayNumber ||
    check.getUTCHours() !== hours ||
    check.getUTCMinutes() !== minutes ||
    seconds > 59
  )
    return undefined;
  return milliseconds / 1000;
}

type Tag = { weak: boolean; opaque: string };

/** §8.8.3 entity-tag: optional W/, then a quoted run of etagc. */
function modelEntityTag(text: string): Tag | undefined {
  const match = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/.exec(text);
  return match ? { weak: match[1] !== undefined, opaque: match[2] ?? "" } : undefined;
}

/** `*` or a comma list of entity-tags (§5.6.1: empty elements allowed); undefined when malformed. */
function modelTagList(value: string): "*" | Tag[] | undefined {
  if (value.trim() === "*") return "*";
  const tags: Tag[] = [];
  for (const element of value.split(",").map((part) => part.trim())) {
    if (element === "") continue;
    const tag = modelEntityTag(element);
    if (tag === undefined) return undefined;
    tags.push(tag);
  }
  return tags;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** §14.1.2 and §14.2 for one object: the 206 range, 416, or undefined for "ignore Range". */
function modelRange(value: string, size: number): Expected | undefined {
  const equals = value.indexOf("=");
  if (equals < 0 || value.slice(0, equals).trim().toLowerCase() !== "bytes") return undefined;
  const specs = value
    .slice(equals + 1)
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (specs.length !== 1) return undefined;
  const spec = specs[0] ?? "";
  const numerals = /^(\d+)-(\d*)$/.exec(spec) ?? /^-(\d+)$/.exec(spec);
  if (numerals === null) return undefined;
  const values = numerals
    .slice(1)
    .filter((digits) => digits !== "")
    .map((digits) => BigInt(digits));
  if (values.some((number) => number > MAX_SAFE)) return undefined;
  const length = BigInt(size);
  if (spec.startsWith("-")) {
    const suffix = values[0] ?? 0n;
    if (suffix === 0n || length === 0n) return { status: 416 };
    const first = suffix >= length ? 0n : length - suffix;
    return { status: 206, first: Number(first), last: size - 1 };
  }
  const [first = 0n, last] = values;
  if (last !== undefined && last < first) return undefined;
  if (first >= length) return { status: 416 };
  const end = last === undefined || last >= length ? length - 1n : last;
  return { status: 206, first: Number(first), last: Number(end) };
}

/** §13.2.2: preconditions in order, then If-Range (§13.1.5), then Range for GET only (§14.2). */
function model(request: ClientRequest, object: StoredObject): Expected {
  const current = modelEntityTag(object.etag);
  if (current === undefined) throw new Error("R2 gave an ETag that is not an entity-tag");

  if (request.ifMatch !== undefined) {
    const list = modelTagList(request.ifMatch);
    const passes =
      list === "*" ||
      (list !== undefined && list.some((tag) => !tag.weak && !current.weak && tag.opaque === current.opaque));
    if (!passes) return { status: 412 };
  } else if (request.ifUnmodifiedSince !== undefined) {
    const date = modelHttpDate(request.ifUnmodifiedSince);
    if (date !== undefined && object.lastModified > date) return { status: 412 };
  }

  if (request.ifNoneMatch !== undefined) {
    const list = modelTagList(request.ifNoneMatch);
    const matches = list === "*" || (list !== undefined && list.some((tag) => tag.opaque === current.opaque));
    if (matches) return { status: 304 };
  } else if (request.ifModifiedSince !== undefined) {
    const date = modelHttpDate(request.ifModifiedSince);
    if (date !== undefined && object.lastModified <= date) return { status: 304 };
  }

  if (request.method === "HEAD" || request.range === undefined) return { status: 200 };
  if (request.ifRange !== undefined) {
    const value = request.ifRange.trim();
    const tag = modelEntityTag(value);
    const date = tag === undefined ? modelHttpDate(value) : undefined;
    const rangeApplies =
      tag !== undefined ? !tag.weak && !current.weak && tag.opaque === current.opaque : date === object.lastModified;
    if (!rangeApplies) return { status: 200 };
  }
  return modelRange(request.range, object.bytes.byteLength) ?? { status: 200 };
}

// ---------------------------------------------------------------------------
// Generators: well-formed values around the edges, near misses, and junk
// ---------------------------------------------------------------------------

const SIZES = [0, 1, 2, 100, 1024, 70_001];
const objects: StoredObject[] = [];

beforeAll(async () => {
  for (const size of SIZES) {
    const key = uniqueKey(`props-${size}.bin`);
    const bytes = patternBytes(size, size);
    const stored = await env.MEDIA_BUCKET.put(key, bytes, { httpMetadata: { contentType: "video/mp4" } });
    objects.push({
      token: await mint(key, { ttlSeconds: 3600 }),
      bytes,
      etag: stored.httpEtag,
      lastModified: Math.floor(stored.uploaded.getTime() / 1000),
    });
  }
});

const junk = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.constantFrom("", " ", ",", "*", "W/", '"', '"unterminated', "null", "\u00ff\u00fe", "-1", "1e3", "0x10"),
);

/** A byte position near the interesting edges of any object in SIZES, as a numeral. */
const position = fc.oneof(
  fc.nat({ max: 70_010 }).map(String),
  fc.constantFrom("0", "1", "2", "99", "100", "101", "1023", "1024", "70000", "70001", "00", "007"),
  fc.constantFrom("9007199254740991", "9007199254740992", "99999999999999999999"),
);

const rangeSpec = fc.oneof(
  fc.tuple(position, position).map(([a, b]) => `${a}-${b}`),
  position.map((a) => `${a}-`),
  position.map((n) => `-${n}`),
  fc.constantFrom("-", "--1", "1--2", "+1-2", "1-2-3", "a-b", " 5 - 9 ", "0-0"),
);

const rangeHeader = fc.oneof(
  { weight: 5, arbitrary: rangeSpec.map((spec) => `bytes=${spec}`) },
  rangeSpec.map((spec) => `BYTES=${spec}`),
  rangeSpec.map((spec) => `bytes= ${spec} ,`),
  fc.tuple(rangeSpec, rangeSpec).map(([a, b]) => `bytes=${a},${b}`),
  rangeSpec.map((spec) => `items=${spec}`),
  rangeSpec.map((spec) => spec),
  junk,
);

/** Entity-tag fields, built from the object's own tag so that matches actually happen. */
function tagField(object: StoredObject): fc.Arbitrary<string> {
  const opaque = object.etag.slice(1, -1);
  const single = fc.constantFrom(object.etag, `W/${object.etag}`, '"other"', 'W/"other"', `"${opaque}x"`, opaque);
  return fc.oneof(
    { weight: 3, arbitrary: single },
    fc.array(single, { minLength: 1, maxLength: 3 }).map((tags) => tags.join(", ")),
    fc.array(single, { minLength: 1, maxLength: 2 }).map((tags) => `, ${tags.join(" ,, ")} ,`),
    fc.constant("*"),
    junk,
  );
}

function imfFixdate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}
function rfc850Date(seconds: number): string {
  const date = new Date(seconds * 1000);
  const day = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"][date.getUTCDay()] ?? "";
  const two = (n: number) => String(n).padStart(2, "0");
  return `${day}, ${two(date.getUTCDate())}-${MONTHS[date.getUTCMonth()] ?? ""}-${two(date.getUTCFullYear() % 100)} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} GMT`;
}
function asctimeDate(seconds: number): string {
  const date = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  const weekday = date.toUTCString().slice(0, 3);
  return `${weekday} ${MONTHS[date.getUTCMonth()] ?? ""} ${String(date.getUTCDate()).padStart(2, " ")} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

/** Dates just before, at and after Last-Modified, in all three formats, plus junk. */
function dateField(object: StoredObject): fc.Arbitrary<string> {
  const offset = fc.constantFrom(-86_400, -1, 0, 0, 1, 86_400);
  return fc.oneof(
    { weight: 3, arbitrary: offset.map((delta) => imfFixdate(object.lastModified + delta)) },
    offset.map((delta) => rfc850Date(object.lastModified + delta)),
    offset.map((delta) => asctimeDate(object.lastModified + delta)),
    // Not "Sun, 31 Feb 2026 …": Date.parse rolls it over to March, the model ignores it; see the closing note.
    fc.constantFrom("Mon, 01 Jan 2024 25:00:00 GMT", "Mon, 01 Jan 2024 12:00:00", "yesterday", "0"),
    junk,
  );
}

const objectIndex = fc.nat({ max: SIZES.length - 1 });

function requestFor(object: StoredObject): fc.Arbitrary<ClientRequest> {
  const tags = tagField(object);
  const dates = dateField(object);
  return fc.record(
    {
      method: fc.constantFrom<"GET" | "HEAD">("GET", "GET", "HEAD"),
      range: rangeHeader,
      ifRange: fc.oneof(tags, dates),
      ifMatch: tags,
      ifNoneMatch: tags,
      ifModifiedSince: dates,
      ifUnmodifiedSince: dates,
    },
    { requiredKeys: ["method"] },
  );
}

const scenario = objectIndex.chain((index) => {
  const object = objects[index];
  if (object === undefined) throw new Error("objects are seeded before the properties run");
  return fc.tuple(fc.constant(object), requestFor(object));
});

function headersOf(request: ClientRequest): Headers {
  const headers = new Headers();
  const fields: [string, string | undefined][] = [
    ["Range", request.range],
    ["If-Range", request.ifRange],
    ["If-Match", request.ifMatch],
    ["If-None-Match", request.ifNoneMatch],
    ["If-Modified-Since", request.ifModifiedSince],
    ["If-Unmodified-Since", request.ifUnmodifiedSince],
  ];
  for (const [name, value] of fields) if (value !== undefined) headers.set(name, value);
  return headers;
}

/**
 * What the Worker can see: the Fetch API trims header values, and a field
 * whose value is empty does not cross a Worker boundary at all (workerd drops it).
 */
function asSent(request: ClientRequest): ClientRequest {
  const headers = headersOf(request);
  const read = (name: string) => headers.get(name) || undefined;
  return {
    method: request.method,
    range: read("Range"),
    ifRange: read("If-Range"),
    ifMatch: read("If-Match"),
    ifNoneMatch: read("If-None-Match"),
    ifModifiedSince: read("If-Modified-Since"),
    ifUnmodifiedSince: read("If-Unmodified-Since"),
  };
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

describe("Range and conditional requests against a model of RFC 9110", () => {
  it("answers every request with the model's status, never a 5xx, and 206 bodies are exactly the bytes Content-Range names", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ([object, generated]) => {
        const request = asSent(generated);
        const expected = model(request, object);
        const response = await fetchToken(object.token, { method: request.method, headers: headersOf(generated) });
        const body = await bodyBytes(response);
        const size = object.bytes.byteLength;

        expect(response.status).toBeLessThan(500);
        expect(response.status).toBe(expected.status);
        expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
        if (expected.status === 206) {
          expect(response.headers.get("Content-Range")).toBe(`bytes ${expected.first}-${expected.last}/${size}`);
          expect(response.headers.get("Content-Length")).toBe(String(expected.last - expected.first + 1));
          expect(body).toEqual(object.bytes.slice(expected.first, expected.last + 1));
        } else if (expected.status === 200) {
          expect(response.headers.get("Content-Length")).toBe(String(size));
          expect(response.headers.has("Content-Range")).toBe(false);
          expect(body).toEqual(request.method === "GET" ? object.bytes : new Uint8Array(0));
        } else if (expected.status === 416) {
          expect(response.headers.get("Content-Range")).toBe(`bytes */${size}`);
          expect(body.byteLength).toBe(0);
        } else {
          expect(body.byteLength).toBe(0);
          if (expected.status === 304) expect(response.headers.get("ETag")).toBe(object.etag);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("answers a HEAD exactly as the matching GET, without the body and ignoring Range", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ([object, generated]) => {
        const headers = headersOf(generated);
        const head = await fetchToken(object.token, { method: "HEAD", headers });
        headers.delete("Range");
        const get = await fetchToken(object.token, { method: "GET", headers });
        await get.body?.cancel();
        expect(await head.arrayBuffer()).toEqual(new ArrayBuffer(0));
        expect(head.status).toBe(get.status);
        for (const name of [
          "Content-Length",
          "Content-Type",
          "ETag",
          "Last-Modified",
          "Accept-Ranges",
          "Cache-Control",
        ]) {
          expect(head.headers.get(name), name).toBe(get.headers.get(name));
        }
      }),
      { numRuns: 60 },
    );
  });
});

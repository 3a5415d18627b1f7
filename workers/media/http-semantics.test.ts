import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConditionalHeaders, Validators } from "./http-semantics";
import {
  contentRange,
  evaluatePreconditions,
  ifRangeAllowsRange,
  parseContentRange,
  parseRange,
  parseRangeSpec,
  rangeHeaderOf,
  resolveRange,
} from "./http-semantics";

const SIZE = 1000;

describe("parseRange", () => {
  it.each([
    ["bytes=0-99", 0, 100],
    ["bytes=100-199", 100, 100],
    ["bytes=990-", 990, 10],
    ["bytes=-10", 990, 10],
    ["bytes=0-0", 0, 1],
    ["bytes=999-999", 999, 1],
    ["bytes=500-5000", 500, 500],
    ["bytes=-5000", 0, 1000],
    ["BYTES = 10-19", 10, 10],
    ["bytes= 10-19 ", 10, 10],
  ])("reads %s as offset %i, length %i", (header, offset, length) => {
    expect(parseRange(header, SIZE)).toEqual({ kind: "partial", offset, length });
  });

  it.each(["bytes=1000-", "bytes=1000-1001", "bytes=5000-6000", "bytes=-0"])(
    "finds %s unsatisfiable against 1000 bytes",
    (header) => {
      expect(parseRange(header, SIZE)).toEqual({ kind: "unsatisfiable" });
    },
  );

  it("finds every range unsatisfiable against an empty object", () => {
    expect(parseRange("bytes=0-", 0)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=-5", 0)).toEqual({ kind: "unsatisfiable" });
  });

  it.each([
    ["no header", null],
    ["another unit", "items=0-5"],
    ["no unit", "0-5"],
    ["last before first", "bytes=20-10"],
    ["letters", "bytes=a-b"],
    ["a lone dash", "bytes=-"],
    ["an empty set", "bytes="],
    ["a negative offset", "bytes=--5"],
    ["a number beyond 2^53", "bytes=0-99999999999999999999"],
    ["several ranges", "bytes=0-9, 20-29"],
    ["several ranges of which one is unsatisfiable", "bytes=0-9,5000-6000"],
  ])("answers the whole object for %s", (_name, header) => {
    expect(parseRange(header, SIZE)).toEqual({ kind: "full" });
  });

  it("keeps every satisfiable single range inside the object", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.nat(2e9), fc.nat(2e9), (size, a, b) => {
        const first = Math.min(a, b);
        const last = Math.max(a, b);
        const decision = parseRange(`bytes=${first}-${last}`, size);
        if (first >= size) return decision.kind === "unsatisfiable";
        return (
          decision.kind === "partial" &&
          decision.offset === first &&
          decision.offset + decision.length === Math.min(last + 1, size)
        );
      }),
    );
  });

  it("formats Content-Range with the inclusive last byte", () => {
    expect(contentRange(0, 100, 1000)).toBe("bytes 0-99/1000");
  });
});

describe("the Range handed to the cache (parseRangeSpec, rangeHeaderOf)", () => {
  it.each([
    ["bytes=0-99", "bytes=0-99"],
    ["BYTES = 10-19", "bytes=10-19"],
    ["bytes= 990- ", "bytes=990-"],
    ["bytes=-10", "bytes=-10"],
    ["bytes=-0", "bytes=-0"],
    ["bytes=007-010", "bytes=7-10"],
  ])("re-serialises %s as %s", (header, canonical) => {
    expect(rangeHeaderOf(parseRangeSpec(header))).toBe(canonical);
  });

  it.each([null, "items=0-5", "bytes=20-10", "bytes=0-9, 20-29", "bytes=0-99999999999999999999", "bytes=a-b"])(
    "hands the cache no range for %s (the whole copy answers)",
    (header) => {
      expect(rangeHeaderOf(parseRangeSpec(header))).toBeUndefined();
    },
  );

  it("decides, after the round trip, exactly what the client's own header decides, for every size", () => {
    const spec = fc.oneof(
      fc.tuple(fc.nat(3000), fc.option(fc.nat(3000), { nil: undefined })).map(([a, b]) => `bytes=${a}-${b ?? ""}`),
      fc.nat(3000).map((n) => `bytes=-${n}`),
    );
    fc.assert(
      fc.property(spec, fc.nat(2000), (header, size) => {
        const canonical = rangeHeaderOf(parseRangeSpec(header));
        const again = canonical === undefined ? { kind: "full" } : parseRange(canonical, size);
        expect(again).toEqual(parseRange(header, size));
        expect(resolveRange(parseRangeSpec(header), size)).toEqual(parseRange(header, size));
      }),
    );
  });
});

describe("parseContentRange (the cache's answer to a range)", () => {
  it("reads bytes a-b/size as offset, length and size", () => {
    expect(parseContentRange("bytes 990-999/1000")).toEqual({ offset: 990, length: 10, size: 1000 });
    expect(parseContentRange(contentRange(0, 1, 1))).toEqual({ offset: 0, length: 1, size: 1 });
  });

  it.each([
    null,
    "bytes */1000",
    "bytes 10-5/1000",
    "bytes 0-1000/1000",
    "bytes 0-9/*",
    "items 0-9/10",
    "bytes 0-9/10, bytes 20-29/30",
  ])("refuses %s", (value) => {
    expect(parseContentRange(value)).toBeUndefined();
  });
});

const current: Validators = { etag: '"abc123"', lastModified: new Date("2026-11-01T12:00:00.500Z") };
const LAST_MODIFIED = "Sun, 01 Nov 2026 12:00:00 GMT";
const EARLIER = "Sun, 01 Nov 2026 11:59:59 GMT";
const LATER = "Sun, 01 Nov 2026 12:00:01 GMT";
const none: ConditionalHeaders = { ifMatch: null, ifNoneMatch: null, ifModifiedSince: null, ifUnmodifiedSince: null };
const when = (conditions: Partial<ConditionalHeaders>) => evaluatePreconditions({ ...none, ...conditions }, current);

describe("evaluatePreconditions (RFC 9110 §13.2.2)", () => {
  it("proceeds without conditions", () => {
    expect(when({})).toBe("proceed");
  });

  describe("If-Match", () => {
    it.each(['"abc123"', '"x", "abc123"', "*", ' "abc123" '])("proceeds when %s matches strongly", (ifMatch) => {
      expect(when({ ifMatch })).toBe("proceed");
    });
    it.each(['"other"', 'W/"abc123"', "abc123", '"abc123', ""])(
      "fails 412 for %s (no strong match or malformed)",
      (ifMatch) => {
        expect(when({ ifMatch })).toBe("precondition-failed");
      },
    );
    it("takes precedence over If-Unmodified-Since, which is then ignored", () => {
      expect(when({ ifMatch: '"abc123"', ifUnmodifiedSince: EARLIER })).toBe("proceed");
    });
  });

  describe("If-Unmodified-Since", () => {
    it("fails 412 when the object changed after the date", () => {
      expect(when({ ifUnmodifiedSince: EARLIER })).toBe("precondition-failed");
    });
    it("proceeds when the object is unchanged since the date (second precision)", () => {
      expect(when({ ifUnmodifiedSince: LAST_MODIFIED })).toBe("proceed");
      expect(when({ ifUnmodifiedSince: LATER })).toBe("proceed");
    });
    it("is ignored when it is not a date", () => {
      expect(when({ ifUnmodifiedSince: "yesterday" })).toBe("proceed");
    });
  });

  describe("If-None-Match", () => {
    it.each(['"abc123"', 'W/"abc123"', '"x", W/"abc123"', "*"])("answers 304 when %s matches weakly", (ifNoneMatch) => {
      expect(when({ ifNoneMatch })).toBe("not-modified");
    });
    it.each(['"other"', "garbage", '"abc123'])("proceeds for %s", (ifNoneMatch) => {
      expect(when({ ifNoneMatch })).toBe("proceed");
    });
    it("takes precedence over If-Modified-Since, which is then ignored", () => {
      expect(when({ ifNoneMatch: '"other"', ifModifiedSince: LATER })).toBe("proceed");
      expect(when({ ifNoneMatch: '"abc123"', ifModifiedSince: EARLIER })).toBe("not-modified");
    });
  });

  describe("If-Modified-Since", () => {
    it("answers 304 when the object has not changed since the date", () => {
      expect(when({ ifModifiedSince: LAST_MODIFIED })).toBe("not-modified");
      expect(when({ ifModifiedSince: LATER })).toBe("not-modified");
    });
    it("proceeds when the object changed after the date", () => {
      expect(when({ ifModifiedSince: EARLIER })).toBe("proceed");
    });
    it("is ignored when it is not a date", () => {
      expect(when({ ifModifiedSince: "not a date" })).toBe("proceed");
    });
    it("reads the obsolete RFC 850 and asctime formats", () => {
      expect(when({ ifModifiedSince: "Sunday, 01-Nov-26 12:00:00 GMT" })).toBe("not-modified");
      expect(when({ ifModifiedSince: "Sun Nov  1 12:00:00 2026" })).toBe("not-modified");
    });
  });

  it("checks If-Match before If-None-Match: a failed If-Match is 412 even when If-None-Match would be 304", () => {
    expect(when({ ifMatch: '"other"', ifNoneMatch: '"abc123"' })).toBe("precondition-failed");
  });

  it("checks If-Unmodified-Since before If-Modified-Since", () => {
    expect(when({ ifUnmodifiedSince: EARLIER, ifModifiedSince: LATER })).toBe("precondition-failed");
  });
});

describe("ifRangeAllowsRange (RFC 9110 §13.1.5)", () => {
  it("applies the range without If-Range", () => {
    expect(ifRangeAllowsRange(null, current)).toBe(true);
  });
  it("applies the range when the strong ETag matches", () => {
    expect(ifRangeAllowsRange('"abc123"', current)).toBe(true);
  });
  it.each(['"other"', 'W/"abc123"', '"abc123", "x"'])("sends the whole object for the entity tag %s", (value) => {
    expect(ifRangeAllowsRange(value, current)).toBe(false);
  });
  it("applies the range when the date equals Last-Modified", () => {
    expect(ifRangeAllowsRange(LAST_MODIFIED, current)).toBe(true);
  });
  it.each([EARLIER, LATER, "not a date", ""])("sends the whole object for the date %s", (value) => {
    expect(ifRangeAllowsRange(value, current)).toBe(false);
  });
});

// Found by the property-based tests against a model of RFC 9110 (range-properties.test.ts).
describe("precondition fields as RFC 9110 writes them", () => {
  it.each([', "abc123"', '"other", , "abc123" ,', ' ,"abc123"'])(
    "accepts empty list elements in If-Match (§5.6.1.2): %s matches",
    (value) => {
      expect(when({ ifMatch: value })).toBe("proceed");
    },
  );

  it("accepts empty list elements in If-None-Match: a leading comma still matches (304)", () => {
    expect(when({ ifNoneMatch: ', W/"abc123"' })).toBe("not-modified");
  });

  // Each one, read leniently, would be an hour before (If-Unmodified-Since: 412) or after (If-Modified-Since: 304) Last-Modified.
  it.each([
    ["no zone", (hour: number) => `Sun, 01 Nov 2026 ${hour}:00:00`],
    ["ISO with a space", (hour: number) => `2026-11-01 ${hour}:00:00`],
    ["ISO 8601", (hour: number) => `2026-11-01T${hour}:00:00Z`],
    ["UTC instead of GMT", (hour: number) => `Sun, 01 Nov 2026 ${hour}:00:00 UTC`],
  ])(
    "ignores If-Unmodified-Since and If-Modified-Since that are not HTTP-dates (§13.1.3, §13.1.4): %s",
    (_format, at) => {
      expect(when({ ifUnmodifiedSince: at(11) })).toBe("proceed");
      expect(when({ ifModifiedSince: at(13) })).toBe("proceed");
    },
  );
});

/**
 * `POST /_sign` through the router to the media Worker's `sign()`: a `dl`
 * name that displays as something other than what it is (bidi controls,
 * other format characters, dots only) is refused with a 400 before any
 * token exists, as every minter refuses it (shared/mint-input.ts).
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../shared/errors";
import { TEST_SECRETS } from "../../test/secrets";

const ORIGIN = "https://gateway.test";
const ADMIN = { Authorization: `Bearer ${TEST_SECRETS.router.ADMIN_TOKEN}`, "Content-Type": "application/json" };
const sign = (body: unknown) =>
  exports.default.fetch(new Request(`${ORIGIN}/_sign`, { method: "POST", headers: ADMIN, body: JSON.stringify(body) }));

describe("POST /_sign refuses a dl name that hides what it is", () => {
  it.each([
    ["a right-to-left override", "invoice\u202Egpj.exe"],
    ["a left-to-right embedding", "a\u202Ab.pdf"],
    ["a first-strong isolate", "a\u2068b.pdf"],
    ["a pop directional isolate", "a.pdf\u2069"],
    ["a zero-width space", "report\u200B.pdf"],
    ["a zero-width joiner", "a\u200Db.pdf"],
    ["a byte order mark", "\uFEFFa.pdf"],
    ["a soft hyphen", "a\u00ADb.pdf"],
    ["a tag character", "a\u{E0041}.pdf"],
    ["a single dot", "."],
    ["two dots", ".."],
    ["five dots", "....."],
  ])("answers 400 for %s", async (_what, dl) => {
    const response = await sign({ key: "a.pdf", dl });
    expect(response.status).toBe(400);
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("bad_request");
    expect(body.error.message).toContain("dl refused (bad-dl)");
  });

  it.each([
    ["a name with dots and letters", "..a"],
    ["a right-to-left script without controls", "\u05D3\u05D5\u05D7.pdf"],
  ])("signs %s", async (_what, dl) => {
    const response = await sign({ key: "a.pdf", dl });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });
});

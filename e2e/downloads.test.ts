/**
 * The demo page's download button: a token with a `dl` claim makes the media
 * Worker answer `Content-Disposition: attachment` with an ASCII fallback and
 * the UTF-8 name (RFC 6266, RFC 8187), and the browser saves the file under
 * the UTF-8 name.
 */
import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { useStackSession } from "./session.ts";
import { SAMPLE_KEY } from "./stack.ts";

/** The name public/app/app.js asks for: not ASCII on purpose. */
const DOWNLOAD_NAME = "Prüfbild – 640×360.mp4";

const session = useStackSession();

describe("the demo page's download button", () => {
  it(`saves the sample as "${DOWNLOAD_NAME}", the UTF-8 name the token carries`, async () => {
    const { page } = session;
    const answers: Record<string, string>[] = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname.startsWith("/media/v1/") && response.request().resourceType() !== "media")
        answers.push(response.headers());
    });
    await page.goto("/");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    expect(download.suggestedFilename()).toBe(DOWNLOAD_NAME);
    expect(download.url()).toMatch(/\/media\/v1\/[\w-]+\.[\w-]+\.[\w-]+$/);
    const path = await download.path();
    expect(statSync(path).size).toBe(statSync(SAMPLE_KEY).size);
    // The header itself: the fallback for clients without RFC 8187, and the exact UTF-8 bytes.
    expect(answers.map((headers) => headers["content-disposition"])).toContain(
      `attachment; filename="Pr_fbild _ 640_360.mp4"; filename*=UTF-8''Pr%C3%BCfbild%20%E2%80%93%20640%C3%97360.mp4`,
    );
  });
});
